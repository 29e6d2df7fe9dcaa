#!/usr/bin/python3
"""FLOPs of one forward pass of an exported denoiser (torch.profiler's FLOP estimates of convolutions and matrix
products) and the machine's practical ceiling: the best GFLOP/s of a large float32 matrix product in LibTorch
(python3-torch uses the same Debian LibTorch 1.13 as dg). Prints two numbers: GFLOP per forward, ceiling GFLOP/s.

usage: flops.py DENOISER.pt BATCH [--threads N]
"""
import argparse
import time

import torch


def int_list(value):
    """A constant int[] of the graph, whether folded or built by prim::ListConstruct."""
    folded = value.toIValue()
    return folded if folded is not None else [i.toIValue() for i in value.node().inputs()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("denoiser")
    p.add_argument("batch", type=int)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    m = torch.jit.load(a.denoiser).eval()
    x = torch.randn([a.batch] + list(m.sample_shape))
    s = torch.full((a.batch,), 1.0)
    with torch.no_grad():
        m(x, s)
        m(x, s)
        with torch.profiler.profile(with_flops=True, record_shapes=True) as prof:
            m(x, s)
    # The profiler counts matrix products itself but not the traced graph's aten::_convolution: those are counted here
    # from the graph's weights, strides and paddings and the profiled input shapes (both in execution order).
    flops = sum(e.flops for e in prof.events() if e.flops and e.name != "aten::_convolution")
    graph = m.graph.copy()
    torch._C._jit_pass_inline(graph)
    convs = [n for n in graph.nodes() if n.kind() == "aten::_convolution"]
    inputs = [e.input_shapes[0] for e in prof.events() if e.name == "aten::_convolution"]
    assert len(convs) == len(inputs), (len(convs), len(inputs))
    for node, shape in zip(convs, inputs):
        args = list(node.inputs())
        w = args[1].toIValue().shape
        stride, pad = int_list(args[3]), int_list(args[4])
        n, cin, h, wd = shape
        hout = (h + 2 * pad[0] - w[2]) // stride[0] + 1
        wout = (wd + 2 * pad[1] - w[3]) // stride[1] + 1
        flops += 2 * n * w[0] * hout * wout * w[1] * w[2] * w[3]
    n = 2048
    A, B = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        torch.mm(A, B)
        best = min(best, time.perf_counter() - t)
    print(f"{flops / 1e9:.4f} {2 * n ** 3 / best / 1e9:.2f}")


if __name__ == "__main__":
    main()
