"""ESP32-S3 camera boards: what every board definition shares.

A board definition (board/<name>/kboard.py) is a few lines: a subclass
naming its LCD and LED, built on its pin table `kpins.PINS` (generated from
the board's pins.csv, the one table: host_tools/kioskctl/devbuild.py). This
class turns the table into devices; each getter imports its driver only when
called, and a device whose pins the table lacks is None.

Pin names: CAM_D0..CAM_D7, CAM_VSYNC, CAM_HREF, CAM_PCLK, CAM_XCLK, CAM_SDA,
CAM_SCL (optional CAM_PWDN, CAM_RESET); LCD_SCK, LCD_MOSI, LCD_DC, LCD_CS,
LCD_BL (optional LCD_RST); LED (WS2812 data); BUZZER; SCANNER_TX, SCANNER_RX
(UART barcode module, instead of the camera); I2C_SDA, I2C_SCL (MLX90614);
BOOT (held low at power-up: maintenance).

The filesystem is the littlefs partition MicroPython's _boot.py mounts at
"/", so the kiosk's root is "" ("/config", "/log", "/fonts").
"""

import board_api
from micropython import const

_SPI_HZ = const(40_000_000)
_I2C_HZ = const(100_000)  # the MLX90614's SMBus limit
_SCANNER_BAUD = const(9600)


def camera_pins(pins):
    """The pin arguments of camera.Camera() from the table (None without a camera)."""
    try:
        args = {"data_pins": [pins["CAM_D%d" % i] for i in range(8)]}
        for key, name in (("vsync_pin", "CAM_VSYNC"), ("href_pin", "CAM_HREF"), ("pclk_pin", "CAM_PCLK"),
                          ("xclk_pin", "CAM_XCLK"), ("sda_pin", "CAM_SDA"), ("scl_pin", "CAM_SCL")):
            args[key] = pins[name]
    except KeyError:
        return None
    args["powerdown_pin"] = pins.get("CAM_PWDN", -1)
    args["reset_pin"] = pins.get("CAM_RESET", -1)
    return args


class CamBoard(board_api.Board):
    name = "esp32s3"
    LCD = None  # (driver module, class name, width, height, rotation)
    LED = "ws2812"  # or None

    def __init__(self, pins, scanner_uart=False, thermometer=True, root=""):
        self.pins = pins
        self._scanner_uart = scanner_uart
        self._thermometer = thermometer
        self._root = root
        self._clock = None
        self._net = None

    def _pin(self, name, mode=None, **kw):
        from machine import Pin

        return Pin(self.pins[name], Pin.OUT if mode is None else mode, **kw)

    def get_source(self):
        p = self.pins
        if self._scanner_uart:
            if "SCANNER_TX" not in p:
                return None
            from machine import UART
            from uart_scanner import UartScanner

            return UartScanner(UART(1, _SCANNER_BAUD, tx=p["SCANNER_TX"], rx=p["SCANNER_RX"], timeout=0))
        cam = camera_pins(p)
        if cam is None:
            return None
        from camsource import CameraSource

        return CameraSource(cam)

    def get_lcd(self):
        if self.LCD is None or "LCD_SCK" not in self.pins:
            return None
        from machine import SPI

        module, cls, w, h, rotation = self.LCD
        if "LCD_BL" in self.pins:
            self._pin("LCD_BL", value=1)
        spi = SPI(1, baudrate=_SPI_HZ, sck=self._pin("LCD_SCK"), mosi=self._pin("LCD_MOSI"))
        rst = self._pin("LCD_RST", value=1) if "LCD_RST" in self.pins else None
        driver = getattr(__import__(module), cls)
        lcd = driver(spi, self._pin("LCD_DC"), cs=self._pin("LCD_CS", value=1), rst=rst,
                     width=w, height=h, rotation=rotation)
        lcd.init()
        return lcd

    def get_led(self):
        if self.LED is None or "LED" not in self.pins:
            return None
        from ws2812 import WS2812

        return WS2812(self._pin("LED"), n=1)

    def get_buzzer(self):
        if "BUZZER" not in self.pins:
            return None
        from machine import PWM
        from buzzer import Buzzer

        return Buzzer(PWM(self._pin("BUZZER"), freq=2000, duty_u16=0))

    def get_thermometer(self):
        """The MLX90614 when one answers on the I2C pins, else None."""
        p = self.pins
        if not self._thermometer or "I2C_SDA" not in p:
            return None
        from machine import I2C
        from mlx90614 import ADDR, MLX90614

        i2c = I2C(0, sda=self._pin("I2C_SDA"), scl=self._pin("I2C_SCL"), freq=_I2C_HZ)
        try:
            found = ADDR in i2c.scan()
        except OSError:
            found = False
        return MLX90614(i2c) if found else None

    def get_clock(self):
        if self._clock is None:
            from rtcclock import RtcClock

            self._clock = RtcClock()
        return self._clock

    def mount_storage(self):
        return self._root

    def get_serial(self):
        from usbserial import UsbSerial

        return UsbSerial()

    def get_network(self):
        if self._net is None:
            from wlan import Wlan

            self._net = Wlan()
        return self._net

    def get_watchdog(self, timeout_ms):
        from machine import WDT

        return WDT(timeout=timeout_ms)

    def reset_cause(self):
        import machine

        c = machine.reset_cause()
        if c == machine.WDT_RESET:
            return "watchdog"
        if c == machine.PWRON_RESET:
            return "power"
        return None

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
        if "BOOT" not in self.pins:
            return False
        from machine import Pin

        return self._pin("BOOT", Pin.IN, pull=Pin.PULL_UP).value() == 0

    def reset(self):
        import machine

        machine.reset()
