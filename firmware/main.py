# Kiosk entry point: build the board, run the app; never fall to the REPL
# (except in maintenance: a technician holding BOOT at power-up).
import kboard

board = kboard.create()
if not board.maintenance():
    from kiosk.app import main

    main.run_forever(board)
