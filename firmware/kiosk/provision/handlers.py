"""Provisioning operations served over the serial protocol.

    info    anyone: ids, counter, venue, bundle/list status, clock; never a secret
    setup   first setup of an unprovisioned kiosk (trust on first use over USB)
    stage   before first setup only: announce a staged upload (size, sha)
    cmd     an admin-signed command (kiosk.provision.command); ops:
            venue, policy, secret, wifi, broker, clock, admin, operator, collectors,
            stage, trust, revoke, resume (safe mode only: leave it, see kiosk.app.main)
    reset   full reset: needs the physical reset button held, and the scan
            log pulled (or abandon_logs=true); wipes config, secrets and log

Every request names its fields (FIELDS); any other field is refused, and no
field is ever a file path or storage location. Large files (trust bundle,
revocation list) arrive as the one staged upload ("staged": true, see
kiosk.provision.staging) or as bytes ("blob"); signed commands pin them by
SHA-256. Each operation is one kiosk.provision.atomic transaction that
also advances the command counter, so a refusal or a power cut leaves the
complete old state. Secrets are written, never read back: no operation
returns the venue secret or the Wi-Fi password.
"""

import hashlib
from binascii import hexlify
import json
import os

from micropython import const

from kiosk.config import atomic, schema, secrets, state
from kiosk.config.clock import ClockGuard
from kiosk.provision import ProvisionError, command
from kiosk.trust import TrustError

_MAX_BLOB = const(262144)
CONFIG_FILES = ("device.json", "policy.json", "trust.ktb", "revoked.krv", "secret.bin",
                "wifi.json", "broker.json", "clock.json", state.NAME)
# the fields each request may carry; anything else is refused
FIELDS = {
    "info": ("op",),
    "setup": ("op", "device_id", "venue", "policy", "admin", "operator", "collectors", "bundle",
              "secret", "clock", "wifi", "broker", "lang", "staged"),
    "stage": ("op", "size", "sha"),
    "cmd": ("op", "cmd", "blob", "staged"),
    "reset": ("op", "abandon_logs"),
}


class Provisioner:
    def __init__(self, root, clock=None, presence=None, logs_pending=None, wipe_logs=None):
        """`presence()` -> True while the physical reset button is held;
        `logs_pending()` -> number of scan records not yet pulled;
        `wipe_logs()` erases the scan log."""
        self.root = root
        self.dir = root + "/config"
        atomic.makedirs(self.dir)
        self.recovered = atomic.recover(self.dir)
        from kiosk.provision.staging import Staging

        self.staging = Staging(self.dir)
        self.damaged = None  # prov.json unreadable: only info and reset are served
        try:
            self.state = state.load(self.dir)
        except ProvisionError as exc:
            self.state = state.State()
            self.damaged = exc.msg
        self.guard = ClockGuard(clock, self.dir)
        self.presence = presence
        self.logs_pending = logs_pending
        self.wipe_logs = wipe_logs
        self.uplink_line = None  # set by the app when it has an uplink: () -> status line
        self.changed = None  # set after a commit: called with the op name
        self.safe_mode = None  # in safe mode: the last crash (shown by info)
        self.on_resume = None  # in safe mode: run after a signed `resume` is committed
        self.change_error = None

    # -- entry point ------------------------------------------------------

    def handle(self, req):
        """Response dict for a request dict; raises ProvisionError when refused."""
        if not isinstance(req, dict) or not isinstance(req.get("op"), str):
            raise ProvisionError("malformed", "request without op")
        fn = _REQUESTS.get(req["op"])
        if fn is None:
            raise ProvisionError("unknown_op", "unknown provisioning op %r" % req["op"])
        allowed = FIELDS[req["op"]]
        for k in req:
            if k not in allowed:
                raise ProvisionError("bad_request", "unknown field %r in %s request" % (k, req["op"]))
        return fn(self, req)

    def ack_keys(self):
        """The keys that may acknowledge scan records (kiosk.records.ackauth)."""
        return self.state.ack_keys()

    def handle_safe(self, req):
        """Like handle() but answers {"ok": False, "error", "msg"} instead of raising."""
        try:
            r = self.handle(req)
            r["ok"] = True
            return r
        except ProvisionError as exc:
            return {"ok": False, "error": exc.code, "msg": exc.msg}
        except TrustError as exc:
            return {"ok": False, "error": "trust", "msg": str(exc)}
        except Exception as exc:  # noqa: BLE001 - never drop the link on bad input
            return {"ok": False, "error": "internal", "msg": repr(exc)}

    # -- read-only ---------------------------------------------------------

    def info(self):
        s = self.state
        dev = _json(atomic.read(self.dir + "/device.json")) or {}
        wifi = _json(atomic.read(self.dir + "/wifi.json")) or {}
        r = {
            "damaged": self.damaged,
            "device_id": s.device_id,
            "provisioned": s.provisioned,
            "ctr": s.ctr,
            "venue": dev.get("venue"),
            "admin_kid": _kid(s.admin),
            "operator_kid": _kid(s.operator),
            "secret_set": atomic.exists(self.dir + "/secret.bin"),
            "secret_protection": secrets.protection(),
            "wifi_ssid": wifi.get("ssid"),
            "wifi_password_set": bool(wifi.get("password_set", wifi.get("password"))),
            "clock": self.guard.raw(),
            "clock_status": self.guard.status(),
            "clock_floor": self.guard.floor,
            "bundle_seq": s.bundle_seq,
            "rev_seq": s.rev_seq,
            "collector_kids": [_kid(c) for c in s.collectors],
            "safe_mode": self.safe_mode,
        }
        broker = _json(atomic.read(self.dir + "/broker.json")) or {}
        r["broker_url"] = broker.get("url")
        r["broker_user"] = broker.get("user")
        r["broker_password_set"] = bool(broker.get("password_set"))
        r["uplink"] = self.uplink_line() if self.uplink_line else None
        if s.operator and atomic.exists(self.dir + "/trust.ktb"):
            try:
                from kiosk.trust import bundle

                h = bundle.verify_file(self.dir + "/trust.ktb", s.operator)
                info = bundle.BundleInfo(h, self.guard.now())
                r["bundle"] = {"seq": info.seq, "iat": info.iat, "exp": info.exp,
                               "grace": info.grace, "status": info.status}
            except TrustError as exc:
                r["bundle"] = {"status": bundle.DAMAGED, "msg": str(exc)}
        return r

    # -- first setup ---------------------------------------------------------

    def _check_state(self):
        if self.damaged:
            raise ProvisionError("damaged", "%s: hold the reset button and reset the kiosk" % self.damaged)

    def setup(self, req):
        self._check_state()
        if self.state.provisioned:
            raise ProvisionError("already_provisioned", "kiosk is provisioned: send admin-signed commands")
        dev_id = req.get("device_id")
        if not schema.short_str(dev_id):
            raise ProvisionError("bad_request", "device_id must be a short string")
        new = state.State()
        new.device_id = dev_id
        new.admin = _point(req.get("admin"), "admin")
        new.operator = _point(req.get("operator"), "operator")
        new.collectors = _collectors(req.get("collectors", []))
        t = req.get("clock")
        floor = self.guard.check_set(t, back=True) if t is not None else None
        txn = atomic.Txn(self.dir)
        try:
            self._put_device(txn, {"device_id": dev_id}, req.get("venue"), req.get("lang"))
            self._put_policy(txn, req.get("policy") or {})
            self._put_secret(txn, req.get("secret"))
            if req.get("wifi") is not None:
                self._put_wifi(txn, req["wifi"])
            if req.get("broker") is not None:
                self._put_broker(txn, req["broker"])
            if req.get("bundle") is not None or req.get("staged"):
                self._put_bundle(txn, new, req.get("bundle"), req.get("staged"), None, t)
            if floor is not None:
                txn.put("clock.json", ClockGuard.encode(floor))
            txn.put(state.NAME, new.to_bytes())
        except Exception:
            txn.abort()
            self._clean()
            raise
        txn.commit()
        self.state = new
        if floor is not None:
            self.guard.applied(t, floor)
        self._changed("setup")
        return {"device_id": dev_id, "ctr": 0}

    # -- signed commands -------------------------------------------------------

    def stage(self, req):
        """Unsigned staging, only before first setup (setup itself is unsigned)."""
        self._check_state()
        if self.state.provisioned:
            raise ProvisionError("already_provisioned", "kiosk is provisioned: staging needs a signed stage command")
        self.staging.begin(req.get("size"), req.get("sha"))
        return {"size": self.staging.size}

    def command(self, raw, blob=None, staged=False):
        s = self.state
        try:
            if self.damaged or not s.provisioned:
                self._check_state()
                raise ProvisionError("not_provisioned", "run first setup")
            cmd = command.verify(raw, s.admin, s.device_id, s.ctr)
        except ProvisionError:
            if staged:
                self.staging.discard()
            raise
        new = s.copy()
        new.ctr = cmd.ctr
        a = cmd.args
        txn = atomic.Txn(self.dir)
        try:
            fn = _COMMANDS.get(cmd.op)
            if fn is None:
                raise ProvisionError("unknown_op", "unknown command %r" % cmd.op)
            after = fn(self, txn, new, a, blob, staged)
            txn.put(state.NAME, new.to_bytes())
        except Exception:
            txn.abort()
            self._clean(staged)
            raise
        txn.commit()
        self.state = new
        if after:
            after()
        self._changed(cmd.op)
        return {"ctr": new.ctr, "op": cmd.op}

    # -- one method per signed command: (txn, new state, args, blob, staged);
    #    it may return a function to run after the commit

    def _cmd_venue(self, txn, new, a, blob, staged):
        dev = _json(atomic.read(self.dir + "/device.json")) or {}
        self._put_device(txn, dev, a.get("venue"), a.get("lang", dev.get("lang")))

    def _cmd_policy(self, txn, new, a, blob, staged):
        self._put_policy(txn, a.get("policy"))

    def _cmd_secret(self, txn, new, a, blob, staged):
        self._put_secret(txn, a.get("secret"))

    def _cmd_wifi(self, txn, new, a, blob, staged):
        self._put_wifi(txn, a)

    def _cmd_broker(self, txn, new, a, blob, staged):
        self._put_broker(txn, a)

    def _cmd_clock(self, txn, new, a, blob, staged):
        t = a.get("time")
        floor = self.guard.check_set(t, bool(a.get("back")))
        txn.put("clock.json", ClockGuard.encode(floor))
        return lambda: self.guard.applied(t, floor)

    def _cmd_admin(self, txn, new, a, blob, staged):
        new.admin = _point(a.get("admin"), "admin")

    def _cmd_collectors(self, txn, new, a, blob, staged):
        new.collectors = _collectors(a.get("collectors"))

    def _cmd_stage(self, txn, new, a, blob, staged):
        size, sha = a.get("size"), a.get("sha")
        self.staging.check(size, sha)
        return lambda: self.staging.begin(size, sha)

    def _cmd_operator(self, txn, new, a, blob, staged):
        new.operator = _point(a.get("operator"), "operator")
        new.bundle_seq = 0
        new.rev_seq = 0
        txn.delete("trust.ktb")
        txn.delete("revoked.krv")

    def _cmd_resume(self, txn, new, a, blob, staged):
        if self.on_resume is None:
            raise ProvisionError("not_safe_mode", "the kiosk is not in safe mode")
        return self.on_resume

    def _cmd_trust(self, txn, new, a, blob, staged):
        self._put_bundle(txn, new, blob, staged, a.get("sha"))

    def _cmd_revoke(self, txn, new, a, blob, staged):
        self._put_revocation(txn, new, blob, staged, a.get("sha"))

    # -- operator-signed files that arrive other than over USB (kiosk.uplink.downlink)

    def install_signed(self, kind, path):
        """Install the bundle ("trust") or revocation list/delta ("revoke") at
        `path` with the same checks and transaction as the signed commands
        (operator signature, sequence, lifetime, power-safe commit); the
        operator's signature is the authority, so no admin counter moves.
        Returns the new sequence; raises ProvisionError when refused."""
        self._check_state()
        if not self.state.provisioned:
            _remove(path)
            raise ProvisionError("not_provisioned", "run first setup")
        new = self.state.copy()
        txn = atomic.Txn(self.dir)
        try:
            if kind == "trust":  # `path`: the downlink's own fixed file, never one from the wire
                self._put_bundle(txn, new, None, False, None, path=path)
            else:
                self._put_revocation(txn, new, None, False, None, path)
            txn.put(state.NAME, new.to_bytes())
        except Exception:
            txn.abort()
            for p in (path, self.dir + "/merge.new"):
                _remove(p)
            raise
        txn.commit()
        self.state = new
        self._changed(kind)
        return new.bundle_seq if kind == "trust" else new.rev_seq

    # -- reset -------------------------------------------------------------------

    def reset(self, abandon_logs):
        if not (self.presence and self.presence()):
            raise ProvisionError("no_presence", "hold the reset button on the kiosk while sending reset")
        pending = self.logs_pending() if self.logs_pending else 0
        if pending and not abandon_logs:
            raise ProvisionError("logs_pending", "%d scan records not pulled: pull them first, or reset with --abandon-logs" % pending)
        # Log first: a power cut in between leaves a provisioned kiosk with an
        # empty log (reset again), never an unprovisioned one holding old records.
        if self.wipe_logs:
            self.wipe_logs()
        txn = atomic.Txn(self.dir)
        for name in CONFIG_FILES:
            txn.delete(name)
        txn.commit()
        self.staging.discard()
        self.state = state.State()
        self.damaged = None
        self.guard.floor = 0
        self._changed("reset")
        return {"wiped": True, "abandoned": pending if abandon_logs else 0}

    # -- file writers (all staged in a transaction) ---------------------------

    def _put_device(self, txn, dev, venue, lang):
        dev = dict(dev)
        dev["venue"] = venue
        if lang is not None:
            dev["lang"] = lang
        txn.put("device.json", json.dumps(schema.check_device(dev)).encode())

    def _put_policy(self, txn, conf, venue_type=None):
        conf = schema.check_policy(conf, venue_type or self._venue_type(txn))[0]
        data = json.dumps(conf).encode()
        if len(data) > schema.MAX_POLICY:
            raise ProvisionError("bad_request", "policy too large")
        txn.put("policy.json", data)

    def _venue_type(self, txn):
        """The venue type the new device.json (staged in txn) or the current one gives."""
        raw = atomic.read(self.dir + "/device.json" + (".new" if "device.json" in txn.puts else ""))
        return ((_json(raw) or {}).get("venue") or {}).get("type")

    def _put_secret(self, txn, secret):
        txn.put("secret.bin", secrets.seal("secret", schema.check_secret(secret)))

    def _put_wifi(self, txn, w):
        w = schema.check_wifi(w)
        txn.put("wifi.json", json.dumps({"ssid": w["ssid"], "password_set": bool(w["password"]),
                                         "sealed": hexlify(secrets.seal("wifi", w["password"])).decode()}).encode())

    def _put_broker(self, txn, b):
        """broker.json: the uplink's URL, MQTT login (password write-only) and CA."""
        b = schema.check_broker(b)
        if b.get("ca") is not None:
            b["ca"] = hexlify(b["ca"]).decode()
        pw = b.pop("password", None)
        b["password_set"] = bool(pw)
        b["sealed"] = hexlify(secrets.seal("broker", pw)).decode() if pw else None
        txn.put("broker.json", json.dumps(b).encode())

    def _staged(self, blob, staged, sha, name):
        """Path of a durable copy of the file (the staged upload, or the
        request's bytes written to the one fixed upload file), its hash checked."""
        if staged:
            if blob is not None:
                raise ProvisionError("bad_request", "a request carries a blob or uses the staged file, not both")
            if sha is None and self.state.provisioned:
                raise ProvisionError("bad_request", "a staged %s needs the command's sha" % name)
            return self.staging.take(sha)
        if not isinstance(blob, bytes) or len(blob) > _MAX_BLOB:
            raise ProvisionError("bad_request", "%s file missing" % name)
        path = atomic.write_new(self.dir + "/upload", blob)
        if sha is not None and atomic.sha256_file(path) != sha:
            raise ProvisionError("hash_mismatch", "%s file differs from the signed command" % name)
        return path

    def _clean(self, staged=True):
        """After a refusal: no staged, uploaded or merged file stays behind."""
        if staged:
            self.staging.discard()
        for name in ("/upload.new", "/merge.new"):
            _remove(self.dir + name)

    def _put_bundle(self, txn, new, blob, staged, sha, now=None, path=None):
        from kiosk.trust import bundle

        if new.operator is None:
            raise ProvisionError("bad_request", "no operator key")
        path = path or self._staged(blob, staged, sha, "bundle")
        try:
            h = bundle.check_new(path, new.operator, new.bundle_seq, now if now is not None else self.guard.now())
        except TrustError as exc:
            _remove(path)
            raise ProvisionError(exc.code, "bundle refused: %s" % exc)
        new.bundle_seq = h["seq"]
        txn.put_file("trust.ktb", path)

    def _put_revocation(self, txn, new, blob, staged, sha, path=None):
        from kiosk.trust import revocation

        path = path or self._staged(blob, staged, sha, "revocation list")
        out = self.dir + "/merge.new"
        try:
            with open(path, "rb") as f:
                magic = f.read(4)
            if magic == revocation.DELTA_MAGIC:
                if not atomic.exists(self.dir + "/revoked.krv"):
                    raise TrustError("this kiosk has no revocation list: push the full list first", "no_list")
                size = os.stat(path)[6]
                if size > _MAX_BLOB:
                    raise TrustError("delta larger than %d bytes" % _MAX_BLOB)
                with open(path, "rb") as f:
                    data = f.read(size)
                cur = revocation.open_file(self.dir + "/revoked.krv", new.operator)
                try:
                    h = revocation.apply_delta(cur, data, out, new.operator)
                finally:
                    cur.close()
                _remove(path)
                path = out
            else:
                h = revocation.check_new(path, new.operator, new.rev_seq)
        except TrustError as exc:
            _remove(path)
            _remove(out)
            raise ProvisionError(exc.code, "revocation list refused: %s" % exc)
        new.rev_seq = h["seq"]
        txn.put_file("revoked.krv", path)

    def _changed(self, op):
        """Tell the app; the change is committed, so a failing callback is
        kept in `change_error`, never reported to the host as a refusal."""
        if self.changed:
            try:
                self.changed(op)
            except Exception as exc:  # noqa: BLE001
                self.change_error = exc


# Requests (PROV "op") and signed commands (the command's "op"), like the
# link server's handler table.
_REQUESTS = {
    "info": lambda p, req: p.info(),
    "setup": lambda p, req: p.setup(req),
    "stage": lambda p, req: p.stage(req),
    "cmd": lambda p, req: p.command(req.get("cmd"), req.get("blob"), bool(req.get("staged"))),
    "reset": lambda p, req: p.reset(bool(req.get("abandon_logs"))),
}
_COMMANDS = {
    "venue": Provisioner._cmd_venue,
    "policy": Provisioner._cmd_policy,
    "secret": Provisioner._cmd_secret,
    "wifi": Provisioner._cmd_wifi,
    "broker": Provisioner._cmd_broker,
    "clock": Provisioner._cmd_clock,
    "admin": Provisioner._cmd_admin,
    "operator": Provisioner._cmd_operator,
    "collectors": Provisioner._cmd_collectors,
    "stage": Provisioner._cmd_stage,
    "trust": Provisioner._cmd_trust,
    "revoke": Provisioner._cmd_revoke,
    "resume": Provisioner._cmd_resume,
}


def _point(v, what):
    from kiosk.crypto import p256

    if not isinstance(v, bytes) or p256.decode_point(v) is None:
        raise ProvisionError("bad_request", "%s key must be a 65-byte P-256 point" % what)
    return v


def _collectors(v):
    from kiosk.records.ackauth import MAX_KEYS

    if not isinstance(v, list) or len(v) > MAX_KEYS - 1:
        raise ProvisionError("bad_request", "collectors must be a list of 0..%d keys" % (MAX_KEYS - 1))
    return [_point(c, "collector") for c in v]


def _kid(pub):
    return hexlify(hashlib.sha256(pub).digest()[:8]).decode() if pub else None


def _json(raw):
    try:
        return json.loads(raw) if raw is not None else None
    except ValueError:
        return None


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass
