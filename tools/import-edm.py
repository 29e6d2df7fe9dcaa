#!/usr/bin/python3
"""Turn the paper's models into DG Studio TorchScript files (docs/IMPORT.md).

    /usr/bin/python3 tools/import-edm.py --edm ~/src/edm --dg ~/src/DG --trust-pickle \\
        --network edm-cifar10-32x32-uncond-vp.pkl \\
        --classifier 32x32_classifier.pt --discriminator discriminator_60.pt --out cifar10-uncond/

writes OUT/denoiser.pt (from an EDM network pickle; NVlabs/edm), OUT/discriminator.pt (the official DG discriminator:
the ADM classifier as a frozen feature extractor plus the trained head; alsdudrla10/DG) and, with --inception,
OUT/judge.pt (EDM's FID feature network, for dg eval --reference --judge). Each follows the TorchScript contract of
the README and is checked against the Python model it came from before anything is written. A pickle runs code from
the file when it is loaded: --network and --inception are read only with --trust-pickle. Anything that cannot be
converted is refused with one line on stderr and exit status 1, leaving no file.
"""

import signal
import sys


def _interrupted_early(signum, frame):
    print("import-edm: interrupted while starting; no file was written or changed", file=sys.stderr)
    sys.exit(130)


signal.signal(signal.SIGINT, _interrupted_early)  # before the slow imports; main() installs its own
signal.signal(signal.SIGTERM, _interrupted_early)

import argparse  # noqa: E402
import hashlib  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402
from typing import List  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dgimport import judge as judge_lib  # noqa: E402
from dgimport import official  # noqa: E402
from dgimport.official import Refusal  # noqa: E402
from dgimport.tracing import traceable  # noqa: E402

stage = "reading the arguments"  # what the tool is doing, for the one-line message of an unexpected failure
interrupted = False  # Ctrl-C, even where a library turns the KeyboardInterrupt into its own error


def on_interrupt(signum, frame):
    global interrupted
    interrupted = True
    raise KeyboardInterrupt


def first_line(e):
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:200]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def need_file(path, flag):
    if not path or not os.path.isfile(path):
        raise Refusal(f"{flag} '{path}': no such file")


def add_checkout(path, flag, probe):
    """A checkout goes on sys.path; `probe` is a file it must hold (e.g. torch_utils/persistence.py)."""
    if not path or not os.path.isdir(path):
        raise Refusal(f"{flag} '{path}': no such folder (a checkout of the repository)")
    if not os.path.isfile(os.path.join(path, probe)):
        raise Refusal(f"{flag} '{path}': not a checkout of the expected repository ({probe} is missing)")
    if path not in sys.path:
        sys.path.insert(0, os.path.abspath(path))


def load_pickle(path, flag, trusted):
    need_file(path, flag)
    if not trusted:
        raise Refusal(f"{flag} '{path}': a pickle runs code from the file when it is loaded; pass --trust-pickle "
                      "only for a file from a source you trust (docs/IMPORT.md)")
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except ModuleNotFoundError as e:
        raise Refusal(f"{flag} '{path}': needs module '{e.name}': give --edm (a checkout of NVlabs/edm)")
    except Exception as e:
        raise Refusal(f"{flag} '{path}': not a readable pickle ({type(e).__name__}: {first_line(e)[:120]})")


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
    sigma_min: float
    sigma_max: float

    def __init__(self, traced, shape, description, sigma_range):
        super().__init__()
        self.inner = traced
        self.sample_shape = shape
        self.description = description
        self.sigma_min, self.sigma_max = sigma_range

    def forward(self, x, sigma):
        return self.inner(x, sigma, torch.zeros(x.shape[0], dtype=torch.int64, device=x.device))


class Conditional3(torch.nn.Module):
    sample_shape: List[int]
    description: str
    num_classes: int
    sigma_min: float
    sigma_max: float

    def __init__(self, traced, shape, description, num_classes, sigma_range):
        super().__init__()
        self.inner = traced
        self.sample_shape = shape
        self.description = description
        self.num_classes = num_classes
        self.sigma_min, self.sigma_max = sigma_range

    def forward(self, x, sigma, class_labels):
        return self.inner(x, sigma, class_labels)


def trace(module, examples):
    """torch.jit.trace with the upstream patterns made traceable (dgimport/tracing.py), checked at another batch."""
    global stage
    stage = "tracing"
    try:
        with traceable():
            return torch.jit.trace(module, examples(2), check_inputs=[examples(3)], check_tolerance=1e-4)
    except Exception as e:  # a network the tracer cannot follow, or one whose graph depends on the batch size
        raise Refusal(f"tracing failed: {first_line(e)}")


def wrap(module, shape, classes, conditional, description, sigma_range=(0.0, float("inf"))):
    def example(n):
        return (torch.randn(n, *shape), torch.rand(n) * 10 + 0.01, torch.arange(n, dtype=torch.int64) % max(1, classes))

    traced = trace(module, example)
    global stage
    stage = "scripting the wrapper"
    wrapper = Conditional3(traced, list(shape), description, classes, sigma_range) if conditional else \
        Unconditional2(traced, list(shape), description, sigma_range)
    return torch.jit.script(wrapper)


def load_edm(path, trusted):
    data = load_pickle(path, "--network", trusted)
    net = data.get("ema") if isinstance(data, dict) else None
    if not isinstance(net, torch.nn.Module) or not all(hasattr(net, a) for a in ("img_resolution", "img_channels",
                                                                                   "label_dim")):
        raise Refusal(f"--network '{path}': unknown pickle layout (expected EDM's dict whose 'ema' is a network "
                      "with img_resolution, img_channels and label_dim)")
    for attr, low, high in (("img_resolution", 1, 4096), ("img_channels", 1, 64), ("label_dim", 0, 100000)):
        value = getattr(net, attr)
        if not isinstance(value, int) or not low <= value <= high:
            raise Refusal(f"--network '{path}': {attr} {value!r} is not an int of {low} ... {high}")
    return net.eval().requires_grad_(False).float()


def sigma_range(net, path):
    """The network's supported sigma range, which EDM's sampler clamps its schedule to; refuses a network that rounds
    sigma to a discrete set (iDDPMPrecond's round_sigma), which dg's schedule does not do."""
    lo, hi = float(getattr(net, "sigma_min", 0.0)), float(getattr(net, "sigma_max", float("inf")))
    if not (0.0 <= lo < hi):
        raise Refusal(f"--network '{path}': sigma_min {lo} and sigma_max {hi} are not a noise range")
    if hasattr(net, "round_sigma"):
        probe = torch.tensor([0.011, 0.37, 2.9, 47.0], dtype=torch.float64)
        rounded = torch.as_tensor(net.round_sigma(probe)).to(torch.float64)
        if rounded.shape != probe.shape or not torch.allclose(rounded, probe, rtol=1e-6, atol=0):
            raise Refusal(f"--network '{path}': {type(net).__name__} rounds sigma to its own discrete levels "
                          "(round_sigma, as iDDPMPrecond does); dg's schedule does not round sigma, so it cannot "
                          "sample this network as EDM's sampler does")
    return lo, hi


def import_denoiser(args):
    global stage
    stage = "loading the network"
    net = load_edm(args.network, args.trust_pickle)
    shape = [int(net.img_channels), int(net.img_resolution), int(net.img_resolution)]
    classes = int(net.label_dim)
    lo, hi = sigma_range(net, args.network)
    description = (f"EDM network {os.path.basename(args.network)} (sha256 {sha256(args.network)}), "
                   f"{type(net).__name__}/{type(getattr(net, 'model', net)).__name__}, {shape}, "
                   f"{f'{classes} classes' if classes else 'unconditional'}, sigma {lo:g} ... {hi:g}; "
                   "imported by tools/import-edm.py")
    python = EdmDenoiser(net, classes)
    stage = "running the network"
    torch.manual_seed(1)
    x = torch.randn(4, *shape) * 3
    sigma = torch.tensor([0.002, 0.3, 2.5, 80.0])
    labels = torch.tensor([0, 3, 7, 9]) % max(1, classes)
    try:
        want = python(x, sigma, labels)
    except Exception as e:
        raise Refusal(f"--network '{args.network}': fails on {shape} images: {first_line(e)}")
    if not bool(torch.isfinite(want).all()):
        raise Refusal(f"--network '{args.network}': the network returns NaN or infinity on ordinary inputs")
    script = wrap(python, shape, classes, classes > 0, description, (lo, hi))
    stage = "checking the denoiser"
    got = script(x, sigma, labels) if classes else script(x, sigma)
    err = (want - got).abs().max().item()
    if not err <= 1e-5:
        raise Refusal(f"the written denoiser differs from the pickle's network by {err:.3g}")
    return shape, classes, (script, "denoiser.pt", f"max difference to the pickle's network {err:.2g}")


# ----------------------------------------------------------------------------------------------------------- discriminator

def import_discriminator(args, shape, denoiser_classes):
    global stage
    stage = "building the discriminator"
    if not args.dg:
        raise Refusal("--discriminator: give --dg (a checkout of alsdudrla10/DG)")
    if not args.classifier or not args.discriminator:
        raise Refusal("--classifier and --discriminator go together (the feature extractor and the head)")
    need_file(args.classifier, "--classifier")
    need_file(args.discriminator, "--discriminator")
    try:
        from guided_diffusion.script_util import create_classifier
    except ImportError as e:
        raise Refusal(f"--dg '{args.dg}': cannot import guided_diffusion.script_util ({e})")
    resolution = shape[1] if shape else args.resolution
    shape = shape or [3, resolution, resolution]
    classifier, _ = official.build(create_classifier, official.load_state(args.classifier, "--classifier"),
                                   resolution, "--classifier", args.classifier)
    head, head_classes = official.build(create_classifier, official.load_state(args.discriminator, "--discriminator"),
                                        8, "--discriminator", args.discriminator)
    conditional = head_classes > 0
    if args.conditional and not conditional:
        raise Refusal(f"--conditional: the head '{args.discriminator}' takes no class labels")
    classes = denoiser_classes or head_classes
    if conditional and denoiser_classes and denoiser_classes > head_classes:
        raise Refusal(f"--discriminator '{args.discriminator}': knows {head_classes} classes, the network "
                      f"{denoiser_classes}")
    python = official.OfficialLogit(classifier, head, conditional, cosine=resolution == 64)
    stage = "probing the discriminator"
    try:
        with torch.no_grad():
            python(torch.zeros(1, *shape), torch.ones(1), torch.zeros(1, dtype=torch.int64))
    except Exception as e:
        raise Refusal(f"--discriminator: does not take the denoiser's samples {shape} ({first_line(e)[:160]})")
    time = "cosine time from the VP time (64x64, as classifier_lib does)" if python.cosine else "VP time"
    description = (f"official DG discriminator: classifier {os.path.basename(args.classifier)} (sha256 "
                   f"{sha256(args.classifier)}) + head {os.path.basename(args.discriminator)} (sha256 "
                   f"{sha256(args.discriminator)}); returns log(d/(1-d)) of x at sigma (input x/sqrt(1+sigma^2), "
                   f"{time}, beta {official.BETA_MIN}..{official.BETA_MAX}); sample with --dg-preset official as the "
                   "paper does")
    script = wrap(python, shape, classes, conditional, description)
    stage = "checking the discriminator"
    err = check_discriminator(python, script, shape, conditional, classes)
    return script, "discriminator.pt", f"max difference in logit and gradient {err:.2g}"


def check_discriminator(python, script, shape, conditional, classes):
    torch.manual_seed(2)
    sigma = torch.tensor([0.01, 0.05, 0.5, 3.0, 40.0, 150.0])
    x = (torch.randn(len(sigma), *shape) * 2)
    labels = torch.arange(len(sigma)) * 7 % max(1, classes)
    xw = x.clone().requires_grad_(True)
    want = python(xw, sigma, labels)
    (gw,) = torch.autograd.grad(want.sum(), xw)
    xg = x.clone().requires_grad_(True)
    got = script(xg, sigma, labels) if conditional else script(xg, sigma)
    (gg,) = torch.autograd.grad(got.sum(), xg)
    if not (bool(torch.isfinite(want).all()) and bool(torch.isfinite(gw).all())):
        raise Refusal("--discriminator: the official network returns NaN or infinity on ordinary inputs")
    err = max((want - got).abs().max().item(), (gw - gg).abs().max().item())
    if not err <= 1e-5:
        raise Refusal(f"the written discriminator differs from the official one by {err:.3g} (logit or gradient)")
    return err


# ------------------------------------------------------------------------------------------------------------------ judge

def import_judge(args, shape):
    global stage
    stage = "loading the feature network"
    detector = load_pickle(args.inception, "--inception", args.trust_pickle)
    if not callable(detector):
        raise Refusal(f"--inception '{args.inception}': holds a {type(detector).__name__}, not a network")
    if isinstance(detector, torch.nn.Module):
        detector = detector.eval().requires_grad_(False).float()
    shape = shape or [3, args.resolution, args.resolution]
    python = judge_lib.EightBitFeatures(detector, shape[0])
    stage = "tracing the feature network"
    torch.manual_seed(4)

    def example(n):
        return (torch.rand(n, *shape) * 2 - 1,)

    try:
        with torch.no_grad():
            want = judge_lib.reference_features(detector, example(5)[0], shape[0])
    except Exception as e:
        raise Refusal(f"--inception '{args.inception}': fails as fid.py calls it "
                      f"(uint8 images, return_features=True): {first_line(e)[:160]}")
    if want.dim() != 2 or want.shape[0] != 5 or want.shape[1] < 1 or not bool(torch.isfinite(want).all()):
        raise Refusal(f"--inception '{args.inception}': returned {list(want.shape)} (non-finite or not [N, F] "
                      "features)")
    with torch.no_grad():
        script = trace(python, example)
    stage = "checking the feature network"
    torch.manual_seed(4)
    x = example(5)[0]
    with torch.no_grad():
        want, got = judge_lib.reference_features(detector, x, shape[0]), script(x).to(torch.float64)
    err = (want - got).abs().max().item()
    if not err <= 1e-4 * max(1.0, want.abs().max().item()):
        raise Refusal(f"the written feature network differs from the pickle's by {err:.3g}")
    return script, "judge.pt", f"{want.shape[1]} features, max difference to fid.py's {err:.2g}"


# ----------------------------------------------------------------------------------------------------------------- output

def plan_outputs(folder, names):
    """Every file is written under its final name only after all were converted and checked: refuse up front what
    could not be written."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise Refusal(f"--out '{folder}': exists and is not a folder")
    parent = folder if os.path.isdir(folder) else os.path.dirname(os.path.abspath(folder))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise Refusal(f"--out '{folder}': cannot write there (no such folder, or not writable)")
    for name in names:
        target = os.path.join(folder, name)
        if os.path.isdir(target):
            raise Refusal(f"--out '{folder}': {name} exists and is a folder")


def save(module, path):
    """Atomic: serialised in memory, written to a temporary file in the same folder, flushed to disk, then renamed over
    the target. A symlink is written through to its target, which is replaced; the link stays (the policy of dg's own
    writers, core/SafeFile.cpp). A failed write (a full disk, a quota) removes the temporary file and leaves the previous
    file as it was."""
    path = os.path.realpath(path)
    buffer = io.BytesIO()
    torch.jit.save(module, buffer)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".part", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, Exception):
            raise Refusal(f"--out: could not write {path} ({first_line(e)}); the previous file, if any, is unchanged")
        raise


class Arguments(argparse.ArgumentParser):
    def error(self, message):
        print(f"import-edm: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def main():
    global stage
    p = Arguments(description=__doc__.split("\n\n")[0])
    p.add_argument("--edm", help="a checkout of NVlabs/edm (its torch_utils unpickles the network)")
    p.add_argument("--dg", help="a checkout of alsdudrla10/DG (its guided_diffusion builds the discriminator)")
    p.add_argument("--network", help="EDM network pickle, e.g. edm-cifar10-32x32-uncond-vp.pkl")
    p.add_argument("--classifier", help="the ADM classifier of the official DG code, e.g. 32x32_classifier.pt")
    p.add_argument("--discriminator", help="the official discriminator head, e.g. discriminator_60.pt")
    p.add_argument("--conditional", action="store_true",
                   help="require a class-conditional head (read from its weights either way)")
    p.add_argument("--inception", help="EDM's FID feature network pickle (inception-2015-12-05.pkl) -> judge.pt")
    p.add_argument("--resolution", type=int, default=32,
                   help="image size when no --network gives it (default 32; 64 uses the official cosine time)")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow loading --network / --inception pickles, which run code from the file")
    p.add_argument("--out", required=True, help="folder for denoiser.pt, discriminator.pt and judge.pt")
    args = p.parse_args()
    # The tracer warns about every Python value it freezes; the checks against the Python models are what count.
    warnings.filterwarnings("ignore")
    if not (args.network or args.discriminator or args.classifier or args.inception):
        raise Refusal("nothing to import: give --network, --classifier with --discriminator, and/or --inception")
    if not 8 <= args.resolution <= 4096:
        raise Refusal(f"--resolution {args.resolution}: not an image size (8 ... 4096)")
    if args.edm:
        add_checkout(args.edm, "--edm", os.path.join("torch_utils", "persistence.py"))
    if args.dg:
        add_checkout(args.dg, "--dg", os.path.join("guided_diffusion", "script_util.py"))
    names = [n for n, on in (("denoiser.pt", args.network), ("discriminator.pt", args.discriminator or args.classifier),
                             ("judge.pt", args.inception)) if on]
    plan_outputs(args.out, names)
    for path, flag in ((args.network, "--network"), (args.classifier, "--classifier"),
                       (args.discriminator, "--discriminator"), (args.inception, "--inception")):
        if path is not None:
            need_file(path, flag)

    # Everything is converted and checked before anything is written: a refusal leaves no files behind.
    shape, classes, written = None, 0, []
    if args.network:
        shape, classes, item = import_denoiser(args)
        written.append(item)
    if args.discriminator or args.classifier:
        written.append(import_discriminator(args, shape, classes))
    if args.inception:
        written.append(import_judge(args, shape))

    stage = "writing"
    os.makedirs(args.out, exist_ok=True)
    for script, name, note in written:
        save(script, os.path.join(args.out, name))
    for script, name, note in written:
        print(f"import-edm: wrote {os.path.join(args.out, name)} ({note})")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, on_interrupt)
    signal.signal(signal.SIGTERM, on_interrupt)
    try:
        main()
    except BaseException as e:
        if interrupted or isinstance(e, KeyboardInterrupt):
            done = "; files already written are complete" if stage == "writing" else "; no file was written or changed"
            print(f"import-edm: interrupted while {stage}{done}", file=sys.stderr)
            sys.exit(130)
        if isinstance(e, SystemExit):
            raise
        if isinstance(e, Refusal):
            print(f"import-edm: {e}", file=sys.stderr)
            sys.exit(1)
        # Anything unforeseen is still one line, naming the stage.
        print(f"import-edm: failed while {stage}: {type(e).__name__}: {first_line(e)}", file=sys.stderr)
        sys.exit(1)
