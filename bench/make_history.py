#!/usr/bin/env python3
"""Writes a git fast-import stream of a synthetic history, deterministically.

The first commit imports a source-like tree (from the shared corpus generator); each later
commit edits a few files (replaced and inserted lines), now and then adds a fake Cline key to a
config file or removes it again. Every 400 commits a short topic branch is forked and merged
back with a merge commit; every 500 commits main is tagged.

Usage: make_history.py TREE COMMITS > stream
"""
import os
import random
import string
import sys

tree, commits = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261203)
files = {}
for root, _, names in os.walk(tree):
    for name in names:
        path = os.path.join(root, name)
        with open(path, "rb") as handle:
            files[os.path.relpath(path, tree)] = handle.read().split(b"\n")
paths = sorted(files)
configs = [p for p in paths if p.endswith((".toml", ".yaml", ".yml", ".json", ".sh"))] or paths
out = sys.stdout.buffer
clock = 1_600_000_000
mark = 0
WORDS = b"alpha beta gamma delta value buffer index cache token state retry limit".split()


def line():
    return b" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))


def commit(ref, message, changed, parent=None, merge=None):
    global clock, mark
    clock += rng.randint(60, 7200)
    mark += 1
    who = rng.choice([b"Ada Example <ada@example.com>", b"Bo Sample <bo@example.org>"])
    out.write(b"commit %s\nmark :%d\n" % (ref, mark))
    out.write(b"author %s %d +0000\ncommitter %s %d +0000\n" % (who, clock, who, clock))
    out.write(b"data %d\n%s\n" % (len(message), message))
    if parent:
        out.write(b"from :%d\n" % parent)
    if merge:
        out.write(b"merge :%d\n" % merge)
    for path in sorted(changed):
        data = b"\n".join(files[path])
        out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
    return mark


def edit(path):
    lines = files[path]
    roll = rng.random()
    if roll < 0.01:
        key = "".join(rng.choice("0123456789abcdef") for _ in range(40))
        lines.insert(rng.randint(0, len(lines)), b'CLINE_API_KEY = "sk_%s"' % key.encode())
    elif roll < 0.02:
        files[path] = [entry for entry in lines if b"CLINE_API_KEY" not in entry]
    else:
        if lines:
            lines[rng.randrange(len(lines))] = line()
        lines.insert(rng.randint(0, len(lines)), line())


head = commit(b"refs/heads/main", b"Import", set(paths))
number = 1
while number < commits:
    if number % 400 == 0:
        topic = b"refs/heads/topic-%d" % number
        tip, changed = head, set()
        for step in range(10):
            batch = {rng.choice(paths) for _ in range(3)}
            for path in batch:
                edit(path)
            changed |= batch
            tip = commit(topic, b"Topic %d step %d" % (number, step), batch, parent=tip)
            number += 1
        head = commit(b"refs/heads/main", b"Merge topic %d" % number, changed, head, tip)
    else:
        batch = {rng.choice(configs if rng.random() < 0.2 else paths) for _ in range(rng.randint(1, 4))}
        for path in batch:
            edit(path)
        head = commit(b"refs/heads/main", b"Change %d" % number, batch, parent=head)
    number += 1
    if number % 500 == 0:
        out.write(b"reset refs/tags/v%d\nfrom :%d\n\n" % (number // 500, head))
