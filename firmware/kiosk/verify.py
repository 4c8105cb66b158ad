"""One payload in, one verdict out: the kiosk's whole decision, never raising.

Order of checks, first failure wins (docs/policy.md): format -> issuer ->
signature -> revocation -> clock -> validity period -> colour and venue policy.
A token that does not verify is never inspected further, so nothing a forger
writes in the claims can reach the screen or the log.
"""

from kiosk.policy import verdict as V

_MAX_PAYLOAD = const(8192)
_MAX_KEYS_TRIED = const(16)


def _hexkid(kid):
    if kid is None:
        return None
    import binascii

    return binascii.hexlify(kid).decode()


def _signature_ok(key, token):
    alg = token.alg
    if key.alg != alg:
        return False
    if alg == -7:
        from kiosk.crypto import p256

        return p256.verify(key.pub, token.tbs, token.signature, key.table())
    if alg == -37:
        from kiosk.crypto import rsa

        return rsa.verify_pss(key.pub[0], key.pub[1], token.tbs, token.signature)
    return False


def _find_key(trust, token):
    """(key, reason): the first key sharing the kid whose signature verifies."""
    candidates = trust.keys_for(token.kid) if trust is not None else []
    candidates = [k for k in candidates if k.alg == token.alg][:_MAX_KEYS_TRIED]
    if not candidates:
        return None, "unknown_issuer"
    for key in candidates:
        if _signature_ok(key, token):
            return key, "ok"
    return None, "bad_signature"


def _dates(token, now, skew):
    """Reason for a token outside its validity period, else None."""
    exp = token.exp
    if exp is not None and now > exp + skew:
        return "expired"
    nbf = token.nbf
    if isinstance(nbf, int) and now + skew < nbf:
        return "not_yet_valid"
    iat = token.iat
    if isinstance(iat, int) and now + skew < iat:
        return "not_yet_valid"
    return None


def _evaluate(payload, trust, policy, now, revoked, temperature):
    from kiosk.token import TokenError, parse

    if payload is None or len(payload) == 0:
        return V.reject("unreadable")
    if len(payload) > _MAX_PAYLOAD:
        return V.reject("malformed", "payload too long")
    try:
        token = parse(payload)
    except TokenError as exc:
        return V.reject(exc.reason, str(exc))
    key, reason = _find_key(trust, token)
    if key is None:
        v = V.reject(reason)
        v.kid = _hexkid(token.kid)
        return v

    v = V.Verdict(V.RED, "ok")
    v.kid = _hexkid(token.kid if token.kid is not None else key.kid)
    v.key_index = key.index
    v.exp = token.exp
    v.cti = token.cti
    if revoked is not None:
        from kiosk.policy import dcc

        if revoked.contains_any(key.kid, dcc.revocation_ids(token)):
            v.reason = "revoked"
            return v
    if now is None:
        v.reason = "clock_unset"
        return v
    if not key.valid_at(now):
        v.reason = "not_yet_valid" if key.nbf is not None and now < key.nbf else "expired"
        v.detail = "issuer key outside its validity period"
        return v
    late = _dates(token, now, policy.skew_s)
    if late:
        v.reason = late
        return v

    if token.hc is not None:
        hc = token.hc
        v.kind = "native"
        v.colour = hc.colour
        v.holder = hc.holder
        v.name = hc.name
        v.dependant = hc.dependant
    elif token.dcc is not None:
        from kiosk.policy import dcc

        v.kind = "dcc"
        v.colour = dcc.colour(token.dcc, now, policy.dcc)
        v.name = dcc.masked_name(token.dcc)
        v.holder = dcc.holder_id(token.dcc)
        hc = None
        if v.colour is None:
            v.reason = "malformed"
            v.detail = "certificate holds no vaccination, test or recovery"
            return v
    else:
        v.reason = "malformed"
        v.detail = "no health-code claim"
        return v

    v.verdict = v.colour.upper()
    admit, reason = policy.admits(v.colour, hc, now)
    if admit and temperature is not None and temperature >= policy.fever_c:
        admit, reason = False, "policy"
        v.detail = "temperature %.1f C" % temperature
    v.admit = admit
    v.reason = reason
    return v


def check(payload, trust, policy, now, revoked=None, temperature=None):
    """Verdict for one scanned payload (bytes or str). Never raises."""
    try:
        return _evaluate(payload, trust, policy, now, revoked, temperature)
    except MemoryError:  # visible as such, never taken for a bad code
        return V.reject("out_of_memory", "out of memory")
    except Exception as exc:  # a bug must never crash the door: fail closed
        return V.reject("malformed", "internal: %r" % (exc,))
