#!/usr/bin/python3
"""What a step of the paper's CIFAR-10 pair costs in dg on this machine (docs/IMPORT.md), measured on stand-ins of
the same architecture and size with random weights:
- denoiser: the DDPM++-layout U-Net of cifar_standin.py (EDM's CIFAR-10 network size, 49.6M parameters) inside EDM's
  preconditioning, as tools/import-edm.py writes it;
- discriminator: an encoder laid out like the official DG code's ADM classifier (32x32: width 128, channel multipliers
  1-2-4, 4 residual blocks per level, attention at 32, 16 and 8) as the frozen feature extractor, and the head (8x8,
  512 input channels, width 128, 2 blocks, attention pooling), behind the VP scaling and VP time of the import tool.
Both are traced to TorchScript files; then `dg sample` runs batch 16 for 4 Heun steps with DG off and on, and the
seconds per step are printed.

usage: import_standin.py DG_CLI [--threads N] [--keep DIR]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from typing import List

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cifar_standin import Block, StandIn  # noqa: E402

BETA_MIN, BETA_MAX = 0.1, 20.0


class Precond(nn.Module):
    """EDM's preconditioning around the U-Net (Karras et al. 2022, Table 1), sigma_data = 0.5."""

    def __init__(self):
        super().__init__()
        self.net = StandIn()

    def forward(self, x, sigma):
        s = sigma.reshape(-1, 1, 1, 1)
        c_skip = 0.25 / (s * s + 0.25)
        c_out = s * 0.5 / (s * s + 0.25).sqrt()
        c_in = 1 / (0.25 + s * s).sqrt()
        return c_skip * x + c_out * self.net(c_in * x, sigma)


class Encoder(nn.Module):
    """ADM-classifier-like encoder: blocks with attention at every level, downsampling between levels."""

    def __init__(self, cin, width, mult, blocks, res, out_pool):
        super().__init__()
        emb = width * 4
        self.width = width
        self.emb = nn.Sequential(nn.Linear(width, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.inp = nn.Conv2d(cin, width, 3, padding=1)
        self.layers = nn.ModuleList()
        c = width
        for level, m in enumerate(mult):
            if level > 0:
                self.layers.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
            for _ in range(blocks):
                self.layers.append(Block(c, width * m, emb, True))
                c = width * m
        self.middle = nn.ModuleList([Block(c, c, emb, True), Block(c, c, emb, False)])
        self.channels = c
        self.pool = nn.Linear(c, 1) if out_pool else None

    def forward(self, x, t):
        freqs = torch.exp(-torch.arange(self.width // 2) / (self.width // 2) * 9.2)
        a = (t * 999.0)[:, None] * freqs[None]
        emb = self.emb(torch.cat([a.cos(), a.sin()], 1))
        h = self.inp(x)
        for layer in self.layers:
            h = layer(h, emb) if isinstance(layer, Block) else layer(h)
        for layer in self.middle:
            h = layer(h, emb)
        if self.pool is None:
            return h
        return self.pool(h.mean(dim=(2, 3))).reshape(-1)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.classifier = Encoder(3, 128, (1, 2, 4), 4, 32, False)
        self.head = Encoder(512, 128, (1,), 2, 8, True)

    def forward(self, x, sigma):
        tau = (-BETA_MIN + torch.sqrt(BETA_MIN ** 2 + 2.0 * (BETA_MAX - BETA_MIN) * torch.log1p(sigma * sigma))) / \
            (BETA_MAX - BETA_MIN)
        mean = torch.exp(-0.25 * tau * tau * (BETA_MAX - BETA_MIN) - 0.5 * tau * BETA_MIN)
        return self.head(self.classifier(mean[:, None, None, None] * x, tau), tau)


class Contract(nn.Module):
    sample_shape: List[int]
    description: str

    def __init__(self, traced, description):
        super().__init__()
        self.inner = traced
        self.sample_shape = [3, 32, 32]
        self.description = description

    def forward(self, x, sigma):
        return self.inner(x, sigma)


def write(module, path, description):
    module.eval()
    example = (torch.randn(2, 3, 32, 32), torch.tensor([1.0, 5.0]))
    traced = torch.jit.trace(module, example, check_inputs=[(torch.randn(3, 3, 32, 32), torch.tensor([0.5, 2.0, 9.0]))])
    torch.jit.script(Contract(traced, description)).save(path)
    return sum(p.numel() for p in module.parameters())


def seconds_per_step(dg, folder, weight, threads, *extra):
    args = [dg, "sample", "--denoiser", os.path.join(folder, "denoiser.pt"), "--count", "16", "--steps", "4",
            "--dg-weight", weight, "--out", os.path.join(folder, "s.pt"), *extra]
    if weight != "0":
        args += ["--discriminator", os.path.join(folder, "discriminator.pt")]
    r = subprocess.run(args, capture_output=True, text=True, env=dict(os.environ, DG_NUM_THREADS=str(threads)))
    if r.returncode != 0:
        sys.exit("import_standin: dg sample failed: " + r.stderr.strip()[-300:])
    # Steps 1-3 (the last step has sigma_next = 0 and is one evaluation only); the step times dg prints.
    times = [float(m.group(1)) for m in re.finditer(r"step\s+[123]/4 .* ([0-9.]+) s$", r.stderr, re.M)]
    return sum(times) / len(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dg")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--keep")
    a = p.parse_args()
    torch.manual_seed(0)
    folder = a.keep or tempfile.mkdtemp(prefix="import-bench-")
    os.makedirs(folder, exist_ok=True)
    n_den = write(Precond(), os.path.join(folder, "denoiser.pt"), "stand-in of EDM's CIFAR-10 network (random)")
    n_disc = write(Discriminator(), os.path.join(folder, "discriminator.pt"),
                   "stand-in of the official DG discriminator (random)")
    off = seconds_per_step(a.dg, folder, "0", a.threads)
    on = seconds_per_step(a.dg, folder, "1", a.threads)
    # The official preset guides the predictor only (w2 = 0): one discriminator gradient per step.
    official = seconds_per_step(a.dg, folder, "2", a.threads, "--dg-preset", "official")
    print(f"denoiser {n_den / 1e6:.1f}M parameters, discriminator {n_disc / 1e6:.1f}M parameters; batch 16, "
          f"{a.threads} threads: {off:.2f} s per Heun step without DG, {on:.2f} s with DG on both evaluations, "
          f"{official:.2f} s with --dg-preset official")


if __name__ == "__main__":
    main()
