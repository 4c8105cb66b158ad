# Simulator tool: the firmware verifier over a batch of payloads.
# micropython run_verify.py TRUST_FILE [POLICY_JSON_FILE|-] [REVOCATION_LIST OPERATOR_PUB_HEX]
# stdin: one JSON object a line {"payload": str, "at": int or null, "temperature": float}
# stdout: one JSON object a line (Verdict.as_dict()).
import json
import sys

from kiosk import verify
from kiosk.policy import Policy
from kiosk.trust import store


def main():
    trust = store.open_file(sys.argv[1])
    conf = {}
    if len(sys.argv) > 2 and sys.argv[2] != "-":
        with open(sys.argv[2]) as f:
            conf = json.load(f)
    policy = Policy(conf)
    revoked = None
    if len(sys.argv) > 4:
        from binascii import unhexlify
        from kiosk.trust import revocation

        try:
            revoked = revocation.open_file(sys.argv[3], unhexlify(sys.argv[4]))
        except Exception as exc:  # a refused list is an answer, not a traceback
            print("revocation list refused: %s" % exc, file=sys.stderr)
            sys.exit(2)
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            payload = req.get("payload")
        except ValueError:
            req, payload = {}, None
        v = verify.check(payload, trust, policy, req.get("at"), revoked, temperature=req.get("temperature"))
        print(json.dumps(v.as_dict()))


main()
