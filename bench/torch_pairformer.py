#!/usr/bin/env python3
"""Plain op-for-op PyTorch (eager, fp32, no_grad) versions of the blocks timed
by bench_pairformer.c, with random weights of the same shapes, printing the
same JSON keys (impl "torch"). Runs on PyTorch 1.13 and 2.x.

    python3 bench/torch_pairformer.py --threads 2 [--sizes 64,128,256,512] [--only NAME] [--reps R]

Triangle attention is chunked over rows as the upstream eval path does
(128 rows per chunk when L > 384), so L = 512 fits in memory.
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn.functional as F

C_S, C_Z = 256, 128
TRI_HEADS, TRI_DH = 4, 32
APB_HEADS = 4
EXPANSION = 4
EPS = 1e-5


def rand_linear(out_f, in_f, gen):
    return torch.randn(out_f, in_f, generator=gen) / math.sqrt(in_f)


def rand_ln(c, gen):
    return 1.0 + 0.1 * torch.randn(c, generator=gen), 0.1 * torch.randn(c, generator=gen)


def ln(x, wb):
    return F.layer_norm(x, (x.shape[-1],), wb[0], wb[1], EPS)


class TriMul:
    def __init__(self, c, outgoing, gen):
        self.outgoing = outgoing
        self.norm_in, self.norm_out = rand_ln(c, gen), rand_ln(c, gen)
        self.p_in, self.g_in = rand_linear(2 * c, c, gen), rand_linear(2 * c, c, gen)
        self.p_out, self.g_out = rand_linear(c, c, gen), rand_linear(c, c, gen)

    def __call__(self, x, mask):
        x = ln(x, self.norm_in)
        x_in = x
        x = F.linear(x, self.p_in) * torch.sigmoid(F.linear(x, self.g_in))
        x = x * mask.unsqueeze(-1)
        a, b = torch.chunk(x, 2, dim=-1)
        if self.outgoing:
            x = torch.einsum("bikd,bjkd->bijd", a, b)
        else:
            x = torch.einsum("bkid,bkjd->bijd", a, b)
        return F.linear(ln(x, self.norm_out), self.p_out) * torch.sigmoid(F.linear(x_in, self.g_out))

    @staticmethod
    def flops(c, n):
        p = n * n
        return 2.0 * p * c * 4 * c + 2.0 * p * n * c + 4.0 * p * c * c


class TriAtt:
    def __init__(self, c, heads, dh, starting, gen):
        self.starting, self.heads, self.dh = starting, heads, dh
        self.norm = rand_ln(c, gen)
        self.w_bias = rand_linear(heads, c, gen)
        self.wq, self.wk, self.wv, self.wg = (rand_linear(heads * dh, c, gen) for _ in range(4))
        self.wo = rand_linear(c, heads * dh, gen)

    def _mha(self, x, mask_bias, tri_bias):
        # x [B, I, J, C]; mask_bias [B, I, 1, 1, J]; tri_bias [B, 1, H, J, J]
        shp = x.shape[:-1] + (self.heads, self.dh)
        q = F.linear(x, self.wq).view(shp).transpose(-2, -3) / math.sqrt(self.dh)
        k = F.linear(x, self.wk).view(shp).transpose(-2, -3)
        v = F.linear(x, self.wv).view(shp).transpose(-2, -3)
        a = torch.matmul(q, k.transpose(-1, -2))
        a = a + mask_bias
        a = a + tri_bias
        a = torch.softmax(a, dim=-1)
        o = torch.matmul(a, v).transpose(-2, -3)
        o = o * torch.sigmoid(F.linear(x, self.wg)).view(shp)
        return F.linear(o.flatten(-2), self.wo)

    def __call__(self, x, mask):
        if not self.starting:
            x = x.transpose(-2, -3)
            mask = mask.transpose(-1, -2)
        x = ln(x, self.norm)
        mask_bias = (1e9 * (mask - 1))[..., :, None, None, :]
        tri_bias = F.linear(x, self.w_bias).permute(0, 3, 1, 2).unsqueeze(1)
        n = x.shape[1]
        chunk = min(128, n // 2) if n > 384 else n
        outs = [self._mha(x[:, i:i + chunk], mask_bias[:, i:i + chunk], tri_bias) for i in range(0, n, chunk)]
        out = torch.cat(outs, dim=1) if len(outs) > 1 else outs[0]
        if not self.starting:
            out = out.transpose(-2, -3)
        return out

    @staticmethod
    def flops(c, heads, dh, n):
        p, hd = n * n, heads * dh
        return 2.0 * p * c * heads + 2.0 * p * c * 4 * hd + 4.0 * p * n * hd + 2.0 * p * hd * c


class Transition:
    def __init__(self, c, gen):
        self.norm = rand_ln(c, gen)
        self.w1, self.w2 = rand_linear(EXPANSION * c, c, gen), rand_linear(EXPANSION * c, c, gen)
        self.w3 = rand_linear(c, EXPANSION * c, gen)

    def __call__(self, x):
        x = ln(x, self.norm)
        return F.linear(F.silu(F.linear(x, self.w1)) * F.linear(x, self.w2), self.w3)

    @staticmethod
    def flops(c, rows):
        return 6.0 * rows * c * EXPANSION * c


class AttnPairBias:
    def __init__(self, cs, cz, heads, gen):
        self.heads, self.dh, self.cs = heads, cs // heads, cs
        self.wq, self.wk, self.wv, self.wg, self.wo = (rand_linear(cs, cs, gen) for _ in range(5))
        self.bq = 0.1 * torch.randn(cs, generator=gen)
        self.z_norm = rand_ln(cz, gen)
        self.wz = rand_linear(heads, cz, gen)

    def __call__(self, s, z, node_mask):
        b = s.shape[0]
        q = F.linear(s, self.wq, self.bq).view(b, -1, self.heads, self.dh)
        k = F.linear(s, self.wk).view(b, -1, self.heads, self.dh)
        v = F.linear(s, self.wv).view(b, -1, self.heads, self.dh)
        bias = F.linear(ln(z, self.z_norm), self.wz).permute(0, 3, 1, 2)
        g = torch.sigmoid(F.linear(s, self.wg))
        attn = torch.einsum("bihd,bjhd->bhij", q, k) / (self.dh ** 0.5) + bias
        attn = attn + (1 - node_mask[:, None, None]) * -1e6
        attn = torch.softmax(attn, dim=-1)
        o = torch.einsum("bhij,bjhd->bihd", attn, v).reshape(b, -1, self.cs)
        return F.linear(g * o, self.wo)

    @staticmethod
    def flops(cs, cz, heads, n):
        return 10.0 * n * cs * cs + 4.0 * n * n * cs + 2.0 * n * n * cz * heads


class PairStack:
    def __init__(self, gen):
        self.mul_out, self.mul_in = TriMul(C_Z, True, gen), TriMul(C_Z, False, gen)
        self.att_start = TriAtt(C_Z, TRI_HEADS, TRI_DH, True, gen)
        self.att_end = TriAtt(C_Z, TRI_HEADS, TRI_DH, False, gen)
        self.trans = Transition(C_Z, gen)

    def __call__(self, z, mask):
        z = z + self.mul_out(z, mask)
        z = z + self.mul_in(z, mask)
        z = z + self.att_start(z, mask)
        z = z + self.att_end(z, mask)
        return z + self.trans(z)

    @staticmethod
    def flops(n):
        return (2 * TriMul.flops(C_Z, n) + 2 * TriAtt.flops(C_Z, TRI_HEADS, TRI_DH, n)
                + Transition.flops(C_Z, n * n))


class PairformerLayer:
    def __init__(self, gen):
        self.pair = PairStack(gen)
        self.pre_norm = rand_ln(C_S, gen)
        self.attn = AttnPairBias(C_S, C_Z, APB_HEADS, gen)
        self.node_trans = Transition(C_S, gen)

    def __call__(self, s, z, node_mask, edge_mask):
        z = self.pair(z, edge_mask)
        sn = ln(s, self.pre_norm)
        s = s + self.attn(sn, z, node_mask)
        return s + self.node_trans(s), z

    @staticmethod
    def flops(n):
        return PairStack.flops(n) + AttnPairBias.flops(C_S, C_Z, APB_HEADS, n) + Transition.flops(C_S, n)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, reps):
    """Median wall and process-CPU seconds (CPU: all threads, as in the C bench)."""
    fn()
    ts, cs = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return statistics.median(ts), statistics.median(cs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--sizes", default="64,128,256,512")
    ap.add_argument("--only", default=None)
    ap.add_argument("--reps", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    mods = {
        "tri_mul": TriMul(C_Z, True, gen),
        "tri_att": TriAtt(C_Z, TRI_HEADS, TRI_DH, True, gen),
        "transition": Transition(C_Z, gen),
        "pairformer_layer": PairformerLayer(gen),
        "pairformer_noseq_layer": PairStack(gen),
        "pair_bias_layer": AttnPairBias(C_S, C_Z, APB_HEADS, gen),
    }
    for n in (int(v) for v in args.sizes.split(",")):
        reps = args.reps or (3 if n >= 512 else 5 if n >= 256 else 10)
        s = torch.randn(1, n, C_S, generator=gen)
        z = torch.randn(1, n, n, C_Z, generator=gen)
        node_mask = torch.ones(1, n)
        edge_mask = torch.ones(1, n, n)
        runs = {
            "tri_mul": (lambda: mods["tri_mul"](z, edge_mask), TriMul.flops(C_Z, n)),
            "tri_att": (lambda: mods["tri_att"](z, edge_mask), TriAtt.flops(C_Z, TRI_HEADS, TRI_DH, n)),
            "transition": (lambda: mods["transition"](z), Transition.flops(C_Z, n * n)),
            "pairformer_layer": (lambda: mods["pairformer_layer"](s, z, node_mask, edge_mask),
                                 PairformerLayer.flops(n)),
            "pairformer_noseq_layer": (lambda: mods["pairformer_noseq_layer"](z, edge_mask), PairStack.flops(n)),
            "pair_bias_layer": (lambda: mods["pair_bias_layer"](s, z, node_mask),
                                AttnPairBias.flops(C_S, C_Z, APB_HEADS, n)),
        }
        for name, (fn, fl) in runs.items():
            if args.only and args.only != name:
                continue
            with torch.no_grad():
                sec, cpu = timed(fn, reps)
            print(json.dumps({"bench": "pairformer", "impl": "torch", "block": name, "L": n,
                              "threads": torch.get_num_threads(), "median_ms": round(sec * 1e3, 3), "cpu_ms": round(cpu * 1e3, 3),
                              "gflops": round(fl / sec * 1e-9, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
                              "reps": reps, "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
