# Made-up verdicts for MicroPython e2e scripts that fill a kiosk log: the
# fields make_record reads, cycling through colours, reasons and holders.


class Verdict:
    def __init__(self, i):
        self.verdict = ("GREEN", "YELLOW", "RED")[i % 3]
        self.colour = ("green", "yellow", "red")[i % 3]
        self.reason = ("ok", "ok", "policy")[i % 3]
        self.admit = i % 3 == 0
        self.key_index = i % 4
        self.holder = b"holder-%d" % (i % 97)
        self.kind = "native"
