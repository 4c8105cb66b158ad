"""LED colour and buzzer pattern for each decision, so it is heard and seen.

The sound and light follow the door, not the code's colour: ENTER is one
short high beep with the LED green, NO ENTRY three long low tones with the
LED red (a red code admitted at a medical venue sounds ENTER). Fault: a low
double blip with the LED blue. Patterns are (freq_hz, ms)
steps for the Board buzzer's `play(pattern)` (docs/ui.md). Either device may
be None.
"""

GREEN = [(2000, 120)]
RED = [(500, 300), (0, 120), (500, 300), (0, 120), (500, 300)]
FAULT = [(300, 80), (0, 80), (300, 80)]
PATTERNS = {"GREEN": GREEN, "RED": RED}


class Feedback:
    def __init__(self, led=None, buzzer=None):
        self.led = led
        self.buzzer = buzzer

    @staticmethod
    def choose(v):
        """(LED colour, pattern) for a Verdict's decision; anything odd is NO ENTRY."""
        admit = v.get("admit") if isinstance(v, dict) else getattr(v, "admit", None)
        key = "GREEN" if admit is True else "RED"
        return key, PATTERNS[key]

    def signal(self, v):
        """Light the LED and play the verdict's pattern (blocking, <= 1.3 s)."""
        colour, pattern = self.choose(v)
        if self.led:
            self.led.show(colour)
        if self.buzzer:
            self.buzzer.play(pattern)
        return pattern

    async def asignal(self, v):
        """As signal(), without blocking the asyncio loop during the sound."""
        colour, pattern = self.choose(v)
        if self.led:
            self.led.show(colour)
        bz = self.buzzer
        if bz:
            if hasattr(bz, "aplay"):
                await bz.aplay(pattern)
            else:
                bz.play(pattern)
        return pattern

    def fault(self, sound=True):
        """The fault LED (blue), and the fault sound unless sound=False
        (the app sounds it once, when the fault appears)."""
        if self.led:
            self.led.show("BLUE")
        if self.buzzer and sound:
            self.buzzer.play(FAULT)

    def idle(self):
        if self.led:
            self.led.show("OFF")
