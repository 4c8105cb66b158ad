"""Store and forward over MQTT: scan records to the fleet, acks and trust back.

    up = Uplink(get_log, "K-1", "V-12", broker, ack_keys, net=board.get_network(), wifi=wifi)
    asyncio.create_task(up.run())
    up.line()          # "fleet: online, 3 pending" for the idle screen

Records never leave the flash here: the uplink reads the log (`Log.read_into`)
from the one ack cursor on and publishes KUP1 batches (QoS 1) on
kiosk/<dev>/records:

    b"KUP1" | u8 len(dev) | dev | u32BE log_id | u8 n | n x 32-byte records

at most 30 records and 1 KiB each. A broker's PUBACK only frees the window;
records are deleted only by `kiosk.records.ackauth.apply` (the same check as
the serial CMD_ACK) when an ACK on kiosk/<dev>/ack, `u32BE log_id | u32BE seq
| sig 64`, is signed by the admin or a collector key, after the collector's
commit. Unacknowledged records are sent again after a reconnect or when no
ACK arrives for `resend_ms` (the collector inserts idempotently, so a repeat
is never a second row). At most `ahead` records are sent past the cursor.

The link: Wi-Fi through the board's network object (`connect(ssid, password)`,
`isconnected()`, `status()`), then kiosk.link.mqtt with its backoff. A
retained CBOR status map on kiosk/<dev>/status (dev, venue, log_id, unacked,
bundle_seq, fw, link) is refreshed on connect, after each ACK and every
`status_ms`. Messages on fleet/trust/# go to `on_trust(topic, payload)`
(kiosk.uplink.downlink), on venue/<venue>/used to `on_used(h, t)`.
Nothing here raises into the app; `line()` says what is wrong.
"""

import asyncio
import struct
import time

from micropython import const

from kiosk.link.mqtt import Client, MQTTError

MAGIC = b"KUP1"
MAX_RECORDS = const(30)
MAX_PAYLOAD = const(1024)
ACK_LEN = const(72)
_USED_LEN = const(20)  # 16-byte hash + u32BE time
_ACK_QUEUE = const(4)


def batch(dev, log_id, buf, n):
    """KUP1 payload of the first n records in buf."""
    from kiosk.records import SIZE

    if isinstance(dev, str):
        dev = dev.encode()
    return MAGIC + bytes((len(dev),)) + dev + struct.pack(">IB", log_id, n) + bytes(memoryview(buf)[: n * SIZE])


def _ssl_context(ca_der):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_der:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=ca_der)
    return ctx


class Uplink:
    def __init__(self, get_log, dev, venue, broker, ack_keys, net=None, wifi=None, fw="",
                 bundle_seq=None, on_trust=None, on_used=None, ahead=1500, resend_ms=15000, ack_every_ms=2000,
                 status_ms=60000, status_min_ms=10000, timeout_ms=5000, keepalive_s=30):
        from kiosk.config.schema import parse_url
        from kiosk.records import SIZE

        self.get_log = get_log
        self.dev = dev
        self.venue = venue
        self.ack_keys = ack_keys
        self.net = net
        self.wifi = wifi
        self.fw = fw
        self.bundle_seq = bundle_seq or (lambda: 0)
        self.on_trust = on_trust
        self.downlink = None
        self.on_used = on_used
        self.ahead = ahead
        self.resend_ms = resend_ms
        self.ack_every_ms = ack_every_ms
        self._verify_t = time.ticks_add(time.ticks_ms(), -ack_every_ms)
        self.status_ms = status_ms
        self.status_min_ms = status_min_ms
        self._key = None  # the key that signed the last good ACK: tried first (one verify, not one per key)
        host, port, tls = parse_url(broker["url"])
        dev_b = dev.encode()
        self.per_batch = min(MAX_RECORDS, (MAX_PAYLOAD - 10 - len(dev_b)) // SIZE)
        self._buf = bytearray(self.per_batch * SIZE)
        self.t_records = b"kiosk/%s/records" % dev_b
        self.t_ack = b"kiosk/%s/ack" % dev_b
        self.t_status = b"kiosk/%s/status" % dev_b
        self.t_used = b"venue/%s/used" % venue.encode()
        self.client = Client(dev, host, port, user=broker.get("user"), password=broker.get("password"),
                             ssl=_ssl_context(broker.get("ca")) if tls else None, timeout_ms=timeout_ms,
                             keepalive_s=keepalive_s, on_message=self._on_message)
        self.sent = 0  # newest seq published since the last (re)connect or rewind
        self._log_id = None
        self._acks = []
        self._ack_t = time.ticks_ms()
        self._status_t = None
        self._status_dirty = True
        self.batches = 0
        self.errors = 0
        self.acks = 0
        self.acks_refused = 0
        self.last_refusal = None
        self._wifi_state = "off"

    # -- link ---------------------------------------------------------------

    def ready(self):
        """True when the network is up (always without a board network: the unix port)."""
        if self.net is None:
            return True
        try:
            if self.net.isconnected():
                self._wifi_state = "up"
                return True
            self._wifi_state = self.net.status()
        except Exception as exc:  # noqa: BLE001 - a radio driver error is "Wi-Fi down"
            self._wifi_state = "error"
            self.last_refusal = repr(exc)
        return False

    async def _keep_wifi(self):
        from kiosk.link.mqtt import Backoff

        if self.net is None:
            return
        back = Backoff(1000, 30000)  # joining an AP is local: no fleet-wide stampede to spread
        while True:
            if self.ready():
                back.reset()
                await asyncio.sleep_ms(1000)
                continue
            if self.client.up:
                self.client.close()  # the radio is gone: so is the TCP link
            if self.wifi:
                try:
                    self.net.connect(self.wifi["ssid"], self.wifi.get("password", ""))
                except Exception:  # noqa: BLE001 - reported by status() on the next check
                    pass
            await asyncio.sleep_ms(back.next_ms())

    async def _on_up(self, c):
        await c.subscribe(self.t_ack, 1)
        await c.subscribe(b"fleet/trust/#", 1)
        await c.subscribe(self.t_used, 0)
        self.sent = self.get_log().ack_seq
        self._ack_t = time.ticks_ms()
        self._status_dirty = True
        self._status_t = None  # the status goes out right after every connect

    def _on_message(self, topic, msg, retained):
        if topic == self.t_ack:
            if len(msg) == ACK_LEN:
                if len(self._acks) >= _ACK_QUEUE:
                    self._acks.pop(0)
                self._acks.append(bytes(msg))
            else:
                self.acks_refused += 1
        elif topic.startswith(b"fleet/trust/"):
            if self.on_trust is not None:
                self.on_trust(topic, msg)
                self._status_dirty = True
        elif topic == self.t_used and len(msg) == _USED_LEN and self.on_used is not None:
            self.on_used(bytes(msg[:16]), struct.unpack_from(">I", msg, 16)[0])

    # -- work -------------------------------------------------------------------

    async def _take_acks(self, log):
        """Act on the newest queued ACK (they are cumulative: one verify, not
        one per batch), at most one verify per `ack_every_ms`, so ACK
        signatures never take more than a sliver of the scan loop's time."""
        from kiosk.records import ackauth

        if not self._acks or time.ticks_diff(time.ticks_ms(), self._verify_t) < self.ack_every_ms:
            return
        acks = sorted(self._acks, key=lambda raw: struct.unpack_from(">I", raw, 4)[0])
        self._acks = []
        while acks:
            raw = acks.pop()
            log_id, seq = struct.unpack_from(">II", raw)
            if log_id == log.log_id and seq <= log.ack_seq:
                continue  # a repeat: nothing to do, nothing to verify
            await asyncio.sleep_ms(0)  # let a scan due now go first
            self._verify_t = time.ticks_ms()
            keys = list(self.ack_keys())
            if self._key in keys:
                keys.remove(self._key)
                keys.insert(0, self._key)
            refusal = None
            for k in keys:  # one key per verify, the last good one first: usually one verify in all
                try:
                    ackauth.apply(log, [k], self.dev, log_id, seq, raw[8:])
                except ackauth.AckRefused as exc:
                    refusal = exc
                    await asyncio.sleep_ms(0)
                    continue
                self._key = k
                refusal = None
                break
            else:
                refusal = refusal or ackauth.AckRefused("no key that may acknowledge")
            if refusal is not None:
                self.acks_refused += 1
                self.last_refusal = str(refusal)
                continue
            self.acks += 1
            self._ack_t = time.ticks_ms()
            self._status_dirty = True
            return  # the older ones are covered by this one

    async def _drain_step(self):
        """Publish one batch if there is one to send; True when it did."""
        from kiosk.records import SIZE, seq_of

        log = self.get_log()
        await self._take_acks(log)
        if self._log_id != log.log_id:  # a new log after a reset: start from its cursor
            self._log_id = log.log_id
            self.sent = log.ack_seq
        now = time.ticks_ms()
        if self.sent > log.ack_seq and time.ticks_diff(now, self._ack_t) > self.resend_ms:
            self.sent = log.ack_seq  # no ACK for a while: send the unacknowledged ones again
            self._ack_t = now
        self.sent = max(self.sent, log.ack_seq)
        if self.sent >= log.durable_seq or self.sent - log.ack_seq >= self.ahead:
            return False
        n, nxt = log.read_into(self.sent + 1, self._buf, self.per_batch)
        if not n:
            self.sent = max(self.sent, nxt - 1)
            return False
        await self.client.send(self.t_records, batch(self.dev, log.log_id, self._buf, n), qos=1)
        if self.sent == log.ack_seq:
            self._ack_t = time.ticks_ms()
        self.sent = seq_of(self._buf, (n - 1) * SIZE)
        self.batches += 1
        return True

    def status(self):
        log = self.get_log()
        return {"dev": self.dev, "venue": self.venue, "log_id": log.log_id, "unacked": log.unacked(),
                "ack_seq": log.ack_seq, "durable_seq": log.durable_seq, "dropped": log.dropped,
                "bundle_seq": self.bundle_seq(), "fw": self.fw, "link": self.line(),
                "trust": "%s: %s" % self.downlink.last if self.downlink and self.downlink.last else None}

    async def _publish_status(self):
        """The retained status: on connect, then when it changed (an ACK, a trust
        update) but at most every status_min_ms, and every status_ms anyway."""
        from kiosk import cbor

        now = time.ticks_ms()
        if self._status_t is not None:
            age = time.ticks_diff(now, self._status_t)
            if age < (self.status_min_ms if self._status_dirty else self.status_ms):
                return
        self._status_dirty = False
        self._status_t = now
        await self.client.send(self.t_status, cbor.dumps(self.status()), qos=1, retain=True)

    def share_used(self, h, t):
        """Tell the venue's other kiosks that code hash h was admitted at t (reuse.Memory.on_note)."""
        if self.client.up:
            asyncio.create_task(self._send_quiet(self.t_used, bytes(h[:16]) + struct.pack(">I", t)))

    async def _send_quiet(self, topic, msg):
        try:
            await self.client.send(topic, msg, qos=0)
        except (MQTTError, OSError):
            pass

    async def _drain(self):
        while True:
            log = self.get_log()
            if log is not None and log.delete_max != 1:
                log.delete_max = 1  # acknowledged segments go one file removal per step, not all at once
            try:
                if log is not None and log.trim():
                    await asyncio.sleep_ms(0)  # more to delete: a scan due now goes first
            except OSError as exc:
                self.errors += 1
                self.last_refusal = repr(exc)
            if not self.client.up:
                await asyncio.sleep_ms(200)
                continue
            try:
                await self._publish_status()
                sent = await self._drain_step()
            except (MQTTError, OSError):
                sent = False  # the client is down and reconnects by itself
            except Exception as exc:  # noqa: BLE001 - e.g. a flash error reading the log: retry, say so
                self.errors += 1
                self.last_refusal = repr(exc)
                sent = False
                await asyncio.sleep_ms(1000)
            await asyncio.sleep_ms(0 if sent else 50)

    async def run(self):
        tasks = [asyncio.create_task(self._keep_wifi()), asyncio.create_task(self._drain())]
        try:
            await self.client.keep_connected(self.ready, self._on_up)
        finally:
            for t in tasks:
                t.cancel()

    # -- what the idle screen and `provision info` show -------------------------

    def line(self):
        """One short line: why the kiosk is offline, or how much is pending."""
        if self.net is not None and self._wifi_state != "up":
            return "Wi-Fi: %s" % self._wifi_state
        c = self.client
        if c.up:
            return "fleet: online, %d pending" % self.get_log().unacked()
        if c.refused:
            return "fleet: refused (%s)" % c.refused
        if c.last_error is not None:
            return "fleet: offline (%s)" % getattr(c.last_error, "code", "network")
        return "fleet: connecting"


def from_app(app):
    """The app's Uplink, or None when the kiosk has no broker configured
    (config/broker.json, set by provisioning) or is not provisioned."""
    import json

    from kiosk.config import atomic, schema

    base = app.root + "/config/"
    raw = atomic.read(base + "broker.json", 2048)
    venue = (app.cfg.device.get("venue") or {}).get("id")
    if raw is None or not app.cfg.device_id or not venue:
        return None
    stored = json.loads(raw)
    sealed = stored.pop("sealed", None)
    stored.pop("password_set", None)
    if sealed:
        from binascii import unhexlify

        from kiosk.config import secrets

        stored["password"] = secrets.unseal("broker", unhexlify(sealed)).decode()
    broker = schema.check_broker(stored)
    wifi = app.cfg.wifi  # unsealed by kiosk.config.device

    prov = app.prov
    if prov is None:  # no serial link: a provisioner of its own for trust updates
        from kiosk.provision.handlers import Provisioner

        prov = Provisioner(app.root, clock=app.board.get_clock())
        prov.changed = app.reload
    from kiosk import VERSION
    from kiosk.uplink.downlink import Downlink

    dl = Downlink(app.root + "/config", prov.install_signed)
    up = Uplink(lambda: app.log, app.cfg.device_id, venue, broker, lambda: prov.state.ack_keys(),
                net=app.board.get_network() if hasattr(app.board, "get_network") else None,
                wifi=wifi, fw=VERSION, bundle_seq=lambda: prov.state.bundle_seq, on_trust=dl.on_message)
    up.downlink = dl
    return up
