# The kiosk firmware, the MicroPython way: every package (app, qr, token, ...)
# has its own manifest.py (metadata, require); this one registers them as the
# library "kiosk" and requires them all. Device builds include it through
# board/<name>/manifest.py. asyncio comes with the port image (esp32 freezes
# $(MPY_DIR)/extmod/asyncio; qemu_m7's manifest includes it).
metadata(description="Health-code scan kiosk firmware", version="0.1.0", license="MIT")
add_library("kiosk", ".")
module("kiosk/__init__.py", base_path="..")
module("kiosk/cbor.py", base_path="..")
module("kiosk/verify.py", base_path="..")
require("app", library="kiosk")
