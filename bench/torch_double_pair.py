#!/usr/bin/env python3
"""PyTorch eager timing of one DoublePairAttention block, op for op as the
reference computes it, with the same sizes and JSON keys as
bench/bench_double_pair.c (c_z 128, bottleneck_scale 4, FiLM with a 128-wide
time MLP, B = 1, no padding).

    python3 bench/torch_double_pair.py [--threads N] [--sizes 64,128,256,512] [--min-seconds S]

Runs on PyTorch 1.13 and 2.x (CPU, float32, no_grad)."""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F

C_Z, SCALE, HIDDEN = 128, 4, 128


def make_params(gen):
    c, d, h = C_Z, C_Z // SCALE, HIDDEN

    def lin(o, i):
        w = torch.randn(o, i, generator=gen) / i ** 0.5
        b = torch.randn(o, generator=gen) * 0.1
        return w, b

    return {
        "gather": lin(d, c), "value": lin(d, c), "distribute": lin(d, c),
        "output": lin(c, d), "t0": lin(h, 1), "t2": lin(2 * c, h),
    }


def block(p, z, edge_mask, t):
    """DoubleAttentionPairBlock.forward with use_film = True."""
    b, n, _, c = z.shape
    P = z.reshape(b, n * n, c)
    f = F.linear(P, *p["gather"])
    g = F.linear(P, *p["value"])
    m = edge_mask.reshape(b, n * n, 1)
    f = f.masked_fill(m == 0, -1e8)
    w = torch.softmax(f, dim=1)
    w = w * m
    w = w / (w.sum(dim=1, keepdim=True) + 1e-8)
    V = w.transpose(1, 2) @ g
    h = F.linear(P, *p["distribute"])
    s = torch.softmax(h, dim=2)
    o = F.linear(s @ V, *p["output"]).reshape(b, n, n, c)
    te = F.linear(F.gelu(F.linear(t.reshape(b, 1), *p["t0"])), *p["t2"])
    scale, shift = te.chunk(2, dim=-1)
    o = o * (1 + scale[:, None, None, :]) + shift[:, None, None, :]
    return z + o


def flops(n):
    pairs, c, d = n * n, C_Z, C_Z // SCALE
    return pairs * (8.0 * c * d + 4.0 * d * d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--sizes", default="64,128,256,512")
    ap.add_argument("--min-seconds", type=float, default=1.0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(0)
    p = make_params(gen)
    with torch.no_grad():
        for n in (int(s) for s in a.sizes.split(",")):
            z = torch.randn(1, n, n, C_Z, generator=gen)
            mask = torch.ones(1, n, n)
            t = torch.full((1,), 0.5)
            for _ in range(2):
                block(p, z, mask, t)
            times = []
            start = time.perf_counter()
            while len(times) < 1000 and (len(times) < 5 or time.perf_counter() - start < a.min_seconds):
                t0 = time.perf_counter()
                block(p, z, mask, t)
                times.append(time.perf_counter() - t0)
            sec = statistics.median(times)
            print(json.dumps({
                "bench": "double_pair", "impl": "torch " + torch.__version__, "L": n, "B": 1,
                "c_z": C_Z, "bottleneck": C_Z // SCALE, "threads": torch.get_num_threads(),
                "median_ms": round(sec * 1e3, 3), "gflops": round(flops(n) / sec * 1e-9, 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
                "reps": len(times),
            }), flush=True)


if __name__ == "__main__":
    main()
