"""The Board interface: everything the kiosk app needs from hardware.

A board package (board/<name>/kboard.py) defines `create(**options) -> Board`.
The app only ever calls the methods below; nothing outside board/ imports
`machine`, `network` or a driver. Each getter returns None when the board has
no such device, and imports its driver only when called, so a board without an
LCD never loads the LCD driver.
"""


class Board:
    name = "abstract"

    def get_source(self):
        """Where codes come from: an object with `async read()` returning
        ("frame", (buf, width, height)) for an 8-bit grayscale camera frame,
        ("payload", bytes) for a UART barcode-scanner line, or None when a
        finite source (the simulator's folder) is exhausted."""
        return None

    def get_led(self):
        """Indicator with `show(colour)` (colour in "GREEN", "YELLOW", "RED",
        "BLUE", "OFF")."""
        return None

    def get_lcd(self):
        """A framebuf-backed display driver with `width`, `height`, a
        `framebuf.FrameBuffer` in RGB565 as `fb`, and `show()` to push it."""
        return None

    def get_buzzer(self):
        """Buzzer with `play(pattern)`, pattern a list of (freq_hz, ms)."""
        return None

    def get_thermometer(self):
        """Body-temperature sensor aimed at the person scanning, with `read()`
        -> degrees Celsius (float) or None when it has no reading. The app
        passes the reading to verify (policy `fever_c`)."""
        return None

    def get_clock(self):
        """Clock with `now()` -> Unix seconds (int) or None when unset, and
        `set(unix_seconds)`. Always Unix epoch, whatever the port's epoch."""
        return None

    def mount_storage(self):
        """Mount the log/config filesystem (littlefs) and return its path."""
        return None

    def get_network(self):
        """Wi-Fi station or None (no Wi-Fi): `connect(ssid, password)` starts
        joining (returns at once), `isconnected()` -> bool, `status()` -> a short
        word for the idle screen ("wrong password", "no access point", ...).
        Sockets are the port's own `socket` module once connected."""
        return None

    def get_serial(self):
        """Byte stream to the host (USB CDC or a pty in the simulator) with
        `read(n)`, `write(b)` and a `poll(timeout_ms)` -> bool for readiness."""
        return None

    def get_watchdog(self, timeout_ms):
        """A started hardware watchdog with `feed()` that resets the board
        unless fed within timeout_ms, or None when the board has none."""
        return None

    def reset_cause(self):
        """Why the board last started: "watchdog", "power" or None (unknown)."""
        return None

    def device_key(self):
        """32 bytes that seal the kiosk's secrets (kiosk.config.secrets), kept
        outside the data partition (ESP32: encrypted NVS under flash
        encryption), or None when the board has no such place."""
        return None

    def maintenance(self):
        """True when a technician asks for the REPL at power-up (e.g. BOOT held):
        main.py then returns instead of starting the app."""
        return False

    def reset(self):
        """Restart the device (never drop a wall kiosk to the REPL)."""
        raise SystemExit(1)
