#!/usr/bin/python3
"""Python baseline for docs/PERFORMANCE.md: the toy discriminator training loop of `dg train-disc --data toy:NAME`
written in plain PyTorch (the same MLP: 2 -> 128 -> 128 -> 128 -> 1 with SiLU and a sinusoidal sigma embedding through
two linear layers, log-uniform sigma on [1e-3, 150], BCE with logits, Adam), timed on the same fakes file.
Prints samples/s (best of repeats).

usage: python_train_disc.py FAKES.pt ITERATIONS BATCH [--threads N] [--repeats 3]
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SIGMA_DATA = 0.5


class NoiseEmbedding(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, dim), nn.Linear(dim, dim)
        half = dim // 2
        self.register_buffer("freqs", torch.exp(torch.arange(half) * (-math.log(10000.0) / half)).reshape(1, -1))

    def forward(self, sigma):
        args = (sigma.log() * 0.25).reshape(-1, 1) * 10.0 * self.freqs
        return self.fc2(F.silu(self.fc1(torch.cat([args.cos(), args.sin()], 1))))


class MlpDisc(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.embed = NoiseEmbedding(hidden)
        self.stem, self.h1, self.h2 = nn.Linear(2, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, sigma):
        s = sigma.reshape(-1, 1)
        h = F.silu(self.stem(x / (s * s + SIGMA_DATA ** 2).sqrt()) + self.embed(sigma))
        h = F.silu(self.h1(h))
        h = F.silu(self.h2(h))
        return self.out(h).reshape(-1)


def train(fakes, reals, iterations, batch):
    net = MlpDisc()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    half = batch // 2
    labels = torch.cat([torch.ones(half), torch.zeros(half)])
    n = fakes.shape[0]
    per_epoch = n // half
    lo, hi = math.log(1e-3), math.log(150.0)
    for it in range(iterations):
        if it % per_epoch == 0:
            perm_r, perm_f = torch.randperm(n), torch.randperm(n)
        b = it % per_epoch
        x = torch.cat([reals[perm_r[b * half:(b + 1) * half]], fakes[perm_f[b * half:(b + 1) * half]]])
        sigma = (torch.rand(2 * half) * (hi - lo) + lo).exp()
        x = x + torch.randn_like(x) * sigma.reshape(-1, 1)
        loss = F.binary_cross_entropy_with_logits(net(x, sigma), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("fakes")
    p.add_argument("iterations", type=int)
    p.add_argument("batch", type=int)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    fakes = torch.load(a.fakes)
    # Stand-in "real" points of the same size (the timing does not depend on where they come from).
    reals = torch.randn_like(fakes) * 0.5
    best = float("inf")
    for _ in range(a.repeats):
        start = time.perf_counter()
        train(fakes, reals, a.iterations, a.batch)
        best = min(best, time.perf_counter() - start)
    print(f"{a.iterations * a.batch / best:.0f} samples/s  ({best:.3f} s for {a.iterations} iterations of {a.batch})")


if __name__ == "__main__":
    main()
