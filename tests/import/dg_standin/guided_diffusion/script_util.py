"""A small stand-in for alsdudrla10/DG's guided_diffusion.script_util.create_classifier: the same arguments and the
same call of the returned encoder, forward(x, timesteps, feature=False, sigmoid=False, condition=None), with the
official conventions (timesteps in [0, 1] scaled by 999 inside; feature=True returns the 512-channel 8x8 feature map
the discriminator head takes; sigmoid=True returns d; condition: int64 labels or one-hot rows). Tiny networks."""

import math

import torch


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=t.dtype) / half)
    args = t[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class EncoderStandIn(torch.nn.Module):
    def __init__(self, image_size, in_channels, out_channels, condition):
        super().__init__()
        self.image_size = image_size
        self.condition = condition
        self.time = torch.nn.Linear(16, 32)
        self.label_emb = torch.nn.Embedding(10, 32) if condition else None
        if image_size == 8:  # the discriminator head on the classifier's features
            self.body = torch.nn.Conv2d(in_channels, 32, 1)
        else:  # the classifier: image -> [N, 512, image/4, image/4]
            self.body = torch.nn.Conv2d(in_channels, 32, 4, stride=4)
            self.feature = torch.nn.Conv2d(32, 512, 1)
        self.out = torch.nn.Linear(32 if image_size == 8 else 512, out_channels)

    def forward(self, x, timesteps, feature=False, sigmoid=False, condition=None):
        emb = self.time(timestep_embedding(timesteps * 999.0, 16))
        if self.condition:
            emb = emb + (self.label_emb(condition) if condition.ndim == 1 else self.label_emb(torch.argmax(condition, 1)))
        h = torch.tanh(self.body(x) + emb[:, :, None, None])
        if self.image_size != 8:
            h = self.feature(h)
            if feature:
                return h
        h = h.mean(dim=(2, 3))
        if sigmoid:
            return torch.sigmoid(self.out(h))
        return self.out(h)


def create_classifier(image_size, classifier_use_fp16, classifier_width, classifier_depth,
                      classifier_attention_resolutions, classifier_use_scale_shift_norm, classifier_resblock_updown,
                      classifier_pool, out_channels, in_channels=3, condition=False):
    if image_size not in (8, 16, 32, 64, 128, 256, 512):
        raise ValueError(f"unsupported image size: {image_size}")
    return EncoderStandIn(image_size, in_channels, out_channels, condition)
