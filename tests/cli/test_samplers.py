#!/usr/bin/python3
"""SamplerReferenceTest (CTest): the registry's samplers with DG, against independent references written here.

- DPM-Solver++(2M) with DG (weight, σ window) on analytic 2-D Gaussian mixtures: dg sample equals a float64 Python
  implementation (k-diffusion's sample_dpmpp_2m recurrence, the discriminator gradient by autograd) within 1e-4.
- DPM-Solver++(2M) converges to the Heun result as the steps grow.
- Euler ancestral with the optimal discriminator brings samples measurably closer to the data (SW2 of dg eval).
- Euler ancestral's noise depends on (seed, sample, step) only: a sample does not change with the count.

usage: test_samplers.py DG_CLI
"""

import math
import os
import shutil
import subprocess
import sys
import tempfile
from typing import List

import torch

failures = []


def check(ok, what):
    print(("PASS  " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(args):
    return subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, DG_NUM_THREADS="1"))


class Mixture(torch.nn.Module):
    """An isotropic Gaussian mixture in 2-D diffused to noise level sigma: log density and the exact denoiser."""

    def __init__(self, means, std, weights):
        super().__init__()
        self.means = torch.tensor(means, dtype=torch.float64)
        self.std = std
        self.logw = torch.log(torch.tensor(weights, dtype=torch.float64) / sum(weights))

    def log_parts(self, x, sigma):
        var = self.std ** 2 + sigma[:, None] ** 2  # [N, 1]
        d2 = ((x[:, None, :] - self.means.to(x.dtype)[None]) ** 2).sum(-1)  # [N, K]
        return self.logw.to(x.dtype)[None] - 0.5 * d2 / var - torch.log(2 * math.pi * var), var

    def log_density(self, x, sigma):
        parts, _ = self.log_parts(x, sigma)
        return torch.logsumexp(parts, dim=1)

    def denoise(self, x, sigma):
        parts, var = self.log_parts(x, sigma)
        r = torch.softmax(parts, dim=1)  # responsibilities
        # E[x0 | x]: per component, mean + std^2/var * (x - mean)
        comp = self.means.to(x.dtype)[None] + (self.std ** 2 / var)[:, :, None] * (x[:, None, :] - self.means.to(x.dtype)[None])
        return (r[:, :, None] * comp).sum(1)


DATA = ([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]], 0.1, [1.0, 1.0, 1.0, 1.0])
MODEL = ([[1.1, 0.2], [0.1, 0.8], [-0.9, 0.1], [0.2, -1.2]], 0.2, [2.0, 1.0, 1.0, 0.5])


class Denoiser(torch.nn.Module):
    sample_shape: List[int]

    def __init__(self):
        super().__init__()
        self.q = Mixture(*MODEL)
        self.sample_shape = [2]

    def forward(self, x, sigma):
        return self.q.denoise(x.double(), sigma.double()).float()


class Discriminator(torch.nn.Module):
    sample_shape: List[int]

    def __init__(self):
        super().__init__()
        self.p, self.q = Mixture(*DATA), Mixture(*MODEL)
        self.sample_shape = [2]

    def forward(self, x, sigma):
        xd, sd = x.double(), sigma.double()
        return (self.p.log_density(xd, sd) - self.q.log_density(xd, sd)).float()


def edm_sigmas(steps, lo=0.002, hi=80.0, rho=7.0):
    s = [(hi ** (1 / rho) + i / (steps - 1) * (lo ** (1 / rho) - hi ** (1 / rho))) ** rho for i in range(steps)]
    return s + [0.0]


def guided(x, sigma, w, window):
    """D_DG = D + w sigma^2 grad log(p/q), in float64 (Kim et al. 2023), on only inside the window."""
    q, p = Mixture(*MODEL), Mixture(*DATA)
    s = torch.full((x.shape[0],), sigma, dtype=torch.float64)
    d = q.denoise(x, s)
    if w == 0 or not (window[0] <= sigma <= window[1]):
        return d
    xg = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad((p.log_density(xg, s) - q.log_density(xg, s)).sum(), xg)
    return d + w * sigma ** 2 * g


def dpmpp_2m(x, sigmas, w, window):
    """k-diffusion's sample_dpmpp_2m recurrence, written out in float64."""
    old = None
    for i in range(len(sigmas) - 1):
        s, sn = sigmas[i], sigmas[i + 1]
        denoised = guided(x, s, w, window)
        if sn == 0:
            x = denoised
        else:
            t, tn = -math.log(s), -math.log(sn)
            h = tn - t
            if old is None:
                x = (sn / s) * x - math.expm1(-h) * denoised
            else:
                r = (t - (-math.log(sigmas[i - 1]))) / h
                x = (sn / s) * x - math.expm1(-h) * ((1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old)
        old = denoised
    return x


def main():
    dg = sys.argv[1]
    folder = tempfile.mkdtemp(prefix="samplers-")
    try:
        torch.jit.script(Denoiser()).save(os.path.join(folder, "den.pt"))
        torch.jit.script(Discriminator()).save(os.path.join(folder, "disc.pt"))
        torch.manual_seed(3)
        z = torch.randn(64, 2)
        torch.save(z, os.path.join(folder, "z.pt"))
        pair = ["--denoiser", os.path.join(folder, "den.pt"), "--discriminator", os.path.join(folder, "disc.pt"),
                "--noise", os.path.join(folder, "z.pt"), "--quiet"]

        def sample(sampler, steps, w, extra=()):
            out = os.path.join(folder, f"{sampler}-{steps}-{w}.pt")
            r = run([dg, "sample", *pair, "--sampler", sampler, "--steps", str(steps), "--dg-weight", str(w),
                     "--out", out, *extra])
            check(r.returncode == 0, f"dg sample --sampler {sampler} --steps {steps} --dg-weight {w} "
                                     f"({r.stderr.strip()[-200:]})")
            return torch.load(out).double() if r.returncode == 0 else None

        window = (0.1, 10.0)
        for steps, w in ((12, 0.0), (12, 1.5), (25, 1.0)):
            got = sample("dpmpp-2m", steps, w, ["--dg-sigma-min", "0.1", "--dg-sigma-max", "10"])
            want = dpmpp_2m(z.double() * 80.0, edm_sigmas(steps), w, window)
            if got is not None:
                err = (got - want).abs().max().item()
                check(err <= 1e-4, f"dpmpp-2m, {steps} steps, w = {w}, window [0.1, 10]: dg equals the float64 "
                                   f"reference within 1e-4 ({err:.2g}; samples span {want.abs().max().item():.2f})")
        if got is not None:
            check((got - dpmpp_2m(z.double() * 80.0, edm_sigmas(25), 0.0, window)).abs().max().item() > 1e-2,
                  "dpmpp-2m: guidance changes the samples")

        heun = sample("heun", 200, 0.0)
        coarse = sample("dpmpp-2m", 10, 0.0)
        fine = sample("dpmpp-2m", 200, 0.0)
        if heun is not None and coarse is not None and fine is not None:
            e10, e200 = (coarse - heun).abs().max().item(), (fine - heun).abs().max().item()
            check(e200 < 1e-2 and e200 < e10 / 5, f"dpmpp-2m converges to the Heun result: max |diff| {e10:.3g} at 10 "
                                                  f"steps, {e200:.3g} at 200")

        # Euler ancestral and the optimal discriminator (the built-in ring8 toy): closer to the data.
        sw = {}
        for w in ("0", "1"):
            r = run([dg, "eval", "--denoiser", "builtin:ring8-model", "--discriminator", "builtin:ring8-disc",
                     "--sampler", "euler-ancestral", "--steps", "40", "--dg-weight", w, "--count", "2000",
                     "--seed", "4"])
            rows = [l for l in r.stdout.splitlines() if l.startswith("| ") and l[2:3] in "0123456789"]
            check(r.returncode == 0 and rows, f"dg eval --sampler euler-ancestral --dg-weight {w} "
                                              f"({r.stderr.strip()[-160:]})")
            if rows:
                sw[w] = float(rows[0].strip("| ").split(" | ")[0])
        if len(sw) == 2:
            check(sw["1"] < 0.7 * sw["0"], f"euler-ancestral: the optimal discriminator brings the samples closer to "
                                           f"the data (SW2 {sw['0']:.4f} -> {sw['1']:.4f})")

        # (seed, sample, step) noise: the first samples of a larger run are the same.
        outs = []
        for count in ("3", "8"):
            out = os.path.join(folder, f"anc{count}.pt")
            r = run([dg, "sample", "--denoiser", "builtin:ring8-model", "--sampler", "euler-ancestral", "--count",
                     count, "--seed", "9", "--steps", "10", "--out", out, "--quiet"])
            outs.append(torch.load(out) if r.returncode == 0 else None)
        check(outs[0] is not None and outs[1] is not None and torch.equal(outs[0], outs[1][:3]),
              "euler-ancestral: a sample does not depend on the count (noise keyed by seed, sample, step)")
        other = os.path.join(folder, "anc-other.pt")
        run([dg, "sample", "--denoiser", "builtin:ring8-model", "--sampler", "euler-ancestral", "--count", "3",
             "--seed", "10", "--steps", "10", "--out", other, "--quiet"])
        check(os.path.isfile(other) and not torch.equal(torch.load(other), outs[0]),
              "euler-ancestral: another seed gives other samples")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
