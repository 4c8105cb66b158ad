metadata(description="QR Model 2 decoder in pure MicroPython", version="0.1.0")
# cli.py (the simulator's PGM command line) stays out of device builds
package("kiosk/qr", files=("__init__.py", "binarize.py", "codewords.py", "decoder.py", "errors.py", "finder.py",
                           "grid.py", "rs.py", "sample.py", "segments.py", "version.py"), base_path="../..")
