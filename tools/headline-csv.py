#!/usr/bin/env python3
"""Builds docs/results/fmnist-headline.csv — README's headline table — from the committed dg tune CSVs it names
(the w = 0 and w = 2 rows of each) and the real-data floor (docs/results/fmnist-real-floor-5000.txt, its mean row),
and docs/results/fmnist-matched-compute-summary.csv — RESULTS' matched-compute answer, pair by pair — from the
"cost per sample" and "matched compute:" lines of the committed `dg tune --matched-compute` outputs (.txt).

usage: tools/headline-csv.py           (from the source tree's root) write both CSVs
       tools/headline-csv.py --check   exit 1 naming each CSV that differs from what its sources give
"""
import csv
import re
import sys

CHECK = sys.argv[1:] == ["--check"]
stale = []


def emit(path, lines):
    text = "\n".join(lines) + "\n"
    if CHECK:
        try:
            same = open(path).read() == text
        except FileNotFoundError:
            same = False
        if not same:
            stale.append(path)
    else:
        open(path, "w").write(text)
        print(text, end="")


ROWS = [  # block label, preset, the dg tune CSV of that block
    # The v3 network's last-iterate weights and their own discriminator (fmnist-score-v3-raw.pt + fmnist-disc-v3-raw.pt):
    # the base model nearest the data, listed first.
    ("v3-raw seed 0 samples 0-4999", "official", "docs/results/fmnist-v3-raw-official-5000-seed0.csv"),
    ("v3-raw seed 1 samples 0-4999", "official", "docs/results/fmnist-v3-raw-official-5000-seed1.csv"),
    # The v3 pair (resources/training/fmnist-score-v3.pt + fmnist-disc-v3.pt).
    ("v3 seed 0 samples 0-4999", "official", "docs/results/fmnist-v3-official-5000-seed0.csv"),
    ("v3 seed 1 samples 0-4999", "official", "docs/results/fmnist-v3-official-5000-seed1.csv"),
    ("seed 0 samples 0-4999", "none", "docs/results/fmnist-uncond-none-5000-regen-seed0.csv"),
    ("seed 1 samples 0-4999", "none", "docs/results/fmnist-uncond-none-5000-seed1.csv"),
    ("seed 0 samples 0-4999", "official", "docs/results/fmnist-uncond-official-5000.csv"),
    ("seed 1 samples 0-4999", "official", "docs/results/fmnist-uncond-official-5000-seed1.csv"),
    # The class-conditional network nearest the data and its own discriminator (fmnist-cond-score-v4.pt +
    # fmnist-cond-disc-v4.pt), the full official recipe; its tune CSVs hold the matched-compute row too.
    ("cond-v4 seed 0 samples 0-4999", "official+boost", "docs/results/fmnist-cond-v4-official-boost-5000-seed0.csv"),
    ("cond-v4 seed 1 samples 0-4999", "official+boost", "docs/results/fmnist-cond-v4-official-boost-5000-seed1.csv"),
    # The class-conditional pair under the full official recipe (preset + boosting).
    ("cond seed 0 samples 0-4999", "official+boost", "docs/results/fmnist-cond-official-boost-5000-seed0.csv"),
    ("cond seed 1 samples 0-4999", "official+boost", "docs/results/fmnist-cond-official-boost-5000-seed1.csv"),
]

floor = None
for line in open("docs/results/fmnist-real-floor-5000.txt"):
    if line.startswith("| mean |"):
        floor = float(re.findall(r"[\d.]+", line)[0])
out = ["block,preset,fd_w0,fd_w2,fd_change,fd_change_p05,fd_change_p95,gap_closed,floor"]
for label, preset, path in ROWS:
    try:
        # The weight rows only: a --matched-compute CSV also holds unguided rows at other step counts.
        rows = {float(r["weight"]): r for r in csv.DictReader(open(path)) if not r.get("steps")}
    except FileNotFoundError:
        continue
    w0, w2 = rows[0.0], rows[2.0]
    f0, f2 = float(w0["fd_judge"]), float(w2["fd_judge"])
    out.append(f"{label},{preset},{f0},{f2},{w2['fd_change']},{w2['fd_change_p05']},{w2['fd_change_p95']},"
               f"{(f0 - f2) / (f0 - floor):.4f},{floor}")
emit("docs/results/fmnist-headline.csv", out)

MATCHED = [  # pair, seed block, the dg tune --matched-compute output of that block
    ("v3-raw", 0, "docs/results/fmnist-v3-raw-matched-compute-official-5000-seed0.txt"),
    ("v3-raw", 1, "docs/results/fmnist-v3-raw-matched-compute-official-5000-seed1.txt"),
    ("v3", 0, "docs/results/fmnist-v3-matched-compute-churn-official-5000-seed0.txt"),
    ("v3", 1, "docs/results/fmnist-v3-matched-compute-churn-official-5000-seed1.txt"),
    ("v3 churn 5", 0, "docs/results/fmnist-v3-churn-5-dg-matched-compute-official-5000-seed0.txt"),
    ("v3 churn 5", 1, "docs/results/fmnist-v3-churn-5-dg-matched-compute-official-5000-seed1.txt"),
    ("shipped", 0, "docs/results/fmnist-matched-compute-official-5000-seed0.txt"),
    ("shipped", 1, "docs/results/fmnist-matched-compute-official-5000-seed1.txt"),
    ("cond-v4", 0, "docs/results/fmnist-cond-v4-official-boost-5000-seed0.txt"),
    ("cond-v4", 1, "docs/results/fmnist-cond-v4-official-boost-5000-seed1.txt"),
    ("cond", 0, "docs/results/fmnist-cond-matched-compute-official-boost-5000-seed0.txt"),
    ("cond", 1, "docs/results/fmnist-cond-matched-compute-official-boost-5000-seed1.txt"),
]
NUM = r"(-?[\d.]+)"
COST = re.compile(r"^cost per sample at (\d+) steps: guided .*?, " + NUM + r" ms; unguided .*?, " + NUM + " ms")
LINE = re.compile(r"^matched compute: unguided at (\d+) steps(?:, churn " + NUM + r")? \(.*?, " + NUM +
                  r" ms\) FD " + NUM + r"; DG at w = 2 FD " + NUM + r"; DG - baseline " + NUM +
                  r" \[" + NUM + ", " + NUM + r"\] \(90 % paired band\): (.*)$")
out = ["pair,seed,steps,ms_unguided,ms_dg,baseline_steps,baseline_churn,ms_baseline,fd_dg,fd_baseline,"
       "dg_minus_baseline,p05,p95,verdict"]
for pair, seed, path in MATCHED:
    try:
        lines = open(path).read().split("\n")
    except FileNotFoundError:
        continue
    cost = next((COST.match(l) for l in lines if COST.match(l)), None)
    if cost is None:
        sys.exit(f"{path}: no 'cost per sample' line (not a dg tune --matched-compute output)")
    for m in (LINE.match(l) for l in lines):
        if m:
            steps, churn, ms, fd_base, fd_dg, delta, lo, hi, verdict = m.groups()
            out.append(f"{pair},{seed},{cost.group(1)},{cost.group(3)},{cost.group(2)},{steps},{churn or ''},{ms},"
                       f"{fd_dg},{fd_base},{delta},{lo},{hi},{verdict}")
emit("docs/results/fmnist-matched-compute-summary.csv", out)
for path in stale:
    print(f"{path}: differs from what its sources give (run tools/headline-csv.py)")
sys.exit(1 if stale else 0)
