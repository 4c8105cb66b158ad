"""Recorder for cnadler86/micropython-camera-API's `camera` module (tests only).

`Camera(...)` checks its keyword arguments as the driver does and keeps
them (`Camera.made`); `capture()` returns a memoryview into one of
`fb_count` frame buffers holding the next recorded frame (`play(frames)`),
zero copy as the driver does; `free_buffer()` gives it back. A capture
while every buffer is held returns None (the driver's timeout).
"""


class PixelFormat:
    RGB565 = 0
    YUV422 = 1
    YUV420 = 2
    GRAYSCALE = 3
    JPEG = 4


class FrameSize:
    R96X96 = 0
    QQVGA = 1
    QVGA = 5
    VGA = 8


class GrabMode:
    WHEN_EMPTY = 0
    LATEST = 1


_SIZES = {FrameSize.QQVGA: (160, 120), FrameSize.QVGA: (320, 240), FrameSize.VGA: (640, 480)}
_FRAMES = []
_PINS = ("vsync_pin", "href_pin", "sda_pin", "scl_pin", "pclk_pin", "xclk_pin")


def play(frames):
    """The frames the sensor 'sees', in order (then the last one again)."""
    _FRAMES[:] = list(frames)


class Camera:
    made = []
    fail = None  # a message: construction raises (no sensor)

    def __init__(self, data_pins=None, pixel_format=PixelFormat.RGB565, frame_size=FrameSize.QQVGA,
                 fb_count=1, grab_mode=GrabMode.WHEN_EMPTY, xclk_freq=20000000, powerdown_pin=-1,
                 reset_pin=-1, jpeg_quality=85, init=True, **pins):
        if Camera.fail:
            raise OSError(Camera.fail)
        if data_pins is None or len(data_pins) != 8 or any(not isinstance(p, int) for p in data_pins):
            raise ValueError("data_pins: 8 GPIO numbers")
        for k in pins:
            if k not in _PINS:
                raise TypeError("unexpected keyword argument '%s'" % k)
        if set(pins) != set(_PINS):
            raise ValueError("missing camera pins")
        self.args = dict(pins, data_pins=list(data_pins), pixel_format=pixel_format, frame_size=frame_size,
                         fb_count=fb_count, grab_mode=grab_mode, powerdown_pin=powerdown_pin, reset_pin=reset_pin)
        w, h = _SIZES[frame_size]
        bpp = 1 if pixel_format == PixelFormat.GRAYSCALE else 2
        self._fbs = [bytearray(w * h * bpp) for _ in range(fb_count)]
        self._held = []
        self._next = 0
        self.captures = 0
        self.max_held = 0
        Camera.made.append(self)

    def capture(self):
        if len(self._held) >= len(self._fbs):
            return None
        fb = [b for b in self._fbs if not any(b is x for x in self._held)][0]
        if _FRAMES:
            src = _FRAMES[min(self._next, len(_FRAMES) - 1)]
            self._next += 1
            fb[:] = src
        self._held.append(fb)
        self.max_held = max(self.max_held, len(self._held))
        self.captures += 1
        return memoryview(fb)

    def free_buffer(self):
        if self._held:
            self._held.pop(0)

    def deinit(self):
        self._held = []
