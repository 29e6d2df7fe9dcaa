#!/usr/bin/python3
"""Checks tools/import-edm.py and dg against the real upstream code (docs/IMPORT.md, "Checked against the upstream
code"). Run outside CI, with checkouts of NVlabs/edm and alsdudrla10/DG:

    /usr/bin/python3 tools/check-upstream.py --edm ~/src/edm --dg ~/src/DG --dg-cli build/bin/dg [--work DIR]

It builds small networks with the upstream classes (random weights, perturbed so that no zero-initialised layer
hides a difference), saves them the way the upstream code does (EDM's training loop pickles {'ema': ...} through its
persistence module; DG's state dicts by torch.save), imports them with tools/import-edm.py and compares on the same
latents: dg sample (no guidance) with EDM's edm_sampler (S_churn 0); dg sample --dg-preset official with DG's
edm_sampler (boosting off); the imported logit and its gradient with classifier_lib.get_grad_log_ratio across sigma,
inside and outside the official time window. Prints one line per comparison and a JSON summary at the end.
Nothing of the upstream code is copied: it is imported from the checkouts given.
"""

import argparse
import copy
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import tempfile
import types

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
results = {}


def commit(path):
    r = subprocess.run(["git", "-C", path, "rev-parse", "HEAD"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else "unknown (not a git checkout)"


def stub_missing(*names):
    """Modules the upstream generate.py files import for their command lines only (click, tqdm, tensorflow, ...)."""
    class Anything:
        def __call__(self, *a, **k):
            return a[0] if len(a) == 1 and callable(a[0]) and not k else Anything()

        def __getattr__(self, name):
            return Anything()

    stubbed = set()
    for name in names:
        try:
            if name.rpartition(".")[0] in stubbed:
                raise ImportError(name)
            importlib.import_module(name)
        except ImportError:
            stubbed.add(name)
            module = types.ModuleType(name)
            module.__getattr__ = lambda attr: Anything()
            sys.modules[name] = module
            parent, _, child = name.rpartition(".")
            if parent and parent in sys.modules:
                setattr(sys.modules[parent], child, module)


def load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def perturb(module, seed, scale=0.05):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=g) * scale)
    return module


def report(key, value, what):
    results[key] = value
    print(f"{key:<44} {value:10.3g}   {what}", flush=True)


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"check-upstream: {' '.join(cmd[:3])} ... failed: {r.stderr.strip()[-400:]}")
    return r


def edm_pickle(networks, folder, name, precond, seed, **kw):
    """A network saved as EDM's training loop saves its snapshots: {'ema': deepcopy(net).eval().requires_grad_(False),
    ...} pickled, the persistent classes carrying their source."""
    torch.manual_seed(seed)
    net = getattr(networks, precond)(**kw)
    perturb(net, seed)
    data = dict(ema=copy.deepcopy(net).eval().requires_grad_(False).cpu(), loss_fn=None, augment_pipe=None,
                dataset_kwargs={})
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return path


def dg_state_dicts(create_classifier, folder, resolution, conditional, seed):
    """The official classifier and head configurations (classifier_lib.load_classifier / load_discriminator), random
    weights, saved with torch.save as DG's train.py saves them."""
    torch.manual_seed(seed)
    common = dict(classifier_use_fp16=False, classifier_width=128, classifier_attention_resolutions="32,16,8",
                  classifier_use_scale_shift_norm=True, classifier_resblock_updown=True, classifier_pool="attention")
    classifier = perturb(create_classifier(image_size=resolution, classifier_depth=4 if resolution in (32, 64) else 2,
                                           out_channels=1000, **common), seed)
    head = perturb(create_classifier(image_size=8, classifier_depth=2, out_channels=1, in_channels=512,
                                     condition=conditional, **common), seed + 1, scale=0.2)
    names = (f"classifier{resolution}.pt", f"head{resolution}{'c' if conditional else 'u'}.pt")
    torch.save(classifier.state_dict(), os.path.join(folder, names[0]))
    torch.save(head.state_dict(), os.path.join(folder, names[1]))
    return names


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--edm", required=True)
    p.add_argument("--dg", required=True)
    p.add_argument("--dg-cli", required=True)
    p.add_argument("--work", default=None)
    p.add_argument("--count", type=int, default=4)
    p.add_argument("--steps", type=int, default=18)
    p.add_argument("--weight", type=float, default=2.0)
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="upstream-")
    os.makedirs(work, exist_ok=True)
    results["edm_commit"], results["dg_commit"] = commit(args.edm), commit(args.dg)
    print(f"NVlabs/edm {results['edm_commit']}, alsdudrla10/DG {results['dg_commit']}, work {work}")

    sys.path[:0] = [args.dg, args.edm]  # EDM's own torch_utils / dnnlib first
    stub_missing("click", "tqdm", "tensorflow", "PIL", "PIL.Image", "torchvision", "torchvision.utils")
    import training.networks as networks
    from guided_diffusion.script_util import create_classifier
    classifier_lib = load_file("dg_classifier_lib", os.path.join(args.dg, "classifier_lib.py"))
    sys.modules["classifier_lib"] = classifier_lib
    edm_generate = load_file("edm_generate", os.path.join(args.edm, "generate.py"))
    dg_generate = load_file("dg_generate", os.path.join(args.dg, "generate.py"))
    tool = [sys.executable, os.path.join(HERE, "import-edm.py"), "--edm", args.edm, "--dg", args.dg, "--trust-pickle"]

    small = dict(model_channels=32, channel_mult=[1, 2], num_blocks=1, dropout=0)
    cases = [
        ("song-uncond-32", "EDMPrecond", dict(img_resolution=32, img_channels=3, label_dim=0, model_type="SongUNet",
                                              attn_resolutions=[16], **small), 32, False),
        ("dhariwal-cond-32", "EDMPrecond", dict(img_resolution=32, img_channels=3, label_dim=10,
                                                model_type="DhariwalUNet", attn_resolutions=[16], **small), 32, True),
        ("song-vp-uncond-64", "VPPrecond", dict(img_resolution=64, img_channels=3, label_dim=0, model_type="SongUNet",
                                                attn_resolutions=[16], **small), 64, False),
        ("song-ve-uncond-32", "VEPrecond", dict(img_resolution=32, img_channels=3, label_dim=0, model_type="SongUNet",
                                                attn_resolutions=[16], **small), 32, False),
    ]
    vpsde = classifier_lib.vpsde()
    for index, (name, precond, kw, resolution, conditional) in enumerate(cases):
        folder = os.path.join(work, name)
        os.makedirs(folder, exist_ok=True)
        pkl = edm_pickle(networks, folder, "network.pkl", precond, 100 + index, **kw)
        cls_name, head_name = dg_state_dicts(create_classifier, folder, resolution, conditional, 200 + index)
        out = os.path.join(folder, "imported")
        r = run(tool + ["--network", pkl, "--classifier", os.path.join(folder, cls_name), "--discriminator",
                        os.path.join(folder, head_name), "--out", out])
        print(f"{name}: {r.stdout.strip()}")
        with open(pkl, "rb") as f:
            net = pickle.load(f)["ema"]

        # The same latents (and classes) for both sides.
        torch.manual_seed(300 + index)
        latents = torch.randn(args.count, 3, resolution, resolution)
        torch.save(latents, os.path.join(folder, "latents.pt"))
        labels = torch.arange(args.count) % 10
        onehot = torch.eye(10)[labels] if conditional else None
        cls_flags = ["--class", "all"] if conditional else []

        # The discriminator as classifier_lib builds it (paths are os.getcwd() + ckpt_path there).
        here = os.getcwd()
        os.chdir(folder)
        try:
            discriminator = classifier_lib.get_discriminator("/" + cls_name, "/" + head_name, conditional,
                                                             img_resolution=resolution, device="cpu")
        finally:
            os.chdir(here)
        imported = torch.jit.load(os.path.join(out, "discriminator.pt"))

        # Logit and gradient across sigma: classifier_lib returns -(sigma^2 * mean) * grad_{x_vp} log ratio, i.e.
        # -sigma^2 * grad_x logit of the raw x; zero outside the window (tau in [0.01, 1]).
        # The head's output before the sigmoid, from the networks classifier_lib builds, on the input and time
        # classifier_lib's vpsde computes: what the imported file returns, without the float32 round trip through d.
        here = os.getcwd()
        os.chdir(folder)
        try:
            adm = classifier_lib.load_classifier("/" + cls_name, resolution, "cpu", eval=True)
            adm_head = classifier_lib.load_discriminator("/" + head_name, "cpu", conditional, eval=True)
        finally:
            os.chdir(here)
        worst_raw, largest = 0.0, 0.0
        for sigma in (0.05, 0.5, 3.0, 40.0):
            x = torch.randn(args.count, 3, resolution, resolution) * (1 + sigma)
            # float64 sigma, as DG's sampler has it (its t_steps are float64); the input goes in as float32.
            s = torch.full((args.count,), sigma, dtype=torch.float64)
            mean, tau = vpsde.transform_unnormalized_wve_to_normalized_vp(s)
            if resolution == 64:
                tau = vpsde.compute_t_cos_from_t_lin(tau)
            with torch.no_grad():
                raw = adm_head(adm((mean[:, None, None, None] * x).float(), timesteps=tau, feature=True), tau,
                               sigmoid=False, condition=onehot).view(-1)
                mine = imported(x, s.float(), labels) if conditional else imported(x, s.float())
            worst_raw = max(worst_raw, (raw - mine).abs().max().item())
            largest = max(largest, raw.abs().max().item())
        report(f"{name}: logit before the sigmoid", worst_raw,
               f"max |imported logit - the official head's output before its sigmoid| (|logit| up to {largest:.2f})")

        worst_logit = worst_grad = largest_grad = 0.0
        outside_zero = True
        for sigma in (0.01, 0.03, 0.05, 0.2, 1.0, 5.0, 40.0, 80.0, 200.0):
            x = torch.randn(args.count, 3, resolution, resolution) * (1 + sigma)
            s = torch.full((args.count,), sigma, dtype=torch.float64)
            score, log_ratio = classifier_lib.get_grad_log_ratio(discriminator, vpsde, x.double(), s, resolution, 0.01,
                                                                 1.0, onehot, log=True)
            xi = x.clone().requires_grad_(True)
            logit = imported(xi, s.float(), labels) if conditional else imported(xi, s.float())
            (grad,) = torch.autograd.grad(logit.sum(), xi)
            tau = vpsde.compute_tau(s)[0].item()
            if 0.01 <= tau <= 1.0:
                inside = logit.detach().abs() < 11.5  # the official clip of d stops the gradient beyond
                mine = -(sigma ** 2) * grad.double() * inside[:, None, None, None]
                worst_logit = max(worst_logit, (logit.detach().double() - log_ratio.double()).abs().max().item())
                # compared as gradients of the logit in x: the official score divided by -sigma^2
                worst_grad = max(worst_grad, ((mine - score.double()).abs().max() / sigma ** 2).item())
                largest_grad = max(largest_grad, (score.double().abs().max() / sigma ** 2).item())
            else:
                outside_zero = outside_zero and bool((score == 0).all())
        report(f"{name}: logit", worst_logit, "max |imported logit - get_grad_log_ratio's log ratio| inside the window")
        report(f"{name}: gradient", worst_grad,
               f"max |grad_x logit - get_grad_log_ratio / -sigma^2| inside the window (|gradient| up to "
               f"{largest_grad:.3g})")
        results[f"{name}: outside window zero upstream"] = outside_zero

        # Unguided: EDM's edm_sampler (S_churn 0) vs dg sample.
        with torch.no_grad():
            want = edm_generate.edm_sampler(net, latents, onehot, num_steps=args.steps)
        s0 = os.path.join(folder, "dg-unguided.pt")
        run([args.dg_cli, "sample", "--denoiser", os.path.join(out, "denoiser.pt"), "--noise",
             os.path.join(folder, "latents.pt"), "--steps", str(args.steps), "--out", s0, "--quiet", *cls_flags])
        got = torch.load(s0)
        results[f"{name}: sample span"] = want.abs().max().item()
        report(f"{name}: unguided", (got.double() - want).abs().max().item(),
               f"max |dg sample - edm_sampler| over {args.count} samples, {args.steps} steps "
               f"(samples span {want.abs().max().item():.2f})")

        # Guided: DG's edm_sampler (official settings, boosting off) vs dg sample --dg-preset official.
        with torch.no_grad():
            want = dg_generate.edm_sampler(False, 0.01, 1.0, vpsde, args.weight, 0.0, discriminator, net, latents,
                                           onehot, num_steps=args.steps)
        s1 = os.path.join(folder, "dg-guided.pt")
        run([args.dg_cli, "sample", "--denoiser", os.path.join(out, "denoiser.pt"), "--discriminator",
             os.path.join(out, "discriminator.pt"), "--dg-preset", "official", "--dg-weight", str(args.weight),
             "--noise", os.path.join(folder, "latents.pt"), "--steps", str(args.steps), "--out", s1, "--quiet",
             *cls_flags])
        got_guided = torch.load(s1)
        report(f"{name}: guided", (got_guided.double() - want).abs().max().item(),
               f"max |dg sample --dg-preset official - DG's edm_sampler| (w = {args.weight}, boosting off)")
        report(f"{name}: guidance effect", (got_guided - got).abs().max().item(),
               "max |guided - unguided| in dg (guidance changes the samples by this much)")

    # iDDPM preconditioning rounds sigma: refused with one line.
    folder = os.path.join(work, "iddpm")
    os.makedirs(folder, exist_ok=True)
    pkl = edm_pickle(networks, folder, "network.pkl", "iDDPMPrecond", 400, img_resolution=32, img_channels=3,
                     label_dim=0, model_type="DhariwalUNet", attn_resolutions=[16], **small)
    r = subprocess.run(tool + ["--network", pkl, "--out", os.path.join(folder, "imported")], capture_output=True,
                       text=True)
    lines = r.stderr.strip().splitlines()
    results["iddpm refused"] = r.returncode == 1 and len(lines) == 1 and not os.path.exists(os.path.join(folder,
                                                                                                          "imported"))
    print(f"iDDPMPrecond: exit {r.returncode}: {r.stderr.strip()}")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
