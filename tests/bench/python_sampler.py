#!/usr/bin/python3
"""Python baseline for docs/PERFORMANCE.md: EDM Heun sampling with Discriminator Guidance written the way the
official DG code does it (torch.autograd.grad of the discriminator's log-ratio with respect to x), on the very same
TorchScript files that `dg export --torchscript` writes. Prints best-of-N images/s.

usage: python_sampler.py DENOISER.pt DISCRIMINATOR.pt BATCH WEIGHT [--steps 18] [--repeats 3] [--threads N]
"""
import argparse
import time

import torch


def edm_sigmas(steps, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    # Karras et al. 2022, eq. 5, followed by sigma_N = 0.
    i = torch.arange(steps, dtype=torch.float64)
    s = (sigma_max ** (1 / rho) + i / (steps - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([s, torch.zeros(1, dtype=torch.float64)])


def guided_denoise(denoiser, discriminator, x, sigma, weight):
    s = torch.full((x.shape[0],), float(sigma))
    with torch.no_grad():
        d = denoiser(x, s)
    if weight == 0.0:
        return d
    # DG (Kim et al. 2023): D + w * sigma^2 * grad_x log(d / (1 - d)), the gradient through the discriminator only.
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        logit = discriminator(xg, s)
        grad, = torch.autograd.grad(logit.sum(), xg)
    return d + weight * float(sigma) ** 2 * grad


def sample(denoiser, discriminator, noise, steps, weight):
    sigmas = edm_sigmas(steps)
    x = noise * sigmas[0].item()
    for i in range(steps):  # EDM Algorithm 2 without churn: Heun, Euler on the last step
        t, t_next = sigmas[i].item(), sigmas[i + 1].item()
        d = (x - guided_denoise(denoiser, discriminator, x, t, weight)) / t
        x_next = x + (t_next - t) * d
        if t_next > 0:
            d2 = (x_next - guided_denoise(denoiser, discriminator, x_next, t_next, weight)) / t_next
            x_next = x + (t_next - t) * (0.5 * d + 0.5 * d2)
        x = x_next
    return x


def main():
    p = argparse.ArgumentParser()
    p.add_argument("denoiser")
    p.add_argument("discriminator")
    p.add_argument("batch", type=int)
    p.add_argument("weight", type=float)
    p.add_argument("--steps", type=int, default=18)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    denoiser = torch.jit.load(a.denoiser).eval()
    discriminator = torch.jit.load(a.discriminator).eval()
    shape = [a.batch] + list(denoiser.sample_shape)
    noise = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    sample(denoiser, discriminator, noise, 2, a.weight)  # warm-up: the TorchScript profiling executor
    best = float("inf")
    for _ in range(a.repeats):
        start = time.perf_counter()
        out = sample(denoiser, discriminator, noise, a.steps, a.weight)
        best = min(best, time.perf_counter() - start)
    assert torch.isfinite(out).all()
    print(f"{a.batch / best:.3f} images/s  ({best:.4f} s per batch of {a.batch}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
