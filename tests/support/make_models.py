#!/usr/bin/python3
"""Writes the TorchScript files and tensor files the test suites use (run with Debian's /usr/bin/python3).

usage: make_models.py OUT_DIR PARAMS.json
PARAMS.json holds the ring8 data and model mixtures as exported by the C++ test:
{"data": {"means": [[x, y], ...], "stds": [...], "weights": [...]}, "model": {...}}
"""
import json
import math
import os
import sys
from typing import List

import torch


class Mixture(torch.nn.Module):
    """Isotropic Gaussian mixture under VE diffusion, in float64 (same closed forms as the C++ built-ins)."""

    def __init__(self, p):
        super().__init__()
        self.means = torch.tensor(p["means"], dtype=torch.float64)
        self.stds = torch.tensor(p["stds"], dtype=torch.float64)
        w = torch.tensor(p["weights"], dtype=torch.float64)
        self.log_weights = (w / w.sum()).log()

    def terms(self, x, sigma):
        var = self.stds.pow(2).unsqueeze(0) + sigma.to(torch.float64).pow(2).unsqueeze(1)
        sq = (x.to(torch.float64).unsqueeze(1) - self.means.unsqueeze(0)).pow(2).sum(-1)
        d = float(self.means.shape[1])
        return self.log_weights.unsqueeze(0) - 0.5 * d * torch.log(2.0 * math.pi * var) - 0.5 * sq / var, var

    def log_density(self, x, sigma):
        t, _ = self.terms(x, sigma)
        return torch.logsumexp(t, 1)

    def denoise(self, x, sigma):
        t, var = self.terms(x, sigma)
        r = torch.softmax(t, 1)
        shrink = (self.stds.pow(2).unsqueeze(0) / var).unsqueeze(-1)
        mu = self.means.unsqueeze(0)
        post = mu + shrink * (x.to(torch.float64).unsqueeze(1) - mu)
        return (r.unsqueeze(-1) * post).sum(1)


class MixtureDenoiser(torch.nn.Module):
    def __init__(self, p, description: str = "ring8 model mixture written by Python"):
        super().__init__()
        self.mix = Mixture(p)
        self.sample_shape: List[int] = [2]
        self.description: str = description

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return self.mix.denoise(x, sigma).to(x.dtype)


class MixtureDiscriminator(torch.nn.Module):
    def __init__(self, data, model):
        super().__init__()
        self.data = Mixture(data)
        self.model = Mixture(model)
        self.sample_shape: List[int] = [2]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return (self.data.log_density(x, sigma) - self.model.log_density(x, sigma)).to(x.dtype)


class GaussianImageDenoiser(torch.nn.Module):
    """Exact denoiser of N(0, s^2 I) images [1, 8, 8]: D = s^2 / (s^2 + sigma^2) x."""

    def __init__(self, s: float):
        super().__init__()
        self.s = s
        self.sample_shape: List[int] = [1, 8, 8]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        s2 = self.s * self.s
        return x * (s2 / (s2 + sigma.pow(2))).view(-1, 1, 1, 1)


class ImageDiscriminator(torch.nn.Module):
    """A smooth logit on images: a fixed quadratic form (differentiable, shape [N])."""

    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [1, 8, 8]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return -0.5 * (x - 0.3).pow(2).flatten(1).mean(1) / (1.0 + sigma.pow(2))


class ConditionalDenoiser(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [2]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, class_labels: torch.Tensor) -> torch.Tensor:
        centre = torch.stack([class_labels.to(x.dtype), -class_labels.to(x.dtype)], 1) * 0.25
        return centre + (x - centre) * (0.01 / (0.01 + sigma.pow(2))).unsqueeze(1)


class OneArgument(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class WrongShape(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [2]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return x.sum(1)


class NaNDenoiser(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [2]

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return torch.where(sigma.view(-1, 1) < 1.0, x * float("nan"), x * (0.5 / (1.0 + sigma.pow(2))).view(-1, 1))


class SlowDenoiser(torch.nn.Module):
    """A denoiser that takes a while per call (a chain of 768x768 products), for cancellation timing tests."""

    def __init__(self):
        super().__init__()
        self.sample_shape: List[int] = [2]
        self.w = torch.randn(768, 768, generator=torch.Generator().manual_seed(5)) / 28.0

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        y = torch.ones(768, 768)
        for _ in range(40):
            y = torch.tanh(self.w @ y)
        return x * (0.25 / (0.25 + sigma.pow(2))).unsqueeze(1) + 0.0 * y.mean()


class NoShape(torch.nn.Module):
    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return x * (0.25 / (0.25 + sigma.pow(2))).view([-1] + [1] * (x.dim() - 1))


def main():
    out, params = sys.argv[1], json.load(open(sys.argv[2]))
    os.makedirs(out, exist_ok=True)
    save = lambda m, name: torch.jit.script(m).save(os.path.join(out, name))
    save(MixtureDenoiser(params["model"]), "ring8_model.pt")
    save(MixtureDenoiser(params["data"], "ring8 data mixture written by Python"), "ring8_data.pt")
    save(MixtureDiscriminator(params["data"], params["model"]), "ring8_disc.pt")
    save(GaussianImageDenoiser(0.5), "gauss_image.pt")
    save(ImageDiscriminator(), "image_disc.pt")
    save(ConditionalDenoiser(), "conditional.pt")
    save(OneArgument(), "one_argument.pt")
    save(WrongShape(), "wrong_shape.pt")
    save(NaNDenoiser(), "nan_denoiser.pt")
    save(NoShape(), "no_shape.pt")
    save(SlowDenoiser(), "slow_denoiser.pt")
    gen = torch.Generator().manual_seed(1234)
    noise = torch.randn(5, 2, generator=gen)
    torch.save(noise, os.path.join(out, "noise.pt"))
    with open(os.path.join(out, "noise.txt"), "w") as f:
        f.write(" ".join(repr(v) for v in noise.flatten().tolist()))
    torch.save(torch.randn(3, 1, 8, 8, generator=gen), os.path.join(out, "image_noise.pt"))
    torch.save({"x": torch.zeros(2, 2)}, os.path.join(out, "dict.pt"))
    torch.save(torch.arange(6).view(3, 2), os.path.join(out, "int_tensor.pt"))
    with open(os.path.join(out, "garbage.pt"), "wb") as f:
        f.write(b"this is not a zip archive\n" * 10)


if __name__ == "__main__":
    main()
