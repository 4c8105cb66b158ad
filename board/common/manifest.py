# What every ESP32-S3 camera board definition shares (board/common/camboard.py):
# the kiosk firmware, the Board API, the camera source, RTC, USB serial, Wi-Fi
# and the drivers. A board's manifest.py includes this, then adds its kboard.py
# and its generated pin table (kpins.py). No simulator or test code.
metadata(description="ESP32-S3 camera kiosk board support", version="0.1.0")
include("../../firmware/kiosk")
# G's comb table (host_tools/scripts/gen_gtable.py): no 1,600 M-instruction build at boot
module("kiosk/crypto/gtab.py", base_path="../../build/gen")
module("board_api.py")
module("camboard.py")
module("camsource.py")
module("rtcclock.py")
module("usbserial.py")
module("wlan.py")
for _d in ("spilcd.py", "st7789.py", "ili9341.py", "ws2812.py", "buzzer.py", "uart_scanner.py", "mlx90614.py"):
    module(_d, base_path="../drivers")
