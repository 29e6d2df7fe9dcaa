#!/usr/bin/python3
"""ImportPatternsTest (CTest): what tools/import-edm.py must do for the paper's real files (issue 26), on this
folder's stand-ins, without network access.

- The stand-ins carry the three upstream patterns that stop a plain trace (tensor-valued padding from a weight's shape,
  attention through an autograd.Function, gradient checkpointing through an autograd.Function): a plain trace fails,
  the tool converts them and the files match.
- 64x64 discriminators get the official cosine time; the configuration and class count come from the state dicts.
- A network's sigma range (VE: [0.02, 100]) travels in the file and dg clamps its schedule to it as EDM's sampler does;
  a network that rounds sigma (iDDPM) is refused.
- EDM's FID feature network becomes a judge for dg eval --reference --judge.
- Pickles are read only with --trust-pickle; every failure is one line, exit 1 (130 on Ctrl-C), no file written or
  changed — a write that fails (file-size limit) leaves the previous file.

usage: test_import_patterns.py DG_CLI
"""

import math
import os
import pickle
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "import-edm.py")
EDM, DG = os.path.join(HERE, "edm_standin"), os.path.join(HERE, "dg_standin")
sys.path[:0] = [EDM, DG]
from training.networks import EDMPrecond, RoundingPrecond, VEPrecond  # noqa: E402
from guided_diffusion.script_util import create_classifier  # noqa: E402
from inception_standin import FeatureStandIn  # noqa: E402

warnings.filterwarnings("ignore")
failures = []


def check(ok, what):
    print(("PASS  " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def tool(*args, **kw):
    return run([sys.executable, TOOL, "--edm", EDM, "--dg", DG, *args], **kw)


def one_line(r):
    lines = r.stderr.strip().splitlines()
    return len(lines) == 1 and "Traceback" not in r.stderr


def pickle_network(path, net):
    with open(path, "wb") as f:
        pickle.dump({"ema": net, "augment_pipe": None}, f)


COMMON = dict(classifier_use_fp16=False, classifier_width=32, classifier_attention_resolutions="32,16,8",
              classifier_use_scale_shift_norm=True, classifier_resblock_updown=True, classifier_pool="attention")


def official_logit_64(classifier, head, x, sigma):
    """classifier_lib for img_resolution 64, written out in float64: VP-scaled input, then the linear VP time turned
    into the cosine time (vpsde.compute_t_cos_from_t_lin) for the classifier and the head."""
    b0, b1, s = 0.1, 20.0, 0.008
    tau = (-b0 + torch.sqrt(b0 ** 2 + 2.0 * (b1 - b0) * torch.log(1.0 + sigma ** 2))) / (b1 - b0)
    mean = torch.exp(-0.25 * tau ** 2 * (b1 - b0) - 0.5 * tau * b0)
    f0 = math.cos(s / (1 + s) * math.pi / 2) ** 2
    t_cos = (1 + s) * 2 / math.pi * torch.arccos(math.sqrt(f0) * mean) - s
    features = classifier(mean[:, None, None, None] * x, timesteps=t_cos, feature=True)
    return head(features, t_cos, sigmoid=False).view(-1), tau


def patterns_stop_a_plain_trace(folder):
    torch.manual_seed(1)
    net = EDMPrecond(16, 3, 0).eval().requires_grad_(False)
    classifier = create_classifier(image_size=32, classifier_depth=1, out_channels=10, **COMMON).eval()
    for name, module, example in (("EDM stand-in", lambda x, s: net(x, s), (torch.randn(2, 3, 16, 16), torch.ones(2))),
                                  ("DG stand-in", lambda x, t: classifier(x, timesteps=t),
                                   (torch.randn(2, 3, 32, 32), torch.rand(2)))):
        try:
            torch.jit.trace(module, example)
            refused = False
        except Exception:
            refused = True
        check(refused, f"patterns: a plain torch.jit.trace of the {name} fails, as on the upstream code")


def discriminator_64(folder):
    torch.manual_seed(3)
    classifier = create_classifier(image_size=64, classifier_depth=1, out_channels=1000, **COMMON).eval()
    head = create_classifier(image_size=8, classifier_depth=2, out_channels=1, in_channels=128, **COMMON).eval()
    torch.save(classifier.state_dict(), os.path.join(folder, "c64.pt"))
    torch.save(head.state_dict(), os.path.join(folder, "h64.pt"))
    out = os.path.join(folder, "d64")
    r = tool("--classifier", os.path.join(folder, "c64.pt"), "--discriminator", os.path.join(folder, "h64.pt"),
             "--resolution", "64", "--out", out)
    check(r.returncode == 0, f"64x64: a discriminator-only import converts ({r.stderr.strip()[-200:]})")
    if r.returncode != 0:
        return
    disc = torch.jit.load(os.path.join(out, "discriminator.pt"))
    check(list(disc.sample_shape) == [3, 64, 64] and "cosine time" in disc.description,
          f"64x64: sample_shape {list(disc.sample_shape)}, the description names the cosine time")
    x = torch.randn(4, 3, 64, 64) * 2
    sigma = torch.tensor([0.05, 0.4, 3.0, 30.0])
    xg = x.double().requires_grad_(True)
    want, tau = official_logit_64(classifier.double(), head.double(), xg, sigma.double())
    (gw,) = torch.autograd.grad(want.sum(), xg)
    xm = x.clone().requires_grad_(True)
    got = disc(xm, sigma)
    (gg,) = torch.autograd.grad(got.sum(), xm)
    e1, e2 = (want - got.double()).abs().max().item(), (gw - gg.double()).abs().max().item()
    check(e1 < 1e-5 and e2 < 1e-5, f"64x64: logit and gradient match classifier_lib's cosine-time formulas "
                                   f"({e1:.2g}, {e2:.2g})")
    with torch.no_grad():  # the linear VP time would be a different (wrong) input: the conversion matters here
        mean = torch.exp(-0.25 * tau ** 2 * 19.9 - 0.05 * tau)
        linear = head.double()(classifier.double()(mean[:, None, None, None] * x.double(), timesteps=tau, feature=True),
                               tau, sigmoid=False).view(-1)
    check((linear - got.double()).abs().max().item() > 1e-3, "64x64: the linear VP time would give other logits")
    r = tool("--classifier", os.path.join(folder, "c64.pt"), "--discriminator", os.path.join(folder, "h64.pt"),
             "--out", os.path.join(folder, "d32"))
    check(r.returncode == 1 and one_line(r) and "--resolution" in r.stderr,
          f"64x64: the 64x64 classifier taken for 32x32 is refused, naming --resolution ({r.stderr.strip()[:160]})")


def class_count_from_the_network(folder):
    torch.manual_seed(4)
    pickle_network(os.path.join(folder, "c7.pkl"), EDMPrecond(32, 3, 7).eval())
    classifier = create_classifier(image_size=32, classifier_depth=1, out_channels=1000, **COMMON).eval()
    head = create_classifier(image_size=8, classifier_depth=2, out_channels=1, in_channels=128, condition=True,
                             **COMMON).eval()
    torch.save(classifier.state_dict(), os.path.join(folder, "c.pt"))
    torch.save(head.state_dict(), os.path.join(folder, "hc.pt"))
    out = os.path.join(folder, "c7")
    r = tool("--trust-pickle", "--network", os.path.join(folder, "c7.pkl"), "--classifier", os.path.join(folder, "c.pt"),
             "--discriminator", os.path.join(folder, "hc.pt"), "--out", out)
    check(r.returncode == 0, f"classes: a 7-class network with a conditional head converts ({r.stderr.strip()[-200:]})")
    if r.returncode == 0:
        den, disc = (torch.jit.load(os.path.join(out, n)) for n in ("denoiser.pt", "discriminator.pt"))
        check(den.num_classes == 7 and disc.num_classes == 7,
              f"classes: both files declare the network's 7 classes ({den.num_classes}, {disc.num_classes})")


def sigma_range(folder, dg_cli):
    torch.manual_seed(5)
    pickle_network(os.path.join(folder, "ve.pkl"), VEPrecond(16, 3, 0).eval())
    out = os.path.join(folder, "ve")
    r = tool("--trust-pickle", "--network", os.path.join(folder, "ve.pkl"), "--out", out)
    check(r.returncode == 0, f"VE: converts ({r.stderr.strip()[-200:]})")
    if r.returncode != 0:
        return
    den = torch.jit.load(os.path.join(out, "denoiser.pt"))
    check(den.sigma_min == 0.02 and den.sigma_max == 100.0, f"VE: the file carries sigma {den.sigma_min} ... "
                                                             f"{den.sigma_max}")
    samples = {}
    for name, flags in (("default", []), ("explicit", ["--sigma-min", "0.02", "--sigma-max", "80"])):
        path = os.path.join(folder, name + ".pt")
        r = run([dg_cli, "sample", "--denoiser", os.path.join(out, "denoiser.pt"), "--count", "3", "--steps", "5",
                 "--seed", "2", "--out", path, *flags], env=dict(os.environ, DG_NUM_THREADS="1"))
        check(r.returncode == 0, f"VE: dg sample ({name}) runs ({r.stderr.strip()[-160:]})")
        samples[name] = (r, torch.load(path) if r.returncode == 0 else None)
    r, default = samples["default"]
    check("0.02" in r.stderr and "clamps" in r.stderr, "VE: dg sample says it samples down to sigma 0.02 only")
    explicit = samples["explicit"][1]
    check(default is not None and explicit is not None and torch.equal(default, explicit),
          "VE: the default schedule is clamped to [0.02, 80], as EDM's edm_sampler does (identical samples)")
    r = run([dg_cli, "sample", "--denoiser", os.path.join(out, "denoiser.pt"), "--count", "2", "--steps", "3",
             "--sigma-min", "0.001", "--sigma-max", "0.01", "--out", os.path.join(folder, "none.pt")])
    check(r.returncode != 0 and "supports sigma" in r.stderr and len(r.stderr.strip().splitlines()) == 1,
          f"VE: a schedule entirely outside the network's range is refused ({r.stderr.strip()[:200]})")

    pickle_network(os.path.join(folder, "round.pkl"), RoundingPrecond(16, 3, 0).eval())
    out = os.path.join(folder, "round")
    r = tool("--trust-pickle", "--network", os.path.join(folder, "round.pkl"), "--out", out)
    check(r.returncode == 1 and one_line(r) and "round_sigma" in r.stderr and not os.path.exists(out),
          f"iDDPM-like: a network that rounds sigma is refused ({r.stderr.strip()[:200]})")


def inception_judge(folder, dg_cli):
    torch.manual_seed(6)
    detector = FeatureStandIn().eval()
    with open(os.path.join(folder, "inception.pkl"), "wb") as f:
        pickle.dump(detector, f)
    out = os.path.join(folder, "judge")
    r = tool("--trust-pickle", "--inception", os.path.join(folder, "inception.pkl"), "--out", out)
    check(r.returncode == 0, f"judge: the feature network converts ({r.stderr.strip()[-200:]})")
    if r.returncode != 0:
        return
    judge = torch.jit.load(os.path.join(out, "judge.pt"))
    x = torch.rand(6, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        want = detector((x * 127.5 + 128).clip(0, 255).to(torch.uint8), return_features=True)
        got = judge(x)
    check(torch.allclose(want, got, atol=1e-6), f"judge: features equal fid.py's call on the 8-bit images "
                                                f"({(want - got).abs().max().item():.2g})")
    reference, samples = torch.rand(60, 3, 32, 32) * 2 - 1, torch.rand(40, 3, 32, 32) * 1.6 - 0.8
    torch.save(reference, os.path.join(folder, "ref.pt"))
    torch.save(samples, os.path.join(folder, "smp.pt"))
    r = run([dg_cli, "eval", "--samples", os.path.join(folder, "smp.pt"), "--reference", os.path.join(folder, "ref.pt"),
             "--judge", os.path.join(out, "judge.pt")])
    check(r.returncode == 0 and "| " in r.stdout, f"judge: dg eval --reference --judge judge.pt scores "
                                                  f"({r.stderr.strip()[-160:]})")


class Runs:
    """Unpickling this creates a file: what a crafted pickle could do (os.system, ...)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def trust_and_refusals(folder):
    torch.manual_seed(7)
    pickle_network(os.path.join(folder, "net.pkl"), EDMPrecond(16, 3, 0).eval())
    out = os.path.join(folder, "out")
    marker = os.path.join(folder, "code-ran")
    with open(os.path.join(folder, "crafted.pkl"), "wb") as f:
        pickle.dump({"ema": Runs(marker)}, f)
    r = tool("--network", os.path.join(folder, "crafted.pkl"), "--out", out)
    check(r.returncode == 1 and one_line(r) and "--trust-pickle" in r.stderr and not os.path.exists(marker),
          f"trust: a pickle is not loaded without --trust-pickle, no code runs ({r.stderr.strip()[:160]})")

    def refused(r, needle, what):
        ok = r.returncode == 1 and one_line(r) and needle in r.stderr
        check(ok and not os.path.exists(out), f"refused: {what} ({r.stderr.strip()[:200]})")

    bad = {"nan": EDMPrecond(16, 3, 0).eval(), "label": EDMPrecond(16, 3, 0).eval(),
           "res0": EDMPrecond(16, 3, 0).eval()}
    with torch.no_grad():
        bad["nan"].model.out.bias.fill_(float("nan"))
    bad["label"].label_dim = -3
    bad["res0"].img_resolution = 0
    for key, net in bad.items():
        pickle_network(os.path.join(folder, key + ".pkl"), net)
    refused(tool("--trust-pickle", "--network", os.path.join(folder, "nan.pkl"), "--out", out), "NaN",
            "a network that returns NaN")
    refused(tool("--trust-pickle", "--network", os.path.join(folder, "label.pkl"), "--out", out), "label_dim -3",
            "a negative label_dim")
    refused(tool("--trust-pickle", "--network", os.path.join(folder, "res0.pkl"), "--out", out), "img_resolution 0",
            "img_resolution 0")
    with open(os.path.join(folder, "notmodule.pkl"), "wb") as f:
        pickle.dump({"ema": "a string"}, f)
    refused(tool("--trust-pickle", "--network", os.path.join(folder, "notmodule.pkl"), "--out", out),
            "unknown pickle layout", "an 'ema' that is not a network")
    with open(os.path.join(folder, "afile"), "w") as f:
        f.write("keep")
    r = tool("--trust-pickle", "--network", os.path.join(folder, "net.pkl"), "--out", os.path.join(folder, "afile"))
    check(r.returncode == 1 and one_line(r) and "not a folder" in r.stderr and open(os.path.join(folder, "afile")).read()
          == "keep", f"refused: --out an existing file, left unchanged ({r.stderr.strip()[:160]})")

    # A write that fails (here: a file-size limit, like a full disk) leaves the previous file as it was.
    good = os.path.join(folder, "good")
    r = tool("--trust-pickle", "--network", os.path.join(folder, "net.pkl"), "--out", good)
    before = open(os.path.join(good, "denoiser.pt"), "rb").read() if r.returncode == 0 else b""

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    pickle_network(os.path.join(folder, "other.pkl"), EDMPrecond(16, 3, 5).eval())
    r = tool("--trust-pickle", "--network", os.path.join(folder, "other.pkl"), "--out", good, preexec_fn=small_files)
    after = open(os.path.join(good, "denoiser.pt"), "rb").read()
    leftovers = [n for n in os.listdir(good) if n != "denoiser.pt"]
    check(before and r.returncode == 1 and one_line(r) and "unchanged" in r.stderr and after == before and not leftovers,
          f"write failure: one line, the previous file unchanged, no temporary left ({r.stderr.strip()[:200]})")

    # Ctrl-C: one line, exit 130, nothing written.
    slow = os.path.join(folder, "slow")
    p = subprocess.Popen([sys.executable, TOOL, "--edm", EDM, "--trust-pickle", "--network",
                          os.path.join(folder, "net.pkl"), "--out", slow], stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    interrupted = p.returncode == 130 and len(err.strip().splitlines()) == 1 and "interrupted" in err
    finished_first = p.returncode == 0  # a fast machine may finish within 1.5 s: then nothing to check
    check((interrupted and not os.path.exists(os.path.join(slow, "denoiser.pt"))) or finished_first,
          f"Ctrl-C: exit {p.returncode}, one line ({err.strip()[:160]})")


def main():
    dg_cli = sys.argv[1]
    folder = tempfile.mkdtemp(prefix="import-patterns-")
    try:
        patterns_stop_a_plain_trace(folder)
        discriminator_64(folder)
        class_count_from_the_network(folder)
        sigma_range(folder, dg_cli)
        inception_judge(folder, dg_cli)
        trust_and_refusals(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
