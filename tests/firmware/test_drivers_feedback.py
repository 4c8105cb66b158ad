# WS2812, GPIO RGB LED and PWM buzzer drivers on simulated pins, and the
# verdict feedback patterns they play.
import mpassert
import simpins
from kiosk.ui.feedback import Feedback


def test_ws2812_sends_grb_bytes():
    led = simpins.make_led("ws2812", n=2)
    led.show("YELLOW")
    mpassert.eq(led.sim.events[-1][1], bytes([110, 160, 0, 110, 160, 0]))
    mpassert.eq(led.sim.timing, (400, 850, 800, 450))
    mpassert.eq(led.sim.rgb(1), (160, 110, 0))
    led.brightness = 128
    led.show("RED")
    mpassert.eq(led.sim.events[-1][1], bytes([0, 90, 0, 0, 90, 0]))
    led.show("OFF")
    mpassert.eq(led.sim.events[-1][1], bytes(6))
    mpassert.raises(ValueError, led.show, "PURPLE")


def test_gpio_rgb_led_pins():
    led = simpins.make_led("rgb")
    r, g, b = led.sim
    led.show("YELLOW")
    mpassert.eq((r(), g(), b()), (1, 1, 0))
    led.show("BLUE")
    mpassert.eq((r(), g(), b()), (0, 0, 1))
    from rgbled import RgbLed

    pins = (simpins.Pin(), simpins.Pin(), simpins.Pin())
    RgbLed(*pins, active_low=True).show("GREEN")
    mpassert.eq(tuple(p() for p in pins), (1, 0, 1))


def test_buzzer_pwm_timeline():
    bz = simpins.make_buzzer()
    bz.play([(1400, 150), (0, 100), (1400, 150)])
    mpassert.eq(bz.sim.events, [(0, 1400, 32768), (150, 1400, 0), (250, 1400, 32768), (400, 1400, 0)])
    mpassert.eq(bz.sim.tones(), [(1400, 150), (0, 100), (1400, 150)])
    mpassert.eq(bz.sim.duty_u16(), 0, "silent after the pattern")


def test_buzzer_rejects_bad_patterns_before_sound():
    bz = simpins.make_buzzer()
    for bad in ([(5, 100)], [(1000, 5000)], [(1000,)], [(1000, 10)] * 17, "beep", [(1.5, 10)]):
        mpassert.raises(ValueError, bz.play, bad)
    mpassert.eq(bz.sim.events, [])


def test_buzzer_async():
    import sys

    if ".frozen" not in sys.path:  # MICROPYPATH hides the frozen asyncio
        sys.path.append(".frozen")
    import asyncio

    bz = simpins.make_buzzer()
    asyncio.run(bz.aplay([(2000, 20)]))
    mpassert.eq(bz.sim.events[0][1:], (2000, 32768))
    mpassert.eq(bz.sim.duty_u16(), 0)


def test_feedback_follows_the_decision_not_the_colour():
    clock = simpins.Clock()
    led = simpins.make_led(clock=clock)
    bz = simpins.make_buzzer(clock=clock)
    fb = Feedback(led, bz)
    heard = {}
    # (code colour, admitted): a yellow code with a travel window and a red
    # code at a medical venue enter; a green code used twice does not
    for verdict, admit in (("GREEN", True), ("YELLOW", True), ("RED", True),
                           ("GREEN", False), ("YELLOW", False), ("RED", False)):
        n = len(bz.sim.events)
        fb.signal({"verdict": verdict, "admit": admit})
        heard[(verdict, admit)] = repr(_tones(bz.sim.events[n:]))
        mpassert.eq(led.sim.rgb(), (0, 160, 0) if admit else (180, 0, 0), (verdict, admit))
    enter = set(v for k, v in heard.items() if k[1])
    stop = set(v for k, v in heard.items() if not k[1])
    mpassert.eq((len(enter), len(stop)), (1, 1), "one sound per decision, whatever the colour")
    mpassert.eq(heard[("GREEN", True)], repr([(2000, 120)]))
    assert enter != stop
    beeps = [sum(1 for f, ms in eval(heard[k]) if f) for k in (("RED", True), ("GREEN", False))]
    mpassert.eq(beeps, [1, 3], "beep count tells the decision apart")
    fb.signal(None)  # anything odd is treated as NO ENTRY
    mpassert.eq(led.sim.rgb(), (180, 0, 0))
    fb.fault()
    mpassert.eq(led.sim.rgb(), (0, 0, 170))
    Feedback(None, None).signal({"verdict": "GREEN"})


def _tones(events):
    out = []
    for i in range(len(events) - 1):
        t, f, d = events[i]
        out.append((f if d else 0, events[i + 1][0] - t))
    return out
