# Run one MicroPython test function: micropython mprun.py MODULE FUNCTION
import sys

mod = __import__(sys.argv[1])
fn = getattr(mod, sys.argv[2])
try:
    fn()
except Exception as e:
    sys.print_exception(e)
    print("MPRUN FAIL")
    sys.exit(1)
print("MPRUN PASS")
