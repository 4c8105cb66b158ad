# LCD drivers on the simulated SPI bus: exact command and pixel bytes, and
# the simulated panel's decoding of them (rotation, colour order, inversion).
import mpassert
import simlcd
import simpins
import simspi
from ili9341 import ILI9341
from st7789 import ST7789

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
ODD = (0x12, 0x34, 0x56)  # RGB565 0x11AA


def _bus(cls, w, h, **kw):
    spi = simspi.SimSpi(record=True)
    clock = simpins.Clock()
    dc = simpins.Pin("dc", 0, clock)
    cs = simpins.Pin("cs", 1, clock)
    spi.attach(simlcd.Panel(w, h), cs=cs, dc=dc)  # the chip on the bus
    lcd = cls(spi, dc, cs=cs, width=w, height=h, sleep_ms=clock.sleep_ms, **kw)
    return lcd, spi, clock, cs


def _image(lcd):
    c = lcd.color
    row0 = (RED, GREEN, BLUE, WHITE)
    row1 = (ODD, (0, 0, 0), WHITE, RED)
    for x in range(4):
        lcd.fb.pixel(x, 0, c(*row0[x]))
        lcd.fb.pixel(x, 1, c(*row1[x]))


PIXELS = bytes([0xF8, 0x00, 0x07, 0xE0, 0x00, 0x1F, 0xFF, 0xFF,
                0x11, 0xAA, 0x00, 0x00, 0xFF, 0xFF, 0xF8, 0x00])


def test_st7789_init_and_frame_bytes():
    lcd, spi, clock, cs = _bus(ST7789, 4, 2)
    init = [(d, bytes(b)) for d, b in spi.log]
    mpassert.eq(init, [
        (0, b"\x01\x11\x3a"), (1, b"\x55"), (0, b"\xb2"), (1, b"\x0c\x0c\x00\x33\x33"),
        (0, b"\x21\x13\x29\x36"), (1, b"\x00"),
    ])
    mpassert.eq(clock.now_ms, 150 + 10 + 10 + 10 + 10, "reset/sleep-out delays")
    spi.log = []
    _image(lcd)
    lcd.show()
    mpassert.eq([(d, bytes(b)) for d, b in spi.log], [
        (0, b"\x2a"), (1, b"\x00\x00\x00\x03"), (0, b"\x2b"), (1, b"\x00\x00\x00\x01"),
        (0, b"\x2c"), (1, PIXELS),
    ])
    mpassert.eq(cs.value(), 1, "CS released after the frame")


def test_st7789_band_and_offsets():
    lcd, spi, clock, cs = _bus(ST7789, 4, 2, x_off=80, y_off=0x123)
    _image(lcd)
    spi.log = []
    lcd.show(1, 2)
    mpassert.eq([(d, bytes(b)) for d, b in spi.log], [
        (0, b"\x2a"), (1, b"\x00\x50\x00\x53"), (0, b"\x2b"), (1, b"\x01\x24\x01\x24"),
        (0, b"\x2c"), (1, PIXELS[8:]),
    ])


def test_ili9341_rotation_and_frame_bytes():
    lcd, spi, clock, cs = _bus(ILI9341, 4, 2, rotation=1)
    cmds = bytes(b"".join(bytes(b) for d, b in spi.log if d == 0))
    mpassert.eq(cmds[0], 0x01, "software reset first")
    for c in (0x3A, 0x11, 0x29, 0x36):
        assert c in cmds, "command %02x missing" % c
    mpassert.eq(bytes(spi.log[-1][1]), b"\x28", "MADCTL MV|BGR for landscape")
    spi.log = []
    _image(lcd)
    lcd.show()
    mpassert.eq([(d, bytes(b)) for d, b in spi.log], [
        (0, b"\x2a"), (1, b"\x00\x00\x00\x03"), (0, b"\x2b"), (1, b"\x00\x00\x00\x01"),
        (0, b"\x2c"), (1, PIXELS),
    ])


def test_chunked_show_sends_same_bytes():
    lcd, spi, clock, cs = _bus(ST7789, 4, 2, chunk=6)
    _image(lcd)
    spi.log = []
    spi.reset_counters()
    lcd.show()
    mpassert.eq(bytes(spi.log[-1][1]), PIXELS)
    mpassert.eq(spi.writes, 3 + 2 + 3, "3 command bytes, 2 windows, 3 pixel chunks")


def _corners(controller, w, h):
    lcd = simlcd.make_lcd(w, h, controller=controller)
    c = lcd.color
    lcd.fb.fill(0)
    lcd.fb.fill_rect(0, 0, 10, 10, c(*RED))
    lcd.fb.fill_rect(w - 10, 0, 10, 10, c(*GREEN))
    lcd.fb.fill_rect(0, h - 10, 10, 10, c(*BLUE))
    lcd.fb.fill_rect(w - 10, h - 10, 10, 10, c(*WHITE))
    lcd.show()
    p = lcd.sim.panel
    mpassert.eq(p.size(), (w, h))
    got = (p.pixel(0, 0), p.pixel(w - 1, 0), p.pixel(0, h - 1), p.pixel(w - 1, h - 1), p.pixel(w // 2, h // 2))
    mpassert.eq(got, (RED, GREEN, BLUE, WHITE, (0, 0, 0)), "%s %dx%d" % (controller, w, h))
    return lcd


def test_panel_shows_image_upright_for_each_controller_and_size():
    for ctl in ("st7789", "ili9341"):
        for w, h in ((240, 240), (320, 240), (240, 320)):
            _corners(ctl, w, h)


def test_panel_models_the_chip_state():
    lcd = _corners("st7789", 240, 240)
    p = lcd.sim.panel
    lcd.command(0x20)  # INVOFF: an IPS panel then shows inverted colours
    mpassert.eq(p.pixel(0, 0), (0, 255, 255))
    lcd.command(0x21)
    lcd.power(False)
    mpassert.eq(p.pixel(0, 0), (0, 0, 0), "display off is black")
    lcd.power(True)
    lcd.set_rotation(2)  # 180 degrees: the frame lands upside down
    lcd.show()
    mpassert.eq(p.pixel(239, 239), RED)
    lcd.command(0x3A, b"\x66")  # 18-bit pixels are not decoded as RGB565
    lcd.show()
    mpassert.eq(p.bad_pixels, 240 * 240 * 2)


def test_bus_time_model():
    lcd = simlcd.make_lcd(320, 240)
    spi = lcd.sim.spi
    spi.reset_counters()
    lcd.show()
    mpassert.eq(spi.bytes, 320 * 240 * 2 + 3 + 8)
    mpassert.eq(spi.bus_us(), spi.bytes // 5 + spi.writes * 2)  # 40 MHz: 0.2 us per byte
    assert 30000 < spi.bus_us() < 31000, spi.bus_us()


def test_bad_arguments_raise():
    spi = simspi.SimSpi()
    dc = simpins.Pin()
    mpassert.raises(ValueError, ST7789, spi, dc, width=0, height=240)
    mpassert.raises(ValueError, ST7789, spi, dc, rotation=5)
    mpassert.raises(ValueError, ST7789, spi, dc, width=240, height=240, buf=bytearray(10))
    mpassert.raises(ValueError, simlcd.make_lcd, 240, 240, controller="ssd1306")


class _CountingBus:
    # the lowest level: a bus that only counts bytes (no allocation)
    def __init__(self):
        self.n = 0

    def write(self, buf):
        self.n += len(buf)


class _Pin:
    def __init__(self):
        self.v = 0

    def __call__(self, v=None):
        if v is not None:
            self.v = v
        return self.v


def test_full_frame_show_allocates_nothing():
    import micropython

    for cls in (ST7789, ILI9341):
        bus = _CountingBus()
        lcd = cls(bus, _Pin(), cs=_Pin(), width=320, height=240, rotation=1, sleep_ms=lambda ms: None)
        lcd.fb.fill(lcd.color(0, 128, 56))
        bus.n = 0
        micropython.heap_lock()
        try:
            lcd.show()
        finally:
            micropython.heap_unlock()
        mpassert.eq(bus.n, 320 * 240 * 2 + 3 + 8)
