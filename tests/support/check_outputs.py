#!/usr/bin/python3
"""Loads files written by the C++ side with torch.load and prints facts about them as JSON on stdout.

usage: check_outputs.py FILE.pt [FILE.pt ...]
"""
import json
import sys

import torch


def describe(value):
    if isinstance(value, torch.Tensor):
        v = value.to(torch.float64)
        return {"type": "tensor", "dtype": str(value.dtype), "shape": list(value.shape),
                "sum": float(v.sum()), "first": float(v.flatten()[0]) if v.numel() else None}
    if isinstance(value, dict):
        return {"type": "dict", "items": {k: describe(v) for k, v in value.items()}}
    return {"type": type(value).__name__}


print(json.dumps({path: describe(torch.load(path)) for path in sys.argv[1:]}))
