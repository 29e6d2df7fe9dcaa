"""A small stand-in for alsdudrla10/DG's guided_diffusion.script_util.create_classifier, written for this test: the
same arguments, the same state-dict layout as ADM's encoder (time_embed, label_emb, input_blocks with residual and
attention blocks, middle_block, out with attention pooling: what tools/import-edm.py reads the configuration from),
the same call forward(x, timesteps, feature=False, sigmoid=False, condition=None) with the official conventions
(timesteps in [0, 1] scaled by 999 inside; feature=True returns the last feature map the head takes; sigmoid=True
returns d; condition: int64 labels or one-hot rows) — and the upstream pattern that stops a plain trace: every
attention block runs through gradient checkpointing, an autograd.Function."""

import math

import torch
from torch import nn

# ADM's levels per image size.
CHANNEL_MULT = {64: (1, 2, 3, 4), 32: (1, 2, 4), 16: (1, 2), 8: (1,)}


class Checkpointed(torch.autograd.Function):
    """Recomputes `function` in backward instead of keeping its activations (the upstream pattern)."""

    @staticmethod
    def forward(ctx, function, count, *args):
        ctx.function, ctx.inputs, ctx.params = function, list(args[:count]), list(args[count:])
        with torch.no_grad():
            return function(*ctx.inputs)

    @staticmethod
    def backward(ctx, *grads):
        inputs = [x.detach().requires_grad_(True) for x in ctx.inputs]
        with torch.enable_grad():
            out = ctx.function(*[x.view_as(x) for x in inputs])
        got = torch.autograd.grad(out, inputs + ctx.params, grads, allow_unused=True)
        return (None, None) + tuple(got)


def checkpoint(function, inputs, params, flag):
    return Checkpointed.apply(function, len(inputs), *inputs, *params) if flag else function(*inputs)


def norm(channels):
    return nn.GroupNorm(min(32, channels // 4), channels)


def timestep_embedding(t, dim, dtype):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=dtype) / half)
    args = t[:, None].to(dtype) * freqs[None]  # ADM casts the (possibly float64) timesteps to the network's type
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb, scale_shift, down=False):
        super().__init__()
        self.scale_shift, self.down = scale_shift, down
        self.in_layers = nn.Sequential(norm(cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb, 2 * cout if scale_shift else cout))
        self.out_layers = nn.Sequential(norm(cout), nn.SiLU(), nn.Dropout(0.0), nn.Conv2d(cout, cout, 3, padding=1))
        self.skip_connection = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, emb):
        if self.down:
            x = nn.functional.avg_pool2d(x, 2)
        h = self.in_layers(x)
        e = self.emb_layers(emb)[:, :, None, None]
        if self.scale_shift:
            scale, shift = e.chunk(2, dim=1)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[3](self.out_layers[2](self.out_layers[1](h)))
        else:
            h = self.out_layers(h + e)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm = norm(channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x, emb=None):
        return checkpoint(self._forward, (x,), list(self.parameters()), True)  # as upstream: always checkpointed

    def _forward(self, x):
        n, c = x.shape[:2]
        h = self.qkv(self.norm(x).reshape(n, c, -1))
        q, k, v = h.chunk(3, dim=1)
        w = torch.softmax(torch.einsum("ncq,nck->nqk", q, k) / math.sqrt(c), dim=2)
        return x + self.proj_out(torch.einsum("nqk,nck->ncq", w, v)).reshape(x.shape)


class Sequence(nn.Sequential):
    def forward(self, x, emb):
        for layer in self:
            x = layer(x, emb) if isinstance(layer, (ResBlock, AttentionBlock)) else layer(x)
        return x


class AttentionPool(nn.Module):
    def __init__(self, spatial, channels, out_channels):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(channels, spatial * spatial + 1) / channels ** 0.5)
        self.qkv_proj = nn.Conv1d(channels, 3 * channels, 1)
        self.c_proj = nn.Conv1d(channels, out_channels, 1)

    def forward(self, x):
        n, c = x.shape[:2]
        x = x.reshape(n, c, -1)
        x = torch.cat([x.mean(dim=-1, keepdim=True), x], dim=-1) + self.positional_embedding[None]
        q, k, v = self.qkv_proj(x).chunk(3, dim=1)
        w = torch.softmax(torch.einsum("ncq,nck->nqk", q, k) / math.sqrt(c), dim=2)
        return self.c_proj(torch.einsum("nqk,nck->ncq", w, v))[:, :, 0]


class EncoderStandIn(nn.Module):
    def __init__(self, image_size, in_channels, width, depth, attention_ds, out_channels, scale_shift, condition):
        super().__init__()
        self.width, self.condition = width, condition
        emb = 4 * width
        self.time_embed = nn.Sequential(nn.Linear(width, emb), nn.SiLU(), nn.Linear(emb, emb))
        if condition:
            self.label_emb = nn.Embedding(1000, emb)  # ADM's num_class default, whatever the data set
        mult = CHANNEL_MULT[image_size]
        ch = width * mult[0]
        self.input_blocks = nn.ModuleList([Sequence(nn.Conv2d(in_channels, ch, 3, padding=1))])
        ds = 1
        for level, m in enumerate(mult):
            for _ in range(depth):
                layers = [ResBlock(ch, width * m, emb, scale_shift)]
                ch = width * m
                if ds in attention_ds:
                    layers.append(AttentionBlock(ch))
                self.input_blocks.append(Sequence(*layers))
            if level != len(mult) - 1:
                self.input_blocks.append(Sequence(ResBlock(ch, ch, emb, scale_shift, down=True)))
                ds *= 2
        self.middle_block = Sequence(ResBlock(ch, ch, emb, scale_shift), AttentionBlock(ch),
                                     ResBlock(ch, ch, emb, scale_shift))
        self.out = nn.Sequential(norm(ch), nn.SiLU(), AttentionPool(image_size // ds, ch, out_channels))

    def forward(self, x, timesteps, feature=False, sigmoid=False, condition=None):
        emb = self.time_embed(timestep_embedding(timesteps * 999.0, self.width, self.time_embed[0].weight.dtype))
        if self.condition:
            emb = emb + (self.label_emb(condition) if condition.ndim == 1 else self.label_emb(torch.argmax(condition, 1)))
        h = x
        for block in self.input_blocks:
            h = block(h, emb)
        h = self.middle_block(h, emb)
        if feature:
            return h
        return torch.sigmoid(self.out(h)) if sigmoid else self.out(h)


def create_classifier(image_size, classifier_use_fp16, classifier_width, classifier_depth,
                      classifier_attention_resolutions, classifier_use_scale_shift_norm, classifier_resblock_updown,
                      classifier_pool, out_channels, in_channels=3, condition=False):
    if image_size not in CHANNEL_MULT:
        raise ValueError(f"unsupported image size: {image_size}")
    attention_ds = [image_size // int(r) for r in classifier_attention_resolutions.split(",")]
    return EncoderStandIn(image_size, in_channels, classifier_width, classifier_depth, attention_ds, out_channels,
                          classifier_use_scale_shift_norm, condition)
