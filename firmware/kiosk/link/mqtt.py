"""An asyncio MQTT 3.1.1 client for the kiosk's uplink (MicroPython and CPython).

    c = Client("K-1", "127.0.0.1", 1883, user="K-1", password="pw", on_message=cb)
    await c.connect()                       # one attempt, bounded by timeout_ms
    await c.subscribe("kiosk/K-1/ack", 1)
    pid = await c.send("kiosk/K-1/records", payload, qos=1)   # returns once written
    await c.publish("kiosk/K-1/status", st, qos=1, retain=True)  # waits for PUBACK
    await c.keep_connected(ready, on_up)    # or own the link: reconnect with backoff

Every network step runs under a deadline (`timeout_ms`): connect and CONNACK,
each write, SUBACK, PUBACK, and PINGRESP after a keepalive ping. A broker that
stops answering (SIGSTOP, a dead route) takes the link down within
`timeout_ms`; nothing here waits forever, so the scan loop beside it never
stalls. Packet ids run 1..65535, wrap to 1 and skip ids still in flight; at
most `window` QoS 1 publishes are in flight (`send` waits for room, bounded).
Incoming packets are parsed with bounds (remaining length <= max_packet,
topic inside the packet, known types only): anything else is a protocol
error that closes the link cleanly (`MQTTError`), never an exception
escaping into the app. Reconnection (`keep_connected`) backs off
exponentially from 1 s to 5 min with jitter, reset by a successful CONNACK.
`ssl` is an ssl.SSLContext (TLS on ports that have `ssl`).
"""

import asyncio
import os
import struct
import time

from micropython import const

CONNECT = const(0x10)
CONNACK = const(0x20)
PUBLISH = const(0x30)
PUBACK = const(0x40)
SUBSCRIBE = const(0x82)
SUBACK = const(0x90)
PINGREQ = const(0xC0)
PINGRESP = const(0xD0)
DISCONNECT = const(0xE0)
_MAX_PID = const(65535)
# CONNACK return codes (MQTT 3.1.1, 3.2.2.3)
REFUSED = ("ok", "protocol", "client_id", "unavailable", "bad_login", "not_authorised")


class MQTTError(Exception):
    """The link failed or the broker refused; `code` says why (e.g. "timeout",
    "protocol", "bad_login", "not_authorised", "closed")."""

    def __init__(self, code, msg=""):
        super().__init__(code, msg)
        self.code = code
        self.msg = msg


def _ticks():
    return time.ticks_ms()


async def _within(aw, ms, what):
    try:
        return await asyncio.wait_for_ms(aw, ms)
    except asyncio.TimeoutError:
        raise MQTTError("timeout", what)


async def open_tcp(host, port, ssl=None):
    """(reader, writer) streams over a non-blocking TCP socket with TCP_NODELAY
    (without it small publishes wait ~40 ms each for Nagle), TLS when `ssl`."""
    import socket
    from errno import EINPROGRESS

    ai = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)[0]
    s = socket.socket(ai[0], ai[1], ai[2])
    try:
        s.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY
    except (OSError, AttributeError):
        pass
    s.setblocking(False)
    try:
        s.connect(ai[-1])
    except OSError as er:
        if er.errno != EINPROGRESS:
            s.close()
            raise
    if ssl is not None:
        s = ssl.wrap_socket(s, server_hostname=host, do_handshake_on_connect=False)
        s.setblocking(False)
    st = asyncio.StreamReader(s)
    await asyncio.sleep_ms(0)
    return st, st


class Backoff:
    """Reconnect delays: doubling from first_ms to max_ms, each one drawn
    uniformly from [d/2, d] ("equal jitter"), so a fleet that lost its broker
    together does not come back in lockstep."""

    def __init__(self, first_ms=1000, max_ms=300000):
        self.first_ms = first_ms
        self.max_ms = max_ms
        self.n = 0

    def reset(self):
        self.n = 0

    def next_ms(self):
        d = min(self.max_ms, self.first_ms << min(self.n, 20))
        self.n += 1
        r = struct.unpack("<I", os.urandom(4))[0]
        return d - (d // 2) * r // 0xFFFFFFFF


def _varlen(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return out


def _str(s):
    if isinstance(s, str):
        s = s.encode()
    return struct.pack("!H", len(s)) + s


class Client:
    def __init__(self, client_id, host, port=1883, user=None, password=None, ssl=None,
                 keepalive_s=30, timeout_ms=5000, window=8, max_packet=4096,
                 on_message=None, opener=None, clean=True):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.ssl = ssl
        self.keepalive_s = keepalive_s
        self.timeout_ms = timeout_ms
        self.window = window
        self.max_packet = max_packet
        self.on_message = on_message
        self.opener = opener or open_tcp
        self.clean = clean
        self.pid = 0  # last packet id used
        self.inflight = {}  # pid -> ticks when sent (QoS 1 publish awaiting PUBACK)
        self.up = False
        self.last_error = None  # MQTTError/OSError that took the link down
        self.refused = None  # CONNACK refusal code of the last attempt, or None
        self.message_errors = 0  # on_message callbacks that raised
        self.backoff = Backoff()
        self._r = self._w = None
        self._wlock = asyncio.Lock()
        self._room = asyncio.Event()  # set when the window has room
        self._subacks = {}
        self._ping_at = None
        self._tx = self._rx = 0
        self._tasks = ()
        self._down_ev = asyncio.Event()

    # -- packet ids --------------------------------------------------------

    def next_pid(self):
        """Next packet id: 1..65535, wrapping, never one still in flight."""
        for _ in range(_MAX_PID):
            self.pid = self.pid + 1 if self.pid < _MAX_PID else 1
            if self.pid not in self.inflight and self.pid not in self._subacks:
                return self.pid
        raise MQTTError("protocol", "no free packet id")

    # -- writing -------------------------------------------------------------

    async def _write(self, pkt):
        if not self.up and self._w is None:
            raise MQTTError("closed", "not connected")
        async with self._wlock:
            w = self._w
            if w is None:
                raise MQTTError("closed", "not connected")
            try:
                w.write(pkt)
                await _within(w.drain(), self.timeout_ms, "write")
            except (OSError, MQTTError, ValueError) as exc:
                self._down(exc)
                raise MQTTError("closed", "write failed: %r" % (exc,))
            self._tx = _ticks()

    def _packet(self, first, body):
        return bytes([first]) + _varlen(len(body)) + body

    # -- connect -------------------------------------------------------------

    async def connect(self):
        """One connection attempt; raises MQTTError (refusal, timeout,
        protocol) or OSError (network). On success the reader runs."""
        self.close()
        self.refused = None
        try:
            await _within(self._connect(), self.timeout_ms, "connect")
        except Exception as exc:
            self._close_stream()
            if isinstance(exc, (ValueError, EOFError)):  # the ssl module's certificate refusals, a closed socket
                exc = MQTTError("tls" if isinstance(exc, ValueError) else "closed", str(exc).strip())
            self.last_error = exc
            raise exc
        self.up = True
        self._down_ev = asyncio.Event()
        self._rx = self._tx = _ticks()
        self._ping_at = None
        self._room.set()
        self._tasks = (asyncio.create_task(self._reader()), asyncio.create_task(self._pinger()))

    async def _connect(self):
        self._r, self._w = await self.opener(self.host, self.port, self.ssl)
        flags = 0x02 if self.clean else 0
        payload = _str(self.client_id)
        if self.user is not None:
            flags |= 0x80
            payload += _str(self.user)
            if self.password is not None:
                flags |= 0x40
                payload += _str(self.password)
        body = _str(b"MQTT") + bytes([4, flags]) + struct.pack("!H", self.keepalive_s) + payload
        self._w.write(self._packet(CONNECT, body))
        await self._w.drain()
        typ, data = await self._read_packet()
        if typ != CONNACK or len(data) != 2:
            raise MQTTError("protocol", "expected CONNACK")
        rc = data[1]
        if rc:
            self.refused = REFUSED[rc] if rc < len(REFUSED) else "refused"
            raise MQTTError(self.refused, "broker refused the connection (%d)" % rc)

    # -- reading -------------------------------------------------------------

    async def _read_packet(self):
        """(type byte, body) of the next packet, bounded by max_packet."""
        r = self._r
        head = await r.readexactly(1)
        n = 0
        shift = 0
        for i in range(4):
            b = (await r.readexactly(1))[0]
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        else:
            raise MQTTError("protocol", "remaining length over 4 bytes")
        if n > self.max_packet:
            raise MQTTError("protocol", "packet of %d bytes over the %d limit" % (n, self.max_packet))
        body = await r.readexactly(n) if n else b""
        return head[0], body

    async def _reader(self):
        try:
            while True:
                typ, body = await self._read_packet()
                self._rx = _ticks()
                self._ping_at = None
                await self._dispatch(typ, body)
        except asyncio.CancelledError:
            raise
        except (OSError, EOFError, MQTTError, ValueError, IndexError) as exc:
            self._down(exc if isinstance(exc, MQTTError) else MQTTError("closed", repr(exc)))

    async def _dispatch(self, typ, body):
        kind = typ & 0xF0
        if kind == PUBLISH:
            await self._on_publish(typ, body)
        elif typ == PUBACK:
            if len(body) != 2:
                raise MQTTError("protocol", "bad PUBACK")
            self.inflight.pop(struct.unpack("!H", body)[0], None)
            if len(self.inflight) < self.window:
                self._room.set()
        elif typ == SUBACK:
            if len(body) < 3:
                raise MQTTError("protocol", "bad SUBACK")
            ev = self._subacks.get(struct.unpack_from("!H", body)[0])
            if ev is not None:
                ev.granted = body[2]
                ev.set()
        elif typ == PINGRESP:
            if body:
                raise MQTTError("protocol", "bad PINGRESP")
        else:
            raise MQTTError("protocol", "unexpected packet type 0x%02x" % typ)

    async def _on_publish(self, typ, body):
        qos = (typ >> 1) & 3
        if qos > 1:
            raise MQTTError("protocol", "QoS %d not subscribed" % qos)
        if len(body) < 2:
            raise MQTTError("protocol", "short PUBLISH")
        tlen = struct.unpack_from("!H", body)[0]
        off = 2 + tlen
        if qos:
            off += 2
        if off > len(body):
            raise MQTTError("protocol", "PUBLISH topic past its end")
        topic = body[2 : 2 + tlen]
        msg = body[off:]
        if qos:
            await self._write(self._packet(PUBACK, body[off - 2 : off]))
        if self.on_message is not None:
            try:
                self.on_message(topic, msg, bool(typ & 1))
            except Exception:  # noqa: BLE001 - the app's handler never kills the link
                self.message_errors += 1

    async def _pinger(self):
        """Keepalive: ping after keepalive/2 of silence; the link is down when
        a ping or the oldest PUBACK is timeout_ms overdue."""
        half = self.keepalive_s * 500
        try:
            while self.up:
                await asyncio.sleep_ms(min(250, self.timeout_ms // 4))
                now = _ticks()
                if self._ping_at is not None and time.ticks_diff(now, self._ping_at) > self.timeout_ms:
                    raise MQTTError("timeout", "no PINGRESP")
                for t in self.inflight.values():
                    if time.ticks_diff(now, t) > self.timeout_ms:
                        raise MQTTError("timeout", "no PUBACK")
                if self._ping_at is None and time.ticks_diff(now, self._tx) >= half:
                    self._ping_at = now
                    await self._write(bytes([PINGREQ, 0]))
        except asyncio.CancelledError:
            raise
        except MQTTError as exc:
            self._down(exc)

    # -- API -------------------------------------------------------------------

    async def send(self, topic, msg, qos=0, retain=False):
        """Write one PUBLISH; for QoS 1 wait (at most timeout_ms) for room in
        the window and return the packet id (PUBACK clears it from `inflight`)."""
        if isinstance(topic, str):
            topic = topic.encode()
        first = PUBLISH | (qos << 1) | (1 if retain else 0)
        pid = 0
        if qos:
            while len(self.inflight) >= self.window:
                self._room.clear()
                try:
                    await _within(self._room.wait(), self.timeout_ms, "window")
                except MQTTError as exc:  # no PUBACK for timeout_ms: the broker is gone
                    self._down(exc)
                    raise
                if not self.up:
                    raise MQTTError("closed", "link down")
            pid = self.next_pid()
            self.inflight[pid] = _ticks()
            body = _str(topic) + struct.pack("!H", pid) + msg
        else:
            body = _str(topic) + msg
        try:
            await self._write(self._packet(first, body))
        except MQTTError:
            self.inflight.pop(pid, None)
            raise
        return pid

    async def publish(self, topic, msg, qos=0, retain=False):
        """send(), then for QoS 1 wait for its PUBACK (bounded)."""
        pid = await self.send(topic, msg, qos, retain)
        if qos:
            await self.wait_acked(pid)

    async def wait_acked(self, pid):
        t0 = _ticks()
        while pid in self.inflight:
            if not self.up:
                raise MQTTError("closed", "link down before PUBACK")
            if time.ticks_diff(_ticks(), t0) > self.timeout_ms:
                exc = MQTTError("timeout", "no PUBACK")
                self._down(exc)  # the broker is gone: the caller reconnects
                raise exc
            await asyncio.sleep_ms(5)

    async def subscribe(self, topic, qos=1):
        if isinstance(topic, str):
            topic = topic.encode()
        pid = self.next_pid()
        ev = asyncio.Event()
        ev.granted = None
        self._subacks[pid] = ev
        try:
            await self._write(self._packet(SUBSCRIBE, struct.pack("!H", pid) + _str(topic) + bytes([qos])))
            await _within(ev.wait(), self.timeout_ms, "SUBACK")
        finally:
            self._subacks.pop(pid, None)
        if ev.granted is None or ev.granted & 0x80:
            raise MQTTError("not_authorised", "subscription to %s refused" % topic.decode())
        return ev.granted

    async def disconnect(self):
        if self.up:
            try:
                await self._write(bytes([DISCONNECT, 0]))
            except MQTTError:
                pass
        self.close()

    async def wait_down(self):
        await self._down_ev.wait()

    def _down(self, exc):
        if self.up:
            self.last_error = exc
        self.close()

    def _close_stream(self):
        w, self._r, self._w = self._w, None, None
        if w is not None:
            try:
                w.close()
            except OSError:
                pass

    def close(self):
        """Drop the link now (no DISCONNECT); in-flight publishes are forgotten."""
        was = self.up
        self.up = False
        self._close_stream()
        me = asyncio.current_task()
        for t in self._tasks:
            if t is not me:
                t.cancel()
        self._tasks = ()
        self.inflight.clear()
        self._room.set()
        for ev in self._subacks.values():
            ev.set()
        if was:
            self._down_ev.set()

    async def keep_connected(self, ready=None, on_up=None):
        """Own the link forever: wait until `ready()` (e.g. Wi-Fi up), connect,
        run `await on_up(client)` (subscribe, resume work), wait for the link to
        drop, back off (1 s .. 5 min, jitter), again. A refusal, a timeout and
        a network error are all just "down" here; `last_error` says which."""
        while True:
            if ready is not None and not ready():
                await asyncio.sleep_ms(500)
                continue
            try:
                await self.connect()
                if on_up is not None:
                    await on_up(self)
                self.backoff.reset()
                await self.wait_down()
            except asyncio.CancelledError:
                self.close()
                raise
            except (OSError, MQTTError, EOFError) as exc:
                self.last_error = exc
                self.close()
            await asyncio.sleep_ms(self.backoff.next_ms())
