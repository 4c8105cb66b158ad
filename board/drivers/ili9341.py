"""ILI9341 SPI LCD (240x320 TFT modules, used as 320x240 landscape), RGB565.

    lcd = ILI9341(spi, dc=Pin(...), cs=Pin(...), rst=Pin(...), width=320, height=240, rotation=1)

The usual modules have a BGR panel wired with mirrored source outputs, so
every MADCTL value sets BGR and rotation 0 sets MX.
"""

from micropython import const

from spilcd import MADCTL_BGR, MADCTL_MV, MADCTL_MX, MADCTL_MY, SpiLcd

_SLPOUT = const(0x11)
_DISPON = const(0x29)
_GAMSET = const(0x26)
_COLMOD = const(0x3A)
_FRMCTR1 = const(0xB1)
_DFUNCTR = const(0xB6)
_PWCTR1 = const(0xC0)
_PWCTR2 = const(0xC1)
_VMCTR1 = const(0xC5)
_VMCTR2 = const(0xC7)


class ILI9341(SpiLcd):
    INIT = (
        (_PWCTR1, b"\x23", 0),  # GVDD 4.6 V
        (_PWCTR2, b"\x10", 0),
        (_VMCTR1, b"\x3e\x28", 0),
        (_VMCTR2, b"\x86", 0),
        (_COLMOD, b"\x55", 0),  # 16 bits per pixel
        (_FRMCTR1, b"\x00\x18", 0),  # 79 Hz
        (_DFUNCTR, b"\x08\x82\x27", 0),
        (_GAMSET, b"\x01", 0),
        (_SLPOUT, None, 120),
        (_DISPON, None, 20),
    )
    MADCTL = (
        MADCTL_MX | MADCTL_BGR,
        MADCTL_MV | MADCTL_BGR,
        MADCTL_MY | MADCTL_BGR,
        MADCTL_MX | MADCTL_MY | MADCTL_MV | MADCTL_BGR,
    )
