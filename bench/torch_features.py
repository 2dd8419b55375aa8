#!/usr/bin/env python3
"""PyTorch timing of the node and edge feature nets, same sizes, inputs and
JSON keys as bench_features (C). Plain op-for-op PyTorch written for this
comparison: the features are concatenated per residue / per pair and run
through the MLPs as the reference module does (no pair-splitting algebra).
Runs on PyTorch 1.13 and 2.x.

    python3 bench/torch_features.py [--threads T] [--batch B]
                                    [--preset public|default] [--lengths 64,128,256,512]
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
from torch import nn

C_S, C_P, FEAT, C_POS, C_T, NB, FD = 256, 128, 64, 128, 128, 22, 16


def index_emb(idx, dim, max_len, method):
    if method == "rotary":
        theta = max_len ** (-torch.arange(0, dim, 2).float() / dim)
        a = idx.float()[..., None] * theta
        return torch.cat([torch.cos(a), torch.sin(a)], dim=-1)
    k = torch.arange(dim // 2)
    power = torch.pow(max_len, 2 * k[None] / dim)
    a = idx[..., None] * math.pi / power
    return torch.cat([torch.sin(a), torch.cos(a)], dim=-1)


def time_emb(t, dim, max_positions=2056):
    half = dim // 2
    f = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(max_positions) / (half - 1)))
    a = (t * max_positions).float()[:, None] * f[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


def distogram(pos, nb):
    d = torch.linalg.norm(pos[:, :, None, :] - pos[:, None, :, :], dim=-1)[..., None]
    lower = torch.linspace(1e-4, 20.0, nb)
    upper = torch.cat([lower[1:], lower.new_tensor([1e8])], dim=-1)
    return ((d > lower) * (d < upper)).float()


def mlp(d_in, d):
    return nn.Sequential(nn.Linear(d_in, d), nn.ReLU(), nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d),
                         nn.LayerNorm(d))


class Node(nn.Module):
    def __init__(self, full):
        super().__init__()
        self.full = full
        self.method, self.max_len = ("rotary", 2048) if full else ("sine_cosine", 2056)
        d_in = C_POS + 1 + 2 * C_T + C_S + C_T + 21 + (4 * C_POS + 1 if full else 0)
        self.aatype = nn.Embedding(21, C_S)
        self.torsion = nn.Linear(14, C_POS)
        self.method_emb = nn.Embedding(14, C_POS)
        self.stoch = nn.Linear(4, C_POS)
        self.mlp = mlp(d_in, C_S)

    def forward(self, x):
        m = x["res_mask"]
        B, N = m.shape
        temb = lambda t: time_emb(t, C_T)[:, None, :].repeat(1, N, 1) * m[..., None]
        f = [index_emb(x["res_idx"], C_POS, self.max_len, self.method) * m[..., None], x["diffuse_mask"][..., None],
             temb(x["t"]), temb(x["t"]), self.aatype(x["aatypes"]), temb(x["t"]), x["aatypes_sc"]]
        if self.full:
            f += [index_emb(x["chain_idx"], C_POS, 100, self.method), self.torsion(x["torsions"].flatten(-2)),
                  self.method_emb(x["method"].expand(-1, N)),
                  self.stoch(torch.stack([x["t"]] * 4, dim=-1)[:, None, :].expand(B, N, 4)),
                  x["res_mask"][..., None]]
        return self.mlp(torch.cat(f, dim=-1))


class Edge(nn.Module):
    def __init__(self, full):
        super().__init__()
        self.full = full
        self.method, self.max_len = ("rotary", 2048) if full else ("sine_cosine", 2056)
        self.s_p = nn.Linear(C_S, FEAT)
        self.relpos = nn.Linear(FEAT, FEAT)
        self.mlp = mlp(3 * FEAT + 2 * NB + (1 if full else 0) + 2, C_P)
        self.proj = nn.Linear(1, FD)
        self.enc = nn.Linear(FD, C_P)
        self.ln = nn.LayerNorm(C_P)

    def forward(self, x, node):
        B, N, _ = node.shape
        cross = lambda v: torch.cat([v[:, :, None, :].expand(B, N, N, v.shape[-1]),
                                     v[:, None, :, :].expand(B, N, N, v.shape[-1])], dim=-1)
        r = torch.arange(N)[None].repeat(B, 1)
        rel = self.relpos(index_emb(r[:, :, None] - r[:, None, :], FEAT, self.max_len, self.method))
        f = [cross(self.s_p(node)), rel, distogram(x["trans"], NB), distogram(x["trans"], NB)]
        if self.full:
            c = x["chain_idx"]
            f.append((c[:, :, None] == c[:, None, :]).float()[..., None])
        f.append(cross(x["diffuse_mask"][..., None]))
        e = self.mlp(torch.cat(f, dim=-1)) * x["edge_mask"][..., None]
        if self.full:
            c = ((x["contact"] - 4.0) / 16.0).clamp(0, 1)
            emb = torch.cos(2 * math.pi * self.proj(c.reshape(-1, 1))).reshape(B, N, N, FD)
            e = e + self.ln(self.enc(emb))
        return e


def inputs(B, N):
    i = torch.arange(N, dtype=torch.float32)
    trans = torch.stack([2.3 * torch.cos(1.75 * i), 2.3 * torch.sin(1.75 * i), 1.5 * i], dim=-1)
    q = torch.arange(B * N * N).reshape(B, N, N)
    contact = torch.where(q % 10 == 0, 4.0 + 16.0 * (q % 97).float() / 97.0, torch.zeros(()))
    return {"res_mask": torch.ones(B, N), "diffuse_mask": torch.ones(B, N), "t": torch.full((B,), 0.5),
            "res_idx": torch.arange(1, N + 1)[None].repeat(B, 1), "aatypes": torch.arange(N)[None].repeat(B, 1) % 21,
            "aatypes_sc": torch.zeros(B, N, 21), "chain_idx": 1 + (torch.arange(N) >= N // 2).long()[None].repeat(B, 1),
            "torsions": torch.rand(B, N, 7, 2) * 2 - 1, "method": torch.zeros(B, 1, dtype=torch.long),
            "trans": trans[None].repeat(B, 1, 1), "edge_mask": torch.ones(B, N, N), "contact": contact}


def node_flops(B, N, full):
    d_in = C_POS + 1 + 3 * C_T + C_S + 21 + (4 * C_POS + 1 if full else 0)
    f = 2.0 * B * N * d_in * C_S + 4.0 * B * N * C_S * C_S
    return f + (2.0 * B * N * 14 * C_POS if full else 0.0)


def edge_flops(B, N):
    # same count as fg_edge_features_flops (the C bench), so GFLOP/s compare like for like
    return B * N * N * (4.0 * C_P * C_P + 6.0 * C_P) + 2.0 * B * N * (C_S * FEAT + 2.0 * FEAT * C_P) + \
        2.0 * (2.0 * N - 1) * (FEAT * FEAT + FEAT * C_P)


def timed(fn, warmup=2, min_reps=5, max_reps=200, min_seconds=1.0):
    for _ in range(warmup):
        fn()
    ts, start = [], time.perf_counter()
    while len(ts) < max_reps and (len(ts) < min_reps or time.perf_counter() - start < min_seconds):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), len(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--preset", choices=["public", "default"], default="public")
    ap.add_argument("--lengths", default="64,128,256,512")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    full = a.preset == "default"
    torch.manual_seed(0)
    node_net, edge_net = Node(full).eval(), Edge(full).eval()
    with torch.no_grad():
        for N in [int(s) for s in a.lengths.split(",")]:
            x = inputs(a.batch, N)
            node = node_net(x)
            runs = [("node_features", lambda: node_net(x), node_flops(a.batch, N, full)),
                    ("edge_features", lambda: edge_net(x, node), edge_flops(a.batch, N))]
            for name, fn, flops in runs:
                sec, reps = timed(fn)
                print(json.dumps({"bench": name, "preset": a.preset, "B": a.batch, "N": N,
                                  "threads": torch.get_num_threads(), "reps": reps,
                                  "median_ms": round(1e3 * sec, 3), "gflops": round(flops / sec * 1e-9, 2),
                                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}),
                      flush=True)


if __name__ == "__main__":
    main()
