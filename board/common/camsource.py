"""Grayscale QVGA frames from the maintained MicroPython camera module
(cnadler86/micropython-camera-API: `from camera import Camera, ...`).

`capture()` returns a memoryview into the driver's frame buffer (in PSRAM):
it goes to the decoder as it is, never copied, and is given back with
`free_buffer()` when the scan loop asks for the next frame (the decode of
the previous one is over by then). With fb_count=2 and GrabMode.LATEST the
driver fills one buffer while the kiosk decodes the other.

    src = CameraSource(cam_pins)   # keyword arguments of Camera(): data_pins=[D0..D7], ...
    kind, data = await src.read()  # ("frame", (memoryview, 320, 240)) or ("error", text)
"""

import asyncio

from micropython import const

_W = const(320)
_H = const(240)
_RETRY_MS = const(1000)


class CameraSource:
    def __init__(self, pins):
        self.current = "camera"
        self.failed = None
        self.frames = 0
        self._cam = None
        self._held = False
        try:
            from camera import Camera, FrameSize, GrabMode, PixelFormat

            self._cam = Camera(pixel_format=PixelFormat.GRAYSCALE, frame_size=FrameSize.QVGA,
                               fb_count=2, grab_mode=GrabMode.LATEST, **pins)
        except Exception as exc:  # noqa: BLE001 - no sensor, no PSRAM: the app shows the camera fault
            self.failed = str(exc) or type(exc).__name__

    def release(self):
        """Give the driver its frame buffer back (the decode of it is over)."""
        if self._held:
            self._held = False
            self._cam.free_buffer()

    async def read(self):
        self.release()
        if self.failed:
            await asyncio.sleep_ms(_RETRY_MS)
            return ("error", "camera: " + self.failed)
        try:
            buf = self._cam.capture()
        except Exception as exc:  # noqa: BLE001 - a frame timeout: report, try again
            return ("error", "camera: %s" % (exc,))
        if buf is None:
            return ("error", "camera: no frame")
        self._held = True
        if len(buf) != _W * _H:
            self.release()
            return ("error", "camera: frame of %d bytes, not %dx%d grayscale" % (len(buf), _W, _H))
        self.frames += 1
        await asyncio.sleep_ms(0)
        return ("frame", (buf, _W, _H))
