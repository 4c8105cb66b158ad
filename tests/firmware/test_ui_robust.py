# Ui never raises on odd input: junk Verdict fields, fault codes, times,
# long or unusual names. It draws a screen with the right background.
import mpassert
import simlcd
import test_ui_font
from kiosk.ui import Ui, UiError

JUNK = (None, 0, -1, 2 ** 40, "", "x" * 500, b"\xff", 1.5, [], {}, True, "\U0001F600\u4dae\n\t")


def _ui(lang="zh+en", w=240, h=240):
    path = test_ui_font.make_font(test_ui_font.PATH % 20, test_ui_font.CPS)
    lcd = simlcd.make_lcd(w, h)
    return Ui(lcd, path, lang), lcd


def _bg(lcd):
    return lcd.sim.panel.pixel(lcd.width - 2, lcd.height // 2)


def test_junk_verdict_fields():
    ui, lcd = _ui()
    for field in ("verdict", "admit", "reason", "colour", "name", "exp", "used_at"):
        for junk in JUNK:
            v = {"verdict": "GREEN", "admit": True, "reason": "ok", "colour": "green", "name": "A*B", "exp": 1764400000}
            v[field] = junk
            ui.verdict(v, 1763800000)
            want = "GREEN" if field != "verdict" else "RED"
            mpassert.eq(ui.screen, want, "%s=%r" % (field, junk))
            enter = v["admit"] is True  # the background follows the door
            mpassert.eq(_bg(lcd), (0, 130, 57) if enter else (206, 24, 33), "%s=%r" % (field, junk))
    for junk in JUNK + (object(),):
        ui.verdict(junk, junk)
        mpassert.eq(ui.screen, "RED", repr(junk))


def test_verdict_object_fields():
    class V:
        pass

    v = V()
    v.verdict, v.admit, v.reason, v.colour, v.name, v.exp = "YELLOW", False, "policy", "yellow", "B*", None
    ui, lcd = _ui("en", 320, 240)
    ui.verdict(v, None)
    mpassert.eq(ui.screen, "YELLOW")
    texts = " ".join(d[0] for d in ui.drawn)
    assert "--:--" in texts and "B*" in texts, texts


def test_junk_faults_and_times():
    ui, lcd = _ui()
    for junk in JUNK:
        ui.fault(junk, junk)
        mpassert.eq(ui.screen, "fault")
        ui.idle(junk)
        mpassert.eq(ui.screen, "idle")
        ui.idle(1763800000, counts=junk, status=junk)
        mpassert.eq(ui.screen, "idle")
        ui.idle(1763800000, counts=(junk, junk), status=(junk,))
    mpassert.raises(UiError, ui.set_lang, "fr")
    mpassert.eq(len(ui.drawn) < 40, True)


def test_long_name_is_cut_and_stays_on_screen():
    ui, lcd = _ui("zh")
    ui.verdict({"verdict": "GREEN", "admit": True, "reason": "ok", "colour": "green",
                "name": "\u4e2d" * 200, "exp": None}, 1763800000)
    for text, x, y, size, fg in ui.drawn:
        assert len(text) <= 120
        assert 0 <= x < lcd.width and 0 <= y < lcd.height
    names = [d[0] for d in ui.drawn if "\u4e2d" in d[0]]
    mpassert.eq(names[0].count("\u4e2d"), 16)


def test_wrap_keeps_every_character_within_the_width():
    import random

    import framebuf
    from kiosk.ui.font import Font
    from kiosk.ui.text import Pen

    font = Font(test_ui_font.make_font(test_ui_font.PATH % 21, test_ui_font.CPS))
    pen = Pen(framebuf.FrameBuffer(bytearray(8), 2, 2, framebuf.RGB565), font)
    alphabet = "AB  \u4e2d\u3000\u3002" + "\u4dae"
    random.seed(7)
    for _ in range(300):
        text = "".join(alphabet[random.getrandbits(8) % len(alphabet)] for _ in range(random.getrandbits(6)))
        width = 8 + random.getrandbits(6)
        lines = pen.wrap(text, 8, width, 50)
        for line in lines:
            assert pen.width(line, 8) <= width or len(line) == 1, (text, line, width)
        mpassert.eq("".join(lines).replace(" ", ""), text.replace(" ", ""), repr(text))
    lines = pen.wrap("A" * 100, 8, 20, 2)
    mpassert.eq(len(lines), 2)
    assert lines[-1].endswith("..."), lines
