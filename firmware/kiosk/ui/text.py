"""Text layout on a frame buffer: measure, wrap, fit and draw lines.

Works with any font from kiosk.ui.font (a KFNT file or the built-in one).
Chinese wraps between any two characters, but never leaves one character
alone on the last line and never starts a line with closing punctuation
("，。" ...): a character moves down with it. Latin text wraps at spaces (a
word longer than the line is broken). Text is drawn transparently in one colour.
"""

import framebuf
from micropython import const

_MAX_LINES = const(8)
_MAX_CHARS = const(120)


_CLOSING = "，。、；：！？）》」』,.;:!?)"


def _cjk(ch):
    return ord(ch[0]) >= 0x2E80


class Pen:
    """Draws text with `font` into `fb`; logs what it drew in `drawn` as
    (text, x, y, strike size, colour) so tests can check the pixels."""

    def __init__(self, fb, font):
        self.fb = fb
        self.font = font
        self._pal = framebuf.FrameBuffer(bytearray(4), 2, 1, framebuf.RGB565)
        self.drawn = []

    def width(self, text, size):
        st = self.font.strike(size)
        w = 0
        for ch in text:
            w += st.advance(ch)
        return w

    def height(self, size):
        return self.font.strike(size).height

    def draw(self, text, x, y, size, fg):
        """Draw one line at (x, y) (top-left); return the x after it."""
        text = text[:_MAX_CHARS]
        st = self.font.strike(size)
        pal = self._pal
        pal.pixel(0, 0, fg ^ 0xFFFF)
        pal.pixel(1, 0, fg)
        x0 = x
        for ch in text:
            x += st.draw_char(self.fb, ch, x, y, fg, pal)
        self.drawn.append((text, x0, y, st.size, fg))
        return x

    def fit(self, text, max_size, max_width):
        """Largest font size not above max_size at which text fits."""
        sizes = self.font.sizes
        best = sizes[0]
        for s in sizes:
            if s <= max_size and self.width(text, s) <= max_width:
                best = s
        return best

    def wrap(self, text, size, max_width, max_lines=_MAX_LINES):
        """Split text into lines no wider than max_width (at most max_lines;
        the last kept line ends with an ellipsis if text was cut)."""
        st = self.font.strike(size)
        lines = []
        line = ""
        w = 0
        space = -1  # index in `line` after the last space
        for ch in text[:_MAX_CHARS]:
            a = st.advance(ch)
            if ch == "\n" or (w + a > max_width and line):
                if ch != "\n" and ch != " " and space > 0 and ord(ch) < 0x2E80:
                    rest = line[space:]
                    line = line[:space].rstrip()
                else:
                    rest = ""
                lines.append(line)
                if len(lines) >= max_lines:
                    lines[-1] = self._ellipsis(lines[-1], st, max_width)
                    return lines
                line = rest
                w = self.width(line, size)
                space = -1
                if ch == "\n" or ch == " ":
                    continue
            line += ch
            w += a
            if ch == " ":
                space = len(line)
        if line:
            lines.append(line)
        return self._balance(lines, size, max_width)

    def _balance(self, lines, size, max_width):
        """Move a CJK character down onto a line that would start with closing
        punctuation or, on the last line, stand alone (when it still fits)."""
        for i in range(1, len(lines)):
            prev, cur = lines[i - 1], lines[i]
            for _ in range(2):
                lone = i == len(lines) - 1 and len(cur) == 1 and _cjk(cur)
                if not (lone or cur[:1] in _CLOSING) or len(prev) < 3 or not _cjk(prev[-1]):
                    break
                if self.width(prev[-1] + cur, size) > max_width:
                    break
                prev, cur = prev[:-1], prev[-1] + cur
            lines[i - 1], lines[i] = prev, cur
        return lines

    def _ellipsis(self, line, st, max_width):
        dots = "..."
        dw = 3 * st.advance(".")
        while line and self.width(line, st.size) + dw > max_width:
            line = line[:-1]
        return line + dots

    def centred(self, text, y, size, fg, x0, width):
        """Draw text centred in [x0, x0 + width)."""
        w = self.width(text, size)
        return self.draw(text, x0 + max(0, (width - w) // 2), y, size, fg)
