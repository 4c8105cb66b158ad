import sys

from kioskctl.cli import main

sys.exit(main())
