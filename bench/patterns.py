#!/usr/bin/env python3
"""Prints every pattern of the rule files given, one per line, for `rg -f`.

A rule pattern is written over several lines in `(?x)` mode with `#` comments; ripgrep reads
one pattern per line, so comments are dropped and lines joined (whitespace means nothing in
`(?x)` mode). Rule files follow the convention that a literal `#` is written `\\#`.
"""
import re
import sys
import tomllib


def one_line(pattern):
    lines = []
    for line in pattern.splitlines():
        # A comment starts at a `#` that is not escaped.
        line = re.sub(r"(?<!\\)#.*$", "", line)
        lines.append(line.strip())
    joined = " ".join(part for part in lines if part)
    # ripgrep joins its patterns into one alternation: flags become scoped groups and the
    # `secret` group (a name may occur once) becomes a plain group.
    joined = joined.replace("(?P<secret>", "(")
    # ripgrep matches line by line and refuses a literal line break; a pattern that spans a
    # line break (a YAML list under a key) is given to it as one line.
    joined = joined.replace("\\r?\\n", "\\s")
    match = re.match(r"^\(\?([a-zA-Z-]+)\)", joined)
    if match:
        joined = f"(?{match.group(1)}:{joined[match.end():]})"
    return joined


def patterns(path):
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    for rule in data.get("rule", []):
        items = rule["pattern"]
        if isinstance(items, str):
            items = [items]
        for item in items:
            yield one_line(item if isinstance(item, str) else item["regex"])


for path in sys.argv[1:]:
    for pattern in patterns(path):
        print(pattern)
