# One board definition on the unix port, on recorded hardware (tests/boards/hw):
#   micropython boardrun.py SCENARIO WORKDIR
# WORKDIR holds frame.gray (320x240 8-bit), trust.kts, and gets result.json.
# Prints "BOARDRUN PASS" at the end; any failure raises (traceback, exit 1).
import json
import sys

import asyncio
import camera
import esp32
import machine
import network
import vfs

SCENARIO, WORK = sys.argv[1], sys.argv[2]
RESULT = {}


def mount():
    """What the stock image's _boot.py does: littlefs on the vfs partition."""
    part = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="vfs")[0]
    vfs.VfsLfs2.mkfs(part)
    vfs.mount(vfs.VfsLfs2(part), "/flash")
    return "/flash"


def install(root):
    """Factory state: the test issuer's trust store and a venue secret."""
    import os

    os.mkdir(root + "/config")
    with open(WORK + "/trust.kts", "rb") as f, open(root + "/config/trust.kts", "wb") as g:
        g.write(f.read())
    with open(root + "/config/secret.bin", "wb") as f:
        f.write(b"s" * 32)


def frame():
    with open(WORK + "/frame.gray", "rb") as f:
        return f.read()


async def scan_once(app, verdicts, n=1):
    task = asyncio.create_task(app.main())
    for _ in range(3000):
        if len(verdicts) >= n:
            break
        await asyncio.sleep_ms(5)
    task.cancel()
    await asyncio.sleep_ms(0)


def full_scan(**options):
    import kboard
    from kiosk.app import main

    root = mount()
    install(root)
    camera.play([frame()])
    board = kboard.create(root=root, **options)
    verdicts = []
    import gc

    gc.collect()
    heap0 = gc.mem_alloc()
    app = main.App(board, on_verdict=lambda v, info: verdicts.append(v), allow_unsigned=True)
    gc.collect()
    RESULT["heap_app"] = gc.mem_alloc() - heap0
    asyncio.run(scan_once(app, verdicts))
    gc.collect()
    RESULT["heap_after_scan"] = gc.mem_alloc() - heap0
    asyncio.new_event_loop()
    assert verdicts, "no verdict"
    v = verdicts[0]
    cam = camera.Camera.made[-1] if camera.Camera.made else None
    RESULT.update(verdict=v.verdict, reason=v.reason, admit=v.admit, detail=v.detail, board=board.name,
                  pins=sorted(machine.used_pins()), camera=cam.args if cam else None,
                  max_held=cam.max_held if cam else None, captures=cam.captures if cam else 0,
                  lcd=(app.ui.lcd.width, app.ui.lcd.height) if app.ui else None,
                  bitstream=[list(e[4]) for e in machine.LOG if e[0] == "bitstream"],
                  pwm=[e for e in machine.LOG if e[0] == "pwm"])
    return app, board


def scenario_scan():
    full_scan()


def scenario_fever():
    from mlx90614 import ADDR, crc8

    class Recorded:  # an MLX90614 that reads 38.5 C (with its PEC)
        def read(self, reg, n):
            raw = int((38.5 + 273.15) / 0.02 + 0.5)
            data = bytes((raw & 0xFF, raw >> 8))
            a = ADDR << 1
            return data + bytes((crc8(bytes((a, reg, a | 1)) + data),))

    machine.I2C.devices[ADDR] = Recorded()
    app, board = full_scan()
    RESULT["thermometer"] = app.scanner.thermometer is not None


def scenario_zero_copy():
    """The frame the decoder gets is the driver's buffer itself."""
    import kboard

    camera.play([frame()])
    src = kboard.create(root="").get_source()
    cam = camera.Camera.made[-1]

    async def go():
        kind, (buf, w, h) = await src.read()
        assert kind == "frame" and isinstance(buf, memoryview), (kind, type(buf))
        cam._held[0][0] = 77  # write into the driver's buffer: the frame sees it
        RESULT["shared"] = buf[0] == 77
        await src.read()  # the next frame: the first buffer went back first
        RESULT["held"] = len(cam._held)
        RESULT["size"] = (w, h, len(buf))

    asyncio.run(go())


def scenario_devices():
    """Clock, Wi-Fi, watchdog, maintenance button, UART scanner, no-camera fault."""
    import kboard
    import rtcclock

    b = kboard.create(root="")
    c = b.get_clock()
    now = c.now()
    c.set(1790000000)
    RESULT["rtc"] = [list(e[1]) for e in machine.LOG if e[0] == "rtc"]
    RESULT["clock_now"] = now
    RESULT["epoch_offset"] = rtcclock.epoch_offset()
    net = b.get_network()
    RESULT["net0"] = net.status()
    network.APS["venue"] = "pw"
    net.connect("venue", "wrong")
    RESULT["net_bad"] = net.status()
    net.connect("venue", "pw")
    RESULT["net_ok"] = (net.isconnected(), net.status())
    wdt = b.get_watchdog(8000)
    wdt.feed()
    RESULT["wdt"] = (wdt.timeout, wdt.feeds)
    RESULT["cause"] = [b.reset_cause()]
    machine._cause[0] = machine.WDT_RESET
    RESULT["cause"].append(b.reset_cause())
    RESULT["maint_up"] = b.maintenance()
    machine.Pin.levels[b.pins["BOOT"]] = 0
    RESULT["maint_held"] = b.maintenance()
    machine.UART.rx[1] = bytearray(b"HC1:ABC\r\n")
    s = kboard.create(root="", scanner_uart=True).get_source()
    RESULT["uart"] = asyncio.run(s.read())[1].decode()
    RESULT["uart_pins"] = [e[3:] for e in machine.LOG if e[0] == "uart"][0]
    RESULT["thermometer_absent"] = b.get_thermometer() is None
    camera.Camera.fail = "Camera probe failed"
    err = asyncio.run(kboard.create(root="").get_source().read())
    RESULT["no_camera"] = list(err)


globals()["scenario_" + SCENARIO]()
with open(WORK + "/result.json", "w") as f:
    json.dump(RESULT, f)
print("BOARDRUN PASS")
