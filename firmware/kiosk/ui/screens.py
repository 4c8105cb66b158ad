"""The kiosk's screens: idle, verdict (GREEN / YELLOW / RED) and faults.

    ui = Ui(lcd, "/fonts/kiosk.fnt", lang="zh+en")
    ui.idle(now, counts=(admitted, refused), status="fleet: online")
    ui.verdict(v, now); ui.fault("camera")

`lcd` has `width`, `height`, an RGB565 `fb`, `show()` and optionally
`color(r, g, b)` (the panel's byte order). Layout adapts to 240x240 and
320x240. A verdict shows the decision (background, icon shape and
headline: ENTER = disc with a check, NO ENTRY = octagon with a cross,
whatever the code's colour), then the code's colour as a labelled swatch
("绿码 GREEN"), the masked name, the reason in plain words, the time and
the code's expiry. Every text is fitted or wrapped, never clipped.
If the font file cannot be used, the screens fall back to English in
framebuf's built-in font and `font_error` says why.
"""

import time
from micropython import const

import kiosk.ui.icons as icons
from kiosk.config.schema import LANGS  # the languages a kiosk may be configured with
from kiosk.ui.font import BuiltinFont, Font, UiError
from kiosk.ui.text import Pen
from kiosk.ui.texts import FAULTS, TEXTS

_PAD = const(8)
_MAX_NAME = const(16)
_MAX_TIME = const(4102444800)  # 2100-01-01: anything later is not a clock
_EPOCH = 946684800 if time.gmtime(0)[0] == 2000 else 0

# (background, foreground) per screen as RGB888; a verdict's follows its decision
_STYLE = {
    "enter": ((0, 128, 56), (255, 255, 255)),
    "stop": ((200, 24, 32), (255, 255, 255)),
    "idle": ((16, 40, 72), (255, 255, 255)),
    "fault": ((56, 64, 80), (255, 255, 255)),
}
_SWATCH = {"green": (0, 200, 80), "yellow": (248, 196, 16), "red": (230, 30, 40)}  # the code's colour


def _rgb565(r, g, b):
    c = ((r & 0xF8) << 8) | ((g & 0xFC) << 3) | (b >> 3)
    return ((c & 0xFF) << 8) | (c >> 8)


def _counts(c):
    """(admitted, refused) as two small non-negative ints, or None."""
    try:
        a, r = c
        if isinstance(a, int) and isinstance(r, int) and 0 <= a < 10 ** 6 and 0 <= r < 10 ** 6:
            return a, r
    except (TypeError, ValueError):
        pass
    return None


def _field(v, name):
    if isinstance(v, dict):
        return v.get(name)
    return getattr(v, name, None)


class Ui:
    def __init__(self, lcd, font_path=None, lang="zh", tz=8 * 3600):
        self.lcd = lcd
        self.fb = lcd.fb
        self.w = lcd.width
        self.h = lcd.height
        self.tz = tz
        self._color = getattr(lcd, "color", None) or _rgb565
        self.font_error = None
        font = None
        if font_path:
            if not font_path.endswith(".fnt"):
                font_path = font_path.rstrip("/") + "/kiosk.fnt"
            try:
                font = Font(font_path)
            except (UiError, OSError, ValueError) as e:
                self.font_error = str(e)
        else:
            self.font_error = "no font file"
        self.builtin = font is None
        self.font = font or BuiltinFont()
        self.pen = Pen(self.fb, self.font)
        self.screen = None
        self.icon = None
        self.set_lang(lang)

    def set_lang(self, lang):
        if lang not in LANGS:
            raise UiError("language must be one of %s" % (LANGS,))
        self.lang = lang
        self.langs = ("en",) if self.builtin else tuple(lang.split("+"))

    @property
    def drawn(self):
        return self.pen.drawn

    def _begin(self, style):
        self.screen = style  # what is on screen: "idle", "fault" or the verdict
        bg, fg = _STYLE[style]
        self.bg = self._color(*bg)
        self.fg = self._color(*fg)
        self.fb.fill(self.bg)
        self.pen.drawn = []
        self.icon = None

    def _t(self, lang, key):
        return TEXTS[lang].get(key) or TEXTS["en"].get(key) or key

    def _clock(self, now, date=False):
        if not isinstance(now, int) or not 0 < now < _MAX_TIME:
            return "--:--"
        t = time.gmtime(now + self.tz - _EPOCH)
        if date:
            return "%04d-%02d-%02d" % (t[0], t[1], t[2])
        return "%02d-%02d %02d:%02d" % (t[1], t[2], t[3], t[4])

    def _icon(self, kind, x, y, s):
        getattr(icons, kind)(self.fb, x, y, s, self.fg, self.bg)
        self.icon = (kind, x, y, s)

    def _band(self, kind, heads, max_size, s=None):
        """Icon (s px) at top-left, headline lines beside it; return the y
        below. The first language may wrap at 24 px; others shrink to 16."""
        s = s or self.h * 64 // 240
        self._icon(kind, _PAD, _PAD, s)
        x0 = _PAD + s + _PAD
        width = self.w - x0 - _PAD
        fitted = []
        total = 0
        for i, text in enumerate(heads):
            size = self.pen.fit(text, max_size if i == 0 else 24, width)
            lines = [text]
            wrap_at = 24 if i == 0 else 16
            if size < wrap_at and self.pen.width(text, wrap_at) > width:
                size = wrap_at  # too long for one line: wrap at a legible size
                lines = self.pen.wrap(text, size, width, 2)
            for line in lines:
                fitted.append((line, size))
                total += self.pen.height(size)
        y = _PAD + max(0, (s - total) // 2)
        for text, size in fitted:
            self.pen.draw(text, x0, y, size, self.fg)
            y += self.pen.height(size)
        return max(y, _PAD + s) + 6

    def _para(self, texts, y, sizes, bottom):
        """Wrapped paragraphs (one per language) from y, stopping at bottom:
        small print rather than cut text, and a later language is left out
        (whole) rather than cut when even small print does not fit."""
        width = self.w - 2 * _PAD

        def need(texts, sizes):
            return sum(len(self.pen.wrap(t, z, width)) * (self.pen.height(z) + 2) + 2
                       for t, z in zip(texts, sizes))

        texts = list(texts)
        if need(texts, sizes) > bottom - y:
            sizes = [16] * len(texts)
        while len(texts) > 1 and need(texts, sizes) > bottom - y:
            texts.pop()
        for text, size in zip(texts, sizes):
            lh = self.pen.height(size) + 2
            room = (bottom - y) // lh
            if room <= 0:
                break
            for line in self.pen.wrap(text, size, width, room):
                self.pen.draw(line, _PAD, y, size, self.fg)
                y += lh
            y += 2
        return y

    def _footer(self, left, right):
        """Bottom line: left and right texts, made smaller rather than cut."""
        size = 16
        y = self.h - _PAD - self.pen.height(size)
        width = self.w - 2 * _PAD
        rw = 0
        if right:
            rs = self.pen.fit(right, size, width // 2)
            rw = self.pen.width(right, rs)
            self.pen.draw(right, self.w - _PAD - rw, y, rs, self.fg)
        if left:
            self.pen.draw(left, _PAD, y, self.pen.fit(left, size, width - rw - (_PAD if rw else 0)), self.fg)
        return y

    def _sizes(self):
        return (24,) if len(self.langs) == 1 else (24, 16)

    def _fitted(self, text, y, max_size, width, max_lines=3):
        """One text centred from y: the largest size that fits on one line,
        else wrapped at the smallest; returns the y below."""
        size = self.pen.fit(text, max_size, width)
        lines = [text]
        if self.pen.width(text, size) > width:
            lines = self.pen.wrap(text, size, width, max_lines)
        for line in lines:
            self.pen.centred(line, y, size, self.fg, _PAD, width)
            y += self.pen.height(size) + 2
        return y

    def _fits(self, text, size, width, room):
        """Wrapped lines of text if they all fit in `room` px, else None (dropped, never cut)."""
        lines = self.pen.wrap(text, size, width)
        if len(lines) * (self.pen.height(size) + 2) > room or lines[-1].endswith("...") and not text.endswith("..."):
            return None
        return lines

    def counts_text(self, lang, counts):
        a, r = counts
        return self._t(lang, "counts").replace("{a}", str(a)).replace("{r}", str(r))

    def idle(self, now=None, counts=None, status=None):
        """"Show your code" screen: the time if the clock is set, today's
        admitted and refused counts (aggregates only, no names or pseudonyms)
        and one optional status line (the uplink's)."""
        self._begin("idle")
        width = self.w - 2 * _PAD
        counts = _counts(counts)
        status = "".join(c for c in str(status)[:48] if c >= " ") if status else None
        extra = (counts is not None) + (status is not None)
        s = self.h * (80 - 14 * extra) // 240
        self._icon("qr", (self.w - s) // 2, _PAD + 2, s)
        y = _PAD + 2 + s + 6
        for i, lang in enumerate(self.langs):
            y = self._fitted(self._t(lang, "idle"), y, 48 if i == 0 else 24, width, 2)
        bottom = self._footer(self._clock(now), None) - 2
        lh = self.pen.height(16) + 2
        # by priority: the status line, the counts in the first language, then the others
        wanted = ([status] if status else []) + (
            [self.counts_text(l, counts) for l in self.langs] if counts else [])
        kept = {}
        used = 0
        for i, text in enumerate(wanted):
            lines = self._fits(text, 16, width, bottom - y - used)
            if lines:
                kept[i] = lines
                used += lh * len(lines)
        top = yy = bottom - used
        for i in list(range(1 if status else 0, len(wanted))) + ([0] if status else []):  # counts, then status
            for line in kept.get(i, ()):
                self.pen.centred(line, yy, 16, self.fg, _PAD, width)
                yy += lh
        hint = self._t(self.langs[-1], "idle_hint")
        lines = self._fits(hint, 16, width, top - y - 2)
        for line in lines or ():
            self.pen.centred(line, y + 2, 16, self.fg, _PAD, width)
            y += lh
        self.screen = "idle"
        self.lcd.show()

    def _swatch(self, colour, name, y):
        """The code's colour as a labelled element: a swatch in that colour
        and its name ("绿码 GREEN"), then the masked name; returns the y below."""
        size = 24
        k = self.pen.height(size) - 4
        x = _PAD
        self.fb.fill_rect(x, y + 2, k, k, self.fg)
        self.fb.fill_rect(x + 2, y + 4, k - 4, k - 4, self._color(*_SWATCH[colour]))
        x += k + 6
        avail = self.w - _PAD - x
        label = " ".join(self._t(l, "c_" + colour) for l in self.langs)
        line = label + "  " + name if name else label
        ls = self.pen.fit(line, size, avail)
        if self.pen.width(line, ls) <= avail:
            self.pen.draw(line, x, y, ls, self.fg)
            return y + self.pen.height(size) + 4
        ls = self.pen.fit(label, size, avail)  # too long together: the name on its own line
        self.pen.draw(label, x, y, ls, self.fg)
        y += self.pen.height(size) + 4
        self.pen.draw(name, _PAD, y, self.pen.fit(name, size, self.w - 2 * _PAD), self.fg)
        return y + self.pen.height(size) + 4

    def verdict(self, v, now=None):
        """Draw a Verdict (docs/architecture.md); never raises on odd fields."""
        verdict = _field(v, "verdict")
        if verdict not in ("GREEN", "YELLOW", "RED"):
            verdict = "RED"
        admit = _field(v, "admit") is True
        reason = _field(v, "reason")
        reason = reason if isinstance(reason, str) else "malformed"
        colour = _field(v, "colour")
        colour = colour if colour in ("green", "yellow", "red") else None
        name = _field(v, "name")
        name = name[:_MAX_NAME] if isinstance(name, str) else None
        exp = _field(v, "exp")
        used = _field(v, "used_at")
        used = used if isinstance(used, int) and 0 < used < _MAX_TIME else None
        self._begin("enter" if admit else "stop")
        heads = [self._t(l, "enter" if admit else "stop") for l in self.langs]
        y = self._band(icons.BY_DECISION[admit], heads, 48)
        if colour:
            y = self._swatch(colour, name, y)
        elif name:
            self.pen.draw(name, _PAD, y, self.pen.fit(name, 24, self.w - 2 * _PAD), self.fg)
            y += self.pen.height(24) + 4
        key = self._reason_key(reason, admit, colour, used)
        texts = []
        for l in self.langs:
            t = self._t(l, key)
            if key == "r_other":
                t += " (" + "".join(c for c in reason[:24] if " " < c < "\x7f") + ")"
            texts.append(t.replace("{t}", self._clock(used)[6:]))
        left = self._clock(now)
        right = None
        if admit and isinstance(exp, int) and 0 < exp < _MAX_TIME:
            right = self._t(self.langs[0], "valid_until") + " " + self._clock(exp, True)[5:]
            if self.pen.width(left, 16) + self.pen.width(right, 16) + _PAD > self.w - 2 * _PAD:
                right = self._clock(exp, True)[5:]  # the date alone when the words do not fit
        bottom = self._footer(left, right)
        self._para(texts, y, self._sizes(), bottom - 2)
        self.screen = verdict
        self.lcd.show()

    def _reason_key(self, reason, admit, colour, used=None):
        if used and admit:
            return "r_used_warn"  # policy reuse "warn": admitted, and told
        if reason == "ok":
            if admit:
                return "r_ok_" + (colour or "green")
            reason = "policy"
        if reason == "policy" and colour in ("yellow", "red"):
            return "r_policy_" + colour
        key = "r_" + reason
        return key if key in TEXTS["en"] else "r_other"

    def fault(self, code, detail=None):
        """A fault screen: what is wrong and who can fix it. Codes: camera,
        clock_unset, trust_expired, trust_grace, log_full, log_error, provision, config."""
        known = code in FAULTS
        self._begin("fault")
        s = self.h * 56 // 240
        self._icon("square", (self.w - s) // 2, _PAD, s)
        y = _PAD + s + 8
        width = self.w - 2 * _PAD
        tag = "E:" + "".join(c for c in str(code)[:20] if " " < c < "\x7f")
        text = str(detail)[:60] if detail else None
        short = text and self.pen.width(text, 16) <= width - _PAD - self.pen.width(tag, 16)
        bottom = self._footer(tag, text if short else None) - 2
        for i, lang in enumerate(self.langs):
            title = self._t(lang, "f_" + code if known else "f_other")
            size = self.pen.fit(title, 48 if i == 0 else 24, width)
            for line in self.pen.wrap(title, max(size, 16), width, 2):
                self.pen.centred(line, y, max(size, 16), self.fg, _PAD, width)
                y += self.pen.height(size) + 2
        y += 4
        hints = [self._t(l, "h_" + code if known else "h_other") for l in self.langs]
        if text and not short:
            hints.append(text)
        sizes = self._sizes() + (16,)
        for i, hint in enumerate(hints):
            size = sizes[i]
            lh = self.pen.height(size) + 2
            lines = self.pen.wrap(hint, size, width, 3)
            if y + len(lines) * lh > bottom:
                size = 16
                lh = self.pen.height(size) + 2
                lines = self.pen.wrap(hint, size, width, max(1, (bottom - y) // lh))
            for line in lines:
                if y + lh > bottom:
                    break
                self.pen.centred(line, y, size, self.fg, _PAD, width)
                y += lh
        self.screen = "fault"
        self.lcd.show()
