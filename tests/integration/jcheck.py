"""jcheck.py — small JSON assertions for the integration scenarios.

  jcheck.py valid FILE                 exit 0 when FILE is one valid JSON object
  jcheck.py get FILE PATH              print the value at a dotted PATH
                                       (verdict.cause, findings.0.hop); exit 1 if absent
  jcheck.py mentions FILE CAUSE REGEX  exit 0 when REGEX matches the verdict
                                       summary (if the verdict is CAUSE) or the
                                       summary/evidence/fix/commands of a finding
                                       with that cause ('*': any finding)
  jcheck.py clean FILE                 exit 0 when FILE holds no control bytes
                                       other than tab and newline, and is UTF-8
Run with /usr/bin/python3 (stdlib only).
"""
import json
import re
import sys


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def get(doc, path):
    cur = doc
    for part in path.split("."):
        if isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise KeyError(path)
    return cur


def texts(finding):
    out = [str(finding.get("summary", ""))]
    for key in ("evidence", "fix", "commands"):
        val = finding.get(key) or []
        out.extend(str(v) for v in (val if isinstance(val, list) else [val]))
    return out


def mentions(doc, cause, regex):
    rx = re.compile(regex)
    pool = []
    verdict = doc.get("verdict") or {}
    if cause == "*" or verdict.get("cause") == cause:
        pool.append(str(verdict.get("summary", "")))
    for f in doc.get("findings") or []:
        if cause == "*" or f.get("cause") == cause:
            pool.extend(texts(f))
    return any(rx.search(t) for t in pool)


def main(argv):
    cmd, path = argv[1], argv[2]
    if cmd == "clean":
        with open(path, "rb") as f:
            data = f.read()
        data.decode("utf-8")
        bad = [b for b in data if (b < 32 and b not in (9, 10)) or b == 127]
        return 1 if bad else 0
    try:
        doc = load(path)
    except (OSError, ValueError) as e:
        print("jcheck: invalid JSON: %s" % e, file=sys.stderr)
        return 1
    if not isinstance(doc, dict):
        return 1
    if cmd == "valid":
        return 0
    if cmd == "get":
        try:
            val = get(doc, argv[3])
        except KeyError:
            return 1
        print(val if isinstance(val, str) else json.dumps(val))
        return 0
    if cmd == "mentions":
        return 0 if mentions(doc, argv[3], argv[4]) else 1
    print("jcheck: unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
