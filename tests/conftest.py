"""Shared fixtures: repo paths, the corpus, test issuer keys and trust stores."""

import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus")
sys.path.insert(0, os.path.join(REPO, "host_tools"))
sys.path.insert(0, os.path.join(REPO, "tests"))  # tests/support: real brokers and databases


@pytest.fixture(scope="session")
def corpus():
    if not os.path.isdir(CORPUS):
        pytest.fail("corpus not found at %s (CI puts ../shared beside the repo)" % CORPUS)
    return CORPUS


class Issuer:
    """A TEST issuer key pair (never a real key) and its trust store."""

    def __init__(self, folder, name="issuer", tables=False):
        from kioskctl import cli

        self.prefix = os.path.join(folder, name)
        assert cli.main(["keys", "gen", "-o", self.prefix]) == 0
        self.key = self.prefix + ".key.pem"
        self.pub = self.prefix + ".pub.pem"
        self.trust = self.prefix + ".kts"
        args = ["trust", "build", "--key", self.pub, "-o", self.trust]
        assert cli.main(args + ([] if tables else ["--no-tables"])) == 0

    def signing_key(self):
        from kioskctl.cmd_keys import load_signing_key

        return load_signing_key(self.key)

    def mint(self, colour="green", iat=1790000000, valid=7 * 86400, **kw):
        from kioskctl import mint

        claims = mint.health_code_claims(
            kw.pop("iss", "CN-TEST"), colour, kw.pop("holder", "H-0001"), kw.pop("name", "张*玲"),
            iat, iat + valid, **kw
        )
        sk = self.signing_key()
        return mint.hc1(mint.cose_sign1(claims, sk, mint.kid_for(sk)))


@pytest.fixture(scope="session")
def issuer(tmp_path_factory):
    return Issuer(str(tmp_path_factory.mktemp("issuer")))


@pytest.fixture(scope="session")
def other_issuer(tmp_path_factory):
    return Issuer(str(tmp_path_factory.mktemp("other")), "other")


@pytest.fixture(scope="session")
def kiosk_font(tmp_path_factory):
    """The kiosk's bitmap font file, built once per test process."""
    from kioskctl import cmd_fonts

    font_path, _ = cmd_fonts.build_to(str(tmp_path_factory.mktemp("fonts")))
    return font_path
