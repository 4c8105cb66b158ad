"""ESP32-S3-EYE class board: OV2640 camera, ST7789 240x240, WS2812, buzzer, USB CDC.

Pins are named in pins.csv. Every getter imports its driver only when called.
The root filesystem is the littlefs partition MicroPython's _boot.py mounts at
"/", so config and log live under "/config" and "/log".
"""

import board_api

_PINS = {
    "LCD_SCK": 21, "LCD_MOSI": 47, "LCD_DC": 43, "LCD_CS": 44, "LCD_BL": 48,
    "LED_WS2812": 3, "BUZZER": 46, "SCANNER_TX": 17, "SCANNER_RX": 18, "BOOT_BUTTON": 0,
}


class EyeBoard(board_api.Board):
    name = "esp32s3_eye"

    def __init__(self, scanner_uart=False):
        self._scanner_uart = scanner_uart
        self._clock = None

    def get_source(self):
        if self._scanner_uart:
            from machine import UART
            from uart_scanner import UartScanner

            return UartScanner(UART(1, 9600, tx=_PINS["SCANNER_TX"], rx=_PINS["SCANNER_RX"], timeout=0))
        from camsource import CameraSource

        return CameraSource()

    def get_lcd(self):
        from machine import SPI, Pin
        from st7789 import ST7789

        Pin(_PINS["LCD_BL"], Pin.OUT, value=1)
        spi = SPI(1, baudrate=40_000_000, sck=Pin(_PINS["LCD_SCK"]), mosi=Pin(_PINS["LCD_MOSI"]))
        return ST7789(spi, Pin(_PINS["LCD_DC"], Pin.OUT), cs=Pin(_PINS["LCD_CS"], Pin.OUT), width=240, height=240)

    def get_led(self):
        from machine import Pin
        from ws2812 import WS2812

        return WS2812(Pin(_PINS["LED_WS2812"], Pin.OUT), n=1)

    def get_buzzer(self):
        from machine import PWM, Pin
        from buzzer import Buzzer

        return Buzzer(PWM(Pin(_PINS["BUZZER"]), freq=2000, duty_u16=0))

    def get_clock(self):
        if self._clock is None:
            from rtcclock import RtcClock

            self._clock = RtcClock()
        return self._clock

    def mount_storage(self):
        return ""

    def get_serial(self):
        from usbserial import UsbSerial

        return UsbSerial()

    def device_key(self):
        """The secrets' sealing key, in NVS (namespace "kiosk", blob "devkey"),
        made from os.urandom on first boot. With flash encryption and NVS
        encryption enabled (docs/security.md) it is encrypted under the
        eFuse key; without them a full-chip dump still holds it."""
        import esp32
        import os

        nvs = esp32.NVS("kiosk")
        buf = bytearray(32)
        try:
            if nvs.get_blob("devkey", buf) == 32:
                return bytes(buf)
        except OSError:
            pass  # not made yet
        key = os.urandom(32)
        nvs.set_blob("devkey", key)
        nvs.commit()
        return key

    def maintenance(self):
        from machine import Pin

        return Pin(_PINS["BOOT_BUTTON"], Pin.IN, Pin.PULL_UP).value() == 0

    def reset(self):
        import machine

        machine.reset()


def create(**options):
    return EyeBoard(**options)
