#!/usr/bin/python3
"""Writes TorchScript image models for timing DG's overhead (random weights: speed does not depend on them).

usage: make_bench_models.py OUT_DIR
denoiser.pt: a ~0.6M-parameter EDM-preconditioned U-Net on [1, 28, 28]; discriminator.pt: a ~0.2M-parameter
sigma-conditional CNN returning logits [N].
"""
import math
import os
import sys
from typing import List

import torch
from torch import nn


def noise_embedding(c_noise: torch.Tensor, dim: int) -> torch.Tensor:
    freqs = torch.exp(-math.log(10000.0) * torch.arange(dim // 2, dtype=torch.float32) / (dim // 2))
    args = c_noise.view(-1, 1) * freqs.view(1, -1)
    return torch.cat([args.cos(), args.sin()], 1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.e = nn.Linear(emb, cout)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.c1(torch.nn.functional.silu(self.n1(x)))
        h = h + self.e(e).unsqueeze(-1).unsqueeze(-1)
        h = self.c2(torch.nn.functional.silu(self.n2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [1, 28, 28]
        self.description: str = "benchmark U-Net (random weights)"
        self.emb = nn.Sequential(nn.Linear(64, 128), nn.SiLU(), nn.Linear(128, 128))
        self.inp = nn.Conv2d(1, 32, 3, padding=1)
        self.d1 = ResBlock(32, 32, 128)
        self.down1 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.d2 = ResBlock(64, 64, 128)
        self.down2 = nn.Conv2d(64, 96, 3, stride=2, padding=1)
        self.mid = ResBlock(96, 96, 128)
        self.up2 = nn.ConvTranspose2d(96, 64, 4, stride=2, padding=1)
        self.u2 = ResBlock(128, 64, 128)
        self.up1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.u1 = ResBlock(64, 32, 128)
        self.out = nn.Conv2d(32, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        sd = 0.5
        s = sigma.view(-1, 1, 1, 1)
        c_skip = sd * sd / (s * s + sd * sd)
        c_out = s * sd / (s * s + sd * sd).sqrt()
        c_in = 1.0 / (s * s + sd * sd).sqrt()
        e = self.emb(noise_embedding(sigma.log() / 4.0, 64))
        h0 = self.d1(self.inp(c_in * x), e)
        h1 = self.d2(self.down1(h0), e)
        h = self.mid(self.down2(h1), e)
        h = self.u2(torch.cat([self.up2(h)[:, :, :14, :14], h1], 1), e)
        h = self.u1(torch.cat([self.up1(h), h0], 1), e)
        return c_skip * x + c_out * self.out(h)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [1, 28, 28]
        self.emb = nn.Linear(64, 128)
        self.c1 = nn.Conv2d(1, 32, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(64, 128, 3, stride=2, padding=1)
        self.head = nn.Linear(128, 1)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        h = x / (1.0 + sigma.view(-1, 1, 1, 1).pow(2)).sqrt()
        h = torch.nn.functional.silu(self.c1(h))
        h = torch.nn.functional.silu(self.c2(h))
        h = torch.nn.functional.silu(self.c3(h)).mean((2, 3))
        h = h + self.emb(noise_embedding(sigma.log() / 4.0, 64))
        return self.head(torch.nn.functional.silu(h)).squeeze(1)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    for name, module in (("denoiser.pt", UNet()), ("discriminator.pt", Discriminator())):
        params = sum(p.numel() for p in module.parameters())
        torch.jit.script(module.eval()).save(os.path.join(out, name))
        print(f"{name}: {params} parameters")


if __name__ == "__main__":
    main()
