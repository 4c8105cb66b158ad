"""Espressif ESP32-S3-EYE (the reference kiosk): OV2640 camera, ST7789
240x240 LCD on the sub-board, external WS2812 and buzzer, USB CDC serial,
Wi-Fi, optional MLX90614. Pins: pins.csv (docs/boards.md has the wiring).
"""

import kpins
from camboard import CamBoard


class EyeBoard(CamBoard):
    name = "esp32s3_eye"
    LCD = ("st7789", "ST7789", 240, 240, 0)


def create(**options):
    return EyeBoard(kpins.PINS, **options)
