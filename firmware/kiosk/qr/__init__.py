"""kiosk.qr: QR Model 2 decoding in pure MicroPython.

    from kiosk import qr
    for sym in qr.decode(frame, width, height):
        sym.data, sym.version, sym.ec, sym.corners

`decode(buf, width, height)` takes an 8-bit grayscale frame (bytes,
bytearray or memoryview, row-major) and returns a list of Symbol with
`data` (payload bytes), `raw` (segment bytes before any charset
conversion), `version` (1..40), `ec` ("L"/"M"/"Q"/"H"), `mask`, `corners`
(four (x, y) image points: top-left, top-right, bottom-right, bottom-left of
the symbol), `mirrored` and `inverted`. It never raises and
only reads the frame (the binarized image is a separate 1-bit-a-pixel
buffer, w*h/8 bytes); a frame with no readable code gives []. See docs/qr-decoder.md.
"""

from kiosk.qr.errors import QRError  # noqa: F401


def decode(buf, width, height):
    from kiosk.qr import decoder

    return decoder.decode(buf, width, height)


def fault():
    """Why the last decode() gave nothing without reading the whole frame:
    None, "out_of_memory" or "error" (kiosk.qr.decoder.stats counts them)."""
    from kiosk.qr import decoder

    return decoder.last_fault
