# Freeze the kiosk firmware and this board into an ESP32-S3 MicroPython build:
#   make -C ports/esp32 BOARD=ESP32_GENERIC_S3 BOARD_VARIANT=SPIRAM_OCT \
#        FROZEN_MANIFEST=<repo>/board/esp32s3_eye/manifest.py
# (plus a camera driver module, e.g. esp32-camera bindings, as a user C module)
# Paths are relative to this file.
include("$(PORT_DIR)/boards/manifest.py")
package("kiosk", base_path="../../firmware")
module("main.py", base_path="../../firmware")
module("board_api.py", base_path="../common")
freeze("../drivers")
freeze(".", ("kboard.py", "camsource.py", "usbserial.py", "rtcclock.py"))
