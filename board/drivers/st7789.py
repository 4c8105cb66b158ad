"""ST7789 SPI LCD (240x240 or 320x240 IPS panels), RGB565.

    lcd = ST7789(spi, dc=Pin(...), cs=Pin(...), rst=Pin(...), width=320, height=240, rotation=1)
    lcd.fb.fill(lcd.color(0, 160, 80)); lcd.show()

Rotation 0/2 is portrait, 1/3 landscape (swap width and height yourself).
IPS panels need display inversion on (INVON) to show true colours. Panels
with 240 visible rows on the 320-row GRAM need `y_off=80` in rotation 2 and
`x_off=80` in rotation 3.
"""

from micropython import const

from spilcd import MADCTL_MV, MADCTL_MX, MADCTL_MY, SpiLcd

_SLPOUT = const(0x11)
_NORON = const(0x13)
_INVON = const(0x21)
_DISPON = const(0x29)
_COLMOD = const(0x3A)
_PORCTRL = const(0xB2)


class ST7789(SpiLcd):
    INIT = (
        (_SLPOUT, None, 10),
        (_COLMOD, b"\x55", 10),  # 16 bits per pixel
        (_PORCTRL, b"\x0c\x0c\x00\x33\x33", 0),
        (_INVON, None, 0),
        (_NORON, None, 10),
        (_DISPON, None, 10),
    )
    MADCTL = (0, MADCTL_MV | MADCTL_MX, MADCTL_MX | MADCTL_MY, MADCTL_MV | MADCTL_MY)
