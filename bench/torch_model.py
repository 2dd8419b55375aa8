#!/usr/bin/env python3
"""PyTorch twin of bench_model: the public-MultiFlow FlowModel (node and edge
feature nets, IPA trunk with sequence transformers, backbone updates and edge
transitions, aa_pred head), written here op for op in plain PyTorch as the
reference computes it (no algebraic shortcuts), eager fp32. Loads the same
safetensors weights as framegen (the reference's state_dict names), times one
sampling step (one forward, B = 1) and one whole sample (S steps of a simple
Euler sampler), and prints bench_model's JSON keys. Runs on PyTorch 1.13 and 2.x.

    python3 bench/torch_model.py --weights W [--config configs/multiflow.json]
        [--threads T] [--sizes 64,128,256] [--steps S] [--min-seconds X]
    python3 bench/torch_model.py --check tests/fixtures/flow_model_public   # parity
"""
import argparse
import json
import math
import resource
import statistics
import struct
import time

import numpy as np
import torch
from torch import nn

DT = {"F32": np.float32, "I64": np.int64, "I8": np.int8, "F64": np.float64}


def load_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        arr = np.frombuffer(data[8 + n + s:8 + n + e], dtype=DT[v["dtype"]]).reshape(v["shape"])
        out[k] = torch.from_numpy(arr.copy())
    return out


# ---- embeddings -------------------------------------------------------------
def sine_cosine(idx, dim, max_len):
    k = torch.arange(dim // 2, dtype=torch.float32)
    a = idx[..., None].float() * math.pi / torch.pow(float(max_len), 2 * k / dim)
    return torch.cat([torch.sin(a), torch.cos(a)], dim=-1)


def time_emb(t, dim, max_positions=2056):
    t = t * max_positions
    half = dim // 2
    f = torch.exp(torch.arange(half, dtype=torch.float32) * -(math.log(max_positions) / (half - 1)))
    a = t.float()[:, None] * f[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


def distogram(pos, nb=22):
    d = torch.linalg.norm(pos[:, :, None, :] - pos[:, None, :, :], dim=-1)[..., None]
    lower = torch.linspace(1e-4, 20.0, nb)
    upper = torch.cat([lower[1:], lower.new_tensor([1e8])], dim=-1)
    return ((d > lower) * (d < upper)).float()


def cross(x):  # [B,N,C] -> [B,N,N,2C]: (x_i, x_j)
    B, N, _ = x.shape
    return torch.cat([x[:, :, None, :].expand(B, N, N, -1), x[:, None, :, :].expand(B, N, N, -1)], dim=-1)


# ---- rigid helpers -------------------------------------------------------------
def rot_to_quat(r):
    xx, xy, xz = r[..., 0, 0], r[..., 0, 1], r[..., 0, 2]
    yx, yy, yz = r[..., 1, 0], r[..., 1, 1], r[..., 1, 2]
    zx, zy, zz = r[..., 2, 0], r[..., 2, 1], r[..., 2, 2]
    k = torch.stack([torch.stack([xx + yy + zz, zy - yz, xz - zx, yx - xy], -1),
                     torch.stack([zy - yz, xx - yy - zz, xy + yx, xz + zx], -1),
                     torch.stack([xz - zx, xy + yx, yy - xx - zz, yz + zy], -1),
                     torch.stack([yx - xy, xz + zx, yz + zy, zz - xx - yy], -1)], -2) / 3.0
    _, vec = torch.linalg.eigh(k)
    return vec[..., -1]


def quat_to_rot(q):
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        torch.stack([w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        torch.stack([2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x)], -1),
        torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z], -1)], -2)


def quat_mul_vec(q, v):  # q (x) (0, v)
    w, x, y, z = q.unbind(-1)
    b, c, d = v.unbind(-1)
    return torch.stack([-x * b - y * c - z * d, w * b + y * d - z * c, w * c - x * d + z * b,
                        w * d + x * c - y * b], -1)


class Rigid:
    def __init__(self, rots, trans, quats=None):
        self.rots, self.trans, self.quats = rots, trans, quats

    def apply(self, p):  # p [..., P, 3] with rigid [..., 3,3] broadcast on P
        return torch.einsum("...ij,...pj->...pi", self.rots, p) + self.trans[..., None, :]

    def invert_apply(self, p):
        return torch.einsum("...ji,...pj->...pi", self.rots, p - self.trans[..., None, :])

    def update(self, u, m):
        q = self.quats if self.quats is not None else rot_to_quat(self.rots)
        q = q + quat_mul_vec(q, u[..., :3]) * m
        q = q / torch.linalg.norm(q, dim=-1, keepdim=True)
        t = self.trans + torch.einsum("...ij,...j->...i", self.rots, u[..., 3:]) * m
        return Rigid(quat_to_rot(q), t, q)


# ---- modules ------------------------------------------------------------------
def linear(w, p):
    m = nn.Linear(w[p + ".weight"].shape[1], w[p + ".weight"].shape[0])
    m.weight.data.copy_(w[p + ".weight"])
    m.bias.data.copy_(w[p + ".bias"])
    return m


def layernorm(w, p):
    m = nn.LayerNorm(w[p + ".weight"].shape[0])
    m.weight.data.copy_(w[p + ".weight"])
    m.bias.data.copy_(w[p + ".bias"])
    return m


class NodeFeatures(nn.Module):
    def __init__(self, w, c):
        super().__init__()
        p = "node_feature_net."
        self.c_pos, self.c_t, self.max_len = c["c_pos_emb"], c["c_timestep_emb"], c["pos_embed_max_len"]
        self.aatype = nn.Embedding.from_pretrained(w[p + "aatype_embedding.weight"])
        self.mlp = nn.Sequential(linear(w, p + "linear.0"), nn.ReLU(), linear(w, p + "linear.2"), nn.ReLU(),
                                 linear(w, p + "linear.4"), layernorm(w, p + "linear.5"))

    def forward(self, so3_t, r3_t, cat_t, mask, diffuse, res_idx, aatypes, aatypes_sc):
        m = mask[..., None]
        pos = sine_cosine(res_idx, self.c_pos, self.max_len) * m
        feats = [pos, diffuse[..., None]]
        N = mask.shape[1]
        for t in (so3_t, r3_t):
            feats.append(time_emb(t, self.c_t)[:, None, :].repeat(1, N, 1) * m)
        feats += [self.aatype(aatypes), time_emb(cat_t, self.c_t)[:, None, :].repeat(1, N, 1) * m, aatypes_sc]
        return self.mlp(torch.cat(feats, dim=-1))


class EdgeFeatures(nn.Module):
    def __init__(self, w, c):
        super().__init__()
        p = "edge_feature_net."
        self.feat, self.max_len, self.nb = c["feat_dim"], c["pos_embed_max_len"], c["num_bins"]
        self.s_p, self.relpos = linear(w, p + "linear_s_p"), linear(w, p + "linear_relpos")
        self.embed = nn.Sequential(linear(w, p + "edge_embedder.0"), nn.ReLU(), linear(w, p + "edge_embedder.2"),
                                   nn.ReLU(), linear(w, p + "edge_embedder.4"), layernorm(w, p + "edge_embedder.5"))

    def forward(self, s, trans, trans_sc, edge_mask, diffuse):
        B, N, _ = s.shape
        r = torch.arange(N, device=s.device)[None].repeat(B, 1)
        rel = r[:, :, None] - r[:, None, :]
        feats = [cross(self.s_p(s)), self.relpos(sine_cosine(rel, self.feat, self.max_len)),
                 distogram(trans, self.nb), distogram(trans_sc, self.nb), cross(diffuse[..., None])]
        return self.embed(torch.cat(feats, dim=-1)) * edge_mask[..., None]


class IPA(nn.Module):
    def __init__(self, w, p, c):
        super().__init__()
        self.H, self.C, self.Pq, self.Pv = c["no_heads"], c["c_hidden"], c["no_qk_points"], c["no_v_points"]
        for n in ("linear_q", "linear_kv", "linear_q_points", "linear_kv_points", "linear_b", "down_z", "linear_out"):
            setattr(self, n, linear(w, p + n))
        self.head_weights = nn.Parameter(w[p + "head_weights"].clone())

    def points(self, lin, s, r, n):
        x = lin(s)
        x = torch.stack(torch.split(x, x.shape[-1] // 3, dim=-1), dim=-1)  # [B,N,H*n,3]
        x = r.apply(x)
        return x.view(x.shape[0], x.shape[1], self.H, n, 3)

    def forward(self, s, z, r, mask):
        B, N, _ = s.shape
        H, C = self.H, self.C
        q = self.linear_q(s).view(B, N, H, C)
        k, v = torch.split(self.linear_kv(s).view(B, N, H, 2 * C), C, dim=-1)
        q_pts = self.points(self.linear_q_points, s, r, self.Pq)
        kv_pts = self.points(self.linear_kv_points, s, r, self.Pq + self.Pv)
        k_pts, v_pts = torch.split(kv_pts, [self.Pq, self.Pv], dim=-2)
        b = self.linear_b(z)
        a = torch.matmul(q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1)) * math.sqrt(1.0 / (3 * C))
        a = a + math.sqrt(1.0 / 3) * b.permute(0, 3, 1, 2)
        d = q_pts[:, :, None] - k_pts[:, None, :]  # [B,N,N,H,P,3]
        pt = (d ** 2).sum(-1)
        hw = nn.functional.softplus(self.head_weights).view(1, 1, 1, H, 1) * math.sqrt(1.0 / (3 * (self.Pq * 9.0 / 2)))
        pt = (pt * hw).sum(-1) * -0.5  # [B,N,N,H]
        sq = 1e5 * (mask[:, :, None] * mask[:, None, :] - 1)
        a = torch.softmax(a + pt.permute(0, 3, 1, 2) + sq[:, None], dim=-1)  # [B,H,N,N]
        o = torch.matmul(a, v.transpose(1, 2)).transpose(1, 2).reshape(B, N, H * C)
        o_pt = torch.einsum("bhij,bjhpx->bihpx", a, v_pts)
        o_pt = r.invert_apply(o_pt.reshape(B, N, H * self.Pv, 3))
        o_norm = torch.sqrt((o_pt ** 2).sum(-1) + 1e-8)
        o_pair = torch.matmul(a.transpose(1, 2), self.down_z(z)).reshape(B, N, -1)
        return self.linear_out(torch.cat([o, *torch.unbind(o_pt, dim=-1), o_norm, o_pair], dim=-1))


class EdgeTransition(nn.Module):
    def __init__(self, w, p):
        super().__init__()
        self.initial = linear(w, p + "initial_embed")
        self.trunk = nn.Sequential(linear(w, p + "trunk.0"), nn.ReLU(), linear(w, p + "trunk.2"), nn.ReLU())
        self.final, self.ln = linear(w, p + "final_layer"), layernorm(w, p + "layer_norm")

    def forward(self, s, z):
        x = torch.cat([z, cross(self.initial(s))], dim=-1)
        return self.ln(self.final(self.trunk(x) + x))


def seq_tfmr(w, p, c_s, heads, layers):
    layer = nn.TransformerEncoderLayer(d_model=c_s, nhead=heads, dim_feedforward=c_s, batch_first=True,
                                       dropout=0.0, norm_first=False)
    enc = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False) \
        if "enable_nested_tensor" in nn.TransformerEncoder.__init__.__code__.co_varnames \
        else nn.TransformerEncoder(layer, num_layers=layers)
    enc.load_state_dict({k[len(p):]: v for k, v in w.items() if k.startswith(p)})
    return enc


class FlowModel(nn.Module):
    def __init__(self, w, mc):
        super().__init__()
        self.node = NodeFeatures(w, mc["node_features"])
        self.edge = EdgeFeatures(w, mc["edge_features"])
        ipa = mc["ipa"]
        self.nb, c_s = ipa["num_blocks"], mc["hyper_params"]["node_embed_size"]
        p = "ipa_trunk.trunk."
        self.ipa = nn.ModuleList([IPA(w, f"{p}ipa_{b}.impl." if f"{p}ipa_{b}.impl.linear_q.weight" in w else f"{p}ipa_{b}.", ipa)
                                  for b in range(self.nb)])
        self.ipa_ln = nn.ModuleList([layernorm(w, f"{p}ipa_ln_{b}") for b in range(self.nb)])
        self.tfmr = nn.ModuleList([seq_tfmr(w, f"{p}seq_tfmr_{b}.", c_s, ipa["seq_tfmr_num_heads"],
                                            ipa["seq_tfmr_num_layers"]) for b in range(self.nb)])
        self.post = nn.ModuleList([linear(w, f"{p}post_tfmr_{b}") for b in range(self.nb)])
        self.nt = nn.ModuleList([nn.ModuleList([linear(w, f"{p}node_transition_{b}.linear_{i}") for i in (1, 2, 3)]
                                               + [layernorm(w, f"{p}node_transition_{b}.ln")]) for b in range(self.nb)])
        self.bb = nn.ModuleList([linear(w, f"{p}bb_update_{b}.linear") for b in range(self.nb)])
        self.et = nn.ModuleList([EdgeTransition(w, f"{p}edge_transition_{b}.") for b in range(self.nb)
                                 if f"{p}edge_transition_{b}.initial_embed.weight" in w])
        self.aa = nn.Sequential(linear(w, "aa_pred_net.aatype_pred_net.0"), nn.ReLU(),
                                linear(w, "aa_pred_net.aatype_pred_net.2"), nn.ReLU(),
                                linear(w, "aa_pred_net.aatype_pred_net.4"))

    def forward(self, b):
        mask, diffuse = b["res_mask"], b["diffuse_mask"]
        em = mask[:, None] * mask[:, :, None]
        s = self.node(b["so3_t"], b["r3_t"], b["cat_t"], mask, diffuse, b["res_idx"], b["aatypes_t"], b["aatypes_sc"])
        z = self.edge(s, b["trans_t"], b["trans_sc"], em, diffuse)
        r = Rigid(b["rotmats_t"], b["trans_t"] * 0.1)
        m = mask[..., None]
        s, z = s * m, z * em[..., None]
        for i in range(self.nb):
            s = self.ipa_ln[i](s + self.ipa[i](s, z, r, mask) * m)
            s = s + self.post[i](self.tfmr[i](s, src_key_padding_mask=(1 - mask).bool()))
            l1, l2, l3, ln = self.nt[i]
            s = ln(s + l3(torch.relu(l2(torch.relu(l1(s)))))) * m
            r = r.update(self.bb[i](s * m), (mask * diffuse)[..., None])
            if i < len(self.et):
                z = self.et[i](s, z) * em[..., None]
        logits = self.aa(s)
        masked = logits.clone()
        masked[..., 20] = -1e9
        return {"pred_trans": r.trans * 10.0, "pred_rotmats": r.rots, "pred_logits": logits,
                "pred_aatypes": masked.argmax(-1), "node_embed": s, "edge_embed": z}


# ---- a plain Euler sampler (the timed "whole sample") -------------------------
def so3_log(r):
    cos = ((r.diagonal(dim1=-2, dim2=-1).sum(-1) - 1) / 2).clamp(-1, 1)
    ang = torch.acos(cos)
    v = torch.stack([r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0], r[..., 1, 0] - r[..., 0, 1]], -1)
    return v * (ang / (2 * torch.sin(ang).clamp_min(1e-7)))[..., None]


def so3_exp(v):
    ang = torch.linalg.norm(v, dim=-1, keepdim=True).clamp_min(1e-12)
    k = v / ang
    K = torch.zeros(v.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 0] = -k[..., 2], k[..., 1], k[..., 2]
    K[..., 1, 2], K[..., 2, 0], K[..., 2, 1] = -k[..., 0], -k[..., 1], k[..., 0]
    a = ang[..., None]
    return torch.eye(3) + torch.sin(a) * K + (1 - torch.cos(a)) * (K @ K)


def sample(model, N, steps, exp_rate=10.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, N, 3, generator=g)
    x = (x - x.mean(1, keepdim=True)) * 10
    q = torch.randn(1, N, 4, generator=g)
    rot = quat_to_rot(q / q.norm(dim=-1, keepdim=True))
    aat = torch.full((1, N), 20, dtype=torch.long)
    b = batch(N)
    ts = torch.linspace(0.01, 1.0, steps)
    for k in range(steps - 1):
        t, dt = ts[k], ts[k + 1] - ts[k]
        b.update(so3_t=t[None], r3_t=t[None], cat_t=t[None], trans_t=x, rotmats_t=rot, aatypes_t=aat)
        o = model(b)
        b.update(trans_sc=o["pred_trans"], aatypes_sc=o["pred_logits"])
        x = x + (o["pred_trans"] - x) / (1 - t) * dt
        x = x - x.mean(1, keepdim=True)
        scale = exp_rate / (1 - torch.exp(-exp_rate * (1 - t)))
        rot = rot @ so3_exp(so3_log(rot.transpose(-1, -2) @ o["pred_rotmats"]) * scale * dt)
        p = torch.softmax(o["pred_logits"] / 0.25, -1) * dt * min(max(1 / (1 - t + 0.01), 1), 10)
        p.scatter_(-1, aat[..., None], 0.0)
        p.scatter_(-1, aat[..., None], (1 - p.sum(-1, keepdim=True)).clamp(0, 1))
        aat = torch.multinomial(p.view(-1, 21).clamp_min(0), 1, generator=g).view(1, N)
    b.update(so3_t=ts[-1:], r3_t=ts[-1:], cat_t=ts[-1:], trans_t=x, rotmats_t=rot, aatypes_t=aat)
    return model(b)


def batch(N):
    return {"res_mask": torch.ones(1, N), "diffuse_mask": torch.ones(1, N), "res_idx": torch.arange(1, N + 1)[None],
            "so3_t": torch.tensor([0.5]), "r3_t": torch.tensor([0.5]), "cat_t": torch.tensor([0.5]),
            "trans_t": torch.randn(1, N, 3) * 10, "rotmats_t": torch.eye(3).repeat(1, N, 1, 1),
            "aatypes_t": torch.full((1, N), 20, dtype=torch.long), "trans_sc": torch.zeros(1, N, 3),
            "aatypes_sc": torch.zeros(1, N, 21)}


def check(prefix):
    """Parity with a flow_model_public-style fixture (the reference's outputs)."""
    d = load_safetensors(prefix + ".safetensors")
    mc = json.load(open(prefix + ".json"))["hyperparameters"]["model"]
    w = {k[6:]: v for k, v in d.items() if k.startswith("param.")}
    model = FlowModel(w, mc).eval()
    b = {k[6:]: v for k, v in d.items() if k.startswith("input.")}
    with torch.no_grad():
        o = model(b)
    worst = 0.0
    for k, v in o.items():
        ref = d["output." + k]
        err = (v.double() - ref.double()).abs().max().item()
        worst = max(worst, err if k != "pred_aatypes" else 0.0)
        print(f"{k:14s} max abs err {err:.3e}")
    print("PASS" if worst < 5e-3 else "FAIL")
    return worst < 5e-3


def timed(fn, min_seconds, min_reps=3):
    fn()
    times, start = [], time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_seconds and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--sizes", default="64,128,256")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--min-seconds", type=float, default=3.0)
    ap.add_argument("--config", default="configs/multiflow.json")
    ap.add_argument("--weights")
    ap.add_argument("--check", help="fixture prefix (e.g. tests/fixtures/flow_model_public): parity only")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.check:
        raise SystemExit(0 if check(a.check) else 1)
    cfg = json.load(open(a.config))
    model = FlowModel(load_safetensors(a.weights), cfg["model"]).eval()
    for L in (int(x) for x in a.sizes.split(",")):
        b = batch(L)
        with torch.no_grad():
            step, reps = timed(lambda: model(b), a.min_seconds)
            t0 = time.perf_counter()
            sample(model, L, a.steps)
            whole = time.perf_counter() - t0
        print(json.dumps({"bench": "model", "impl": "pytorch-" + torch.__version__, "preset": cfg.get("name", ""),
                          "L": L, "threads": torch.get_num_threads(), "step_median_s": round(step, 5),
                          "step_reps": reps, "sample_steps": a.steps, "sample_s": round(whole, 4),
                          "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)}),
              flush=True)


if __name__ == "__main__":
    main()
