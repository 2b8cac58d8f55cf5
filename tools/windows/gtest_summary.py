#!/usr/bin/env python3
"""gtest_summary.py - compare GoogleTest JSON reports of the Wine run and the native run.

Usage: gtest_summary.py RESULTS_DIR
RESULTS_DIR holds <program>.wine.json / <program>.wine.rc and, when the native build has the same
program, <program>.native.json / <program>.native.rc.  A program that exited non-zero without a
report (crash, timeout) counts as one failed test named "<program>.<crashed rc=N>".
Prints per-program counts, the totals of both sides and every test whose outcome differs, and
exits 1 if anything failed under Wine or the two sides ran different test sets.
"""
import json
import pathlib
import sys


def load(results, prog, side):
    """Returns {test_name: "passed"|"failed"|"skipped"} or None if this side did not run."""
    rc_file = results / f"{prog}.{side}.rc"
    if not rc_file.exists():
        return None
    rc = rc_file.read_text().strip()
    out = {}
    report = results / f"{prog}.{side}.json"
    if report.exists():
        try:
            data = json.loads(report.read_text(encoding="utf-8", errors="replace"))
        except ValueError:
            data = {"testsuites": []}
        for suite in data.get("testsuites", []):
            for case in suite.get("testsuite", []):
                name = f"{suite['name']}.{case['name']}"
                if case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
                    out[name] = "skipped"
                elif case.get("failures"):
                    out[name] = "failed"
                else:
                    out[name] = "passed"
    if rc != "0" and not any(v == "failed" for v in out.values()):
        out[f"{prog}.<exit rc={rc}>"] = "failed"
    return out


def count(d):
    return {k: sum(1 for v in d.values() if v == k) for k in ("passed", "failed", "skipped")}


def main():
    results = pathlib.Path(sys.argv[1])
    progs = sorted({p.name.split(".")[0] for p in results.glob("*.wine.rc")})
    tot = {"wine": {"passed": 0, "failed": 0, "skipped": 0},
           "native": {"passed": 0, "failed": 0, "skipped": 0}}
    native_seen = False
    differences = []
    for prog in progs:
        wine = load(results, prog, "wine") or {}
        native = load(results, prog, "native")
        cw = count(wine)
        for k in cw:
            tot["wine"][k] += cw[k]
        line = f"  {prog:<28} wine {cw['passed']:4d} passed {cw['failed']:3d} failed {cw['skipped']:3d} skipped"
        if native is not None:
            native_seen = True
            cn = count(native)
            for k in cn:
                tot["native"][k] += cn[k]
            line += f" | native {cn['passed']:4d} passed {cn['failed']:3d} failed {cn['skipped']:3d} skipped"
            for name in sorted(set(wine) | set(native)):
                a, b = wine.get(name, "absent"), native.get(name, "absent")
                if a != b:
                    differences.append(f"    {name}: wine {a}, native {b}")
        else:
            line += " | native: not built"
        print(line)
        for name, v in sorted(wine.items()):
            if v == "failed":
                print(f"    FAILED under Wine: {name}")
    w, n = tot["wine"], tot["native"]
    print(f"Windows (Wine): {w['passed']} passed, {w['failed']} failed, {w['skipped']} skipped "
          f"({len(progs)} programs)")
    if native_seen:
        print(f"Native (same programs): {n['passed']} passed, {n['failed']} failed, {n['skipped']} skipped")
    else:
        print("Native (same programs): no native build found to compare with")
    if differences:
        print(f"Outcome differs between Wine and native for {len(differences)} tests:")
        print("\n".join(differences))
    return 1 if (w["failed"] or differences or not progs) else 0


if __name__ == "__main__":
    sys.exit(main())
