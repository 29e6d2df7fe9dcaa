#!/usr/bin/python3
"""RealFloorTest (CTest): dg eval --real-floor scores disjoint blocks of real Fashion-MNIST training images like
samples (the floor of every metric), and refuses what it cannot do with one line.

usage: test_real_floor.py DG_CLI
"""

import os
import subprocess
import sys

failures = []


def check(ok, what):
    print(("PASS  " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*args):
    return subprocess.run([sys.argv[1], "eval", *args], capture_output=True, text=True,
                          env=dict(os.environ, DG_NUM_THREADS="1"))


r = run("--real-floor", "3", "--count", "300", "--classifier", "none")
rows = [l.strip("| ").split(" | ") for l in r.stdout.splitlines() if l.startswith("| ")]
blocks = [row for row in rows if " ... " in row[0]]
check(r.returncode == 0 and len(blocks) == 3, f"three blocks scored ({r.stderr.strip()[-200:]})")
if len(blocks) == 3:
    check([b[0] for b in blocks] == ["0 ... 299", "300 ... 599", "600 ... 899"], "the blocks are disjoint ranges")
    fds = [float(b[1]) for b in blocks]
    mean = [row for row in rows if row[0] == "mean"]
    check(all(0 < f < 20 for f in fds), f"real images score a small positive FD at 300 per block ({fds})")
    check(len(set(fds)) == 3, "each block scores its own FD (different images)")
    check(mean and abs(float(mean[0][1]) - sum(fds) / 3) < 0.01 * max(fds),
          f"the mean row is the blocks' mean ({mean[0][1] if mean else None})")
    check(any(row[0] == "s.d." for row in rows), "a standard deviation row follows")
r2 = run("--real-floor", "3", "--count", "300", "--classifier", "none")
check(r2.stdout == r.stdout, "the same blocks score the same numbers again (a fixed order)")
r3 = run("--real-floor", "3", "--count", "300", "--classifier", "none", "--seed", "1")
check(r3.returncode == 0 and r3.stdout != r.stdout, "another --seed draws other blocks")
for args, needle, what in ((["--real-floor", "13", "--count", "5000"], "60,000", "more images than the training set"),
                           (["--real-floor", "2", "--denoiser", "builtin:fmnist"], "not with --denoiser",
                            "a denoiser as well"),
                           (["--real-floor", "0"], "--real-floor", "zero blocks")):
    r = run(*args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode == 2 and len(lines) == 1 and needle in lines[0], f"refused: {what} ({r.stderr.strip()[:160]})")
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
