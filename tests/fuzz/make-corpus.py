#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/NAME) from real files of the formats:
torch.save tensors written by PyTorch, IDX excerpts of Fashion-MNIST's format, PNGs with DG Studio metadata, settings
JSON as dg writes it, and a small checkpoint written by dg itself.  Usage: make-corpus.py BUILD_DIR"""
import gzip
import json
import os
import struct
import subprocess
import sys
import zlib

import torch

here = os.path.dirname(os.path.abspath(__file__))
build = sys.argv[1] if len(sys.argv) > 1 else "build"
corpus = os.path.join(here, "corpus")


def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)


def saved(obj):
    import io
    b = io.BytesIO()
    torch.save(obj, b)
    return b.getvalue()


torch.manual_seed(0)
put("tensor_file", "noise", saved(torch.randn(4, 2)))
put("tensor_file", "images", saved(torch.rand(2, 1, 28, 28) * 2 - 1))
put("tensor_file", "labels", saved(torch.arange(6)))
put("tensor_file", "view", saved(torch.randn(3, 4)[:, 1:3]))
put("tensor_file", "half", saved(torch.randn(2, 2).half()))
put("tensor_file", "dict", saved({"x": torch.zeros(2, 2)}))

put("idx", "labels", bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + bytes([0, 1, 2, 3, 9]))
put("idx", "images", bytes([0, 0, 8, 3]) + struct.pack(">III", 2, 28, 28) + bytes(range(256)) * 6 + bytes(32))
put("idx", "bad-magic", bytes([0, 0, 9, 1]) + struct.pack(">I", 1) + b"\x00")


def png(text):
    def chunk(t, data):
        return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xffffffff)
    raw = b"".join(b"\x00" + bytes([40, 80, 120]) * 3 for _ in range(3))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 3, 8, 2, 0, 0, 0))
    for k, v in text.items():
        out += chunk(b"tEXt", k.encode() + b"\x00" + v.encode())
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


settings = {"denoiser": "builtin:ring8-model", "discriminator": "builtin:ring8-disc", "noise": "", "seed": 3,
            "count": 64, "class": None, "sampler": "heun", "steps": 18, "sigma_min": 0.002, "sigma_max": 80.0,
            "rho": 7.0, "churn": 0.0, "s_min": 0.0, "s_max": "inf", "s_noise": 1.0, "dg_enabled": True,
            "dg_weight": 1.0, "dg_weight_2nd": 1.0, "dg_sigma_min": 0.0, "dg_sigma_max": "inf",
            "dg_logit_clip": "inf", "dg_boost": False, "dg_preset": "none", "device": "auto"}
put("png", "grid", png({"Software": "dg", "dg.settings": json.dumps(settings)}))
put("png", "plain", png({}))
put("settings_json", "full", json.dumps(settings).encode())
put("settings_json", "sidecar", json.dumps({"kind": "grid", "settings": dict(settings, **{"class": "all"})}).encode())
put("settings_json", "minimal", b'{"denoiser":"builtin:fmnist","dg_preset":"official"}')

ck = os.path.join(corpus, "tiny-disc.pt")
fakes = os.path.join(corpus, "tiny-fakes.pt")
torch.save(torch.rand(600, 2) * 2 - 1, fakes)
subprocess.run([os.path.join(build, "bin", "dg"), "train-disc", "--data", "toy:ring8", "--fakes", fakes, "--hidden",
                "4", "--epochs", "1", "--checkpoint", ck], check=True, capture_output=True)
os.makedirs(os.path.join(corpus, "checkpoint_meta"), exist_ok=True)
os.replace(ck, os.path.join(corpus, "checkpoint_meta", "tiny-disc"))
os.remove(fakes)
# Cached scores as dg sweep --cache writes them (a toy's SW2/NLL, an image set's FD row).
import glob
import tempfile
with tempfile.TemporaryDirectory() as cache:
    for args in (["--denoiser", "builtin:ring8-model", "--discriminator", "builtin:ring8-disc", "--count", "64"],
                 ["--denoiser", "builtin:fmnist", "--discriminator", "builtin:fmnist-disc", "--count", "16", "--steps",
                  "2", "--classifier", "none"]):
        subprocess.run([os.path.join(build, "bin", "dg"), "sweep", *args, "--weights", "0,1", "--cache", cache],
                       check=True, capture_output=True)
    os.makedirs(os.path.join(corpus, "score_json"), exist_ok=True)
    for i, path in enumerate(sorted(glob.glob(os.path.join(cache, "*-score-*.json")))):
        os.replace(path, os.path.join(corpus, "score_json", "sweep-%d" % i))
for name in os.listdir(corpus):
    print(name, len(os.listdir(os.path.join(corpus, name))), "seeds")
