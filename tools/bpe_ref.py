#!/usr/bin/env python3
"""Reference byte-level BPE for minillm-tui, written for this project (issue 16).

Deliberately simple: the split rule as one regular expression, the pair counts
recomputed from scratch for every merge, encoding by repeatedly merging the
lowest-ranked pair. It is slow and meant to be: it states the rules of src/bpe.h
in a second, independent form, and tests/data/test_bpe.c compares the C code with
what this script wrote into tests/fixtures/ merge by merge. Python 3 standard
library only; the test suite never runs it.

  python3 tools/bpe_ref.py fixture INPUT --merges N --probe TEXT --out FILE.json
      learn N merges on the bytes of INPUT (one text) and write them, their counts,
      the ids of INPUT and of TEXT encoded with them (the test fixture)
  python3 tools/bpe_ref.py compare INPUT TOKENIZER
      learn as many merges as the C tokenizer file has on INPUT (a .txt: one text;
      a .tsv: its `sentence` column) and report the first merge that differs
"""
import argparse
import collections
import json
import re
import sys

SPLIT_NAME = "gpt2-like/1"

# Byte classes of the split rule (src/bpe.h): letters (ASCII and every byte >= 0x80),
# digits, space bytes, and everything else.
_L = rb"A-Za-z\x80-\xff"
_D = rb"0-9"
_S = rb" \t\n\x0b\x0c\r"
# In order: a space then letters, digits or other bytes (the space optional); a run
# of space bytes that leaves its last ' ' to the text after it; any run of spaces.
PIECE = re.compile(
    rb" ?[" + _L + rb"]+"
    + rb"| ?[" + _D + rb"]+"
    + rb"| ?[^" + _L + _D + _S + rb"]+"
    + rb"|[" + _S + rb"]+(?= [^" + _S + rb"])"
    + rb"|[" + _S + rb"]+"
)


def pieces(text: bytes):
    found = PIECE.findall(text)
    assert b"".join(found) == text, "the split must give the text back"
    return found


def merge(symbols, pair, new_id):
    """Every occurrence of pair, left to right, not overlapping."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn(texts, num_merges):
    """Merges [(left, right)] and their counts, greedily by pair count; ties go to the
    smallest (left, right); stops when no pair occurs twice."""
    words = collections.Counter()
    for text in texts:
        words.update(pieces(text))
    words = [(list(w), count) for w, count in words.items()]
    merges, counts = [], []
    for i in range(num_merges):
        stats = collections.Counter()
        for symbols, count in words:
            for pair in zip(symbols, symbols[1:]):
                stats[pair] += count
        if not stats:
            break
        best = max(stats, key=lambda p: (stats[p], -p[0], -p[1]))
        if stats[best] < 2:
            break
        words = [(merge(symbols, best, 256 + i), count) for symbols, count in words]
        merges.append(best)
        counts.append(stats[best])
    return merges, counts


def encode(text: bytes, merges):
    ranks = {pair: i for i, pair in enumerate(merges)}
    ids = []
    for piece in pieces(text):
        symbols = list(piece)
        while len(symbols) >= 2:
            pair = min(zip(symbols, symbols[1:]), key=lambda p: ranks.get(p, len(ranks)))
            if pair not in ranks:
                break
            symbols = merge(symbols, pair, 256 + ranks[pair])
        ids.extend(symbols)
    return ids


def read_texts(path):
    if not path.endswith(".tsv"):
        with open(path, "rb") as f:
            return [f.read()]
    with open(path, "rb") as f:
        lines = [line.removesuffix(b"\r") for line in f.read().split(b"\n")]
    column = lines[0].split(b"\t").index(b"sentence")
    return [line.split(b"\t")[column] for line in lines[1:] if line.strip()]


def cmd_fixture(args):
    with open(args.input, "rb") as f:
        text = f.read()
    merges, counts = learn([text], args.merges)
    probe = args.probe.encode("utf-8")
    out = {
        "about": "written by tools/bpe_ref.py fixture; the C test learns on the same input "
                 "and compares merge by merge",
        "input": args.input.split("/")[-1],
        "split": SPLIT_NAME,
        "merges_asked": args.merges,
        "merges": [list(m) for m in merges],
        "counts": counts,
        "input_ids": encode(text, merges),
        "probe": args.probe,
        "probe_ids": encode(probe, merges),
    }
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"{args.out}: {len(merges)} merges ({args.merges} asked), "
          f"{len(out['input_ids'])} ids for {len(text)} bytes")


def cmd_compare(args):
    with open(args.tokenizer) as f:
        tok = json.load(f)
    if tok.get("split") != SPLIT_NAME:
        sys.exit(f"{args.tokenizer}: split {tok.get('split')!r}, this script knows {SPLIT_NAME}")
    theirs = [tuple(m) for m in tok["merges"]]
    merges, counts = learn(read_texts(args.input), len(theirs))
    for i, (mine, other) in enumerate(zip(merges, theirs)):
        if mine != other or counts[i] != tok["counts"][i]:
            sys.exit(f"merge {i} differs: reference {mine} count {counts[i]}, "
                     f"{args.tokenizer} {other} count {tok['counts'][i]}")
    if len(merges) != len(theirs):
        sys.exit(f"reference learned {len(merges)} merges, {args.tokenizer} has {len(theirs)}")
    print(f"{len(merges)} merges identical, counts included")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fixture", help="write the test fixture")
    p.add_argument("input")
    p.add_argument("--merges", type=int, required=True)
    p.add_argument("--probe", required=True, help="a text to encode with the merges")
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_fixture)
    p = sub.add_parser("compare", help="compare a C tokenizer file with the reference")
    p.add_argument("input")
    p.add_argument("tokenizer")
    p.set_defaults(run=cmd_compare)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
