#!/usr/bin/python3
"""Turn the paper's models into DG Studio TorchScript files (docs/IMPORT.md).

    /usr/bin/python3 tools/import-edm.py --edm ~/src/edm --dg ~/src/DG \\
        --network edm-cifar10-32x32-uncond-vp.pkl \\
        --classifier 32x32_classifier.pt --discriminator discriminator_60.pt --out cifar10-uncond/

writes OUT/denoiser.pt (from the EDM network pickle; NVlabs/edm) and OUT/discriminator.pt (the official DG
discriminator: the ADM classifier as a frozen feature extractor plus the trained head; alsdudrla10/DG), each following
the TorchScript contract of the README: forward(x, sigma[, class_labels int64 [N]]), `sample_shape`, `description`
naming the source files and their SHA-256. Each file is checked against the Python model it came from before this
exits (denoiser outputs; discriminator logit and its gradient in x). Anything it cannot convert is refused with one
line on stderr and exit status 1.
"""

import argparse
import hashlib
import math
import os
import pickle
import sys
from typing import List

import torch
import torch.nn.functional as F

BETA_MIN, BETA_MAX = 0.1, 20.0  # the VP SDE of the official discriminator (classifier_lib.vpsde)


class Refusal(Exception):
    pass


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def need_file(path, what):
    if not path or not os.path.isfile(path):
        raise Refusal(f"{what} '{path}': no such file")


def add_checkout(path, flag, probe):
    """A checkout goes on sys.path; `probe` is a file it must hold (e.g. torch_utils/persistence.py)."""
    if not path or not os.path.isdir(path):
        raise Refusal(f"{flag} '{path}': no such folder (a checkout of the repository)")
    if not os.path.isfile(os.path.join(path, probe)):
        raise Refusal(f"{flag} '{path}': not a checkout of the expected repository ({probe} is missing)")
    if path not in sys.path:
        sys.path.insert(0, os.path.abspath(path))


# ---------------------------------------------------------------------------------------------------------------- denoiser

class EdmDenoiser(torch.nn.Module):
    """EDM's preconditioned network already is D(x; sigma) (Karras et al. 2022, eq. 7); it takes one-hot labels."""

    def __init__(self, net, label_dim):
        super().__init__()
        self.net = net
        self.label_dim = label_dim

    def forward(self, x, sigma, class_labels):
        labels = F.one_hot(class_labels, self.label_dim).to(x.dtype) if self.label_dim else None
        return self.net(x, sigma, labels).to(torch.float32)


class Unconditional2(torch.nn.Module):
    sample_shape: List[int]
    description: str

    def __init__(self, traced, shape, description):
        super().__init__()
        self.inner = traced
        self.sample_shape = shape
        self.description = description

    def forward(self, x, sigma):
        return self.inner(x, sigma, torch.zeros(x.shape[0], dtype=torch.int64, device=x.device))


class Conditional3(torch.nn.Module):
    sample_shape: List[int]
    description: str
    num_classes: int

    def __init__(self, traced, shape, description, num_classes):
        super().__init__()
        self.inner = traced
        self.sample_shape = shape
        self.description = description
        self.num_classes = num_classes

    def forward(self, x, sigma, class_labels):
        return self.inner(x, sigma, class_labels)


def wrap(module, shape, conditional, description):
    """Traces module(x, sigma, labels) (batch 2, checked at batch 3) and scripts the contract's wrapper around it."""
    classes = max(1, getattr(module, "label_dim", 0) or getattr(module, "num_classes", 0))

    def example(n):
        return (torch.randn(n, *shape), torch.rand(n) * 10 + 0.01, torch.arange(n, dtype=torch.int64) % classes)

    try:
        traced = torch.jit.trace(module, example(2), check_inputs=[example(3)], check_tolerance=1e-4)
    except Exception as e:  # a network the tracer cannot follow, or one whose graph depends on the batch size
        raise Refusal(f"tracing failed: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    wrapper = Conditional3(traced, list(shape), description, classes) if conditional else \
        Unconditional2(traced, list(shape), description)
    return torch.jit.script(wrapper)


def load_edm(path):
    need_file(path, "--network")
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except ModuleNotFoundError as e:
        raise Refusal(f"--network '{path}': needs module '{e.name}': give --edm (a checkout of NVlabs/edm)")
    except Exception as e:
        raise Refusal(f"--network '{path}': not a readable network pickle ({type(e).__name__})")
    net = data.get("ema") if isinstance(data, dict) else None
    if net is None or not all(hasattr(net, a) for a in ("img_resolution", "img_channels", "label_dim")):
        raise Refusal(f"--network '{path}': unknown pickle layout (expected EDM's dict with an 'ema' network "
                      "having img_resolution, img_channels and label_dim)")
    return net.eval().requires_grad_(False).float()


# ----------------------------------------------------------------------------------------------------------- discriminator

def vp_time(sigma):
    """tau(sigma): the VP time whose marginal matches EDM's noise level (DG's vpsde.compute_tau)."""
    return (-BETA_MIN + torch.sqrt(BETA_MIN ** 2 + 2.0 * (BETA_MAX - BETA_MIN) * torch.log1p(sigma * sigma))) / (BETA_MAX - BETA_MIN)


def vp_mean(tau):
    """The VP mean coefficient at tau (vpsde.marginal_prob): 1/sqrt(1 + sigma^2)."""
    return torch.exp(-0.25 * tau * tau * (BETA_MAX - BETA_MIN) - 0.5 * tau * BETA_MIN)


class OfficialLogit(torch.nn.Module):
    """log(d/(1-d)) of raw x at sigma: the official discriminator sees x/sqrt(1+sigma^2) and the VP time tau, and its
    head's output before the sigmoid is exactly that logit (DG, classifier_lib.get_grad_log_ratio)."""

    def __init__(self, classifier, head, num_classes):
        super().__init__()
        self.classifier = classifier
        self.head = head
        self.num_classes = num_classes

    def forward(self, x, sigma, class_labels):
        tau = vp_time(sigma)
        xv = vp_mean(tau)[:, None, None, None] * x
        features = self.classifier(xv, timesteps=tau, feature=True)
        condition = class_labels if self.num_classes else None
        return self.head(features, tau, sigmoid=False, condition=condition).reshape(-1)


def load_official(args, resolution):
    need_file(args.classifier, "--classifier")
    need_file(args.discriminator, "--discriminator")
    try:
        from guided_diffusion.script_util import create_classifier
    except ImportError as e:
        raise Refusal(f"--dg '{args.dg}': cannot import guided_diffusion.script_util ({e})")
    # The official construction (classifier_lib.load_classifier / load_discriminator), weights loaded from the files.
    classifier = create_classifier(image_size=resolution, classifier_use_fp16=False, classifier_width=128,
                                   classifier_depth=4 if resolution in (64, 32) else 2,
                                   classifier_attention_resolutions="32,16,8", classifier_use_scale_shift_norm=True,
                                   classifier_resblock_updown=True, classifier_pool="attention", out_channels=1000)
    head = create_classifier(image_size=8, classifier_use_fp16=False, classifier_width=128, classifier_depth=2,
                             classifier_attention_resolutions="32,16,8", classifier_use_scale_shift_norm=True,
                             classifier_resblock_updown=True, classifier_pool="attention", out_channels=1,
                             in_channels=args.head_channels, condition=args.conditional)
    for module, path, flag in ((classifier, args.classifier, "--classifier"), (head, args.discriminator, "--discriminator")):
        try:
            state = torch.load(path, map_location="cpu")
            module.load_state_dict(state)
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise Refusal(f"{flag} '{path}': does not fit the official network ({first[:200]})")
        module.eval().requires_grad_(False).float()
    return OfficialLogit(classifier, head, 10 if args.conditional else 0)


# ------------------------------------------------------------------------------------------------------------------ checks

def check_denoiser(python, script, shape, conditional):
    torch.manual_seed(1)
    x = torch.randn(4, *shape) * 3
    sigma = torch.tensor([0.002, 0.3, 2.5, 80.0])
    labels = torch.tensor([0, 3, 7, 9]) % max(1, python.label_dim)
    want = python(x, sigma, labels)
    got = script(x, sigma, labels) if conditional else script(x, sigma)
    err = (want - got).abs().max().item()
    if err > 1e-5:
        raise Refusal(f"the written denoiser differs from the pickle's network by {err:.3g}")
    return err


def check_discriminator(python, script, shape, conditional):
    torch.manual_seed(2)
    x = (torch.randn(4, *shape) * 2).requires_grad_(True)
    sigma = torch.tensor([0.05, 0.5, 3.0, 40.0])
    labels = torch.tensor([1, 2, 5, 8])
    want = python(x, sigma, labels)
    (gw,) = torch.autograd.grad(want.sum(), x)
    got = script(x, sigma, labels) if conditional else script(x, sigma)
    (gg,) = torch.autograd.grad(got.sum(), x)
    err = max((want - got).abs().max().item(), (gw - gg).abs().max().item())
    if err > 1e-5:
        raise Refusal(f"the written discriminator differs from the official one by {err:.3g} (logit or gradient)")
    return err


def save(module, path):
    tmp = path + ".part"
    module.save(tmp)
    os.replace(tmp, path)  # atomic: never a half-written file under the final name


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--edm", help="a checkout of NVlabs/edm (its torch_utils unpickles the network)")
    p.add_argument("--dg", help="a checkout of alsdudrla10/DG (its guided_diffusion builds the discriminator)")
    p.add_argument("--network", help="EDM network pickle, e.g. edm-cifar10-32x32-uncond-vp.pkl")
    p.add_argument("--classifier", help="the ADM classifier of the official DG code, e.g. 32x32_classifier.pt")
    p.add_argument("--discriminator", help="the official discriminator head, e.g. discriminator_60.pt")
    p.add_argument("--conditional", action="store_true", help="the head is class-conditional (cifar_cond)")
    p.add_argument("--head-channels", type=int, default=512, help="the head's input channels (official: 512)")
    p.add_argument("--out", required=True, help="folder for denoiser.pt and discriminator.pt")
    args = p.parse_args()
    if not args.network and not args.discriminator:
        raise Refusal("nothing to import: give --network and/or --classifier with --discriminator")
    if args.edm:
        add_checkout(args.edm, "--edm", os.path.join("torch_utils", "persistence.py"))
    if args.dg:
        add_checkout(args.dg, "--dg", os.path.join("guided_diffusion", "script_util.py"))

    # Everything is converted and checked before anything is written: a refusal leaves no files behind.
    shape = None
    written = []
    if args.network:
        net = load_edm(args.network)
        shape = [int(net.img_channels), int(net.img_resolution), int(net.img_resolution)]
        conditional = int(net.label_dim) > 0
        description = (f"EDM network {os.path.basename(args.network)} (sha256 {sha256(args.network)}), "
                       f"{type(net).__name__}, {shape}, {'class-conditional' if conditional else 'unconditional'}; "
                       "imported by tools/import-edm.py")
        python = EdmDenoiser(net, int(net.label_dim))
        script = wrap(python, shape, conditional, description)
        err = check_denoiser(python, script, shape, conditional)
        written.append((script, "denoiser.pt", f"max difference to the pickle's network {err:.2g}"))

    if args.discriminator or args.classifier:
        if not args.dg:
            raise Refusal("--discriminator: give --dg (a checkout of alsdudrla10/DG)")
        disc_shape = shape or [3, 32, 32]
        python = load_official(args, disc_shape[1])
        try:
            with torch.no_grad():
                python(torch.zeros(1, *disc_shape), torch.ones(1), torch.zeros(1, dtype=torch.int64))
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise Refusal(f"--discriminator: does not take the denoiser's samples {disc_shape} ({first[:160]})")
        description = (f"official DG discriminator: classifier {os.path.basename(args.classifier)} (sha256 "
                       f"{sha256(args.classifier)}) + head {os.path.basename(args.discriminator)} (sha256 "
                       f"{sha256(args.discriminator)}); returns log(d/(1-d)) of x at sigma (input x/sqrt(1+sigma^2), "
                       f"VP time, beta {BETA_MIN}..{BETA_MAX}); sample with --dg-preset official as the paper does")
        script = wrap(python, disc_shape, args.conditional, description)
        err = check_discriminator(python, script, disc_shape, args.conditional)
        written.append((script, "discriminator.pt", f"max difference in logit and gradient {err:.2g}"))

    os.makedirs(args.out, exist_ok=True)
    for script, name, note in written:
        save(script, os.path.join(args.out, name))
        print(f"import-edm: wrote {os.path.join(args.out, name)} ({note})")

if __name__ == "__main__":
    try:
        main()
    except Refusal as e:
        print(f"import-edm: {e}", file=sys.stderr)
        sys.exit(1)
