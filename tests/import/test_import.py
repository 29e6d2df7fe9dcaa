#!/usr/bin/python3
"""ImportTest (CTest): tools/import-edm.py on stand-ins of the paper's models (issue 16).

No real checkpoint can be downloaded here, so the stand-ins in this folder have the same call signatures and
conventions: edm_standin/training/networks.py (EDM preconditioning, one-hot labels, pickled as {'ema': net}) and
dg_standin/guided_diffusion/script_util.py (the official classifier + head: VP-scaled input, VP time in [0, 1],
probability output). The imported files must reproduce them — the denoiser exactly, the discriminator's logit and
its gradient in x to 1e-5, against the official formulas written out here — load in dg, dg-studio and dg-lab and sample
colour images; what cannot be converted is refused with one line.

usage: test_import.py DG_CLI [DG_STUDIO|- [DG_LAB]]
"""

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from typing import List

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "import-edm.py")
EDM, DG = os.path.join(HERE, "edm_standin"), os.path.join(HERE, "dg_standin")
sys.path[:0] = [EDM, DG]
from training.networks import EDMPrecond  # noqa: E402  (the stand-ins, as the checkouts would provide them)
from guided_diffusion.script_util import create_classifier  # noqa: E402

failures = []


def check(ok, what):
    print(("PASS  " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def official_log_ratio(classifier, head, x, sigma, labels):
    """classifier_lib.get_log_ratio on the VP-scaled input, with vpsde's tau and mean written out (no clip needed:
    the stand-ins' d stays well inside (1e-5, 1 - 1e-5)). Called in float64, so that log(d/(1-d)) of the sigmoid's
    output is not itself the error being measured."""
    b0, b1 = 0.1, 20.0
    tau = (-b0 + torch.sqrt(b0 ** 2 + 2.0 * (b1 - b0) * torch.log(1.0 + sigma ** 2))) / (b1 - b0)
    mean = torch.exp(-0.25 * tau ** 2 * (b1 - b0) - 0.5 * tau * b0)
    features = classifier(mean[:, None, None, None] * x, timesteps=tau, feature=True)
    d = head(features, tau, sigmoid=True, condition=labels).view(-1)
    return torch.log(d / (1.0 - d))


def make_pair(folder, conditional, channels=3, resolution=32):
    torch.manual_seed(7 if conditional else 5)
    net = EDMPrecond(resolution, channels, 10 if conditional else 0).eval()
    with open(os.path.join(folder, "net.pkl"), "wb") as f:
        pickle.dump({"ema": net, "augment_pipe": None}, f)
    # Narrower and shallower than the official configuration (width 128, depth 4), for speed: the tool reads the
    # configuration from the state dicts.
    common = dict(classifier_use_fp16=False, classifier_width=32, classifier_attention_resolutions="32,16,8",
                  classifier_use_scale_shift_norm=True, classifier_resblock_updown=True, classifier_pool="attention")
    classifier = create_classifier(image_size=resolution, classifier_depth=1, out_channels=1000, **common).eval()
    head = create_classifier(image_size=8, classifier_depth=2, out_channels=1, in_channels=128, condition=conditional,
                             **common).eval()
    torch.save(classifier.state_dict(), os.path.join(folder, "classifier.pt"))
    torch.save(head.state_dict(), os.path.join(folder, "head.pt"))
    return net, classifier, head


def tool(folder, out, *extra, network="net.pkl"):
    args = [sys.executable, TOOL, "--edm", EDM, "--dg", DG, "--network", os.path.join(folder, network),
            "--classifier", os.path.join(folder, "classifier.pt"), "--discriminator", os.path.join(folder, "head.pt"),
            "--out", out, "--trust-pickle", *extra]
    return run(args)


def imports_and_reproduces(dg_cli, studio, lab, conditional):
    kind = "class-conditional" if conditional else "unconditional"
    folder = tempfile.mkdtemp(prefix="import-")
    try:
        net, classifier, head = make_pair(folder, conditional)
        out = os.path.join(folder, "out")
        r = tool(folder, out, *(["--conditional"] if conditional else []))
        check(r.returncode == 0, f"{kind}: import-edm exits 0 ({r.stderr.strip()[:300]})")
        if r.returncode != 0:
            return
        den = torch.jit.load(os.path.join(out, "denoiser.pt"))
        disc = torch.jit.load(os.path.join(out, "discriminator.pt"))
        check(list(den.sample_shape) == [3, 32, 32], f"{kind}: sample_shape {list(den.sample_shape)}")
        if conditional:
            check(den.num_classes == 10 and disc.num_classes == 10, f"{kind}: num_classes declared")
        check("sha256" in den.description and "net.pkl" in den.description, f"{kind}: denoiser description names its source")
        check("--dg-preset official" in disc.description and "head.pt" in disc.description,
              f"{kind}: discriminator description names its sources and the preset")

        torch.manual_seed(3)
        x = torch.randn(5, 3, 32, 32) * 2
        sigma = torch.tensor([0.002, 0.1, 1.0, 10.0, 80.0])
        labels = torch.tensor([0, 2, 4, 6, 9])
        onehot = torch.nn.functional.one_hot(labels, 10).float() if conditional else None
        want = net(x, sigma, onehot)
        got = den(x, sigma, labels) if conditional else den(x, sigma)
        check(torch.equal(want, got), f"{kind}: denoiser reproduces the pickle exactly "
                                      f"(max difference {(want - got).abs().max().item():.3g})")

        xg = x.double().requires_grad_(True)
        ref = official_log_ratio(classifier.double(), head.double(), xg, sigma.double(), labels if conditional else None)
        (gref,) = torch.autograd.grad(ref.sum(), xg)
        xm = x.clone().requires_grad_(True)
        mine = disc(xm, sigma, labels) if conditional else disc(xm, sigma)
        (gmine,) = torch.autograd.grad(mine.sum(), xm)
        e1, e2 = (ref - mine.double()).abs().max().item(), (gref - gmine.double()).abs().max().item()
        check(e1 < 1e-5 and e2 < 1e-5, f"{kind}: logit and its gradient match the official formulas "
                                       f"(differences {e1:.2g}, {e2:.2g})")
        check(gmine.abs().max().item() > 1e-4, f"{kind}: the gradient is not zero")

        # dg samples colour images with the pair, and guidance changes them.
        cls = ["--class", "all"] if conditional else []
        outs = {}
        for w in ("0", "1"):
            s = os.path.join(folder, f"s{w}.pt")
            r = run([dg_cli, "sample", "--denoiser", os.path.join(out, "denoiser.pt"), "--discriminator",
                     os.path.join(out, "discriminator.pt"), "--dg-weight", w, "--count", "4", "--steps", "6",
                     "--out", s, "--grid", os.path.join(folder, f"grid{w}.png"), *cls],
                    env=dict(os.environ, DG_NUM_THREADS="1"))
            check(r.returncode == 0, f"{kind}: dg sample --dg-weight {w} ({r.stderr.strip()[-300:]})")
            if r.returncode == 0:
                outs[w] = torch.load(s)
        if len(outs) == 2:
            check(list(outs["1"].shape) == [4, 3, 32, 32], f"{kind}: samples {list(outs['1'].shape)}")
            check((outs["1"][:, 0] - outs["1"][:, 1]).abs().max().item() > 1e-3, f"{kind}: the channels differ (colour)")
            check((outs["1"] - outs["0"]).abs().max().item() > 1e-4, f"{kind}: guidance changes the samples")
            check(os.path.getsize(os.path.join(folder, "grid1.png")) > 1000, f"{kind}: the grid PNG is written")
        pair = ["--denoiser", os.path.join(out, "denoiser.pt"), "--discriminator", os.path.join(out, "discriminator.pt")]
        for name, app, flags in (("dg-studio", studio, ["--reset-settings", "--count", "4", "--view", "denoised"]),
                                 ("dg-lab", lab, [])):
            if not app:
                continue
            shot = os.path.join(folder, name + ".png")
            env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(folder, "cfg"), XDG_RUNTIME_DIR=folder,
                       DG_NUM_THREADS="1")
            r = run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", app, *flags, *pair, "--compare", "--show-step",
                     "9", "--screenshot", shot], env=env, timeout=300)
            check(r.returncode == 0 and os.path.isfile(shot),
                  f"{kind}: {name} loads the pair and screenshots it ({r.stderr.strip()[-300:]})")
            keep = os.environ.get("DG_KEEP_SCREENSHOT")
            if keep and name == "dg-studio" and r.returncode == 0:
                shutil.copy(shot, keep)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Features(torch.nn.Module):
    """A feature network as `dg eval --judge` takes it with --reference: forward(x) -> [N, F]."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 4, stride=4)
        self.fc = torch.nn.Linear(8 * 8 * 8, 12)

    def forward(self, x):
        return 10.0 * self.fc(torch.tanh(self.conv(x)).flatten(1))


def frechet(a, b):
    """Heusel et al. 2017 in float64: |mu_a - mu_b|^2 + tr(A + B - 2 (A^1/2 B A^1/2)^1/2)."""
    ma, mb = a.mean(0), b.mean(0)
    ca, cb = torch.cov(a.T), torch.cov(b.T)
    w, v = torch.linalg.eigh(ca)
    root = v @ torch.diag(w.clamp(min=0).sqrt()) @ v.T
    inner = torch.linalg.eigvalsh(root @ cb @ root).clamp(min=0).sqrt().sum()
    return ((ma - mb) ** 2).sum().item() + (ca.trace() + cb.trace() - 2 * inner).item()


def colour_metrics(dg_cli):
    """dg eval --reference: FD, precision and recall of colour images in a TorchScript feature network, the same FD
    as computed here from the quantized images (the paper's 8-bit protocol)."""
    folder = tempfile.mkdtemp(prefix="fd-")
    try:
        torch.manual_seed(11)
        net = Features().eval()
        torch.jit.script(net).save(os.path.join(folder, "features.pt"))
        reference = (torch.rand(80, 3, 32, 32) * 2 - 1)
        samples = (reference[:60] * 0.7 + 0.2).clamp(-1, 1)
        torch.save(reference, os.path.join(folder, "reference.pt"))
        torch.save(samples, os.path.join(folder, "samples.pt"))

        def quantized(x):
            return (torch.floor(127.5 * x.double() + 128).clamp(0, 255) / 127.5 - 1).float()

        with torch.no_grad():
            want = frechet(net(quantized(reference)).double(), net(quantized(samples)).double())

        def fd_of(samples_file):
            r = run([dg_cli, "eval", "--samples", os.path.join(folder, samples_file), "--reference",
                     os.path.join(folder, "reference.pt"), "--judge", os.path.join(folder, "features.pt")])
            rows = [l for l in r.stdout.splitlines() if l.startswith("| ") and l[2:3] in "-0123456789"]
            return r, [float(c) for c in rows[0].strip("| ").split(" | ")] if rows else None

        r, cells = fd_of("samples.pt")
        check(r.returncode == 0 and cells is not None, f"colour: dg eval --reference runs ({r.stderr.strip()[-200:]})")
        if cells:
            check(want > 1.0 and abs(cells[0] - want) <= 1e-3 * want + 1e-3,
                  f"colour: FD {cells[0]} = the FD computed here {want:.4f}")
            check(0 <= cells[1] <= 1 and 0 <= cells[2] <= 1, f"colour: precision {cells[1]}, recall {cells[2]}")
        torch.save(reference, os.path.join(folder, "same.pt"))
        r, cells = fd_of("same.pt")
        check(cells is not None and abs(cells[0]) < 2e-3 and cells[1] == 1.0,
              f"colour: the reference itself scores FD ~ 0, precision 1 ({cells})")
        r = run([dg_cli, "eval", "--samples", os.path.join(folder, "samples.pt"), "--reference",
                 os.path.join(folder, "reference.pt")])
        check(r.returncode != 0 and "--judge" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
              f"colour: --reference without --judge is refused ({r.stderr.strip()})")
        torch.save(torch.zeros(20, 1, 32, 32), os.path.join(folder, "grey.pt"))
        r = run([dg_cli, "eval", "--samples", os.path.join(folder, "grey.pt"), "--reference",
                 os.path.join(folder, "reference.pt"), "--judge", os.path.join(folder, "features.pt")])
        check(r.returncode != 0 and "do not match" in r.stderr, f"colour: other shapes are refused ({r.stderr.strip()})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class TinyDenoiser(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv2d(3, 32, 3, padding=1)
        self.n = torch.nn.GroupNorm(8, 32)
        self.e = torch.nn.Linear(1, 32)
        self.b = torch.nn.Conv2d(32, 3, 3, padding=1)

    def forward(self, x, sigma):
        h = torch.nn.functional.silu(self.n(self.a(x)) + self.e(sigma.log()[:, None])[:, :, None, None])
        return x / (1 + sigma[:, None, None, None] ** 2) + 0.01 * torch.tanh(self.b(h))


class Shaped(torch.nn.Module):
    sample_shape: List[int]

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.sample_shape = [3, 16, 16]

    def forward(self, x, sigma):
        return self.inner(x, sigma)


def trained_parameters_still_requiring_grad(dg_cli):
    """A traced file whose parameters still require grad (what torch.jit.save keeps after training) samples in dg: the
    graph executor's differentiable subgraphs used to fail under inference mode ("Inference tensors cannot be saved
    for backward")."""
    folder = tempfile.mkdtemp(prefix="grad-")
    try:
        net = TinyDenoiser()
        traced = torch.jit.trace(net, (torch.randn(2, 3, 16, 16), torch.tensor([1.0, 2.0])))
        torch.jit.script(Shaped(traced)).save(os.path.join(folder, "d.pt"))
        r = run([dg_cli, "sample", "--denoiser", os.path.join(folder, "d.pt"), "--count", "4", "--steps", "3",
                 "--out", os.path.join(folder, "s.pt")])
        check(r.returncode == 0, f"a file with parameters requiring grad samples ({r.stderr.strip()[-200:]})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def refusals():
    folder = tempfile.mkdtemp(prefix="refuse-")
    try:
        make_pair(folder, False)
        out = os.path.join(folder, "out")

        def refused(r, needle, what):
            lines = r.stderr.strip().splitlines()
            ok = r.returncode == 1 and len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
            check(ok and not os.path.exists(out), f"refused: {what} ({r.stderr.strip()[:200]})")

        refused(run([sys.executable, TOOL, "--edm", os.path.join(folder, "nowhere"), "--network",
                     os.path.join(folder, "net.pkl"), "--out", out]), "--edm", "a missing checkout")
        refused(run([sys.executable, TOOL, "--network", os.path.join(folder, "net.pkl"), "--trust-pickle", "--out", out]),
                "--edm", "a pickle whose modules need the checkout")
        with open(os.path.join(folder, "odd.pkl"), "wb") as f:
            pickle.dump({"weights": [1, 2, 3]}, f)
        refused(tool(folder, out, network="odd.pkl"), "unknown pickle layout", "an unknown pickle layout")
        torch.manual_seed(1)
        with open(os.path.join(folder, "grey.pkl"), "wb") as f:
            pickle.dump({"ema": EDMPrecond(32, 1, 0)}, f)
        refused(tool(folder, out, network="grey.pkl"), "does not take the denoiser's samples",
                "a discriminator that does not fit the denoiser's shape")
        os.remove(os.path.join(folder, "head.pt"))
        refused(tool(folder, out), "no such file", "a missing discriminator file")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    dg_cli = sys.argv[1]
    studio = sys.argv[2] if len(sys.argv) > 2 and os.path.isfile(sys.argv[2]) else None
    lab = sys.argv[3] if len(sys.argv) > 3 and os.path.isfile(sys.argv[3]) else None
    imports_and_reproduces(dg_cli, studio, lab, conditional=False)
    imports_and_reproduces(dg_cli, studio, lab, conditional=True)
    colour_metrics(dg_cli)
    trained_parameters_still_requiring_grad(dg_cli)
    refusals()
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
