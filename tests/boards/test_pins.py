"""pins.csv is each board's one pin table: it loads, names no GPIO twice
(the old S3-EYE table put the scanner UART on camera data pins), and keeps
off the pins an ESP32-S3 with octal PSRAM and USB CDC cannot give away."""

import os

import pytest

from kioskctl import devbuild
from kioskctl.errors import KioskError
from boardkit import ESP32

# SPI flash and octal PSRAM (GPIO26-37) and the USB D-/D+ of the serial link (19, 20)
RESERVED = set(range(26, 38)) | {19, 20}
STRAPPING_INPUT_HIGH = {45}  # VDD_SPI strap: an idle-high UART RX here breaks the flash voltage


@pytest.mark.parametrize("board", ESP32)
def test_pin_table_is_sound(board):
    pins = devbuild.read_pins(os.path.join(devbuild.board_dir(board), "pins.csv"))
    used = set(pins.values())
    assert len(used) == len(pins)
    assert not used & RESERVED, sorted(used & RESERVED)
    assert not used & STRAPPING_INPUT_HIGH
    for name in ["CAM_D%d" % i for i in range(8)] + ["CAM_VSYNC", "CAM_HREF", "CAM_PCLK", "CAM_XCLK",
                                                     "CAM_SDA", "CAM_SCL", "LCD_SCK", "LCD_MOSI", "LCD_DC",
                                                     "LCD_CS", "LED", "BUZZER", "I2C_SDA", "I2C_SCL", "BOOT"]:
        assert name in pins, name
    assert pins["BOOT"] == 0


def test_generated_table_is_the_csv(tmp_path):
    path = devbuild.write_pins("xiao_s3sense", str(tmp_path))
    env = {}
    exec(open(path).read(), env)
    assert env["PINS"] == devbuild.read_pins(os.path.join(devbuild.board_dir("xiao_s3sense"), "pins.csv"))


@pytest.mark.parametrize("rows, msg", [
    ("CAM_D6,GPIO17\nSCANNER_TX,GPIO17\n", "GPIO17 already used by CAM_D6"),
    ("LED,GPIO3\nLED,GPIO4\n", "LED named twice"),
    ("LED,3\n", "not NAME,GPIOn"),
    ("led;GPIO3\n", "not NAME,GPIOn"),
])
def test_bad_tables_are_refused(tmp_path, rows, msg):
    p = tmp_path / "pins.csv"
    p.write_text(rows)
    with pytest.raises(KioskError, match=msg):
        devbuild.read_pins(str(p))
