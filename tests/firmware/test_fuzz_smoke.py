# Hostile-input smoke run: bench/fuzz.py's mutators against kiosk.verify.check
# on MicroPython, with the embedded seeds and a trust store whose issuer kid
# also maps to an off-curve key, an all-zero "infinity" key and an RSA key
# (alg confusion). The full run is `python bench/fuzz.py --count 1000000`.
import sys

import mpassert

sys.path.append(mpassert.repo_path("bench"))
import fuzz  # noqa: E402

HEAPSIZE = "4M"


def test_fuzz_smoke_no_escape_no_forgery():
    st = fuzz.run(3000, rng_seed=7)
    for key in ("escaped", "forgeries", "no_reason", "oom"):
        mpassert.eq(st[key], 0, "%s: %r" % (key, st["samples"]))
    mpassert.eq(st["n"], 3000)
    # the unmutated seeds verify (otherwise "no forgery" would mean nothing)
    mpassert.eq(st["seeds_ok"], len(fuzz.EMBED_TOKENS))
    for name, _, _ in fuzz.MUTATORS:
        mpassert.eq(st["by_mutator"].get(name, 0) > 20, True, name)
    mpassert.eq(st["by_mutator"]["forged"] > 20, True)
    for reason in ("ok", "policy", "malformed", "unknown_format", "unsupported_alg", "bad_signature", "unknown_issuer"):
        mpassert.eq(st["reasons"].get(reason, 0) > 0, True, reason)
    # the re-encoded (same Sig_structure) payloads are admitted like the seeds
    mpassert.eq(st["reasons"]["ok"] >= st["by_mutator"]["reencode"] // 4, True)


class _Verdict:
    def __init__(self, reason, admit):
        self.reason = reason
        self.admit = admit
        self.verdict = "GREEN" if admit else "RED"
        self.key_index = 0 if admit else -1
        self.detail = None


def test_harness_counts_forgeries_escapes_and_missing_reasons():
    # A verifier that admits everything is caught forging ...
    st = fuzz.run(300, rng_seed=3, check=lambda p, t, pol, now: _Verdict("ok", True))
    mpassert.eq(st["forgeries"] > 200, True, str(st["forgeries"]))

    # ... one that raises is caught escaping, one without a reason code too.
    def boom(p, t, pol, now):
        raise ValueError("boom")

    st = fuzz.run(50, rng_seed=3, check=boom)
    mpassert.eq(st["escaped"], 50)
    st = fuzz.run(50, rng_seed=3, check=lambda p, t, pol, now: _Verdict(None, False))
    mpassert.eq(st["no_reason"], 50)
