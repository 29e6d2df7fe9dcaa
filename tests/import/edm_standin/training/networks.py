"""A small stand-in for NVlabs/edm's preconditioned networks (training/networks.py), written for this test: the same
attributes (img_resolution, img_channels, label_dim, sigma_data, sigma_min, sigma_max, round_sigma), the same call
forward(x, sigma, class_labels=None, force_fp32=False) with one-hot class labels, EDM's preconditioning (Karras et
al. 2022, Table 1) — and the two upstream patterns that stop a plain trace: convolution padding computed from the
weight's shape (a tensor under tracing) and attention weights through a torch.autograd.Function."""

import numpy as np
import torch


class Conv(torch.nn.Module):
    def __init__(self, cin, cout, kernel):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(cout, cin, kernel, kernel) / np.sqrt(cin * kernel * kernel))
        self.bias = torch.nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        w = self.weight.to(x.dtype)
        return torch.nn.functional.conv2d(x, w, padding=w.shape[-1] // 2) + self.bias.reshape(1, -1, 1, 1)


class AttentionWeights(torch.autograd.Function):
    """softmax(q^T k / sqrt(c)) in float32 with a hand-written backward (the upstream pattern)."""

    @staticmethod
    def forward(ctx, q, k):
        w = torch.einsum("ncq,nck->nqk", q.to(torch.float32), (k / np.sqrt(k.shape[1])).to(torch.float32))
        w = w.softmax(dim=2).to(q.dtype)
        ctx.save_for_backward(q, k, w)
        return w

    @staticmethod
    def backward(ctx, dw):
        q, k, w = ctx.saved_tensors
        db = w * (dw - (dw * w).sum(dim=2, keepdim=True))
        dq = torch.einsum("nck,nqk->ncq", k, db) / np.sqrt(k.shape[1])
        dk = torch.einsum("ncq,nqk->nck", q, db) / np.sqrt(k.shape[1])
        return dq, dk


class TinyNet(torch.nn.Module):
    def __init__(self, channels, out_channels, label_dim, width=8):
        super().__init__()
        self.inp = Conv(channels, width, 3)
        self.noise = torch.nn.Linear(1, width)
        self.label = torch.nn.Linear(label_dim, width) if label_dim else None
        self.qk = Conv(width, 2 * width, 1)
        self.out = Conv(width, out_channels, 3)

    def forward(self, x, c_noise, labels):
        emb = self.noise(c_noise.reshape(-1, 1))
        if self.label is not None:
            emb = emb + self.label(labels)
        h = torch.nn.functional.silu(self.inp(x) + emb[:, :, None, None])
        n, c = h.shape[:2]
        q, k = self.qk(h).reshape(n, 2 * c, -1).chunk(2, dim=1)
        w = AttentionWeights.apply(q, k)
        h = h + torch.einsum("nqk,nck->ncq", w, h.reshape(n, c, -1)).reshape(h.shape)
        return self.out(h)


class EDMPrecond(torch.nn.Module):
    def __init__(self, img_resolution, img_channels, label_dim=0, sigma_data=0.5, sigma_min=0, sigma_max=float("inf")):
        super().__init__()
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.label_dim = label_dim
        self.sigma_data = sigma_data
        self.sigma_min = sigma_min
        self.sigma_max = sigma_max
        self.model = TinyNet(img_channels, img_channels, label_dim)

    def forward(self, x, sigma, class_labels=None, force_fp32=False, **model_kwargs):
        x = x.to(torch.float32)
        sigma = sigma.to(torch.float32).reshape(-1, 1, 1, 1)
        class_labels = None if self.label_dim == 0 else \
            torch.zeros([1, self.label_dim], device=x.device) if class_labels is None else \
            class_labels.to(torch.float32).reshape(-1, self.label_dim)
        c_skip = self.sigma_data ** 2 / (sigma ** 2 + self.sigma_data ** 2)
        c_out = sigma * self.sigma_data / (sigma ** 2 + self.sigma_data ** 2).sqrt()
        c_in = 1 / (self.sigma_data ** 2 + sigma ** 2).sqrt()
        c_noise = sigma.log() / 4
        F_x = self.model(c_in * x, c_noise.flatten(), class_labels)
        return c_skip * x + c_out * F_x.to(torch.float32)

    def round_sigma(self, sigma):
        return torch.as_tensor(sigma)


class VEPrecond(EDMPrecond):
    """VE preconditioning (Song et al. 2021) with its supported range [0.02, 100], as EDM's VEPrecond declares."""

    def __init__(self, img_resolution, img_channels, label_dim=0, sigma_min=0.02, sigma_max=100):
        super().__init__(img_resolution, img_channels, label_dim, sigma_min=sigma_min, sigma_max=sigma_max)

    def forward(self, x, sigma, class_labels=None, force_fp32=False, **model_kwargs):
        x = x.to(torch.float32)
        sigma = sigma.to(torch.float32).reshape(-1, 1, 1, 1)
        F_x = self.model(x, (0.5 * sigma).log().flatten(), None)
        return x + sigma * 0.1 * torch.tanh(F_x)  # small: random weights, yet a plausible denoiser at sigma 80


class RoundingPrecond(EDMPrecond):
    """Snaps sigma to a discrete set of levels, as EDM's iDDPMPrecond does (round_sigma)."""

    def round_sigma(self, sigma):
        levels = torch.tensor([0.002, 0.1, 1.0, 10.0, 80.0], dtype=torch.float64)
        sigma = torch.as_tensor(sigma)
        index = (sigma.to(torch.float64).reshape(-1, 1) - levels).abs().argmin(1)
        return levels[index].reshape(sigma.shape).to(sigma.dtype)
