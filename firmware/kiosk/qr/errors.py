"""The one exception class of the kiosk.qr package.

`decode()` never lets it escape; internal stages raise it to abandon a
candidate symbol (bad format information, uncorrectable blocks, malformed
bit stream) and the decoder moves on to the next candidate.
"""


class QRError(Exception):
    pass
