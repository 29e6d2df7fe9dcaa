#!/usr/bin/python3
"""A stand-in of the size of EDM's CIFAR-10 network for cost estimates (docs/SCALING.md): a U-Net laid out like
DDPM++ in EDM's configuration (Karras et al. 2022: 128 base channels, multipliers 2-2-2 at 32/16/8, four residual
blocks per level, self-attention at 16x16, decoder blocks on concatenated skips). Random weights: only its cost is
measured. Prints the parameter count, GFLOP per sample per forward (convolutions, linear layers and attention
products) and the measured seconds per sample per forward at the given batch on this CPU.

usage: cifar_standin.py [--batch 16] [--threads N]
"""
import argparse
import time

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, cin, cout, emb, attention):
        super().__init__()
        self.n0, self.c0 = nn.GroupNorm(32, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.e = nn.Linear(emb, cout)
        self.n1, self.c1 = nn.GroupNorm(32, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        self.attention = attention
        if attention:
            self.na, self.qkv, self.proj = nn.GroupNorm(32, cout), nn.Conv2d(cout, 3 * cout, 1), nn.Conv2d(cout, cout, 1)

    def forward(self, x, emb):
        h = self.c0(torch.nn.functional.silu(self.n0(x))) + self.e(emb)[:, :, None, None]
        x = self.skip(x) + self.c1(torch.nn.functional.silu(self.n1(h)))
        if self.attention:
            b, c, hh, ww = x.shape
            q, k, v = self.qkv(self.na(x)).reshape(b, 3, c, hh * ww).unbind(1)
            w = torch.softmax(torch.einsum("bci,bcj->bij", q, k) / c ** 0.5, dim=2)
            x = x + self.proj(torch.einsum("bij,bcj->bci", w, v).reshape(b, c, hh, ww))
        return x


class StandIn(nn.Module):
    def __init__(self, base=128, mult=(2, 2, 2), blocks=4, attention_at=16, res=32):
        super().__init__()
        emb = base * 4
        self.emb = nn.Sequential(nn.Linear(base, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.inp = nn.Conv2d(3, base, 3, padding=1)
        self.enc, self.dec, skips, c = nn.ModuleList(), nn.ModuleList(), [base], base
        for level, m in enumerate(mult):
            r = res >> level
            if level > 0:
                self.enc.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                skips.append(c)
            for _ in range(blocks):
                self.enc.append(Block(c, base * m, emb, r == attention_at))
                c = base * m
                skips.append(c)
        for level, m in reversed(list(enumerate(mult))):
            r = res >> level
            for _ in range(blocks + 1):
                self.dec.append(Block(c + skips.pop(), base * m, emb, r == attention_at))
                c = base * m
            if level > 0:
                self.dec.append(nn.Upsample(scale_factor=2))
        self.out = nn.Sequential(nn.GroupNorm(32, c), nn.SiLU(), nn.Conv2d(c, 3, 3, padding=1))
        self.base = base

    def forward(self, x, sigma):
        freqs = torch.exp(-torch.arange(self.base // 2) / (self.base // 2) * 9.2)
        t = sigma.log()[:, None] / 4 * freqs[None]
        emb = self.emb(torch.cat([t.cos(), t.sin()], 1))
        h, skips = self.inp(x), []
        skips.append(h)
        for layer in self.enc:
            h = layer(h, emb) if isinstance(layer, Block) else layer(h)
            skips.append(h)
        for layer in self.dec:
            h = layer(torch.cat([h, skips.pop()], 1), emb) if isinstance(layer, Block) else layer(h)
        return self.out(h)


def flops_per_sample(model):
    """Multiply-adds x 2 of convolutions, linear layers and the attention products, for one 3x32x32 sample."""
    total = [0]

    def conv(m, inp, out):
        total[0] += 2 * out.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]

    def linear(m, inp, out):
        total[0] += 2 * out.numel() * m.in_features

    def attention(m, inp, out):
        if m.attention:
            c, hw = out.shape[1], out.shape[2] * out.shape[3]
            total[0] += 2 * 2 * c * hw * hw  # q.k and weights.v

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear))
        elif isinstance(m, Block):
            hooks.append(m.register_forward_hook(attention))
    with torch.no_grad():
        model(torch.randn(1, 3, 32, 32), torch.ones(1))
    for h in hooks:
        h.remove()
    return total[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = StandIn().eval()
    params = sum(q.numel() for q in model.parameters())
    gflop = flops_per_sample(model) / 1e9
    x, s = torch.randn(a.batch, 3, 32, 32), torch.full((a.batch,), 2.0)
    with torch.no_grad():
        model(x, s)  # warm-up
        start, runs = time.perf_counter(), 3
        for _ in range(runs):
            model(x, s)
        per_sample = (time.perf_counter() - start) / runs / a.batch
    print(f"parameters {params / 1e6:.1f}M  GFLOP/sample/forward {gflop:.2f}  "
          f"seconds/sample/forward {per_sample:.4f} (batch {a.batch}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
