"""Seeed Studio XIAO ESP32S3 Sense: OV2640 camera on the Sense expansion,
an external ILI9341 320x240 SPI LCD, WS2812 and buzzer on the D0..D10
header, USB CDC serial, Wi-Fi, optional MLX90614. Pins: pins.csv.
"""

import kpins
from camboard import CamBoard


class XiaoBoard(CamBoard):
    name = "xiao_s3sense"
    LCD = ("ili9341", "ILI9341", 320, 240, 1)


def create(**options):
    return XiaoBoard(kpins.PINS, **options)
