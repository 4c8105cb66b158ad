# Small assertion helpers for MicroPython tests (no unittest on the unix port).


def eq(a, b, msg=""):
    if a != b:
        raise AssertionError("%r != %r %s" % (a, b, msg))


def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return e
    raise AssertionError("%s not raised by %r" % (exc.__name__, fn))


def repo_path(*parts):
    import os

    root = os.getenv("KIOSK_REPO") or "."
    return "/".join((root,) + parts)
