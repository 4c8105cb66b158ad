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

.PHONY: venv sysdeps demo test test-firmware test-host mpy bench clean

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

test: venv sysdeps
	$(BIN)/pytest -q -n $(JOBS) tests

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
