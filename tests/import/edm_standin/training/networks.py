"""A small stand-in for NVlabs/edm's preconditioned networks (training/networks.py): the same attributes
(img_resolution, img_channels, label_dim, sigma_data), the same call forward(x, sigma, class_labels=None,
force_fp32=False) with one-hot class labels, and EDM's preconditioning (Karras et al. 2022, Table 1):
D(x; sigma) = c_skip x + c_out F(c_in x, c_noise, labels). F is a tiny convolutional network."""

import torch


class TinyNet(torch.nn.Module):
    def __init__(self, channels, label_dim, width=8):
        super().__init__()
        self.inp = torch.nn.Conv2d(channels, width, 3, padding=1)
        self.noise = torch.nn.Linear(1, width)
        self.label = torch.nn.Linear(label_dim, width) if label_dim else None
        self.out = torch.nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, x, c_noise, labels):
        emb = self.noise(c_noise.reshape(-1, 1))
        if self.label is not None:
            emb = emb + self.label(labels)
        h = torch.nn.functional.silu(self.inp(x) + emb[:, :, None, None])
        return self.out(h)


class EDMPrecond(torch.nn.Module):
    def __init__(self, img_resolution, img_channels, label_dim=0, sigma_data=0.5):
        super().__init__()
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.label_dim = label_dim
        self.sigma_data = sigma_data
        self.model = TinyNet(img_channels, label_dim)

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
