# esp32s3_eye: the kiosk on a stock MicroPython image with the camera module
# (`make mpy BOARD=esp32s3_eye`, `make flash BOARD=esp32s3_eye PORT=...`), or frozen into a custom
# build of cnadler86/micropython-camera-API's firmware:
#   make -C ports/esp32 BOARD=ESP32_GENERIC_S3 BOARD_VARIANT=SPIRAM_OCT \
#        USER_C_MODULES=<camera-API>/src/micropython.cmake FROZEN_MANIFEST=<repo>/board/esp32s3_eye/manifest.py
# kpins.py is generated from pins.csv into build/gen/esp32s3_eye (kioskctl.devbuild).
include("$(PORT_DIR)/boards/manifest.py")
include("../common")
module("kboard.py")
module("kpins.py", base_path="../../build/gen/esp32s3_eye")
