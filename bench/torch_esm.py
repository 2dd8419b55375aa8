#!/usr/bin/env python3
"""ESM-2 forward in plain PyTorch, op for op as fair-esm's esm/model/esm2.py runs
it (eager, float32, padded batches, the manual attention path that rotary
embeddings force), timed like bench/bench_esm.c and printed with the same JSON
keys. Written for this benchmark; runs on PyTorch 1.13 and 2.x.

  torch_esm.py --threads T [--shapes ...] [--lengths 256,512]
               [--modes uniform,varlen,maps] [--varlen-n 16] [--tsv structures.tsv]
               [--weights-dir DIR] [--budget SECONDS]

Weights: DIR/esm_<shape>.safetensors when bench_esm wrote it (same random
weights as the C run), else a random initialisation of the same shapes.
"""
import argparse
import json
import math
import mmap
import os
import resource
import struct
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

SHAPES = {"t6_8M": (6, 320, 20), "t12_35M": (12, 480, 20), "t30_150M": (30, 640, 20),
          "t33_650M": (33, 1280, 20)}
FALLBACK_LENGTHS = [186, 165, 233, 266, 313, 147, 310, 94, 104, 308, 205, 233, 435, 156, 148, 130]
PAD, CLS, EOS, MASK, VOCAB = 1, 0, 2, 32, 33


class Rotary(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dim, 2).float() / dim)))
        self._len, self._cos, self._sin = None, None, None

    def forward(self, q, k):
        n = k.shape[-2]
        if n != self._len:
            t = torch.arange(n, device=k.device).type_as(self.inv_freq)
            emb = torch.cat([torch.einsum("i,j->ij", t, self.inv_freq)] * 2, dim=-1)
            self._len, self._cos, self._sin = n, emb.cos()[None], emb.sin()[None]

        def rot(x):
            x1, x2 = x.chunk(2, dim=-1)
            return x * self._cos[:, :n] + torch.cat((-x2, x1), dim=-1) * self._sin[:, :n]

        return rot(q), rot(k)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.hd = heads, d // heads
        self.scaling = self.hd ** -0.5
        self.k_proj, self.v_proj, self.q_proj = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)
        self.rot_emb = Rotary(self.hd)

    def forward(self, x, pad_mask, need_head_weights):
        T, B, d = x.shape
        q = self.q_proj(x) * self.scaling
        k, v = self.k_proj(x), self.v_proj(x)
        q = q.contiguous().view(T, B * self.heads, self.hd).transpose(0, 1)
        k = k.contiguous().view(-1, B * self.heads, self.hd).transpose(0, 1)
        v = v.contiguous().view(-1, B * self.heads, self.hd).transpose(0, 1)
        q, k = self.rot_emb(q, k)
        w = torch.bmm(q, k.transpose(1, 2))
        if pad_mask is not None:
            w = w.view(B, self.heads, T, T).masked_fill(pad_mask[:, None, None, :], float("-inf"))
            w = w.view(B * self.heads, T, T)
        w = F.softmax(w, dim=-1, dtype=torch.float32)
        o = torch.bmm(w, v).transpose(0, 1).contiguous().view(T, B, d)
        w = w.view(B, self.heads, T, T).transpose(1, 0)
        return self.out_proj(o), (w if need_head_weights else w.mean(dim=0))


def gelu(x):
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


class Layer(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.self_attn = Attention(d, heads)
        self.self_attn_layer_norm, self.final_layer_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, pad_mask, need_head_weights):
        a, w = self.self_attn(self.self_attn_layer_norm(x), pad_mask, need_head_weights)
        x = x + a
        return x + self.fc2(gelu(self.fc1(self.final_layer_norm(x)))), w


class LMHead(nn.Module):
    def __init__(self, d, weight):
        super().__init__()
        self.dense, self.layer_norm = nn.Linear(d, d), nn.LayerNorm(d)
        self.weight, self.bias = weight, nn.Parameter(torch.zeros(VOCAB))

    def forward(self, x):
        return F.linear(self.layer_norm(gelu(self.dense(x))), self.weight) + self.bias


class ESM2(nn.Module):
    def __init__(self, layers, d, heads):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, d, padding_idx=PAD)
        self.layers = nn.ModuleList([Layer(d, heads) for _ in range(layers)])
        self.emb_layer_norm_after = nn.LayerNorm(d)
        self.lm_head = LMHead(d, self.embed_tokens.weight)

    def forward(self, tokens, repr_layers=(), need_head_weights=False):
        pad = tokens.eq(PAD)
        x = self.embed_tokens(tokens)
        x.masked_fill_((tokens == MASK).unsqueeze(-1), 0.0)
        ratio = (tokens == MASK).sum(-1).to(x.dtype) / (~pad).sum(-1)
        x = x * (1 - 0.15 * 0.8) / (1 - ratio)[:, None, None]
        x = x * (1 - pad.unsqueeze(-1).type_as(x))
        reps = {0: x} if 0 in repr_layers else {}
        x = x.transpose(0, 1)
        pad = pad if pad.any() else None
        attn = []
        for i, layer in enumerate(self.layers):
            x, w = layer(x, pad, need_head_weights)
            if i + 1 in repr_layers:
                reps[i + 1] = x.transpose(0, 1)
            if need_head_weights:
                attn.append(w.transpose(1, 0))
        x = self.emb_layer_norm_after(x).transpose(0, 1)
        if len(self.layers) in repr_layers:
            reps[len(self.layers)] = x
        out = {"logits": self.lm_head(x), "representations": reps}
        if need_head_weights:
            a = torch.stack(attn, 1)
            if pad is not None:
                m = 1 - pad.type_as(a)
                a = a * (m.unsqueeze(1) * m.unsqueeze(2))[:, None, None]
            out["attentions"] = a
        return out


def load_safetensors(path):
    """The bench's own weights file (F32 only), without the safetensors package."""
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        n = struct.unpack("<Q", mm[:8])[0]
        header = json.loads(mm[8:8 + n])
        out = {}
        for name, t in header.items():
            if name == "__metadata__":
                continue
            a, b = t["data_offsets"]
            buf = bytearray(mm[8 + n + a:8 + n + b])
            out[name] = torch.frombuffer(buf, dtype=torch.float32).view(t["shape"]) \
                if hasattr(torch, "frombuffer") else torch.tensor(memoryview(buf).cast("f")).view(t["shape"])
        mm.close()
    return out


def make_model(name, wdir):
    L, d, H = SHAPES[name]
    m = ESM2(L, d, H).eval()
    path = os.path.join(wdir, "esm_%s.safetensors" % name)
    if os.path.exists(path):
        sd = load_safetensors(path)
        missing, unexpected = m.load_state_dict(sd, strict=False)
        missing = [k for k in missing if not k.endswith("inv_freq") and k != "lm_head.weight"]
        if missing or unexpected:
            sys.exit("torch_esm: %s: missing %s unexpected %s" % (path, missing, unexpected))
        del sd
    return m


def rss_reset():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def rss_peak_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def time_case(fn, budget):
    """Wall and process-CPU seconds: one run, discarded as warm-up unless it took
    over budget/4, then runs while fewer than 3 samples and the next fits."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    first = last = time.perf_counter() - t0
    samples, cpus = ([first], [time.process_time() - c0]) if first >= budget / 4 else ([], [])
    start = time.perf_counter()
    while len(samples) < 3 and time.perf_counter() - start + last <= budget:
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        last = time.perf_counter() - t0
        samples.append(last)
        cpus.append(time.process_time() - c0)
    return median(samples), median(cpus), len(samples)


def gflop(shape, lens):
    L, d, _ = SHAPES[shape]
    return sum(L * (24.0 * n * d * d + 4.0 * n * n * d) + 2.0 * n * d * (d + 33) for n in lens) * 1e-9


def tokens_for(lens):
    """Padded [B, max] batch: <cls>, random residues, <eos>, <pad>... (fair-esm BatchConverter)."""
    g = torch.Generator().manual_seed(12345)
    T = max(lens)
    tok = torch.full((len(lens), T), PAD, dtype=torch.long)
    for b, n in enumerate(lens):
        tok[b, 0], tok[b, n - 1] = CLS, EOS
        tok[b, 1:n - 1] = torch.randint(4, 24, (n - 2,), generator=g)
    return tok


def varlen_lengths(tsv, n):
    try:
        with open(tsv) as f:
            head = f.readline().rstrip("\n").split("\t")
            col = head.index("length")
            c = [int(r.split("\t")[col]) for r in f if r.strip()]
        c = [x for x in c if 1 <= x <= 1022]
    except (OSError, ValueError):
        c = []
    if not c:
        print("torch_esm: %s not readable; using the built-in lengths" % tsv, file=sys.stderr)
        return [2 + FALLBACK_LENGTHS[k % 16] for k in range(n)]
    return [2 + c[(k * 7919) % len(c)] for k in range(n)]


def run_case(args, name, model, mode, L, lens):
    tok = tokens_for(lens)
    layers = SHAPES[name][0]
    maps = mode == "maps"
    repr_layers = tuple(range(layers + 1)) if maps else ()

    def fn():
        with torch.no_grad():
            model(tok, repr_layers=repr_layers, need_head_weights=maps)

    rss_reset()
    t, cpu, reps = time_case(fn, args.budget)
    useful = sum(lens)
    print(json.dumps({"impl": "torch", "shape": name, "mode": mode, "L": L, "n_seqs": len(lens),
                      "tokens": useful, "padded_tokens": int(tok.numel()),
                      "threads": torch.get_num_threads(), "median_s": round(t, 6), "cpu_s": round(cpu, 6),
                      "tokens_per_s": round(useful / t, 1), "peak_rss_mb": round(rss_peak_mb(), 1),
                      "reps": reps, "gflops": round(gflop(name, lens) / t, 2)}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--shapes", default="t6_8M,t12_35M,t30_150M,t33_650M")
    p.add_argument("--lengths", default="256,512")
    p.add_argument("--modes", default="uniform,varlen")
    p.add_argument("--varlen-n", type=int, default=16)
    p.add_argument("--tsv", default="../shared/data/structures.tsv")
    p.add_argument("--weights-dir", default="/tmp")
    p.add_argument("--budget", type=float, default=10.0)
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    modes = args.modes.split(",")
    for name in args.shapes.split(","):
        if name not in SHAPES:
            sys.exit("torch_esm: unknown shape %s" % name)
        model = make_model(name, args.weights_dir)
        for L in [int(x) for x in args.lengths.split(",") if x]:
            for mode in ("uniform", "maps"):
                if mode in modes:
                    run_case(args, name, model, mode, L, [L])
        if "varlen" in modes:
            run_case(args, name, model, "varlen", 0, varlen_lengths(args.tsv, args.varlen_n))
        del model


if __name__ == "__main__":
    main()
