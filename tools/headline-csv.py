#!/usr/bin/env python3
"""Builds docs/results/fmnist-headline.csv — README's headline table — from the committed dg tune CSVs it names
(the w = 0 and w = 2 rows of each) and the real-data floor (docs/results/fmnist-real-floor-5000.txt, its mean row).

usage: tools/headline-csv.py   (from the source tree's root)
"""
import csv
import re

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
open("docs/results/fmnist-headline.csv", "w").write("\n".join(out) + "\n")
print("\n".join(out))
