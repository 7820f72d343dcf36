#!/usr/bin/python3
"""mdcheck.py — parse a Markdown file with a real CommonMark + GFM parser
(the cmark-gfm program, table extension, its XML syntax tree) and print
its structure as JSON, for the shell tests of the incident report:

    {"h1": [...], "h2": [...], "h3": [...],
     "sections": {"Verdict": {"paras": [...], "items": [...], "code": [[info, text]...],
                              "tables": [[[cell, ...], ...]...]}, ...},
     "html": N, "links": N, "images": N}

Text is what a reader sees (text and code spans; hard breaks as "\\n").
Each section gathers the blocks under its "## " heading (h3 included).

    mdcheck.py FILE            JSON on stdout; exit 1 when cmark-gfm fails
"""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

NS = "{http://commonmark.org/xml/1.0}"


def tag(e):
    return e.tag[len(NS):] if e.tag.startswith(NS) else e.tag


def plain(e):
    out = []

    def rec(n):
        t = tag(n)
        if t in ("text", "code"):
            out.append(n.text or "")
        elif t == "linebreak":
            out.append("\n")
        elif t == "softbreak":
            out.append(" ")
        else:
            for c in n:
                rec(c)
    rec(e)
    return "".join(out)


def main():
    path = sys.argv[1]
    r = subprocess.run(["cmark-gfm", "-e", "table", "-t", "xml", path],
                       capture_output=True, check=False)
    if r.returncode != 0:
        sys.stderr.write(r.stderr.decode(errors="replace"))
        return 1
    root = ET.fromstring(r.stdout)
    doc = {"h1": [], "h2": [], "h3": [], "sections": {}, "html": 0, "links": 0, "images": 0}
    for n in root.iter():
        t = tag(n)
        if t in ("html_block", "html_inline"):
            doc["html"] += 1
        elif t == "link":
            doc["links"] += 1
        elif t == "image":
            doc["images"] += 1
    sec = {"paras": [], "items": [], "code": [], "tables": []}
    doc["sections"]["(top)"] = sec
    for b in root:
        t = tag(b)
        if t == "heading":
            lv = int(b.get("level"))
            text = plain(b)
            doc["h%d" % lv].append(text) if lv <= 3 else None
            if lv == 2:
                sec = {"paras": [], "items": [], "code": [], "tables": []}
                doc["sections"][text] = sec
        elif t == "paragraph":
            sec["paras"].append(plain(b))
        elif t == "list":
            for it in b:
                sec["items"].append(plain(it))
        elif t == "code_block":
            sec["code"].append([b.get("info") or "", b.text or ""])
        elif t == "table":
            rows = []
            for row in b:
                rows.append([plain(c) for c in row])
            sec["tables"].append(rows)
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
