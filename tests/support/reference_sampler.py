#!/usr/bin/python3
"""An independent guided reference for the test suite (run with Debian's /usr/bin/python3).

EDM sampling (Karras et al. 2022, Algorithm 2: Heun or Euler, churn) with Discriminator Guidance written the way the
official DG code does it (alsdudrla10/DG, generate.py + classifier_lib.py): torch.autograd.grad of the
discriminator's log-ratio with respect to x, the log-ratio of d = sigmoid(logit) clipped to [1e-5, 1 - 1e-5] when a
clip is asked for, the sigma window either as sigma bounds or (preset "official") as the official VP-time test
tau(sigma) in [0.01, 1]. Nothing here is shared with dg's C++ sampler: only the models (TorchScript files) and the
noise contract (the start noise file; churn noise from the documented per-sample keys).

usage: reference_sampler.py DENOISER.pt DISCRIMINATOR.pt|none NOISE.pt SETTINGS.json OUT.pt
SETTINGS.json: {"seed", "sampler": "heun"|"euler", "steps", "sigma_min", "sigma_max", "rho", "churn", "s_min",
                "s_max", "s_noise", "w", "w2", "dg_sigma_min", "dg_sigma_max", "logit_clip": number|null,
                "preset": "none"|"official"}
"""
import json
import math
import sys

import torch

MASK = (1 << 64) - 1


def mix(z):
    # SplitMix64 finaliser (Steele, Lea & Flood 2014), as README's seed contract documents.
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def noise_key(seed, sample, stream):
    return mix(mix(mix(seed) ^ sample) ^ ((stream * 0xD1B54A32D192ED03) & MASK))


def churn_noise(seed, count, shape, step):
    rows = []
    for i in range(count):
        g = torch.Generator().manual_seed(noise_key(seed, i, step + 1))
        rows.append(torch.randn(shape, generator=g, dtype=torch.float32))
    return torch.stack(rows)


def edm_sigmas(steps, sigma_min, sigma_max, rho):
    # Karras et al. 2022, eq. 5, then sigma_N = 0.
    out = []
    for i in range(steps):
        t = i / (steps - 1) if steps > 1 else 0.0
        out.append((sigma_max ** (1 / rho) + t * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho)
    return out + [0.0]


def vp_tau(sigma):
    # classifier_lib.vpsde.compute_tau of the official code (beta_min 0.1, beta_max 20).
    b0, b1 = 0.1, 20.0
    return (-b0 + math.sqrt(b0 * b0 + 2.0 * (b1 - b0) * math.log(1.0 + sigma * sigma))) / (b1 - b0)


def in_window(cfg, sigma):
    if cfg["preset"] == "official" and cfg.get("dg_sigma_min") is None and cfg.get("dg_sigma_max") is None:
        return 0.01 <= vp_tau(sigma) <= 1.0
    lo = cfg.get("dg_sigma_min")
    hi = cfg.get("dg_sigma_max")
    return (lo is None or sigma >= lo) and (hi is None or sigma <= hi)


def guided(denoiser, discriminator, cfg, x, sigma, weight):
    s = torch.full((x.shape[0],), float(sigma), dtype=torch.float32)
    with torch.no_grad():
        d = denoiser(x, s)
    if weight == 0.0 or discriminator is None or not in_window(cfg, sigma):
        return d
    with torch.enable_grad():
        xg = x.detach().clone().requires_grad_(True)
        logit = discriminator(xg, s)
        if cfg.get("logit_clip") is not None:
            # classifier_lib.get_log_ratio: clip p to [e, 1 - e], then log(p / (1 - p)); the official e = 1e-5 is
            # the clip L = ln((1 - e) / e) = 11.513, and a clip L in general is e = 1 / (1 + exp(L)).
            e = 1.0 / (1.0 + math.exp(cfg["logit_clip"]))
            p = torch.clip(torch.sigmoid(logit), e, 1.0 - e)
            logit = torch.log(p / (1.0 - p))
        grad, = torch.autograd.grad(logit.sum(), xg)
    return d + weight * float(sigma) ** 2 * grad


def main():
    den_path, disc_path, noise_path, cfg_path, out_path = sys.argv[1:6]
    cfg = json.load(open(cfg_path))
    denoiser = torch.jit.load(den_path).eval()
    discriminator = None if disc_path == "none" else torch.jit.load(disc_path).eval()
    noise = torch.load(noise_path).to(torch.float32)
    count, shape = noise.shape[0], list(noise.shape[1:])
    sig = edm_sigmas(cfg["steps"], cfg["sigma_min"], cfg["sigma_max"], cfg["rho"])
    w1, w2 = cfg["w"], cfg["w2"]
    x = noise * sig[0]
    for k in range(cfg["steps"]):
        t, t_next = sig[k], sig[k + 1]
        gamma = 0.0
        if cfg["churn"] > 0 and cfg["s_min"] <= t <= cfg["s_max"]:
            gamma = min(cfg["churn"] / cfg["steps"], math.sqrt(2.0) - 1.0)
        t_hat = t + gamma * t
        x_hat = x
        if gamma > 0:
            eps = churn_noise(cfg["seed"], count, shape, k)
            x_hat = x + math.sqrt(t_hat * t_hat - t * t) * cfg["s_noise"] * eps
        d = (x_hat - guided(denoiser, discriminator, cfg, x_hat, t_hat, w1)) / t_hat
        x_next = x_hat + (t_next - t_hat) * d
        if cfg["sampler"] == "heun" and t_next != 0.0:
            d2 = (x_next - guided(denoiser, discriminator, cfg, x_next, t_next, w2)) / t_next
            x_next = x_hat + (t_next - t_hat) * (0.5 * d + 0.5 * d2)
        x = x_next
    torch.save(x, out_path)


if __name__ == "__main__":
    main()
