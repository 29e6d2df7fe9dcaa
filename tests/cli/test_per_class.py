#!/usr/bin/python3
"""PerClassTest (CTest): dg eval --per-class scores each Fashion-MNIST class of a class-conditional run against the
test images of that class, alike whether the samples are drawn here or read with the labels beside them, and
refuses what it cannot do with one line naming the flag.

usage: test_per_class.py DG_CLI
"""

import os
import subprocess
import sys
import tempfile

import torch

failures = []


def check(ok, what):
    print(("PASS  " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*args):
    return subprocess.run([sys.argv[1], *args], capture_output=True, text=True,
                          env=dict(os.environ, DG_NUM_THREADS="1"))


def class_rows(stdout):
    rows = [l.strip("| ").split(" | ") for l in stdout.splitlines() if l.startswith("| ")]
    return [r for r in rows if r[0][:1].isdigit() and len(r) == 8]


model = ["--denoiser", "builtin:fmnist-cond", "--steps", "4", "--classifier", "none"]
with tempfile.TemporaryDirectory() as d:
    r = run("eval", *model, "--class", "all", "--count", "100", "--per-class")
    rows = class_rows(r.stdout)
    check(r.returncode == 0 and len(rows) == 10, f"ten class rows ({r.stderr.strip()[-200:]})")
    if len(rows) == 10:
        check([row[0] for row in rows][:2] == ["0 T-shirt/top", "1 Trouser"], "classes in order, named")
        check(all(row[1] == "10" and row[2] == "1000" for row in rows), "10 samples and 1000 test images per class")
        check(all(float(row[3]) > 0 for row in rows), "every class scores a positive FD")
        check(len({row[3] for row in rows}) == 10, "each class its own FD")
    # The same samples read from a file with the labels gen-fakes would write beside it: the same table.
    samples = os.path.join(d, "s.pt")
    r2 = run("sample", *model[:4], "--class", "all", "--count", "100", "--out", samples, "--quiet")
    check(r2.returncode == 0, f"sampled ({r2.stderr.strip()[-200:]})")
    torch.save(torch.arange(100) % 10, os.path.join(d, "s.labels.pt"))
    r3 = run("eval", "--samples", samples, "--classifier", "none", "--per-class")
    check(r3.returncode == 0 and class_rows(r3.stdout) == rows,
          f"--samples with FILE.labels.pt scores the same per-class table ({r3.stderr.strip()[-200:]})")
    os.remove(os.path.join(d, "s.labels.pt"))
    for args, needle, what in ((["eval", "--denoiser", "builtin:fmnist", "--count", "20", "--per-class"],
                                "--per-class: needs classes", "no classes"),
                               (["eval", "--samples", samples, "--per-class"], "s.labels.pt", "no labels file"),
                               (["eval", "--real-floor", "2", "--count", "100", "--per-class"], "--per-class",
                                "with --real-floor")):
        r = run(*args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and lines and needle in lines[-1] and "error" in lines[-1],
              f"refused: {what} ({r.stderr.strip()[-160:]})")
print(f"{len(failures)} failed" if failures else "all passed")
sys.exit(1 if failures else 0)
