"""Freenove ESP32-S3-WROOM CAM (FNK0085): OV2640 camera, on-board WS2812 on
GPIO48, an external ST7789 320x240 SPI LCD and buzzer, USB CDC serial
(the USB-OTG port), Wi-Fi, optional MLX90614. Pins: pins.csv.
"""

import kpins
from camboard import CamBoard


class FreenoveBoard(CamBoard):
    name = "freenove_s3cam"
    LCD = ("st7789", "ST7789", 320, 240, 1)


def create(**options):
    return FreenoveBoard(kpins.PINS, **options)
