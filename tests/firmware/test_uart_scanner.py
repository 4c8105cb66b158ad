# UART barcode-scanner driver: byte stream -> payload lines, bounded.
import asyncio

import mpassert
from uart_scanner import UartScanner


class ChunkUart:
    """Lowest-level stand-in for machine.UART: hands out preset chunks."""

    def __init__(self, chunks):
        self.chunks = list(chunks)

    def read(self, n):
        return self.chunks.pop(0) if self.chunks else None


def collect(chunks, count, **kw):
    sc = UartScanner(ChunkUart(chunks), **kw)

    async def go():
        out = []
        for _ in range(count):
            out.append((await sc.read())[1])
        return out

    return asyncio.run(go()), sc


def test_lines_split_across_chunks_and_crlf():
    got, _ = collect([b"HC1:AB", b"C\r", b"\nHC1:XYZ\nsecond", b"\r\n"], 3)
    mpassert.eq(got, [b"HC1:ABC", b"HC1:XYZ", b"second"])


def test_overlong_line_is_dropped_whole_not_split():
    got, sc = collect([b"A" * 50 + b"\n", b"ok\n"], 1, max_line=16)
    mpassert.eq(got, [b"ok"])
    mpassert.eq(sc.overflows, 1)


def test_blank_lines_are_not_scans():
    got, _ = collect([b"\r\n\r\n\nX\n"], 1)
    mpassert.eq(got, [b"X"])
