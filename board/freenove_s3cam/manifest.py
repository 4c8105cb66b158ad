# freenove_s3cam: the kiosk on a stock MicroPython image with the camera module
# (`make mpy BOARD=freenove_s3cam`, `make flash BOARD=freenove_s3cam PORT=...`), or frozen into a custom
# build of cnadler86/micropython-camera-API's firmware:
#   make -C ports/esp32 BOARD=ESP32_GENERIC_S3 BOARD_VARIANT=SPIRAM_OCT \
#        USER_C_MODULES=<camera-API>/src/micropython.cmake FROZEN_MANIFEST=<repo>/board/freenove_s3cam/manifest.py
# kpins.py is generated from pins.csv into build/gen/freenove_s3cam (kioskctl.devbuild).
include("$(PORT_DIR)/boards/manifest.py")
include("../common")
module("kboard.py")
module("kpins.py", base_path="../../build/gen/freenove_s3cam")
