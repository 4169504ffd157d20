#!/usr/bin/env python3
"""Scores a clinescan JSON report (run with `--show-secrets`) against a corpus truth file.

Prints recall (planted secrets found by the rule of their kind, at their line, with the exact
value) and precision (findings that are planted secrets), and lists what was missed or extra.
Usage: score.py REPORT.json TRUTH.json
"""
import json
import sys

RULE_OF_KIND = {
    "cline_key": "cline-api-key",
    "bearer_token": "bearer-token",
    "openai_key": "openai-api-key",
}

report = json.load(open(sys.argv[1]))
truth = json.load(open(sys.argv[2]))

found = {(f["path"], f["line"], f["rule_id"], f["secret"]) for f in report["findings"]}
planted = {(p["path"], p["line"], RULE_OF_KIND[p["kind"]], p["secret"]) for p in truth["planted"]}

hits = planted & found
missed = sorted(planted - found)
extra = sorted(found - planted)
recall = len(hits) / len(planted) if planted else 1.0
precision = len(hits) / len(found) if found else 1.0
print(f"planted {len(planted)}  findings {len(found)}  found {len(hits)}")
print(f"recall {recall:.2%}  precision {precision:.2%}")
for item in missed[:20]:
    print(f"  missed: {item[0]}:{item[1]} {item[2]} {item[3][:6]}…")
for item in extra[:20]:
    print(f"  extra:  {item[0]}:{item[1]} {item[2]} {item[3][:6]}…")
