"""bytecheck.py — what gwtop printed is safe for a terminal / a JSON reader.

  bytecheck.py text FILE    exit 0 when FILE is valid UTF-8 with no byte
                            < 0x20 but '\\n', no DEL, no C1 control
                            (U+0080-U+009F) and no bidi control
  bytecheck.py json FILE    exit 0 when FILE is one valid UTF-8 JSON object,
                            its raw bytes hold no control byte but '\\n', and
                            no decoded string holds a C1 / bidi control or
                            U+0000 (C0 controls may appear as \\u00XX escapes)
  bytecheck.py grep FILE TEXT   exit 0 when TEXT occurs in FILE (raw bytes or,
                            for JSON, in any decoded string)
Prints the first offending position on failure. /usr/bin/python3, stdlib only.
"""
import json
import sys

BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def bad_cp(cp, allow_c0):
    if cp < 0x20:
        return not (cp == 0x0A or allow_c0)
    return cp == 0x7F or 0x80 <= cp <= 0x9F or cp in BIDI


def check_text(data, allow_c0=False, what="text"):
    try:
        s = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        print(f"# {what}: invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 20]!r}")
        return False
    for i, ch in enumerate(s):
        if bad_cp(ord(ch), allow_c0):
            print(f"# {what}: control U+{ord(ch):04X} at char {i}: {s[max(0, i - 30):i + 10]!r}")
            return False
    return True


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    if mode == "text":
        return 0 if check_text(data) else 1
    if mode == "json":
        if not check_text(data, what="raw json"):
            return 1
        try:
            doc = json.loads(data.decode("utf-8"))
        except ValueError as e:
            print(f"# invalid JSON: {e}")
            return 1
        if not isinstance(doc, dict):
            print("# JSON is not an object")
            return 1
        for s in strings(doc):
            for ch in s:
                cp = ord(ch)
                if cp == 0 or 0x80 <= cp <= 0x9F or cp in BIDI or 0xD800 <= cp <= 0xDFFF:
                    print(f"# JSON string holds U+{cp:04X}: {s[:80]!r}")
                    return 1
        return 0
    if mode == "grep":
        needle = sys.argv[3]
        if needle.encode() in data:
            return 0
        try:
            doc = json.loads(data.decode("utf-8"))
            return 0 if any(needle in s for s in strings(doc)) else 1
        except ValueError:
            return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
