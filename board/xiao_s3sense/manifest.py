# xiao_s3sense: the kiosk on a stock MicroPython image with the camera module
# (`make mpy BOARD=xiao_s3sense`, `make flash BOARD=xiao_s3sense PORT=...`), or frozen into a custom
# build of cnadler86/micropython-camera-API's firmware:
#   make -C ports/esp32 BOARD=ESP32_GENERIC_S3 BOARD_VARIANT=SPIRAM_OCT \
#        USER_C_MODULES=<camera-API>/src/micropython.cmake FROZEN_MANIFEST=<repo>/board/xiao_s3sense/manifest.py
# kpins.py is generated from pins.csv into build/gen/xiao_s3sense (kioskctl.devbuild).
include("$(PORT_DIR)/boards/manifest.py")
include("../common")
module("kboard.py")
module("kpins.py", base_path="../../build/gen/xiao_s3sense")
