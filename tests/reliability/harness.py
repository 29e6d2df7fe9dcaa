#!/usr/bin/python3
"""Reliability harness (docs/RELIABILITY.md): bad inputs and faults against dg, dg-studio and dg-lab.

Every case runs a real command on files written here (torch.save tensors, torch.jit.save models, checkpoints from
dg itself, damaged copies) and classifies what happened:
  clean        the expected outcome: a one-line error naming the file/flag with the right exit code, or, for inputs
               that are valid, the right result
  crash        killed by a signal, or an abort/terminate message
  hang         did not finish within the case's time limit (or ignored SIGINT/SIGTERM)
  silent wrong exit 0 (or a result) where the input is bad, or a wrong result
  data lost    a file that must survive (a checkpoint, an earlier output) changed or vanished
  unclear      an error, but several lines, a backtrace, "internal error" or no name of the file/flag
Run: /usr/bin/python3 tests/reliability/harness.py --build build [--markdown table.md] [--only PATTERN]
Exit status 0 only when every case is clean.
"""
import argparse
import collections
import hashlib
import os
import random
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# ‹id›: a backend field id no front end renamed to its own control or flag (docs/ARCHITECTURE.md §3); dg-studio's
# labels use › as a separator ("Guidance › Weight w"), which is fine.
BAD_TEXT = re.compile(r"internal error|c10::|frame #|Exception raised from|terminate called|Traceback|"
                      r"what\(\)|std::|Segmentation|core dumped|\u2039[a-z0-9-]+\u203a")


class Case:
    def __init__(self, cls, name, argv, expect="error", rc=None, names=None, timeout=60, post=None, env=None,
                 interrupt=None, limit_fsize=None, gui=False, setup=None):
        self.cls, self.name, self.argv, self.expect = cls, name, argv, expect
        self.rc = rc if rc is not None else ({1, 2} if expect == "error" else {0})
        self.names, self.timeout, self.post, self.env = names, timeout, post, env
        self.interrupt, self.limit_fsize, self.gui, self.setup = interrupt, limit_fsize, gui, setup


def sha(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Harness:
    def __init__(self, build, work):
        self.dg = os.path.join(build, "bin", "dg")
        self.studio = os.path.join(build, "bin", "dg-studio")
        self.lab = os.path.join(build, "bin", "dg-lab")
        self.w = work
        self.cases = []
        self.env = dict(os.environ, DG_NUM_THREADS="1", XDG_CONFIG_HOME=os.path.join(work, "config"),
                        XDG_RUNTIME_DIR=os.path.join(work, "runtime"))
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)

    def p(self, name):
        return os.path.join(self.w, name)

    def add(self, *a, **k):
        self.cases.append(Case(*a, **k))

    def run_dg(self, *args, check=True):
        r = subprocess.run([self.dg, *args], env=self.env, capture_output=True, text=True, timeout=600)
        if check and r.returncode != 0:
            raise RuntimeError("fixture failed: dg %s: %s" % (" ".join(args), r.stderr[-500:]))
        return r

    # ------------------------------------------------------------------ classification
    def classify(self, c):
        if c.setup:
            c.setup()
        argv = [self.dg if a == "DG" else self.studio if a == "STUDIO" else self.lab if a == "LAB" else a
                for a in c.argv]
        if c.gui:
            argv = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24"] + argv
        env = dict(self.env, **(c.env or {}))

        def pre():
            os.setsid()
            if c.limit_fsize:
                import resource
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (c.limit_fsize, c.limit_fsize))

        start = time.time()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=pre, cwd=self.w)
        try:
            early = ""
            if c.interrupt:
                sig, after = c.interrupt[:2]
                if len(c.interrupt) > 2: # (signal, seconds, text): the seconds count from stderr's first line with text
                    while c.interrupt[2] not in early and proc.poll() is None and time.time() - start < c.timeout:
                        early += proc.stderr.readline()
                time.sleep(after)
                if proc.poll() is None:
                    os.killpg(proc.pid, sig)
                else:
                    proc.communicate()
                    return "harness bug", "the job ended before the signal at %.1f s (make it longer)" % after
            out, err = proc.communicate(timeout=c.timeout)
            err = early + err
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return "hang", "no exit within %d s" % c.timeout
        seconds = time.time() - start
        rc = proc.returncode
        lines = [l for l in err.splitlines() if l.strip() and not l.startswith("  ")
                 and not re.match(r"^dg [a-z-]+: (toy|fmnist|[0-9]+ samples|.* -> )", l)]
        if c.expect == "killed" and rc == -signal.SIGKILL:
            verdict = c.post(rc, out, err) if c.post else None
            return verdict or ("clean", "killed; the checkpoint loads")
        if rc < 0 or (rc >= 128 and rc != 130) or re.search(r"terminate called|Segmentation|Aborted", err):
            return "crash", "exit %d: %s" % (rc, err.strip()[-200:])
        if c.post:
            verdict = c.post(rc, out, err)
            if verdict:
                return verdict
        if c.expect == "error":
            if rc == 0:
                return "silent wrong", "exit 0: " + (out.strip() or err.strip())[-160:]
            last = lines[-1] if lines else ""
            error_lines = [l for l in lines if ": error:" in l or l.startswith(("dg-studio:", "dg-lab:"))]
            if rc not in c.rc:
                return "unclear", "exit %d (expected %s): %s" % (rc, sorted(c.rc), last[:160])
            if len(error_lines) != 1 or BAD_TEXT.search(err):
                return "unclear", "not one clean line: " + err.strip()[-200:]
            if "unexpected argument" in error_lines[0]:  # the case's own command line is malformed
                return "harness bug", error_lines[0][:170]
            if c.names and not any(n in error_lines[0] for n in c.names):
                return "unclear", "does not name %s: %s" % (c.names, error_lines[0][:160])
            return "clean", error_lines[0][:170]
        if rc not in c.rc:
            return "silent wrong" if rc == 0 else "unclear", "exit %d: %s" % (rc, err.strip()[-200:])
        return "clean", "exit %d in %.1f s%s" % (rc, seconds, (": " + lines[-1][:120]) if lines else "")


# ---------------------------------------------------------------------- fixtures
def tensor_file(path, t):
    torch.save(t, path)
    return path


def rewrite_pickle(src, dst, old, new):
    z = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
        for n in z.namelist():
            data = z.read(n)
            if n.endswith("data.pkl"):
                assert old in data, (old, data)
                data = data.replace(old, new)
            out.writestr(n, data)
    return dst


def damaged(src, dst, how, rng):
    b = bytearray(open(src, "rb").read())
    if how.startswith("truncate"):
        frac = float(how.split(":")[1])
        b = b[: int(len(b) * frac)]
    elif how.startswith("flip"):
        # inside the stored records (a flip in a zip header's alignment padding changes nothing that is read)
        z = zipfile.ZipFile(src)
        spans = []
        for info in z.infolist():
            n, e = struct.unpack("<HH", bytes(b[info.header_offset + 26: info.header_offset + 30]))
            start = info.header_offset + 30 + n + e
            spans += range(start, start + info.compress_size)
        pos = spans[int(len(spans) * float(how.split(":")[1]))]
        b[pos] ^= 0x20
    elif how == "zero-middle":
        for i in range(len(b) // 2, min(len(b), len(b) // 2 + 64)):
            b[i] = 0
    elif how == "empty":
        b = b""
    elif how == "garbage":
        b = bytes(rng.getrandbits(8) for _ in range(4096))
    open(dst, "wb").write(bytes(b))
    return dst


class Mod(torch.nn.Module):
    pass


def script(path, src, shape=(2,), cls_cond=False, description="harness model", shape_decl=None, args=None,
           returns="torch.Tensor"):
    """Writes a TorchScript module whose forward body is src (x, sigma[, class_labels] in scope)."""
    ns = {}
    if args is None:
        args = "self, x: torch.Tensor, sigma: torch.Tensor" + (", class_labels: torch.Tensor" if cls_cond else "")
    decl = shape_decl or "self.sample_shape: List[int] = %r" % (list(shape),)
    code = "import torch\nfrom typing import List, Tuple\nclass M(torch.nn.Module):\n" \
           "    def __init__(self):\n        super().__init__()\n" \
           "        %s\n        self.description = %r\n" \
           "    def forward(%s) -> %s:\n%s\n" % (decl, description, args, returns,
                                                "\n".join("        " + l for l in src.splitlines()))
    fn = os.path.join(os.path.dirname(path), "_m_%d.py" % abs(hash(path)))
    open(fn, "w").write(code)
    exec(compile(code, fn, "exec"), ns)
    m = torch.jit.script(ns["M"]())
    torch.jit.save(m, path)
    return path


# ---------------------------------------------------------------------- the cases
def build_cases(h, quick_models):
    rng = random.Random(7)
    P = h.p
    T = "builtin:ring8-model"
    out = P("out.pt")

    def sample(*extra, **k):
        return ["DG", "sample", "--denoiser", T, "--count", "8", "--out", out, "--quiet", *extra]

    # ---- shared fixtures
    ok_noise = tensor_file(P("noise.pt"), torch.randn(8, 2))
    tensor_file(P("fakes.pt"), (torch.rand(600, 2) * 2 - 1))
    tensor_file(P("img_fakes.pt"), (torch.rand(40, 1, 28, 28) * 2 - 1))
    tensor_file(P("labels64.pt"), torch.arange(40) % 10)
    base = tensor_file(P("base23.pt"), torch.zeros(2, 3))
    h.run_dg("train-score", "--data", "toy:ring8", "--iterations", "60", "--checkpoint", P("score.pt"))
    h.run_dg("train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"), "--epochs", "2", "--checkpoint",
             P("disc.pt"))
    good_ts = script(P("ts_ok.pt"), "return x / (1.0 + sigma.reshape(-1, 1) ** 2)")
    good_disc = script(P("ts_disc.pt"), "return -(x * x).sum(1) / (1.0 + sigma * sigma)")

    # ==== A. tensor files (noise, samples, fakes, labels)
    cls = "tensor files"
    shape_cases = {
        "declared shape 1e5 x 1e5 over 6 values": (b"K\x02K\x03\x86", b"J\xa0\x86\x01\x00J\xa0\x86\x01\x00\x86"),
        "declared shape 2 x 64 over 6 values": (b"K\x02K\x03\x86", b"K\x02K\x40\x86"),
        "negative dimension": (b"K\x02K\x03\x86", b"K\x02J\xff\xff\xff\xff\x86"),
        "negative stride": (b"K\x03K\x01\x86", b"K\x03J\xff\xff\xff\xff\x86"),
        "storage offset past the end": (b"QK\x00K\x02", b"QK\x05K\x02"),
        "storage numel lies (larger)": (b"K\x06tq", b"K\x40tq"),
        "storage numel lies (smaller)": (b"K\x06tq", b"K\x02tq"),
        "shape overflows int64": (b"K\x02K\x03\x86", b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x3fK\x03\x86"),
    }
    for what, (old, new) in shape_cases.items():
        f = rewrite_pickle(base, P("crafted_%d.pt" % len(h.cases)), old, new)
        h.add(cls, "noise: " + what, ["DG", "sample", "--denoiser", T, "--noise", f, "--out", out, "--quiet"],
              names=[os.path.basename(f)])
    evil = rewrite_pickle(base, P("evil.pt"), b"ctorch._utils\n_rebuild_tensor_v2\n", b"cos\nsystem\n")
    h.add(cls, "pickle calling os.system", ["DG", "sample", "--denoiser", T, "--noise", evil, "--out", out],
          names=["evil.pt"])
    legacy = P("legacy.pt")
    torch.save(torch.randn(4, 2), legacy, _use_new_zipfile_serialization=False)
    h.add(cls, "legacy (non-zip) torch.save", ["DG", "sample", "--denoiser", T, "--noise", legacy, "--out", out],
          names=["legacy.pt"])
    for i, how in enumerate(["truncate:0.1", "truncate:0.5", "truncate:0.9", "truncate:0.99", "flip:0.3",
                             "flip:0.6", "flip:0.8", "zero-middle", "empty", "garbage"]):
        f = damaged(ok_noise, P("noise_dmg%d.pt" % i), how, rng)
        h.add(cls, "noise file damaged: " + how, ["DG", "sample", "--denoiser", T, "--noise", f, "--out", out],
              names=[os.path.basename(f)])
    open(P("text.pt"), "w").write("this is not a tensor\n")
    os.mkfifo(P("fifo.pt"))
    specials = {"missing file": P("nope.pt"), "a directory": h.w, "/dev/zero": "/dev/zero",
                "/dev/null": "/dev/null", "a FIFO": P("fifo.pt"), "a text file": P("text.pt"),
                "a checkpoint instead of a tensor": P("score.pt")}
    for what, f in specials.items():
        h.add(cls, "noise is " + what, ["DG", "sample", "--denoiser", T, "--noise", f, "--out", out], timeout=20,
              names=[os.path.basename(f.rstrip("/")) or f])
    values = {
        "NaN": torch.full((4, 2), float("nan")), "Inf": torch.full((4, 2), float("inf")),
        "values 1e30": torch.full((4, 2), 1e30), "values 50 (not standard normal)": torch.full((4, 2), 50.0),
        "1-D tensor": torch.randn(8), "0-d tensor": torch.tensor(1.0), "empty batch [0, 2]": torch.zeros(0, 2),
        "empty sample dim [4, 0]": torch.zeros(4, 0), "int64 tensor": torch.ones(4, 2, dtype=torch.long),
        "bool tensor": torch.ones(4, 2, dtype=torch.bool), "complex tensor": torch.zeros(4, 2, dtype=torch.cfloat),
        "wrong sample shape [4, 3]": torch.randn(4, 3), "a dict of tensors": {"x": torch.randn(4, 2)},
        "a list of tensors": [torch.randn(4, 2)], "a tuple": (torch.randn(4, 2), 1), "a Python int": 5,
        "a string": "noise",
    }
    for what, v in values.items():
        f = P("val_%d.pt" % len(h.cases))
        torch.save(v, f)
        h.add(cls, "noise holds " + what, ["DG", "sample", "--denoiser", T, "--noise", f, "--out", out],
              names=[os.path.basename(f), "--noise"])
    f = P("noise_f16.pt")
    torch.save(torch.randn(4, 2).half(), f)
    h.add(cls, "float16 noise is accepted", ["DG", "sample", "--denoiser", T, "--noise", f, "--out", out], expect="ok")
    f = P("noise_view.pt")
    torch.save(torch.randn(4, 4)[:, 1:3], f)
    h.add(cls, "non-contiguous view is read right", ["DG", "sample", "--denoiser", T, "--noise", f, "--out", out],
          expect="ok")
    for what, v in {"NaN": float("nan"), "1e20 (scaled)": 1e20, "5000 (far outside the data range)": 5000.0}.items():
        f = P("fk_%d.pt" % len(h.cases))
        t = torch.rand(600, 2)
        t[3, 1] = v
        torch.save(t, f)
        h.add(cls, "fakes hold " + what, ["DG", "train-disc", "--data", "toy:ring8", "--fakes", f, "--epochs", "1",
                                          "--checkpoint", P("d_%d.pt" % len(h.cases))], names=[os.path.basename(f)])
    for what, v in {"NaN samples": torch.full((20, 2), float("nan")), "3-D samples [20, 2, 2]": torch.randn(20, 2, 2),
                    "images of the wrong size": torch.zeros(20, 1, 14, 14), "9 images": torch.zeros(9, 1, 28, 28)}.items():
        f = P("ev_%d.pt" % len(h.cases))
        torch.save(v, f)
        h.add(cls, "eval: " + what, ["DG", "eval", "--samples", f, "--toy", "ring8"]
              if v.dim() == 2 or v.dim() == 3 else ["DG", "eval", "--samples", f], names=[os.path.basename(f), "--samples"])
    labels = {
        "int64 [N] (Python's natural format)": (torch.arange(40) % 10, "ok"),
        "float [N] of whole numbers": ((torch.arange(40) % 10).float(), "ok"),
        "fractions": (torch.full((40,), 0.5), "error"), "negative": (torch.full((40,), -1), "error"),
        "class 10": (torch.full((40,), 10), "error"), "too few": (torch.zeros(39, dtype=torch.long), "error"),
        "bool": (torch.ones(40, dtype=torch.bool), "error"), "NaN": (torch.full((40,), float("nan")), "error"),
        "huge 1e18": (torch.full((40,), 1e18), "error"), "a dict": ({"y": torch.zeros(40)}, "error"),
    }
    for what, (v, expect) in labels.items():
        f = P("lab_%d.pt" % len(h.cases))
        torch.save(v, f)
        h.add(cls, "fake labels: " + what,
              ["DG", "train-disc", "--data", "fmnist", "--class-conditional", "--fakes", P("img_fakes.pt"),
               "--fake-labels", f, "--features", os.path.join(ROOT, "resources/models/fmnist-classifier.pt"),
               "--epochs", "1", "--batch", "8", "--checkpoint", P("cd_%d.pt" % len(h.cases))],
              expect=expect, names=[os.path.basename(f), "--fake-labels"], timeout=120)
    return rng


def build_model_cases(h):
    P = h.p
    out = P("out.pt")
    cls = "models (TorchScript)"

    def den(f, *extra):
        return ["DG", "sample", "--denoiser", f, "--count", "4", "--out", out, "--quiet", *extra]

    def disc(f, *extra):
        return ["DG", "sample", "--denoiser", "builtin:ring8-model", "--discriminator", f, "--dg-weight", "1",
                "--count", "4", "--out", out, "--quiet", *extra]

    models = {
        "sample_shape []": dict(src="return x", shape=()),
        "sample_shape [0]": dict(src="return x", shape=(0,)),
        "sample_shape [-1]": dict(src="return x", shape=(-1,)),
        "sample_shape [100000, 100000]": dict(src="return x", shape=(100000, 100000)),
        "sample_shape of 5 dimensions": dict(src="return x", shape=(1, 1, 1, 1, 2)),
        "sample_shape a string": dict(src="return x", shape_decl="self.sample_shape = 'two'"),
        "sample_shape a float list": dict(src="return x", shape_decl="self.sample_shape: List[float] = [2.0]"),
        "forward takes one argument": dict(src="return x", args="self, x: torch.Tensor"),
        "forward takes four arguments": dict(src="return x", args="self, x: torch.Tensor, s: torch.Tensor, "
                                                                  "a: torch.Tensor, b: torch.Tensor"),
        "forward takes a float sigma": dict(src="return x", args="self, x: torch.Tensor, sigma: float"),
        "forward returns a tuple": dict(src="return (x, x)", returns="Tuple[torch.Tensor, torch.Tensor]"),
        "forward returns the wrong shape": dict(src="return x[:, :1]"),
        "forward returns an int tensor": dict(src="return x.long()"),
        "forward raises its own error": dict(src="raise RuntimeError('my model is broken: weights missing')"),
        "forward returns NaN": dict(src="return x * float('nan')"),
        "forward returns 1e30": dict(src="return x * 0 + 1e30"),
        "forward returns Inf at small sigma": dict(src="return torch.where(sigma.reshape(-1, 1) < 1.0, "
                                                       "x * float('inf'), x * 0)"),
        "class-conditional model without --class": dict(src="return x", cls_cond=True),
    }
    names = {}
    for what, spec in models.items():
        f = P("model_%d.pt" % len(names))
        names[what] = f
        try:
            script(f, **spec)
        except Exception as e:  # a layout TorchScript itself refuses cannot be written: not a case
            print("  (skipped model '%s': %s)" % (what, str(e).splitlines()[0]))
            continue
        expect_name = {"forward raises its own error": ["my model is broken"]}.get(what, [os.path.basename(f)])
        h.add(cls, "denoiser: " + what, den(f), names=expect_name)
    discs = {
        "logit not differentiable (detached)": "return (x.detach() * 0).sum(1)",
        "logit ignores x": "return sigma * 0 + 1.0",
        "logit NaN": "return x.sum(1) * float('nan')",
        "gradient 1e30": "return x.sum(1) * 1e30",
        "returns [N, 2]": "return x",
        "raises its own error": "raise RuntimeError('discriminator exploded')",
    }
    for what, src in discs.items():
        f = P("disc_%d.pt" % len(h.cases))
        script(f, src)
        h.add(cls, "discriminator: " + what, disc(f),
              names=["discriminator exploded"] if "raises" in what else [os.path.basename(f)])
    fimg = P("disc_img.pt")
    script(fimg, "return x.flatten(1).sum(1)", shape=(1, 28, 28))
    h.add(cls, "discriminator for another sample shape", disc(fimg), names=["disc_img.pt", "--discriminator"])
    h.add(cls, "a checkpoint of a discriminator as the denoiser", den(P("disc.pt")), names=["disc.pt", "--denoiser"])
    h.add(cls, "a denoiser checkpoint as the discriminator", disc(P("score.pt")), names=["score.pt", "--discriminator"])
    h.add(cls, "a tensor file as the denoiser", den(P("noise.pt")), names=["noise.pt"])
    h.add(cls, "a PNG as the denoiser", den(os.path.join(ROOT, "docs/screenshots/dg-demo.png")), names=["dg-demo.png"])
    for i, how in enumerate(["truncate:0.5", "truncate:0.97", "flip:0.4", "flip:0.7", "empty"]):
        f = damaged(P("ts_ok.pt"), P("ts_dmg%d.pt" % i), how, random.Random(i))
        h.add(cls, "TorchScript file damaged: " + how, den(f), names=[os.path.basename(f)])
    h.add(cls, "unknown built-in", den("builtin:nothing"), names=["builtin:nothing"])
    h.add(cls, "a working TorchScript pair samples", ["DG", "sample", "--denoiser", P("ts_ok.pt"), "--discriminator",
          P("ts_disc.pt"), "--dg-weight", "0.5", "--count", "4", "--out", P("pair.pt")], expect="ok")


def build_checkpoint_cases(h):
    P = h.p
    cls = "checkpoints"
    out = P("out.pt")
    z = zipfile.ZipFile(P("score.pt"))
    infos = [i for i in z.infolist()]
    picks = [i for i in infos if "/data/" in i.filename][:: max(1, len(infos) // 12)][:10]
    picks += [i for i in infos if i.filename.endswith("data.pkl")][:1]
    raw = open(P("score.pt"), "rb").read()
    for k, info in enumerate(picks):
        b = bytearray(raw)
        n, e = struct.unpack("<HH", b[info.header_offset + 26: info.header_offset + 30])
        b[info.header_offset + 30 + n + e + info.compress_size // 2] ^= 0x04
        f = P("ck_flip%d.pt" % k)
        open(f, "wb").write(bytes(b))
        h.add(cls, "bit flip in record %s" % info.filename.split("/", 1)[1],
              ["DG", "sample", "--denoiser", f, "--count", "4", "--out", out, "--quiet"], names=[os.path.basename(f)])
    for k, frac in enumerate([0.02, 0.3, 0.6, 0.95, 0.999]):
        f = damaged(P("score.pt"), P("ck_trunc%d.pt" % k), "truncate:%g" % frac, random.Random(k))
        h.add(cls, "truncated to %g%%" % (frac * 100), ["DG", "sample", "--denoiser", f, "--count", "4", "--out", out],
              names=[os.path.basename(f)])
    f = damaged(P("score.pt"), P("ck_resume_flip.pt"), "flip:0.5", random.Random(3))
    h.add(cls, "resume from a damaged checkpoint", ["DG", "train-score", "--data", "toy:ring8", "--iterations", "80",
                                                    "--checkpoint", f], names=["ck_resume_flip.pt"])
    h.add(cls, "resume a score checkpoint as a discriminator",
          ["DG", "train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"), "--checkpoint", P("score.pt")],
          names=["score.pt"], post=unchanged(P("score.pt")))
    h.add(cls, "resume a disc checkpoint as a score model",
          ["DG", "train-score", "--data", "toy:ring8", "--iterations", "100", "--checkpoint", P("disc.pt")],
          names=["disc.pt"], post=unchanged(P("disc.pt")))
    h.add(cls, "classifier file as the judge",
          ["DG", "eval", "--samples", P("img_fakes.pt"), "--judge",
           os.path.join(ROOT, "resources/models/fmnist-classifier.pt")], names=["--judge"], timeout=120)
    h.add(cls, "judge file as the classifier",
          ["DG", "eval", "--samples", P("img_fakes.pt"), "--classifier",
           os.path.join(ROOT, "resources/models/fmnist-judge.pt")], names=["--classifier"], timeout=120)
    h.add(cls, "score checkpoint as --features",
          ["DG", "train-disc", "--data", "fmnist", "--fakes", P("img_fakes.pt"), "--features", P("score.pt"),
           "--batch", "8", "--checkpoint", P("feat.pt")], names=["--features"], timeout=120)


def unchanged(path):
    before = {"sha": None}

    def snap():
        before["sha"] = sha(path)

    snap()

    def check(rc, out, err):
        if sha(path) != before["sha"]:
            return "data lost", "%s changed" % os.path.basename(path)
        return None
    return check


def build_write_cases(h):
    P = h.p
    cls = "writes and concurrency"
    T = "builtin:ring8-model"
    os.mkfifo(P("out_fifo"))
    os.makedirs(P("outdir"), exist_ok=True)
    targets = {"/dev/null": "/dev/null", "/dev/full": "/dev/full", "a FIFO": P("out_fifo"), "a directory": P("outdir"),
               "a missing folder": P("no/such/dir/o.pt")}
    for what, f in targets.items():
        for flag in ["--out", "--grid"]:
            argv = ["DG", "sample", "--denoiser", T, "--count", "4", "--quiet", "--out", P("o_ok.pt")]
            if flag == "--out":
                argv[-1] = f
            else:
                argv += ["--grid", f]
            h.add(cls, "%s is %s" % (flag, what), argv, rc={2}, names=[flag], timeout=20,
                  post=(lambda rc, o, e: ("data lost", "/dev/null replaced") if not os.path.exists("/dev/null")
                        or not stat.S_ISCHR(os.stat("/dev/null").st_mode) else None))
    # Animations: a target that is not a plain file (with the right extension) is refused before sampling.
    os.mkfifo(P("out_fifo.gif"))
    os.makedirs(P("outdir.mp4"), exist_ok=True)
    for what, f in {"a FIFO": P("out_fifo.gif"), "a directory": P("outdir.mp4"),
                    "a missing folder": P("no/such/dir/o.gif")}.items():
        h.add(cls, "--animation is %s" % what, ["DG", "sample", "--denoiser", T, "--count", "4", "--quiet", "--out",
                                                 P("o_ok.pt"), "--animation", f], rc={2}, names=["--animation"],
              timeout=20)
    with open(P("cache_is_file"), "w") as fh:
        fh.write("not a folder")
    h.add(cls, "--cache is a file", ["DG", "tune", "--denoiser", T, "--count", "64", "--weights", "0,1", "--cache",
                                     P("cache_is_file")], names=["--cache", "not a folder"], timeout=20)
    for what, argv in {
        "train-score": ["DG", "train-score", "--data", "toy:ring8", "--iterations", "40", "--checkpoint", P("x_ck.pt")],
        "train-disc": ["DG", "train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"), "--epochs", "1",
                       "--checkpoint", P("x_ck.pt")],
        "gen-fakes": ["DG", "gen-fakes", "--denoiser", T, "--count", "40000", "--out", P("x_ck.pt")],
    }.items():
        for target in ["/dev/null", P("out_fifo"), P("outdir")]:
            a = list(argv)
            a[a.index(P("x_ck.pt"))] = target
            h.add(cls, "%s writes to %s" % (what, os.path.basename(target)), a, rc={2}, timeout=30,
                  names=["--checkpoint", "--out"])
    # A full disk (a file-size limit: writes fail with EFBIG) must leave no temporary file and the old file intact.
    shutil.copy(P("score.pt"), P("full_ck.pt"))
    fulls = {
        "train-score checkpoint": (["DG", "train-score", "--data", "toy:ring8", "--iterations", "120", "--checkpoint",
                                    P("full_ck.pt")], P("full_ck.pt")),
        "train-disc checkpoint": (["DG", "train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"), "--epochs",
                                   "1", "--checkpoint", P("full_d.pt")], P("full_d.pt")),
        "sample --out": (["DG", "sample", "--denoiser", T, "--count", "3000", "--quiet", "--out", P("full_s.pt")],
                         P("full_s.pt")),
        "sample --grid": (["DG", "sample", "--denoiser", T, "--count", "64", "--quiet", "--out", P("full_g.pt"),
                           "--grid", P("full_g.png")], P("full_g.png")),
        "gen-fakes": (["DG", "gen-fakes", "--denoiser", T, "--count", "3000", "--out", P("full_f.pt")], P("full_f.pt")),
        "sample --animation gif": (["DG", "sample", "--denoiser", T, "--count", "200", "--quiet", "--out",
                                    P("full_a.pt"), "--animation", P("full_a.gif")], P("full_a.gif")),
        "sample --animation mp4": (["DG", "sample", "--denoiser", T, "--count", "200", "--quiet", "--out",
                                    P("full_m.pt"), "--animation", P("full_m.mp4")], P("full_m.mp4")),
        "tune --plot": (["DG", "tune", "--denoiser", T, "--count", "200", "--weights", "0,1", "--plot",
                         P("full_p.png")], P("full_p.png")),
        "tune --cache": (["DG", "tune", "--denoiser", T, "--count", "4000", "--batch", "2000", "--weights", "0,1",
                          "--cache", P("full_cache")], P("full_cache")),
        "export --torchscript": (["DG", "export", "--torchscript", P("full_ts"), "--denoiser", "builtin:ring8-mlp",
                                  "--discriminator", "builtin:ring8-mlp-disc"],
                                 P("full_ts/denoiser.pt")),
    }
    os.makedirs(P("full_ts"), exist_ok=True)
    for what, (argv, target) in fulls.items():
        existed = os.path.exists(target)

        def post(rc, o, e, target=target, existed=existed, snap=sha(target)):
            folder = os.path.dirname(target)
            leftovers = [n for n in os.listdir(folder) if ".tmp" in n]
            if leftovers:
                return "data lost", "temporary files left: %s" % leftovers
            if existed and sha(target) != snap:
                return "data lost", "the previous file changed"
            return None
        h.add(cls, "disk full during " + what, argv, limit_fsize=4096,
              names=["File too large", os.path.basename(target)], post=post, timeout=120)
    # Two writers, one checkpoint: the second fails at once naming the first.
    shutil.copy(P("score.pt"), P("busy.pt"))
    for what, second in {
        "score then score": ["DG", "train-score", "--data", "toy:ring8", "--iterations", "5000", "--checkpoint",
                             P("busy.pt")],
        "score then disc": ["DG", "train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"), "--checkpoint",
                            P("busy.pt")],
        "score then classifier": ["DG", "train-classifier", "--iterations", "10", "--checkpoint", P("busy.pt")],
        "score then judge": ["DG", "train-judge", "--iterations", "10", "--checkpoint", P("busy.pt")],
    }.items():
        holder = {}

        def start(holder=holder):
            holder["p"] = subprocess.Popen([h.dg, "train-score", "--data", "toy:ring8", "--iterations", "100000",
                                            "--checkpoint", P("busy.pt")], env=h.env, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
            for _ in range(100):
                if os.path.exists(P("busy.pt.lock")):
                    break
                time.sleep(0.1)

        def stop(rc, o, e, holder=holder):
            holder["p"].send_signal(signal.SIGINT)
            holder["p"].wait(timeout=60)
            if "being written by process %d" % holder["p"].pid not in e:
                return "unclear", "does not name the holder's PID: " + e.strip()[-160:]
            return None
        h.add(cls, "two writers: " + what, second, setup=start, post=stop, names=["busy.pt"], timeout=60)
    # Resume never rewinds; asking for what is there is a no-op that says so.
    for what, argv, target in [
        ("train-score asks fewer iterations", ["DG", "train-score", "--data", "toy:ring8", "--iterations", "30",
                                               "--checkpoint", P("rw_s.pt")], P("rw_s.pt")),
        ("train-disc asks fewer epochs", ["DG", "train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"),
                                          "--epochs", "1", "--checkpoint", P("rw_d.pt")], P("rw_d.pt")),
    ]:
        shutil.copy(P("score.pt") if "score" in what else P("disc.pt"), target)
        h.add(cls, "rewind: " + what, argv, names=["--iterations", "--epochs"], post=unchanged(target))
    shutil.copy(P("score.pt"), P("rw_same.pt"))
    h.add(cls, "resume at the same count is a no-op", ["DG", "train-score", "--data", "toy:ring8", "--iterations", "60",
          "--checkpoint", P("rw_same.pt")], expect="ok", post=lambda rc, o, e, u=unchanged(P("rw_same.pt")):
          u(rc, o, e) or (None if "nothing to do" in o else ("silent wrong", "no 'nothing to do' line")))
    # kill -9 and SIGINT mid-training: the checkpoint stays loadable and never goes back.
    for sig, name in [(signal.SIGKILL, "kill -9"), (signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")]:
        f = P("killed_%s.pt" % name.replace(" ", ""))
        shutil.copy(P("score.pt"), f)

        def post(rc, o, e, f=f, sig=sig):
            r = h.run_dg("sample", "--denoiser", f, "--count", "2", "--out", P("after.pt"), "--quiet", check=False)
            if r.returncode != 0:
                return "data lost", "checkpoint unreadable after %s: %s" % (sig, r.stderr.strip()[-120:])
            return None
        h.add(cls, "%s during train-score" % name, ["DG", "train-score", "--data", "toy:ring8", "--iterations", "100000",
              "--checkpoint-every", "20", "--checkpoint", f], expect="ok" if sig != signal.SIGKILL else "killed",
              rc={130} if sig != signal.SIGKILL else {-9}, interrupt=(sig, 4.0), post=post, timeout=60)


def build_output_cases(h):
    """Outputs that collide or are links (issue 27): refused before any work, or written through the link."""
    P = h.p
    cls = "outputs that collide"
    T = "builtin:ring8-model"
    S = ["DG", "sample", "--denoiser", T, "--count", "4", "--quiet"]
    W = ["DG", "tune", "--denoiser", T, "--count", "60", "--weights", "0,1"]
    for what, argv, names in [
        ("--out and --animation one file", S + ["--out", P("c1.gif"), "--animation", P("c1.gif")], ["--animation"]),
        ("--out and --grid one file", S + ["--out", P("c2.png"), "--grid", P("c2.png")], ["--grid"]),
        ("--out and --trajectory one file", S + ["--out", P("c3.pt"), "--trajectory", P("c3.pt")], ["--trajectory"]),
        ("--grid and --animation via ./", S + ["--out", P("c4.pt"), "--grid", P("c4.gif"), "--animation",
                                              os.path.join(h.w, ".", "c4.gif")], ["--animation"]),
        ("tune --csv is the plot's sidecar", W + ["--csv", P("c5.json"), "--plot", P("c5.png")], ["sidecar"]),
        ("tune --csv and --plot one file", W + ["--csv", P("c6.png"), "--plot", P("c6.png")], ["--plot"]),
        ("tune --plot is a .json", W + ["--plot", P("c7.json")], ["sidecar"]),
        ("sweep --csv is the plot's sidecar", ["DG", "sweep", "--denoiser", T, "--count", "60", "--weights", "0,1",
                                               "--csv", P("c8.json"), "--plot", P("c8.png")], ["sidecar"]),
    ]:
        h.add(cls, what, argv, rc={2}, names=names, timeout=30)
    # A foreign file where the sidecar goes is not replaced; an earlier sidecar of the same plot is.
    with open(P("mine.json"), "w") as f:
        f.write('{"mine": 1}\n')
    h.add(cls, "tune --plot over a foreign JSON", W + ["--plot", P("mine.png")], rc={2}, names=["mine.json"],
          timeout=30, post=unchanged(P("mine.json")))

    def replot(rc, o, e):
        with open(P("again.json")) as f:
            return None if '"png":"again.png"' in f.read() else ("silent wrong", "the sidecar was not rewritten")
    h.add(cls, "tune --plot twice replaces its own sidecar", W + ["--plot", P("again.png")], expect="ok", timeout=60,
          setup=lambda: h.run_dg(*(W[1:] + ["--plot", P("again.png")])), post=replot)
    # A link and its target are one file; an output that is a link is written through and stays a link.
    os.makedirs(P("linked"), exist_ok=True)
    if not os.path.lexists(P("link_out.pt")):
        os.symlink(os.path.join("linked", "target.pt"), P("link_out.pt"))
    h.add(cls, "--out a link, --trajectory its target", S + ["--out", P("link_out.pt"), "--trajectory",
          P("linked/target.pt")], rc={2}, names=["--trajectory"], timeout=30)

    def through(rc, o, e):
        if not os.path.islink(P("link_out.pt")):
            return "data lost", "the link was replaced by a regular file"
        if not os.path.isfile(P("linked/target.pt")):
            return "silent wrong", "the link's target was not written"
        return None
    h.add(cls, "--out a link is written through", S + ["--out", P("link_out.pt")], expect="ok", timeout=30,
          post=through)
    if not os.path.lexists(P("link_ck.pt")):
        os.symlink(os.path.join("linked", "ck.pt"), P("link_ck.pt"))

    def ck_through(rc, o, e):
        if not os.path.islink(P("link_ck.pt")) or not os.path.isfile(P("linked/ck.pt")):
            return "data lost", "train-score replaced the link or did not write its target"
        return None
    h.add(cls, "train-score --checkpoint a link", ["DG", "train-score", "--data", "toy:ring8", "--iterations", "20",
          "--checkpoint", P("link_ck.pt")], expect="ok", timeout=60, post=ck_through)
    # gen-fakes of an unconditional model removes the labels of the fakes it replaces.
    h.run_dg("gen-fakes", "--denoiser", "builtin:fmnist-cond", "--count", "4", "--steps", "2", "--out", P("lab_f.pt"))

    def labels_gone(rc, o, e):
        return ("silent wrong", "an old FAKES.labels.pt stayed") if os.path.exists(P("lab_f.labels.pt")) else None
    h.add(cls, "gen-fakes unconditional over conditional fakes", ["DG", "gen-fakes", "--denoiser", T, "--count", "8",
          "--out", P("lab_f.pt")], expect="ok", timeout=60, post=labels_gone)


def build_cancel_cases(h):
    P = h.p
    cls = "cancellation"
    # The animation phase of dg sample stops too (issue 27): exit 130, no animation, no lock files left.
    for sig, name in [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")]:
        gif = P("cancel_anim_%s.gif" % name)

        def no_animation(rc, o, e, gif=gif):
            left = [n for n in os.listdir(h.w) if n.startswith("cancel_anim") and n.endswith(".lock")]
            if os.path.exists(gif):
                return "silent wrong", "the animation was written after the signal"
            if left:
                return "data lost", "lock files left: %s" % left
            return None
        h.add(cls, "%s during sample --animation" % name, ["DG", "sample", "--denoiser", "builtin:ring8-model",
              "--count", "2000", "--steps", "300", "--quiet", "--out", P("cancel_anim_%s.pt" % name), "--animation",
              gif], expect="ok", rc={130}, interrupt=(sig, 3.0), post=no_animation, timeout=60)
    slow = script(P("slow_den.pt"), "s = 0.0\nfor i in range(3000000):\n    s = s + 1.0\nreturn x * 0.0 + s * 0.0")
    jobs = {
        "dg eval (sampling)": ["DG", "eval", "--denoiser", "builtin:fmnist", "--count", "5000"],
        "dg eval (features)": ["DG", "eval", "--samples", P("big_samples.pt")],
        "dg sweep": ["DG", "sweep", "--denoiser", "builtin:fmnist", "--discriminator", "builtin:fmnist-disc",
                     "--count", "2000", "--weights", "0,1"],
        "dg gen-fakes": ["DG", "gen-fakes", "--denoiser", "builtin:fmnist", "--count", "5000", "--out", P("c_f.pt")],
        "dg sample": ["DG", "sample", "--denoiser", "builtin:fmnist", "--count", "500", "--out", P("c_s.pt")],
        "dg train-judge": ["DG", "train-judge", "--iterations", "100000", "--checkpoint", P("c_j.pt")],
        "dg train-classifier": ["DG", "train-classifier", "--iterations", "100000", "--checkpoint", P("c_c.pt")],
        # 200 steps: the job outlasts the signal on any machine; one evaluation stays well under a second.
        "dg sample on a slow TorchScript model": ["DG", "sample", "--denoiser", slow, "--sampler", "euler",
                                                  "--steps", "200", "--count", "2", "--out", P("c_slow.pt")],
        "model load-time probe of a slow model": ["DG", "sample", "--denoiser", slow, "--steps", "200",
                                                  "--count", "2", "--out", P("c_probe.pt")],
    }
    torch.save(torch.rand(10000, 1, 28, 28) * 2 - 1, P("big_samples.pt"))
    for what, argv in jobs.items():
        for sig, after in [(signal.SIGINT, 2.5), (signal.SIGTERM, 3.5)]:
            outputs = [a for a in argv if a.startswith(h.w) and a.endswith(".pt") and "c_" in a]

            def post(rc, o, e, outputs=outputs, argv=argv):
                if rc != 130:
                    return "hang" if rc == 0 else "unclear", "exit %d after the signal" % rc
                for f in outputs:
                    if os.path.exists(f) and "train" not in " ".join(argv):
                        return "silent wrong", "%s written although interrupted" % os.path.basename(f)
                return None
            h.add(cls, "%s on %s" % (signal.Signals(sig).name, what), argv, expect="ok", rc={130},
                  interrupt=(sig, after), post=post, timeout=25)


def build_flag_cases(h):
    cls = "command-line flags"
    T = "builtin:ring8-model"
    out = h.p("fl.pt")
    bad = {
        "--count": ["0", "-1", "abc", "1e9", "2000000", ""], "--steps": ["0", "10001", "1.5", "x"],
        "--sigma-min": ["-1", "0", "nan", "inf"], "--sigma-max": ["0.001", "inf", "1e400"], "--rho": ["0", "-2"],
        "--churn": ["-1", "nan"], "--s-noise": ["-0.5"], "--s-min": ["-1"], "--dg-weight": ["nan", "inf", "w"],
        "--dg-weight-2nd": ["nan"], "--dg-logit-clip": ["-1", "0", "nan"], "--dg-preset": ["bogus", ""],
        "--dg-sigma-min": ["-1"], "--class": ["-1", "abc", "99"], "--seed": ["-5", "1e30", "18446744073709551616"],
        "--device": ["gpu", "cuda"], "--sampler": ["rk4"],
    }
    for flag, values in bad.items():
        for v in values:
            argv = ["DG", "sample", "--denoiser", T, "--out", out, "--quiet", flag, v]
            if flag in ("--dg-weight", "--dg-weight-2nd", "--dg-logit-clip", "--dg-preset", "--dg-sigma-min"):
                argv += ["--discriminator", "builtin:ring8-disc"]
            expected_rc = {2}
            if flag == "--device" and v == "cuda":
                expected_rc = {1, 2}
            if flag == "--class" and v == "99":
                expected_rc = {1, 2}
            h.add(cls, "sample %s '%s'" % (flag, v), argv, rc=expected_rc, names=[flag])
    h.add(cls, "--dg-boost without a discriminator", ["DG", "sample", "--denoiser", T, "--dg-boost", "--out", out],
          rc={2}, names=["--dg-boost"])
    h.add(cls, "--dg-weight without a discriminator", ["DG", "sample", "--denoiser", T, "--dg-weight", "1",
          "--out", out], rc={2}, names=["--dg-weight", "--discriminator"])
    h.add(cls, "unknown flag", ["DG", "sample", "--denoiser", T, "--bogus", "1"], rc={2}, names=["--bogus"])
    h.add(cls, "flag without its value", ["DG", "sample", "--denoiser", T, "--out"], rc={2}, names=["--out"])
    h.add(cls, "flag given twice", ["DG", "sample", "--denoiser", T, "--count", "2", "--count", "3", "--out", out],
          rc={2}, names=["--count"])
    h.add(cls, "unknown command", ["DG", "smaple"], rc={2}, names=["smaple"])
    h.add(cls, "--noise with --count", ["DG", "sample", "--denoiser", T, "--noise", h.p("noise.pt"), "--count", "3",
          "--out", out], rc={2}, names=["--count"])
    train = {"--iterations": ["0", "-3", "x"], "--batch": ["1", "0"], "--lr": ["0", "-1", "nan", "inf"],
             "--checkpoint-every": ["0"], "--seed": ["-1"]}
    for flag, values in train.items():
        for v in values:
            h.add(cls, "train-score %s '%s'" % (flag, v), ["DG", "train-score", "--data", "toy:ring8", "--checkpoint",
                  h.p("fl_ck.pt"), flag, v], rc={2}, names=[flag])
    for flag, v in [("--epochs", "0"), ("--epochs", "-1"), ("--hidden", "0"), ("--data", "cifar")]:
        h.add(cls, "train-disc %s '%s'" % (flag, v), ["DG", "train-disc", "--data", "toy:ring8", "--fakes",
              h.p("fakes.pt"), "--checkpoint", h.p("fl_d.pt"), flag, v] if flag != "--data" else
              ["DG", "train-disc", "--data", v, "--fakes", h.p("fakes.pt"), "--checkpoint", h.p("fl_d.pt")],
              rc={2}, names=[flag])
    for flag, v in [("--sigma-min", "0"), ("--sigma-max", "0.0001")]:
        h.add(cls, "train-classifier %s '%s'" % (flag, v), ["DG", "train-classifier", "--checkpoint",
              h.p("fl_c.pt"), flag, v], rc={2}, names=["--sigma-min", "--sigma-max"])
    for v in ["a,b", "", "1,,2", "nan"]:
        h.add(cls, "sweep --weights '%s'" % v, ["DG", "sweep", "--denoiser", T, "--discriminator", "builtin:ring8-disc",
              "--count", "20", "--weights", v], rc={2}, names=["--weights"])
    h.add(cls, "gen-fakes --count 0", ["DG", "gen-fakes", "--denoiser", T, "--count", "0", "--out", h.p("g.pt")],
          rc={2}, names=["--count"])
    h.add(cls, "eval without --count or --samples", ["DG", "eval", "--denoiser", T], rc={2}, names=["--count"])
    h.add(cls, "eval --toy unknown", ["DG", "eval", "--samples", h.p("fakes.pt"), "--toy", "spiral"], rc={2},
          names=["--toy"])
    h.add(cls, "demo --toy unknown", ["DG", "demo", "--toy", "spiral", "--out", h.p("demo.png")], rc={2},
          names=["--toy"])
    h.add(cls, "demo --count 0", ["DG", "demo", "--count", "0", "--out", h.p("demo.png")], rc={2}, names=["--count"])


def png_with_text(path, chunks):
    import zlib

    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
    raw = b"".join(b"\x00" + b"\x80" * 6 for _ in range(2))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
    for k, v in chunks.items():
        png += chunk(b"tEXt", k.encode() + b"\x00" + v.encode())
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)
    return path


def build_settings_cases(h):
    import json
    P = h.p
    cls = "settings JSON / PNG"
    good = {"denoiser": "builtin:ring8-model", "discriminator": "builtin:ring8-disc", "count": 64, "seed": 3,
            "steps": 12, "dg_weight": 1.0}

    def studio(f):
        return ["STUDIO", "--reset-settings", "--screenshot", P("shot.png"), f]
    variants = {
        "steps 'abc'": {"steps": "abc"}, "steps 0": {"steps": 0}, "steps 1.5": {"steps": 1.5},
        "dg_weight {}": {"dg_weight": {}}, "dg_weight 'x'": {"dg_weight": "x"}, "dg_weight 1e9": {"dg_weight": 1e9},
        "sigma_max 1e308": {"sigma_max": 1e308}, "sigma_min 0.00015 (finer than the panel)": {"sigma_min": 0.00015},
        "sigma_min negative": {"sigma_min": -1}, "seed -5": {"seed": -5}, "seed 1.5": {"seed": 1.5},
        "seed 'big'": {"seed": "big"}, "count 0": {"count": 0}, "count 100000": {"count": 100000},
        "count '16'": {"count": "16"}, "class 'some'": {"class": "some"}, "class -3": {"class": -3},
        "sampler 'rk4'": {"sampler": "rk4"}, "dg_enabled 'yes'": {"dg_enabled": "yes"},
        "dg_preset 'fancy'": {"dg_preset": "fancy"}, "device 'tpu'": {"device": "tpu"},
        "unknown field dg_wieght": {"dg_wieght": 2}, "denoiser missing": {"denoiser": None},
        "denoiser 42": {"denoiser": 42}, "churn -1": {"churn": -1}, "dg_logit_clip 0": {"dg_logit_clip": 0},
        "s_max 'infinite'": {"s_max": "infinite"},
    }
    for what, change in variants.items():
        d = dict(good)
        for k, v in change.items():
            if v is None:
                d.pop(k)
            else:
                d[k] = v
        f = P("set_%d.json" % len(h.cases))
        open(f, "w").write(json.dumps(d))
        field = list(change)[0]
        h.add(cls, "JSON " + what, studio(f), gui=True, rc={1, 2}, names=[field], timeout=60)
    for what, text in {"not JSON": "steps: 3", "truncated JSON": json.dumps(good)[:-5], "an array": "[1, 2]",
                       "empty file": "", "deeply nested": "[" * 100000 + "]" * 100000,
                       "a number beyond double's range": '{"denoiser": "builtin:ring8-model", "dg_weight": 1e999}'}.items():
        f = P("set_%d.json" % len(h.cases))
        open(f, "w").write(text)
        h.add(cls, "JSON " + what, studio(f), gui=True, rc={1, 2}, names=[os.path.basename(f)], timeout=60)
    for what, chunks in {"PNG without settings": {"Title": "x"},
                         "PNG with broken settings JSON": {"dg.settings": "{\"denoiser\": "},
                         "PNG with wrong-typed settings": {"dg.settings": json.dumps(dict(good, steps="many"))}}.items():
        f = png_with_text(P("set_%d.png" % len(h.cases)), chunks)
        h.add(cls, what, studio(f), gui=True, rc={1, 2}, names=[os.path.basename(f), "steps"], timeout=60)
    f = P("set_trunc.png")
    png_with_text(f, {"dg.settings": json.dumps(good)})
    open(f, "r+b").truncate(os.path.getsize(f) - 20)
    h.add(cls, "truncated PNG", studio(f), gui=True, rc={1, 2}, names=["set_trunc.png"], timeout=60)
    h.add(cls, "settings file is a FIFO", studio(P("fifo.pt")), gui=True, rc={1, 2}, names=["fifo.pt"], timeout=60)
    f = P("set_good.json")
    open(f, "w").write(json.dumps(good))
    h.add(cls, "a valid settings file opens and samples", studio(f), gui=True, expect="ok", timeout=120)


def build_gui_cases(h):
    cls = "GUI options"
    for args, flag in [(["--raise-dock", ""], "--raise-dock"), (["--raise-dock", "nothing"], "--raise-dock"),
                       (["--view", "sideways"], "--view"), (["--count", "0"], "--count"), (["--count", "-5"], "--count"),
                       (["--count", "abc"], "--count"), (["--count", "100000"], "--count"), (["--seed", "-1"], "--seed"),
                       (["--dg-weight", "nan"], "--dg-weight"), (["--dg-weight", "1e9"], "--dg-weight"),
                       (["--dg-preset", "bogus"], "--dg-preset"), (["--show-step", "-4"], "--show-step"),
                       (["--show-step", "99999"], "--show-step"), (["--denoiser", "/no/such/model.pt"], "model.pt"),
                       (["--tune", "nan"], "--tune"), (["--tune", "1,1"], "--tune"), (["--tune", "0,1e308"], "tune")]:
        h.add(cls, "dg-studio " + " ".join(a if a else "''" for a in args),
              ["STUDIO", "--reset-settings", "--denoiser", "builtin:ring8-model", "--screenshot", h.p("g.png"), *args],
              gui=True, rc={1, 2}, names=[flag], timeout=60)
    for args, flag in [(["--count", "0"], "--count"), (["--count", "abc"], "--count"), (["--view", "sideways"], "--view"),
                       (["--dg-weight", "nan"], "--dg-weight"), (["--dg-preset", "bogus"], "--dg-preset"),
                       (["--seed", "-1"], "--seed"), (["--show-step", "-2"], "--show-step"),
                       (["--denoiser", "/no/such/model.pt"], "model.pt"), (["--bogus"], "--bogus")]:
        h.add(cls, "dg-lab " + " ".join(args), ["LAB", "--screenshot", h.p("l.png"), *args], gui=True, rc={1, 2},
              names=[flag], timeout=60)


def build_data_cases(h):
    import gzip
    cls = "Fashion-MNIST data (IDX)"
    src = os.environ.get("DG_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz"]

    def folder(tag, mutate):
        d = h.p("fm_" + tag)
        os.makedirs(d, exist_ok=True)
        for n in names:
            if n.startswith("t10k"):
                shutil.copy(os.path.join(src, n), os.path.join(d, n))
        mutate(d)
        return d

    def write_idx(d, n, magic, dims, payload):
        with gzip.open(os.path.join(d, n), "wb") as f:
            f.write(bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", x) for x in dims) + payload)

    cases = {
        "missing folder": lambda d: shutil.rmtree(d),
        "zero images": lambda d: (write_idx(d, "t10k-images-idx3-ubyte.gz", 8, [0, 28, 28], b""),
                                  write_idx(d, "t10k-labels-idx1-ubyte.gz", 8, [0], b"")),
        "truncated images": lambda d: write_idx(d, "t10k-images-idx3-ubyte.gz", 8, [10000, 28, 28], b"\x00" * 1000),
        "bad magic": lambda d: open(os.path.join(d, "t10k-images-idx3-ubyte.gz"), "wb").write(gzip.compress(b"\x00\x01")),
        "not gzip": lambda d: open(os.path.join(d, "t10k-images-idx3-ubyte.gz"), "wb").write(b"hello world" * 10),
        "labels do not match": lambda d: write_idx(d, "t10k-labels-idx1-ubyte.gz", 8, [5], b"\x00" * 5),
        "label 200": lambda d: write_idx(d, "t10k-labels-idx1-ubyte.gz", 8, [10000], b"\xc8" * 10000),
        "dimensions overflow": lambda d: write_idx(d, "t10k-images-idx3-ubyte.gz", 8, [2**32 - 1] * 3, b"\x00" * 64),
        "images 14 x 14": lambda d: write_idx(d, "t10k-images-idx3-ubyte.gz", 8, [10000, 14, 14], b"\x00" * 1960000),
    }
    for what, mutate in cases.items():
        d = folder(str(len(h.cases)), mutate)
        h.add(cls, what, ["DG", "eval", "--samples", h.p("img_fakes.pt")], env={"DG_FASHION_MNIST_DIR": d},
              names=["fm_", "idx"], timeout=60)

    # dg eval --reference (colour or any images against a reference set in a TorchScript feature network).
    cls = "reference images (eval --reference)"
    ref = ["DG", "eval", "--samples", h.p("img_fakes.pt")]
    with open(h.p("not_a_tensor.pt"), "w") as f:
        f.write("hello")
    h.add(cls, "--reference missing", ref + ["--reference", h.p("no_reference.pt"), "--judge", h.p("img_fakes.pt")],
          names=["no_reference.pt"])
    h.add(cls, "--reference not a tensor file", ref + ["--reference", h.p("not_a_tensor.pt"), "--judge",
          h.p("img_fakes.pt")], names=["not_a_tensor.pt"])
    h.add(cls, "--reference without --judge", ref + ["--reference", h.p("img_fakes.pt")], names=["--judge"])
    h.add(cls, "--judge not a feature network", ref + ["--reference", h.p("img_fakes.pt"), "--judge",
          h.p("img_fakes.pt")], names=["--judge"])
    h.add(cls, "--reference with --bootstrap", ref + ["--reference", h.p("img_fakes.pt"), "--judge",
          h.p("img_fakes.pt"), "--bootstrap", "5"], names=["--bootstrap"])


def build_trust_cases(h):
    """Inputs that were believed (issue 27): reference ranges, feature networks, toys, widths, in-place models."""
    P = h.p
    cls = "trusted inputs"
    ev = ["DG", "eval", "--samples", P("img_fakes.pt")]
    judge = script(P("judge_ok.pt"), "return x.reshape(x.shape[0], -1)[:, :16] + x.mean()", args="self, x: torch.Tensor")
    real = torch.rand(40, 1, 28, 28)
    for what, t in [("[0, 1]", real), ("[0, 255]", real * 255), ("x 50", (real * 2 - 1) * 50)]:
        f = tensor_file(P("ref_%s.pt" % len(h.cases)), t)
        h.add(cls, "--reference images in %s" % what, ev + ["--reference", f, "--judge", judge], names=["--reference"])
    ref = tensor_file(P("ref_ok.pt"), real * 2 - 1)
    for what, body in [("constant features", "return torch.zeros(x.shape[0], 8) + 3.0"),
                       ("empty features", "return torch.zeros(x.shape[0], 0)"),
                       ("NaN features", "return x.reshape(x.shape[0], -1)[:, :8] * float('nan')")]:
        f = script(P("judge_%d.pt" % len(h.cases)), body, args="self, x: torch.Tensor")
        h.add(cls, "a judge returning %s" % what, ev + ["--reference", ref, "--judge", f], names=["--judge"])
    shipped = os.path.join(ROOT, "resources", "models", "fmnist-judge.pt")

    def scored(rc, o, e):
        return None if re.search(r"\| *[0-9.]+ *\|", o) else ("silent wrong", "no scores: " + o.strip()[-120:])
    h.add(cls, "the shipped judge as --judge", ev + ["--reference", ref, "--judge", shipped], expect="ok",
          post=scored)
    tensor_file(P("two_points.pt"), torch.randn(2, 2))
    for flag, v in [("--judge", judge), ("--reference", ref)]:
        extra = [flag, v] + (["--judge", judge] if flag == "--reference" else [])
        h.add(cls, "%s with 2-D toy samples" % flag, ["DG", "eval", "--samples", P("fakes.pt"), "--toy", "ring8"] +
              extra, names=[flag])
    h.add(cls, "a bootstrap over 2 toy samples", ["DG", "eval", "--samples", P("two_points.pt"), "--toy", "ring8",
          "--bootstrap", "20"], names=["--bootstrap"])

    # A denoiser that writes into its input: the sampler's state must not change (the same samples as a clean one).
    clean = script(P("ts_clean.pt"), "return x / (1.0 + sigma.reshape(-1, 1) ** 2)")
    dirty = script(P("ts_inplace.pt"), "y = x / (1.0 + sigma.reshape(-1, 1) ** 2)\nx.mul_(0.0)\nreturn y")
    common = ["--count", "16", "--steps", "8", "--seed", "3", "--quiet"]
    h.run_dg("sample", "--denoiser", clean, "--out", P("inplace_ref.pt"), *common)

    def same_as_clean(rc, o, e):
        a, b = torch.load(P("inplace_ref.pt")), torch.load(P("inplace_out.pt"))
        return None if torch.equal(a, b) else ("silent wrong", "samples differ from the same model without x.mul_")
    h.add(cls, "a denoiser that writes into its input", ["DG", "sample", "--denoiser", dirty, "--out",
          P("inplace_out.pt")] + common, expect="ok", post=same_as_clean)

    # A resumed run keeps its network: another width is refused, and the checkpoint is unchanged.
    def copy_to(src, dst):
        return lambda: shutil.copy(src, dst)
    for what, argv, src, flag in [
            ("train-disc --hidden 7 on resume", ["DG", "train-disc", "--data", "toy:ring8", "--fakes", P("fakes.pt"),
                                                 "--epochs", "4", "--hidden", "7"], P("disc.pt"), "--hidden"),
            ("train-score --channels 16 on resume", ["DG", "train-score", "--data", "toy:ring8", "--iterations",
                                                     "80"], P("score.pt"), "--channels")]:
        dst = P("resume_%d.pt" % len(h.cases))
        extra = [flag, "16"] if flag == "--channels" else []
        h.add(cls, what, argv + extra + ["--checkpoint", dst], names=[flag], setup=copy_to(src, dst),
              post=lambda rc, o, e, src=src, dst=dst: None if sha(src) == sha(dst) else ("data lost", "checkpoint changed"))
    h.add(cls, "train-disc --hidden for images", ["DG", "train-disc", "--fakes", P("img_fakes.pt"), "--hidden", "64",
          "--checkpoint", P("img_hidden.pt")], names=["--hidden"])

    # Numbers beyond single precision name their flag.
    h.add(cls, "--sigma-max 1e39", ["DG", "sample", "--denoiser", "builtin:ring8-model", "--count", "4",
          "--sigma-max", "1e39", "--out", P("big_sigma.pt")], names=["--sigma-max"])
    h.add(cls, "eval-disc --sigmas 1e300", ["DG", "eval-disc", "--denoiser", "builtin:ring8-model", "--discriminator",
          "builtin:ring8-disc", "--sigmas", "1,1e300"], names=["--sigmas"])

    # Ctrl-C of a training before its first iteration finished: nothing is said to be saved that was not.
    def nothing_claimed(rc, o, e):
        if rc != 130:
            return "unclear", "exit %d after the signal" % rc
        if "saved" in e or os.path.exists(P("early.pt")):
            return "silent wrong", "claims or writes a checkpoint: " + e.strip()[-150:]
        return None
    h.add(cls, "SIGINT of train-score before its first iteration", ["DG", "train-score", "--data", "fmnist",
          "--iterations", "100", "--checkpoint", P("early.pt")], expect="ok", rc={130},
          interrupt=(signal.SIGINT, 0.1, " -> "), post=nothing_claimed, timeout=30)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_launch_cases(h):
    cls = "job launch (torchrun/Slurm variables)"
    T = "builtin:ring8-mlp"
    fakes = ["DG", "gen-fakes", "--denoiser", T, "--count", "20", "--out", h.p("job.pt")]
    local = {"MASTER_ADDR": "127.0.0.1"}
    for env, name in [({"RANK": "x", "WORLD_SIZE": "2"}, "RANK"), ({"RANK": "2", "WORLD_SIZE": "2"}, "RANK"),
                      ({"WORLD_SIZE": "2"}, "RANK"), ({"RANK": "0"}, "WORLD_SIZE"),
                      ({"RANK": "0", "WORLD_SIZE": "0"}, "WORLD_SIZE"),
                      ({"RANK": "0", "WORLD_SIZE": "-2"}, "WORLD_SIZE"),
                      ({"RANK": "0", "WORLD_SIZE": "2", "MASTER_PORT": "99999"}, "MASTER_PORT"),
                      ({"RANK": "0", "WORLD_SIZE": "2", "MASTER_PORT": "port"}, "MASTER_PORT"),
                      ({"RANK": "0", "WORLD_SIZE": "99999999999"}, "WORLD_SIZE"),
                      ({"SLURM_PROCID": "-1", "SLURM_NTASKS": "2", "SLURM_STEP_ID": "0",
                        "SLURM_JOB_NODELIST": "localhost"}, "SLURM_PROCID"),
                      ({"SLURM_PROCID": "0", "SLURM_NTASKS": "2", "SLURM_STEP_ID": "0"}, "SLURM_JOB_NODELIST"),
                      ({"SLURM_PROCID": "0", "SLURM_NTASKS": "2", "SLURM_STEP_ID": "0",
                        "SLURM_JOB_NODELIST": "n[1-2"}, "SLURM_JOB_NODELIST")]:
        full = dict(local, **env) if "RANK" in env or "WORLD_SIZE" in env else env
        h.add(cls, "variables %s" % " ".join("%s=%s" % kv for kv in sorted(env.items())), fakes, rc={2}, names=[name],
              env=full)
    h.add(cls, "RANK=0 WORLD_SIZE=2 without MASTER_ADDR", fakes, rc={2}, names=["MASTER_ADDR"],
          env={"RANK": "0", "WORLD_SIZE": "2"})
    job = lambda rank: dict(local, RANK=str(rank), WORLD_SIZE="2", MASTER_PORT=str(free_port()))
    h.add(cls, "rank 1 never arrives", fakes + ["--dist-timeout", "2"], rc={1}, names=["rank 1 of 2 never arrived"],
          env=job(0), timeout=30)
    h.add(cls, "rank 0's store never answers", fakes + ["--dist-timeout", "2"], rc={1}, names=["MASTER_ADDR"],
          env=job(1), timeout=30)
    # A program that is not a store holds MASTER_PORT: it accepts the connection and never answers.
    def silent_listener(port):
        def start():
            import socket
            import threading
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", port))
            server.listen(8)
            held = []
            threading.Thread(target=lambda: [held.append(server.accept()) for _ in iter(int, 1)], daemon=True).start()
        return start
    env = job(1)
    h.add(cls, "MASTER_PORT held by a silent TCP listener", fakes + ["--dist-timeout", "3"], rc={1},
          names=["MASTER_PORT", "--dist-timeout"], env=env, setup=silent_listener(int(env["MASTER_PORT"])), timeout=40)
    for rank in (0, 1):
        h.add(cls, "Ctrl-C of rank %d waiting for the others (--dist-timeout 300)" % rank, fakes, expect="ok", rc={130},
              env=job(rank), interrupt=(signal.SIGINT, 3.0), timeout=20,
              post=lambda rc, o, e: None if "interrupted" in e else ("unclear", e.strip()[-150:]))
    h.add(cls, "a command that runs alone", ["DG", "export", "--torchscript", h.p("ts")], rc={2},
          names=["runs as one process"], env=job(0))
    for v in ["0", "-1", "x", "1e9"]:
        h.add(cls, "--dist-timeout '%s'" % v, fakes + ["--dist-timeout", v], rc={2}, names=["--dist-timeout"])
    h.add(cls, "dg launch without a command", ["DG", "launch", "--nproc", "2"], rc={2}, names=["--"])
    h.add(cls, "dg launch --nproc 0", ["DG", "launch", "--nproc", "0", "--", "dg", "models"], rc={2}, names=["--nproc"])
    h.add(cls, "dg launch of a missing program", ["DG", "launch", "--nproc", "2", "--", "/nonexistent/dg"], rc={2},
          names=["cannot run '/nonexistent/dg'"])
    h.add(cls, "dg launch of a program not on PATH", ["DG", "launch", "--", "no-such-dg"], rc={2},
          names=["cannot run 'no-such-dg'"])
    h.add(cls, "dg launch -- dg (no command)", ["DG", "launch", "--nproc", "2", "--", "dg"], rc={2},
          names=["alone names no command"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--markdown")
    ap.add_argument("--only")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="dg-reliability-")
    h = Harness(os.path.abspath(a.build), work)
    t0 = time.time()
    build_cases(h, True)
    build_model_cases(h)
    build_checkpoint_cases(h)
    build_write_cases(h)
    build_output_cases(h)
    build_cancel_cases(h)
    build_flag_cases(h)
    build_settings_cases(h)
    build_gui_cases(h)
    build_data_cases(h)
    build_trust_cases(h)
    build_launch_cases(h)
    print("reliability: %d cases prepared in %.0f s in %s" % (len(h.cases), time.time() - t0, work), flush=True)
    kinds = ["clean", "crash", "hang", "silent wrong", "data lost", "unclear"]
    table = collections.OrderedDict()
    failures = []
    skipped = collections.Counter()
    for c in h.cases:
        if a.only and a.only not in c.cls + ": " + c.name:
            continue
        # A build without dg-studio or dg-lab (-DDG_BUILD_STUDIO=OFF / -DDG_BUILD_LAB=OFF) skips their cases.
        missing = [n for n, path in (("STUDIO", h.studio), ("LAB", h.lab)) if n in c.argv and not os.path.exists(path)]
        if missing:
            skipped[c.cls] += 1
            continue
        verdict, detail = h.classify(c)
        row = table.setdefault(c.cls, collections.Counter())
        row["tried"] += 1
        row[verdict] += 1
        mark = "ok  " if verdict == "clean" else "FAIL"
        print("%s [%s] %s: %s -- %s" % (mark, c.cls, c.name, verdict, detail), flush=True)
        if verdict != "clean":
            failures.append((c, verdict, detail))
    lines = ["| class | tried | clean error / right result | crash | hang | silent wrong | data lost | unclear |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    total = collections.Counter()
    for cls, row in table.items():
        total.update(row)
        lines.append("| %s | %d | %s |" % (cls, row["tried"], " | ".join(str(row[k]) for k in kinds)))
    lines.append("| **all** | **%d** | %s |" % (total["tried"], " | ".join("**%d**" % total[k] for k in kinds)))
    print("\n".join(lines))
    print("reliability: %d cases, %d not clean, %.0f s" % (total["tried"], len(failures), time.time() - t0))
    if skipped:
        print("reliability: %d cases skipped: their front end is not built (%s)" %
              (sum(skipped.values()), ", ".join("%s %d" % kv for kv in skipped.items())))
    if a.markdown:
        open(a.markdown, "w").write("\n".join(lines) + "\n")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
