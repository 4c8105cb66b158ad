"""kioskctl qemu ...: the emulated 32-bit board (board/qemu_m7, docs/boards-qemu.md).

    kioskctl qemu run --romfs DIR      power it on; prints its serial port, runs until
                                       Ctrl-C / SIGTERM or the firmware resets it
    kioskctl qemu romfs DIR -o IMG     build a ROMFS image (what /rom holds)
"""

from kioskctl.errors import KioskError


def register(sub):
    p = sub.add_parser("qemu", help="the emulated 32-bit board (MicroPython on a Cortex-M7 under qemu)")
    ss = p.add_subparsers(dest="qemu_cmd", metavar="ACTION")
    ss.required = True
    r = ss.add_parser("run", help="start the board; its serial port goes to stderr")
    r.add_argument("--firmware", metavar="ELF", help="firmware (default: build/qemu_m7/firmware.elf from `make m32`)")
    r.add_argument("--romfs", metavar="DIR|IMG", help="ROMFS folder or image loaded at /rom (main.py, frames/)")
    r.add_argument("--heap", type=int, metavar="BYTES", help="a smaller MicroPython heap than the build's")
    r.add_argument("--icount", action="store_true", help="count instructions (-icount shift=0): deterministic, slower")
    r.set_defaults(func=cmd_run)
    b = ss.add_parser("romfs", help="build a ROMFS image of a folder (.py compiled to .mpy, main.py kept)")
    b.add_argument("folder")
    b.add_argument("-o", "--out", required=True, metavar="IMG")
    b.add_argument("--no-compile", action="store_true", help="keep .py sources as they are")
    b.set_defaults(func=cmd_romfs)


def cmd_run(args):
    import signal
    import sys

    from kioskctl import qemu

    if args.heap is not None and args.heap < 16384:
        raise KioskError("--heap takes at least 16384 bytes")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    board = qemu.start(args.firmware, romfs=args.romfs, icount=args.icount, heap=args.heap)
    try:
        print("board serial port: %s" % board.pty_path, file=sys.stderr, flush=True)
        rc = board.proc.wait()
        print("board stopped (qemu exit %d)" % rc, file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        board.close()
    return 0


def cmd_romfs(args):
    import os

    from kioskctl import qemu

    if not os.path.isdir(args.folder):
        raise KioskError("not a folder: %s" % args.folder)
    qemu.make_romfs(args.folder, args.out, compile_py=not args.no_compile)
    print("romfs %s: %d bytes" % (args.out, os.path.getsize(args.out)))
    return 0
