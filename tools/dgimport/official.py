"""The official DG discriminator (Kim et al. 2023, alsdudrla10/DG classifier_lib.py): an ADM classifier as a frozen
feature extractor and a trained head, both built by the checkout's guided_diffusion.script_util.create_classifier with
the configuration read from their state dicts, wrapped as log(d/(1-d)) of raw x at sigma."""

import math
import re

import torch

BETA_MIN, BETA_MAX = 0.1, 20.0  # the VP SDE of the official discriminator (classifier_lib.vpsde)
COSINE_S = 0.008  # the cosine schedule's offset (Nichol & Dhariwal 2021), vpsde.s

# ADM's channel multipliers per image size (guided_diffusion.script_util.create_classifier).
LEVELS = {512: 7, 256: 6, 128: 5, 64: 4, 32: 3, 16: 2, 8: 1}


class Refusal(Exception):
    pass


def vp_time(sigma):
    """tau(sigma): the VP time whose marginal matches EDM's noise level (vpsde.compute_tau)."""
    return (-BETA_MIN + torch.sqrt(BETA_MIN ** 2 + 2.0 * (BETA_MAX - BETA_MIN) * torch.log1p(sigma * sigma))) / \
        (BETA_MAX - BETA_MIN)


def vp_mean(tau):
    """The VP mean coefficient at tau (vpsde.marginal_prob): 1/sqrt(1 + sigma^2)."""
    return torch.exp(-0.25 * tau * tau * (BETA_MAX - BETA_MIN) - 0.5 * tau * BETA_MIN)


def cosine_time(tau):
    """The cosine-schedule time with the same mean as linear VP time tau (vpsde.compute_t_cos_from_t_lin): the
    official 64x64 classifier was trained on ADM's cosine schedule."""
    f0 = math.cos(COSINE_S / (1.0 + COSINE_S) * math.pi / 2.0) ** 2
    return (1.0 + COSINE_S) * 2.0 / math.pi * torch.arccos(math.sqrt(f0) * vp_mean(tau)) - COSINE_S


class OfficialLogit(torch.nn.Module):
    """log(d/(1-d)) of raw x at sigma: the official discriminator sees x/sqrt(1+sigma^2) and the VP time tau (cosine
    time at 64x64), and its head's output before the sigmoid is exactly that logit (classifier_lib.get_log_ratio)."""

    def __init__(self, classifier, head, conditional, cosine):
        super().__init__()
        self.classifier = classifier
        self.head = head
        self.conditional = conditional
        self.cosine = cosine

    def forward(self, x, sigma, class_labels):
        # In float64, as DG's sampler computes them from its float64 sigma (arccos near 1 amplifies float32 rounding);
        # the input goes in as float32 as get_grad_log_ratio sends it.
        tau = vp_time(sigma.to(torch.float64))
        xv = (vp_mean(tau)[:, None, None, None] * x.to(torch.float64)).to(x.dtype)
        if self.cosine:
            tau = cosine_time(tau)
        features = self.classifier(xv, timesteps=tau, feature=True)
        condition = class_labels if self.conditional else None
        return self.head(features, tau, sigmoid=False, condition=condition).reshape(-1)


def load_state(path, flag):
    """A state dict saved with torch.save, read without running code from the file (weights_only)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Refusal(f"{flag} '{path}': not a state dict of tensors written by torch.save ({first[:160]})")
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise Refusal(f"{flag} '{path}': not a state dict of tensors (a dict of names to tensors)")
    return state


def _blocks(state):
    return sorted({int(m.group(1)) for k in state for m in [re.match(r"input_blocks\.(\d+)\.", k)] if m})


def encoder_config(state, image_size, flag, path):
    """create_classifier's arguments for an ADM encoder, read from its state dict's names and shapes."""
    def need(key):
        if key not in state:
            raise Refusal(f"{flag} '{path}': not an ADM classifier state dict (no '{key}')")
        return state[key]

    width = int(need("time_embed.0.weight").shape[1])
    in_channels = int(need("input_blocks.0.0.weight").shape[1])
    if image_size not in LEVELS:
        raise Refusal(f"{flag} '{path}': the official classifier has no configuration for {image_size}x{image_size}")
    levels = LEVELS[image_size]
    blocks = _blocks(state)
    depth, rest = divmod(len(blocks) - 1 - (levels - 1), levels)
    if rest or depth < 1:
        raise Refusal(f"{flag} '{path}': {len(blocks)} input blocks do not fit the official {image_size}x{image_size} "
                      f"classifier ({levels} levels); is the resolution right (--resolution)?")
    attention, index, ds = [], 1, 1
    for level in range(levels):
        for _ in range(depth):
            if any(k.startswith(f"input_blocks.{index}.1.") for k in state):
                attention.append(image_size // ds)
            index += 1
        if level != levels - 1:
            index += 1
            ds *= 2
    first = state.get("input_blocks.1.0.emb_layers.1.weight")
    out_first = state.get("input_blocks.1.0.out_layers.3.weight")
    scale_shift = first is not None and out_first is not None and first.shape[0] == 2 * out_first.shape[0]
    proj = [k for k in state if k.startswith("out.") and k.endswith("c_proj.weight")]
    if not proj or not any(k.endswith("positional_embedding") for k in state if k.startswith("out.")):
        raise Refusal(f"{flag} '{path}': not the official classifier (its pooling is not attention pooling)")
    updown = levels == 1 or any(k.startswith(f"input_blocks.{1 + depth}.0.in_layers") for k in state)
    label = state.get("label_emb.weight")
    return dict(image_size=image_size, classifier_use_fp16=False, classifier_width=width, classifier_depth=depth,
                classifier_attention_resolutions=",".join(str(r) for r in attention) or "0",
                classifier_use_scale_shift_norm=scale_shift, classifier_resblock_updown=updown,
                classifier_pool="attention", out_channels=int(state[proj[0]].shape[0]), in_channels=in_channels,
                condition=label is not None), (int(label.shape[0]) if label is not None else 0)


def build(create_classifier, state, image_size, flag, path):
    """The encoder create_classifier builds for this state dict, its weights loaded; (module, classes)."""
    config, classes = encoder_config(state, image_size, flag, path)
    try:
        module = create_classifier(**config)
        if classes and getattr(module, "label_emb", None) is not None and module.label_emb.num_embeddings != classes:
            module.label_emb = torch.nn.Embedding(classes, module.label_emb.embedding_dim)  # num_class is not an argument
        module.load_state_dict(state)
    except Refusal:
        raise
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise Refusal(f"{flag} '{path}': does not fit the official network ({first[:200]})")
    # As the official code leaves them: parameters keep requires_grad (its gradient checkpointing differentiates them).
    return module.eval().float(), classes
