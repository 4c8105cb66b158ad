"""Scan kiosk firmware (MicroPython).

Packages, top to bottom: app (scan loop), qr (frame -> payload), token
(payload -> COSE/CWT), crypto (ES256/PS256), trust (issuer keys), policy
(claims -> verdict), records (power-safe log), link (serial, uplink), ui
(screens). Only board/ touches hardware; it is handed in as a Board object.
"""

VERSION = "0.1.0"
