"""kioskctl trust publish: signed trust files to every kiosk of the fleet over MQTT.

    kioskctl trust publish trust.ktb --broker mqtts://broker:8883 --user operator \
        --pass-file operator.pw --ca ca.pem

The file (an operator-signed .ktb bundle, .krv revocation list or .krd delta,
recognised by its magic) is cut into retained QoS 1 chunks on
fleet/trust/<bundle|revoked|delta>/<index> (kiosk.uplink.downlink's format:
b"KTC1" | u32BE size | u16BE index | u16BE count | SHA-256 | data), then the
retained chunks a longer earlier file left behind are cleared. Kiosks online
get it at once; a kiosk offline during the publish gets the retained copy when
it connects. Each kiosk verifies it exactly as a USB push (signature, sequence,
rollback): nothing here is trusted, so the operator login only decides who may
publish, and the ACL gives that to `operator` alone.
"""

import hashlib
import struct
import threading
import time

from kioskctl.errors import DeviceError, UsageError

CHUNK = 1024  # kiosk.uplink.downlink.CHUNK
MAX_BLOB = 262144
MAGIC = b"KTC1"
NAMES = {b"KTB1": "bundle", b"KRV1": "revoked", b"KRD1": "delta"}


def chunks(data):
    """[(index, payload)] for one blob."""
    if not 0 < len(data) <= MAX_BLOB:
        raise UsageError("a trust file of %d bytes: 1..%d allowed" % (len(data), MAX_BLOB))
    count = (len(data) + CHUNK - 1) // CHUNK
    sha = hashlib.sha256(data).digest()
    return [(i, MAGIC + struct.pack(">IHH", len(data), i, count) + sha + data[i * CHUNK:(i + 1) * CHUNK])
            for i in range(count)]


def name_of(data):
    name = NAMES.get(bytes(data[:4]))
    if name is None:
        raise UsageError("not a signed bundle (KTB1), revocation list (KRV1) or delta (KRD1)")
    return name


def connect(url, user, password, ca=None, timeout=10.0):
    import paho.mqtt.client as mqtt

    from kioskctl import fw  # noqa: F401 - puts the firmware on the path
    from kiosk.config.schema import parse_url  # the kiosk's own URL rule

    try:
        host, port, tls = parse_url(url)
    except ValueError as exc:
        raise UsageError(str(exc))
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="kioskctl-publish-%d" % time.time_ns())
    if user:
        c.username_pw_set(user, password)
    if tls:
        if not ca:
            raise UsageError("mqtts:// needs --ca (the broker's CA certificate)")
        c.tls_set(ca_certs=ca)
    done = threading.Event()
    result = {}

    def on_connect(client, userdata, flags, rc, props=None):
        result["rc"] = rc
        done.set()

    c.on_connect = on_connect
    try:
        c.connect(host, port)
    except OSError as exc:
        raise DeviceError("cannot reach the broker %s: %s" % (url, exc))
    c.loop_start()
    if not done.wait(timeout) or result.get("rc") != 0:
        c.loop_stop()
        raise DeviceError("broker %s refused the connection: %s" % (url, result.get("rc", "no answer")))
    return c


def retained_indexes(client, name, wait=0.5):
    """Indexes of the chunks retained now under fleet/trust/<name>/."""
    seen = set()
    prefix = "fleet/trust/%s/" % name

    def on_message(c, u, m):
        if m.retain and m.payload and m.topic.startswith(prefix) and m.topic[len(prefix):].isdigit():
            seen.add(int(m.topic[len(prefix):]))

    client.on_message = on_message
    client.subscribe(prefix + "+", qos=1)
    time.sleep(wait)
    client.unsubscribe(prefix + "+")
    client.on_message = None
    return seen


def publish(client, data, timeout=30.0):
    """Publish one signed file retained and chunked; returns (name, chunks)."""
    name = name_of(data)
    old = retained_indexes(client, name)
    parts = chunks(data)
    infos = [client.publish("fleet/trust/%s/%d" % (name, i), p, qos=1, retain=True) for i, p in parts]
    infos += [client.publish("fleet/trust/%s/%d" % (name, i), b"", qos=1, retain=True)
              for i in sorted(old) if i >= len(parts)]  # a shorter file: clear the old tail
    deadline = time.monotonic() + timeout
    for info in infos:
        info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        if not info.is_published():
            raise DeviceError("the broker did not take every chunk within %.0f s" % timeout)
    return name, len(parts)


def register(ts):
    u = ts.add_parser("publish", help="publish a signed bundle or revocation list/delta to the fleet (MQTT, retained)")
    u.add_argument("file", help="a .ktb bundle, .krv list or .krd delta (operator-signed)")
    u.add_argument("--broker", required=True, metavar="mqtt[s]://HOST:PORT")
    u.add_argument("--user", default="operator", help="broker user (default operator)")
    u.add_argument("--pass-file", metavar="FILE", help="file holding the broker password")
    u.add_argument("--ca", metavar="PEM", help="CA certificate of an mqtts broker")
    u.set_defaults(func=cmd_publish)


def cmd_publish(args):
    from kioskctl.inputs import read

    data = read(args.file, "trust file", MAX_BLOB)
    name_of(data)
    password = read(args.pass_file, "password file", 256).decode("utf-8").strip() if args.pass_file else None
    c = connect(args.broker, args.user, password, args.ca)
    try:
        name, n = publish(c, data)
    finally:
        c.loop_stop()
        c.disconnect()
    print("published %s (%d bytes, %d chunks) on fleet/trust/%s, retained" % (args.file, len(data), n, name))
    return 0
