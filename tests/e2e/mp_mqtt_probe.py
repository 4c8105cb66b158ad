# kiosk.link.mqtt on the unix port, for tests/e2e/test_mqtt_client.py (MicroPython).
#   micropython mp_mqtt_probe.py SCENARIO PORT [CA_DER_HEX_FILE]
# Scenarios print one JSON line with what happened:
#   wrap     connect, subscribe, publish 40 QoS 1 messages from packet id 65,500
#   skip     packet ids skip the ones in flight (no broker needed beyond connect)
#   hostile  connect to a hostile "broker" and wait until the client drops it
#   frozen   connect, then the test freezes the broker: a publish must fail by its deadline
import asyncio
import json
import sys

from kiosk.link.mqtt import Client, MQTTError


def ctx_from(path):
    if not path:
        return None
    import ssl
    from binascii import unhexlify

    with open(path) as f:
        der = unhexlify(f.read().strip())
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.verify_mode = ssl.CERT_REQUIRED
    c.load_verify_locations(cadata=der)
    return c


async def main(scenario, port, ca):
    got = []
    c = Client("probe", "127.0.0.1", port, ssl=ctx_from(ca), timeout_ms=1500, keepalive_s=2,
               on_message=lambda t, m, r: got.append(m))
    out = {}
    try:
        await c.connect()
    except (MQTTError, OSError) as exc:
        print(json.dumps({"connect": repr(exc)}))
        return
    if scenario == "wrap":
        await c.subscribe("probe/t", 1)
        c.pid = 65500
        pids = []
        for i in range(40):
            pids.append(await c.send("probe/t", b"m%d" % i, qos=1))
        await c.publish("probe/t", b"last", qos=1)
        for _ in range(100):
            if len(got) >= 41:
                break
            await asyncio.sleep_ms(20)
        out = {"pids": pids, "got": [m.decode() for m in got], "up": c.up}
    elif scenario == "skip":
        c.pid = 65533
        c.inflight = {65534: 0, 65535: 0, 1: 0, 3: 0}
        out = {"next": [c.next_pid(), c.next_pid()]}
        c.inflight = {}
    elif scenario == "hostile":
        for _ in range(200):
            if not c.up:
                break
            await asyncio.sleep_ms(20)
        out = {"up": c.up, "error": getattr(c.last_error, "code", repr(c.last_error))}
    elif scenario == "frozen":
        print("CONNECTED")
        sys.stdin.readline()  # the test froze the broker
        try:
            for i in range(100):
                await c.publish("probe/t", bytes(1000), qos=1)
            out = {"error": None}
        except MQTTError as exc:
            out = {"error": exc.code}
        out["up"] = c.up
    print(json.dumps(out))
    c.close()


asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
