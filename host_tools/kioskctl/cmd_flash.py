"""kioskctl flash: put the kiosk on a board and verify it (docs/boards.md).

    kioskctl flash --board esp32s3_eye --port /dev/ttyACM0 [--image FW.bin] [--font kiosk.fnt]
    kioskctl flash --board esp32s3_eye --port /dev/ttyACM0 --dry-run   # print the commands
    kioskctl flash --board esp32s3_eye --port /dev/ttyACM0 --romfs     # read-only part as a ROMFS image
    kioskctl flash --board qemu_m7 [--frames DIR]                       # the emulated board
    kioskctl flash --board esp32s3_eye --stage-only --out DIR           # `make mpy`
"""

import os
import shlex
import sys

from kioskctl.errors import KioskError


def register(sub):
    from kioskctl import devbuild

    p = sub.add_parser("flash", help="deploy the firmware to a board (ESP32-S3 or the emulated qemu_m7) and verify it")
    p.add_argument("--board", required=True, choices=sorted(devbuild.BOARDS))
    p.add_argument("--port", help="serial port of an ESP32 board (USB CDC, e.g. /dev/ttyACM0)")
    p.add_argument("--image", metavar="BIN", help="MicroPython image to write first with esptool (ESP32)")
    p.add_argument("--font", metavar="FNT", help="the CJK font file for /fonts/kiosk.fnt (kioskctl fonts build)")
    p.add_argument("--frames", metavar="DIR", help="qemu_m7: camera frames (*.pgm) for /rom/frames")
    p.add_argument("--out", metavar="DIR", help="staging folder (default build/dev/BOARD)")
    p.add_argument("--romfs", metavar="IMG", nargs="?", const="",
                   help="ESP32: deploy modules, board module, font and Shift-JIS table as one ROMFS image "
                        "(`mpremote romfs deploy`; needs an image with ROMFS and a romfs partition); "
                        "IMG: the image file written (default build/flash/BOARD.romfs; qemu_m7 always uses ROMFS)")
    p.add_argument("--dry-run", action="store_true", help="print the commands an ESP32 flash runs, run nothing")
    p.add_argument("--stage-only", action="store_true", help="only build the device tree (.mpy for the board's arch)")
    p.set_defaults(func=cmd_flash)


def cmd_flash(args):
    from kioskctl import devbuild, flash, paths

    board = args.board
    out = args.out or os.path.join(paths.REPO, "build", "dev", board)
    extra = []
    if args.frames:
        if board != "qemu_m7":
            raise KioskError("--frames is for the emulated board (qemu_m7) only")
        if not os.path.isdir(args.frames):
            raise KioskError("not a folder: %s" % args.frames)
        extra = [("frames/" + n, os.path.join(args.frames, n))
                 for n in sorted(os.listdir(args.frames)) if n.endswith(".pgm")]
    if args.font and not os.path.isfile(args.font):
        raise KioskError("no font file at %s" % args.font)
    if args.image and not os.path.isfile(args.image):
        raise KioskError("no MicroPython image at %s" % args.image)
    digests = devbuild.stage(board, out, font=args.font, extra=extra)
    print("staged %d files for %s in %s" % (len(digests), board, out), file=sys.stderr)
    if args.stage_only:
        return 0
    default_rom = os.path.join(paths.REPO, "build", "flash", board + ".romfs")
    if board == "qemu_m7":
        image = args.romfs or default_rom
        count, hello = flash.deploy_qemu(out, digests, image)
        print("qemu_m7: %s verified (%d files); booted: HELLO from %s, firmware %s" % (
            image, count, hello["device"], hello["firmware"]))
        return 0
    if not args.port:
        raise KioskError("--port is needed for %s (e.g. /dev/ttyACM0)" % board)
    rom = None
    if args.romfs is not None:
        rom = args.romfs or default_rom
        if not rom.endswith(flash.ROMFS_SUFFIX):
            raise KioskError("--romfs %s: the image file name must end in %s" % (rom, " or ".join(flash.ROMFS_SUFFIX)))
        flash.build_romfs(out, rom)
        print("ROMFS image %s: %d bytes, %d files" % (rom, os.path.getsize(rom), len(flash.rom_targets(digests))),
              file=sys.stderr)
    cmds = flash.esp32_commands(board, args.port, out, digests, image=args.image, romfs=rom)
    if args.dry_run:
        for argv in cmds:
            print(shlex.join(argv))
        return 0
    flash.run(cmds, log=lambda line: print(line, file=sys.stderr))
    print("%s on %s: %d files verified, board reset" % (board, args.port, len(digests)))
    return 0
