#!/usr/bin/env python3
"""Closing line of the test run: counts every Criterion test case from meson's
test log (TAP output of each suite), as 'Tests: N passed, N failed, N skipped'.
Exits 1 when a case or a suite failed, or when no test ran."""
import json
import re
import sys

passed = failed = skipped = 0
suite_failed = False
with open(sys.argv[1]) as f:
    for line in f:
        entry = json.loads(line)
        out = entry.get("stdout") or ""
        tap = [l for l in out.splitlines() if re.match(r"(not )?ok\b", l)]
        if entry.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL"):
            suite_failed = True
        if not tap:
            if entry.get("result") == "OK":
                passed += 1
            elif entry.get("result") == "SKIP":
                skipped += 1
            else:
                failed += 1
            continue
        for l in tap:
            if l.startswith("not ok"):
                failed += 1
            elif re.search(r"#\s*skip", l, re.I):
                skipped += 1
            else:
                passed += 1
print(f"Tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or suite_failed or passed == 0 else 0)
