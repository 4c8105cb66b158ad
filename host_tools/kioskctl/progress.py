"""Progress on stderr for long waits (uploads, a kiosk checking a bundle, a silent port).

    with Upload(len(data), "trust push") as bar:
        client.command(key, "trust", {}, blob=data, progress=bar)
    status("no answer yet...")

A tqdm bar when stderr is a terminal (tqdm turns itself off otherwise);
status lines always, one per event, prefixed "kioskctl: ".
"""

import sys


def status(text):
    print("kioskctl: %s" % text, file=sys.stderr, flush=True)


class Upload:
    """A callable progress(n_bytes) over a tqdm bar in bytes."""

    def __init__(self, total, desc):
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=desc, file=sys.stderr,
                        disable=None, leave=False)

    def __call__(self, n):
        self.bar.update(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()
