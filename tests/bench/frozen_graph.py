# Frozen TorchScript graph vs the plain exported one (docs/PERFORMANCE.md "Where the time of a guided step goes").
# Usage: dg export --torchscript DIR && /usr/bin/python3 tests/bench/frozen_graph.py DIR
import sys, torch, time, warnings
warnings.filterwarnings("ignore")
torch.set_num_threads(1)
m = torch.jit.load(sys.argv[1] + "/denoiser.pt").eval()
f = torch.jit.freeze(torch.jit.load(sys.argv[1] + "/denoiser.pt").eval())
x = torch.randn(16, 1, 28, 28) * 2
s = torch.full((16,), 2.0)
with torch.no_grad():
    for g in (m, f):
        for _ in range(3): g(x, s)
    print("max |frozen - plain|", (m(x, s) - f(x, s)).abs().max().item())
    tm, tf = [], []
    for r in range(15):  # interleaved, so machine noise hits both alike
        for g, t in ((m, tm), (f, tf)):
            t0 = time.perf_counter(); g(x, s); t.append(time.perf_counter() - t0)
    tm.sort(); tf.sort()
    print("batch 16, 1 thread, median ms: plain %.1f  frozen %.1f  (ratio %.2f)" % (1000*tm[7], 1000*tf[7], tm[7]/tf[7]))
