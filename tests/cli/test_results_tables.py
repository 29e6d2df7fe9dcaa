#!/usr/bin/env python3
"""ResultsTablesTest (CTest): every table of README.md and docs/RESULTS.md announced as coming from a committed CSV
(tools/results-tables.py) matches that CSV cell by cell, and the check does fail on a number that drifted; the two
CSVs derived from other results (tools/headline-csv.py: the headline, the matched-compute summary) are what their
sources give, and a changed source is caught.

usage: test_results_tables.py SOURCE_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

root = sys.argv[1]
tool = os.path.join(root, "tools", "results-tables.py")
failures = []


def check(ok, what):
    print(("PASS  " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*paths):
    return subprocess.run([sys.executable, tool, "check", *paths], capture_output=True, text=True)


for name in ("README.md", os.path.join("docs", "RESULTS.md")):
    r = run(os.path.join(root, name))
    counted = re.search(r"(\d+) cells checked", r.stdout)
    check(r.returncode == 0 and counted and int(counted.group(1)) > 0,
          f"{name}: its CSV tables match ({r.stdout.strip()[-300:]})")

# A drifted number is caught, naming the line: change the first checked FD cell of RESULTS by 0.01.
text = open(os.path.join(root, "docs", "RESULTS.md")).read().split("\n")
mark = next(i for i, l in enumerate(text) if l.startswith("<!-- csv "))
row = mark + 3
cells = text[row].split("|")
cells[2] = re.sub(r"\d+\.\d+", lambda m: f"{float(m.group(0)) + 0.01:.3f}", cells[2], count=1)
text[row] = "|".join(cells)
with tempfile.TemporaryDirectory() as d:
    doctored = os.path.join(d, "RESULTS.md")
    open(doctored, "w").write("\n".join(text))
    r = run(doctored)
    check(r.returncode == 1 and f"RESULTS.md:{row + 1}:" in r.stdout and "1 differ" in r.stdout,
          f"a number off by 0.01 fails the check, naming its line ({r.stdout.strip()[:300]})")
# The derived CSVs are current; after a source's verdict line changes, --check names the stale CSV.
derive = os.path.join(root, "tools", "headline-csv.py")
r = subprocess.run([sys.executable, derive, "--check"], cwd=root, capture_output=True, text=True)
check(r.returncode == 0, f"the headline and matched-compute summary CSVs match their sources ({r.stdout.strip()[:300]})")
with tempfile.TemporaryDirectory() as d:
    shutil.copytree(os.path.join(root, "docs", "results"), os.path.join(d, "docs", "results"))
    source = os.path.join(d, "docs", "results", "fmnist-cond-matched-compute-official-boost-5000-seed1.txt")
    text = open(source).read()
    changed = text.replace("DG - baseline -0.336", "DG - baseline -0.436")
    check(changed != text, "the matched-compute source to doctor holds its verdict line")
    open(source, "w").write(changed)
    r = subprocess.run([sys.executable, derive, "--check"], cwd=d, capture_output=True, text=True)
    check(r.returncode == 1 and "fmnist-matched-compute-summary.csv" in r.stdout
          and "fmnist-headline.csv" not in r.stdout,
          f"a changed verdict line makes only the summary CSV stale ({r.stdout.strip()[:300]})")
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
