# The kiosk firmware, the MicroPython way: one manifest per package, this one
# including them all. Device builds take it through board/<name>/manifest.py.
metadata(description="Health-code scan kiosk firmware", version="0.1.0", license="MIT")
require("asyncio")  # frozen in every port image that has it (esp32, unix); $(MPY_DIR)/extmod/asyncio elsewhere
module("kiosk/__init__.py", base_path="..")
module("kiosk/cbor.py", base_path="..")
module("kiosk/verify.py", base_path="..")
for _p in ("app", "config", "crypto", "link", "policy", "provision", "qr", "records", "token", "trust", "ui"):
    include(_p)
