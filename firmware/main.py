# Kiosk entry point: build the board, run the app; never fall to the REPL.
import kboard
from kiosk.app import main

main.run_forever(kboard.create())
