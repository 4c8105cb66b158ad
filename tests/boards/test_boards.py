"""Every ESP32-S3 board definition imports, builds its devices and scans on
the MicroPython unix port, with only the hardware (machine, camera, network,
esp32) replaced by recorders (tests/boards/hw): a real token in a recorded
camera frame goes through the real decoder, verifier and log to a verdict on
the board's LCD, LED and buzzer."""

import os
import shutil
import time

import pytest

from kioskctl import devbuild
from boardkit import ESP32, frame_for, run


@pytest.fixture
def work(tmp_path, issuer):
    shutil.copy(issuer.trust, tmp_path / "trust.kts")
    return str(tmp_path)


def _code(issuer):
    return issuer.mint("green", iat=int(time.time()) - 3600)


@pytest.mark.parametrize("board", ESP32)
def test_create_and_one_full_scan(board, work, issuer):
    frame_for(_code(issuer), work)
    r = run(board, "scan", work)
    assert (r["verdict"], r["reason"], r["admit"]) == ("GREEN", "ok", True), r
    assert r["board"] == board
    pins = devbuild.read_pins(os.path.join(devbuild.board_dir(board), "pins.csv"))
    cam = r["camera"]
    assert cam["data_pins"] == [pins["CAM_D%d" % i] for i in range(8)]
    assert (cam["vsync_pin"], cam["pclk_pin"], cam["xclk_pin"]) == (pins["CAM_VSYNC"], pins["CAM_PCLK"], pins["CAM_XCLK"])
    assert (cam["pixel_format"], cam["frame_size"], cam["fb_count"], cam["grab_mode"]) == (3, 5, 2, 1)
    assert r["max_held"] == 1  # one frame held at a time: each goes back before the next capture
    assert set(r["pins"]) <= set(pins.values()), "a pin not in pins.csv was used"
    assert r["lcd"] and r["lcd"][0] * r["lcd"][1] >= 240 * 240
    green = [b for b in r["bitstream"] if b[:3] == [160, 0, 0]]  # WS2812 G,R,B for GREEN
    assert green, r["bitstream"]
    assert any(p[1] == pins["BUZZER"] for p in r["pwm"])


@pytest.mark.parametrize("board", ESP32)
def test_fever_from_the_ir_thermometer_refuses(board, work, issuer):
    frame_for(_code(issuer), work)
    r = run(board, "fever", work)
    assert r["thermometer"] is True
    assert (r["admit"], r["reason"], r["detail"]) == (False, "policy", "temperature 38.5 C"), r


def test_frames_reach_the_decoder_without_a_copy(work, issuer):
    frame_for(_code(issuer), work)
    r = run("esp32s3_eye", "zero_copy", work)
    assert r["shared"] is True and r["held"] == 1 and r["size"] == [320, 240, 76800]


@pytest.mark.parametrize("board", ESP32)
def test_clock_wifi_watchdog_button_scanner(board, work):
    r = run(board, "devices", work)
    assert r["epoch_offset"] == 0 and r["clock_now"] > 1704067200  # the unix port's epoch is 1970
    assert r["rtc"] == [[2026, 9, 21, 0, 14, 13, 20, 0]]  # 1790000000 = Mon 2026-09-21 14:13:20 UTC
    assert r["net0"] == "Wi-Fi: not set up" and r["net_bad"] == "Wi-Fi: wrong password"
    assert r["net_ok"] == [True, "Wi-Fi: online"]
    assert r["wdt"] == [8000, 1]
    assert r["cause"] == ["power", "watchdog"]
    assert (r["maint_up"], r["maint_held"]) == (False, True)
    assert r["uart"] == "HC1:ABC"
    pins = devbuild.read_pins(os.path.join(devbuild.board_dir(board), "pins.csv"))
    assert r["uart_pins"] == [pins["SCANNER_TX"], pins["SCANNER_RX"]]
    assert r["thermometer_absent"] is True
    assert r["no_camera"] == ["error", "camera: Camera probe failed"]
