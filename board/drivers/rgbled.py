"""Three-pin (GPIO) RGB status LED.

    led = RgbLed(Pin(1, Pin.OUT), Pin(2, Pin.OUT), Pin(3, Pin.OUT), active_low=True)
    led.show("YELLOW")   # red and green on

Pins are callable (`pin(1)`); `active_low` suits common-anode LEDs.
"""

# Colour names of the Board LED interface -> (red, green, blue) on/off
COLOURS = {
    "GREEN": (0, 1, 0),
    "YELLOW": (1, 1, 0),
    "RED": (1, 0, 0),
    "BLUE": (0, 0, 1),
    "WHITE": (1, 1, 1),
    "OFF": (0, 0, 0),
}


class RgbLed:
    def __init__(self, red, green, blue, active_low=False):
        self.pins = (red, green, blue)
        self._inv = 1 if active_low else 0
        self.colour = None
        self.show("OFF")

    def show(self, colour):
        bits = COLOURS.get(colour)
        if bits is None:
            raise ValueError("unknown LED colour %r" % (colour,))
        for pin, on in zip(self.pins, bits):
            pin(on ^ self._inv)
        self.colour = colour
