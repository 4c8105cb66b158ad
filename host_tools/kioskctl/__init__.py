"""kioskctl: host tools for health-code scan kiosks."""

__version__ = "0.1.0"
