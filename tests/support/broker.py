"""A real Mosquitto broker on 127.0.0.1 for tests and benchmarks.

    with Broker(tmpdir, users={"collector": "pw", "K-1": "pw1"}, acl_text=acl) as b:
        b.url            # "mqtt://127.0.0.1:PORT" ("mqtts://..." with tls=True)
        b.restart()      # clean stop + start (retained messages persist)
        b.restart(kill=True)   # SIGKILL, then start: what a crashed broker does
        b.freeze(); b.thaw()   # SIGSTOP / SIGCONT: a broker that stops answering

Runs Debian's `mosquitto` 2.x in the foreground with its own config, password
file and ACL in `tmpdir`, on a free port. `users=None` allows anonymous clients
and no ACL. With `tls=True` the listener speaks TLS only, with a TEST CA and a
server certificate for 127.0.0.1 made here (`ca_file`, `cert_file`). When the
broker cannot run, tests must fail under CI=true (`require()`), never skip.
"""

import os
import shutil
import signal
import socket
import subprocess
import time

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class BrokerError(Exception):
    pass


class Broker:
    def __init__(self, tmpdir, users=None, acl_text=None, tls=False, port=None, persistence=True):
        self.dir = str(tmpdir)
        os.makedirs(self.dir, exist_ok=True)
        self.users = users
        self.acl_text = acl_text
        self.tls = tls
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.persistence = persistence
        self.proc = None
        self.ca_file = self.cert_file = self.key_file = None
        self.conf_path = os.path.join(self.dir, "mosquitto.conf")
        self.log_path = os.path.join(self.dir, "mosquitto.log")

    @staticmethod
    def available():
        return os.path.exists(MOSQUITTO) and os.path.exists(PASSWD)

    @staticmethod
    def require():
        """Raise (so a test fails) when mosquitto is missing; under CI this is never a skip."""
        if not Broker.available():
            raise BrokerError("mosquitto is not installed (host_tools/scripts/sysdeps.sh installs it as root)")

    @property
    def url(self):
        return "%s://%s:%d" % ("mqtts" if self.tls else "mqtt", self.host, self.port)

    # -- config -----------------------------------------------------------

    def _write_config(self):
        lines = ["listener %d %s" % (self.port, self.host), "log_dest file " + self.log_path,
                 "log_type error", "log_type warning", "log_type notice", "log_type information",
                 "connection_messages true", "max_queued_messages 100000", "max_inflight_messages 0"]
        if os.geteuid() == 0:
            lines.append("user root")  # stay root: the files below belong to root
        if self.persistence:
            lines += ["persistence true", "persistence_location " + self.dir + "/", "autosave_interval 1"]
        if self.users is None:
            lines.append("allow_anonymous true")
        else:
            pw = os.path.join(self.dir, "passwd")
            open(pw, "w").close()
            for name, password in self.users.items():
                subprocess.run([PASSWD, "-b", pw, name, password], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            lines += ["allow_anonymous false", "password_file " + pw]
        if self.acl_text is not None:
            acl = os.path.join(self.dir, "acl")
            with open(acl, "w") as f:
                f.write(self.acl_text)
            lines.append("acl_file " + acl)
        if self.tls:
            self._make_certs()
            lines += ["cafile " + self.ca_file, "certfile " + self.cert_file, "keyfile " + self.key_file,
                      "tls_version tlsv1.2"]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def _make_certs(self):
        if self.ca_file:
            return
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TEST kiosk broker CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                            x509.DNSName("localhost")]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.cert_file = os.path.join(self.dir, "server.pem")
        self.key_file = os.path.join(self.dir, "server.key")
        with open(self.ca_file, "wb") as f:
            f.write(ca.public_bytes(serialization.Encoding.PEM))
        with open(self.cert_file, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(self.key_file, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))

    # -- lifetime ---------------------------------------------------------

    def start(self, timeout=10.0):
        self.require()
        if not os.path.exists(self.conf_path):
            self._write_config()
        import sys

        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "host_tools"))
        try:
            from kioskctl.mp import _die_with_parent as preexec
        except ImportError:
            preexec = None
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf_path], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=preexec)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError("mosquitto exited with %s; log: %s" % (self.proc.returncode, self._log_tail()))
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError("mosquitto did not listen on %d within %.0f s" % (self.port, timeout))

    def _log_tail(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-2000:]
        except OSError:
            return "(no log)"

    def stop(self, kill=False):
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGCONT)  # a frozen broker cannot act on SIGTERM
            p.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def restart(self, kill=False):
        self.stop(kill=kill)
        return self.start()

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
