# Scan kiosk: one entry point for people and CI.
#   make demo   the kiosk on the simulator, end to end
#   make test   every test (firmware on the MicroPython unix port, host, end to end)
#   make bench  benchmarks against peers (bench/), figures for docs/performance.md
#               (BENCH_ARGS=--quick for a short run)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSSTAMP := $(VENV)/.sysdeps
BENCHSTAMP := $(VENV)/.bench
JOBS   ?= 2

.PHONY: venv sysdeps demo test test-firmware test-host test-m32 m32 mpy flash package-json bench clean

$(STAMP): host_tools/requirements.lock host_tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r host_tools/requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps -e host_tools
	touch $@

venv: $(STAMP)

# Debian packages the tests use (fonts for the CJK bitmap font, mosquitto for
# the uplink). Installed only when running as root and missing.
$(SYSSTAMP): host_tools/scripts/sysdeps.sh
	sh host_tools/scripts/sysdeps.sh
	@mkdir -p $(VENV) && touch $@

sysdeps: $(SYSSTAMP)

demo: venv sysdeps
	$(BIN)/python host_tools/scripts/demo.py

test: venv sysdeps m32
	$(BIN)/pytest -q -n $(JOBS) tests

# The emulated 32-bit board (board/qemu_m7, docs/boards-qemu.md): MicroPython's
# qemu port for mps2-an500 built from ../shared/micropython under build/, the
# kiosk frozen in. A second run only rebuilds what changed.
MPY_TGZ   := ../shared/micropython/micropython-src.tar.gz
M32_SRC   := build/micropython
M32_FW    := build/qemu_m7/firmware.elf
M32_HEAP  ?= 2621440
M32_GTAB  := build/gen/kiosk/crypto/gtab.py
M32_DEPS  := $(shell find firmware board/qemu_m7 board/common board/sim board/esp32s3_eye -name '*.py' 2>/dev/null)

$(M32_SRC)/.unpacked: $(MPY_TGZ) board/qemu_m7/port.patch
	rm -rf $(M32_SRC) build/qemu_m7 && mkdir -p build
	tar -xzf $(MPY_TGZ) -C build
	patch -s -d $(M32_SRC) -p1 < board/qemu_m7/port.patch
	touch $@

$(M32_SRC)/mpy-cross/build/mpy-cross: $(M32_SRC)/.unpacked
	$(MAKE) -s -C $(M32_SRC)/mpy-cross -j$(JOBS)

$(M32_GTAB): host_tools/scripts/gen_gtable.py host_tools/kioskctl/combtab.py $(STAMP)
	$(BIN)/python host_tools/scripts/gen_gtable.py $@

M32_FLAGS := BOARD=MPS2_AN500 MICROPY_VFS_LFS2=1 MICROPY_HEAP_SIZE=$(M32_HEAP) MICROPY_STACK_SIZE=16384
M32_STAMP := build/qemu_m7/flags-$(shell echo '$(M32_FLAGS)' | cksum | cut -d' ' -f1)

# the port's make does not notice changed flags: a new set starts a clean build
$(M32_STAMP): $(M32_SRC)/.unpacked
	rm -rf build/qemu_m7/port build/qemu_m7/flags-* && mkdir -p build/qemu_m7 && touch $@

$(M32_FW): $(M32_SRC)/mpy-cross/build/mpy-cross $(M32_STAMP) $(M32_GTAB) $(M32_DEPS)
	@if ! command -v arm-none-eabi-gcc >/dev/null; then \
	  echo "*** m32: arm-none-eabi-gcc missing: run host_tools/scripts/sysdeps.sh as root" >&2; exit 1; fi
	$(MAKE) -s -C $(M32_SRC)/ports/qemu -j$(JOBS) $(M32_FLAGS) BUILD=$(abspath build/qemu_m7/port) \
	  FROZEN_MANIFEST=$(abspath board/qemu_m7/manifest.py) $(abspath build/qemu_m7/port)/firmware.elf
	cp build/qemu_m7/port/firmware.elf $@

# When the cross toolchain is missing (not root, no packages) the firmware is
# not built; tests/m32 then fails loudly in CI (CI=true) and warns elsewhere.
m32: venv sysdeps
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then \
	  $(MAKE) --no-print-directory $(M32_FW); \
	else echo "*** m32: no arm-none-eabi-gcc/qemu-system-arm: the 32-bit suite cannot run" >&2; fi

test-m32: m32
	$(BIN)/pytest -q -n $(JOBS) tests/m32

# Device builds (docs/boards.md). `make mpy` stages every board's device tree
# under build/dev/BOARD: modules compiled to .mpy for its architecture
# (xtensawin for the ESP32-S3 boards), the generated pin table, data files,
# main.py/boot.py; `make mpy BOARD=xiao_s3sense` one board.
# `make flash BOARD=esp32s3_eye PORT=/dev/ttyACM0 [IMAGE=fw.bin] [FONT=kiosk.fnt]`
# deploys and verifies (esptool, mpremote); BOARD=qemu_m7 needs no PORT:
# it builds the emulated board's ROMFS image, verifies it on the board and
# boots it (needs `make m32`).
DEV_BOARDS := esp32s3_eye freenove_s3cam xiao_s3sense qemu_m7
mpy: venv
	@for b in $(or $(BOARD),$(DEV_BOARDS)); do \
	  $(BIN)/kioskctl flash --board $$b --stage-only || exit 1; done

# firmware/package.json (mip) from the manifests; tests/boards checks it is current
package-json: venv
	$(BIN)/python -c "from kioskctl import devbuild; open('firmware/package.json', 'w').write(devbuild.package_json_text())"

flash: venv $(if $(filter qemu_m7,$(BOARD)),m32)
	@test -n "$(BOARD)" || { echo "make flash BOARD=<$(DEV_BOARDS)> PORT=<serial port>" >&2; exit 2; }
	$(BIN)/kioskctl flash --board $(BOARD) $(if $(PORT),--port $(PORT)) $(if $(IMAGE),--image $(IMAGE)) \
	  $(if $(FONT),--font $(FONT)) $(FLASH_ARGS)

test-firmware: venv
	$(BIN)/pytest -q -n $(JOBS) tests/firmware tests/test_mpy_cross.py

test-host: venv
	$(BIN)/pytest -q -n $(JOBS) tests/host tests/e2e

$(BENCHSTAMP): host_tools/requirements-bench.lock $(STAMP)
	$(BIN)/pip install -q --disable-pip-version-check -r host_tools/requirements-bench.lock
	sh host_tools/scripts/sysdeps.sh bench
	touch $@

# full runs take about an hour; `make bench BENCH_ARGS=--quick` takes minutes
bench: $(BENCHSTAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build out .pytest_cache .hypothesis
