"""OV2640 grayscale frames from the esp32-camera driver (`camera` module).

Frames are QVGA 320x240 8-bit grayscale in PSRAM; capture blocks for one
frame time, so the source yields to the event loop between frames.
"""

import asyncio

_W = const(320)
_H = const(240)


class CameraSource:

    def __init__(self):
        import camera

        self._cam = camera
        self.current = "camera"
        self.failed = None
        try:
            camera.init(0, format=camera.GRAYSCALE, framesize=camera.FRAME_QVGA, fb_location=camera.PSRAM)
        except Exception as exc:  # the app shows the camera fault screen
            self.failed = str(exc)

    async def read(self):
        if self.failed:
            await asyncio.sleep_ms(1000)
            return ("error", "camera: " + self.failed)
        buf = self._cam.capture()
        await asyncio.sleep_ms(0)
        if not buf or len(buf) != _W * _H:
            return ("error", "camera: bad frame")
        return ("frame", (buf, _W, _H))
