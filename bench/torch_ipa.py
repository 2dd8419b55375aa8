#!/usr/bin/env python3
"""PyTorch twin of bench/bench_ipa.c: one IPA trunk block (IPA on frames in nm,
post-IPA LayerNorm, nn.TransformerEncoder of post-norm layers + post_tfmr,
node transition, backbone update with the quaternion compose, edge
transition) written op for op in plain eager PyTorch, with random weights of
the production shapes (public MultiFlow preset), B = 1.

Prints one JSON line per length with the same keys as bench_ipa; GFLOP/s
count the FLOPs of this computation as written (the edge transition here
multiplies the full [z_ij, n_i, n_j] input, as the reference does).

    torch_ipa.py [--threads T] [--L 64,128,256,512] [--seconds S] [--clock wall|cpu]
--clock cpu uses the process CPU clock (1-thread runs on a busy machine).
Runs on PyTorch 1.13 and 2.x.
"""
import argparse
import json
import math
import resource
import time

import torch
from torch import nn

C_S, C_Z, C, H, PQ, PV = 256, 128, 16, 8, 8, 12
SEQ_HEADS, SEQ_LAYERS = 4, 4
CZ4 = C_Z // 4
D_NODE = C_S // 2
HID = C_Z + 2 * D_NODE


def lin(i, o):
    m = nn.Linear(i, o)
    with torch.no_grad():
        m.weight.normal_(0.0, 1.0 / math.sqrt(i))
        m.bias.normal_(0.0, 0.1)
    return m


def rot_vec(r, v):
    """r [..., 3, 3] applied to v [..., 3], component by component."""
    x, y, z = v.unbind(-1)
    return torch.stack([r[..., i, 0] * x + r[..., i, 1] * y + r[..., i, 2] * z for i in range(3)], dim=-1)


def apply(r, t, p):
    return rot_vec(r, p) + t


def invert_apply(r, t, p):
    return rot_vec(r.transpose(-1, -2), p - t)


class IPA(nn.Module):
    def __init__(self):
        super().__init__()
        hc = H * C
        self.q, self.kv = lin(C_S, hc), lin(C_S, 2 * hc)
        self.qp, self.kvp = lin(C_S, 3 * H * PQ), lin(C_S, 3 * H * (PQ + PV))
        self.b, self.down = lin(C_Z, H), lin(C_Z, CZ4)
        self.head_w = nn.Parameter(torch.randn(H) * 0.5)
        self.out = lin(H * (C + 4 * PV + CZ4), C_S)

    def points(self, x, r, t, n):
        x = torch.stack(torch.split(x, x.shape[-1] // 3, dim=-1), dim=-1)  # [B,N,H*n,3]
        x = apply(r[:, :, None], t[:, :, None], x)
        return x.view(x.shape[0], x.shape[1], H, n, 3)

    def forward(self, s, z, r, t, mask):
        B, N = s.shape[:2]
        q = self.q(s).view(B, N, H, C)
        k, v = torch.split(self.kv(s).view(B, N, H, 2 * C), C, dim=-1)
        qp = self.points(self.qp(s), r, t, PQ)
        kvp = self.points(self.kvp(s), r, t, PQ + PV)
        kp, vp = torch.split(kvp, [PQ, PV], dim=-2)
        b = self.b(z)
        a = torch.matmul(q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1))
        a = a * math.sqrt(1.0 / (3 * C))
        a = a + math.sqrt(1.0 / 3) * b.permute(0, 3, 1, 2)
        d = qp.unsqueeze(-4) - kp.unsqueeze(-5)  # [B,N,N,H,PQ,3]
        pt = sum(torch.unbind(d ** 2, dim=-1))
        hw = nn.functional.softplus(self.head_w).view(1, 1, 1, H, 1) * math.sqrt(1.0 / (3 * (PQ * 9.0 / 2)))
        pt = torch.sum(pt * hw, dim=-1) * (-0.5)
        sq = 1e5 * (mask.unsqueeze(-1) * mask.unsqueeze(-2) - 1)
        a = a + pt.permute(0, 3, 1, 2) + sq.unsqueeze(-3)
        a = torch.softmax(a, dim=-1)
        o = torch.matmul(a, v.transpose(1, 2)).transpose(1, 2).reshape(B, N, H * C)
        o_pt = torch.sum(a[..., None, :, :, None] * vp.permute(0, 2, 4, 1, 3)[..., None, :, :], dim=-2)
        o_pt = o_pt.permute(0, 3, 1, 4, 2)  # [B,N,H,PV,3]
        o_pt = invert_apply(r[:, :, None, None], t[:, :, None, None], o_pt)
        norm = torch.sqrt(torch.sum(o_pt ** 2, dim=-1) + 1e-8).reshape(B, N, H * PV)
        o_pt = o_pt.reshape(B, N, H * PV, 3)
        o_pair = torch.matmul(a.transpose(1, 2), self.down(z)).reshape(B, N, H * CZ4)
        return self.out(torch.cat([o, *torch.unbind(o_pt, dim=-1), norm, o_pair], dim=-1))


class EdgeTransition(nn.Module):
    def __init__(self):
        super().__init__()
        self.init = lin(C_S, D_NODE)
        self.trunk = nn.Sequential(lin(HID, HID), nn.ReLU(), lin(HID, HID), nn.ReLU())
        self.final = lin(HID, C_Z)
        self.ln = nn.LayerNorm(C_Z)

    def forward(self, s, z):
        n = self.init(s)
        B, N, _ = n.shape
        bias = torch.cat([n[:, :, None, :].expand(B, N, N, D_NODE), n[:, None, :, :].expand(B, N, N, D_NODE)], -1)
        x = torch.cat([z, bias], dim=-1).reshape(B * N * N, -1)
        return self.ln(self.final(self.trunk(x) + x)).reshape(B, N, N, C_Z)


def quat_to_rot(q):
    w, x, y, z = q.unbind(-1)
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
        torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
        torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)], -2)


def rot_to_quat(r):
    """Top eigenvector of the symmetric 4x4 K matrix (as the reference)."""
    xx, xy, xz = r[..., 0, 0], r[..., 0, 1], r[..., 0, 2]
    yx, yy, yz = r[..., 1, 0], r[..., 1, 1], r[..., 1, 2]
    zx, zy, zz = r[..., 2, 0], r[..., 2, 1], r[..., 2, 2]
    k = torch.stack([
        torch.stack([xx + yy + zz, zy - yz, xz - zx, yx - xy], -1),
        torch.stack([zy - yz, xx - yy - zz, xy + yx, xz + zx], -1),
        torch.stack([xz - zx, xy + yx, yy - xx - zz, yz + zy], -1),
        torch.stack([yx - xy, xz + zx, yz + zy, zz - xx - yy], -1)], -2) / 3.0
    return torch.linalg.eigh(k)[1][..., -1]


def quat_mul_vec(q, v):
    w, x, y, z = q.unbind(-1)
    b, c, d = v.unbind(-1)
    return torch.stack([-x * b - y * c - z * d, w * b + y * d - z * c, w * c - x * d + z * b,
                        w * d + x * c - y * b], -1)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ipa, self.ipa_ln = IPA(), nn.LayerNorm(C_S)
        layer = nn.TransformerEncoderLayer(d_model=C_S, nhead=SEQ_HEADS, dim_feedforward=C_S, batch_first=True,
                                           dropout=0.0, norm_first=False)
        self.seq = nn.TransformerEncoder(layer, SEQ_LAYERS, enable_nested_tensor=False)
        self.post = lin(C_S, C_S)
        self.nt1, self.nt2, self.nt3, self.nt_ln = lin(C_S, C_S), lin(C_S, C_S), lin(C_S, C_S), nn.LayerNorm(C_S)
        self.bb = lin(C_S, 6)
        self.edge = EdgeTransition()

    def forward(self, s, z, r, t, q, mask, edge_mask):
        s = s * mask[..., None]
        z = z * edge_mask[..., None]
        ipa = self.ipa(s, z, r, t, mask) * mask[..., None]
        s = self.ipa_ln(s + ipa)
        s = s + self.post(self.seq(s, src_key_padding_mask=(1 - mask).to(torch.bool)))
        h = self.nt3(torch.relu(self.nt2(torch.relu(self.nt1(s)))))
        s = self.nt_ln(h + s) * mask[..., None]
        u = self.bb(s * mask[..., None])
        m = mask[..., None]
        if q is None:
            q = rot_to_quat(r)
        q = q + quat_mul_vec(q, u[..., :3]) * m
        q = q / torch.linalg.norm(q, dim=-1, keepdim=True)
        t = t + rot_vec(r, u[..., 3:]) * m
        r = quat_to_rot(q)
        z = self.edge(s, z) * edge_mask[..., None]
        return s, z, r, t, q


def flops(L):
    bn, nn_ = float(L), float(L) * L
    f_ipa = 2 * bn * C_S * (3 * H * C + 3 * H * PQ + 3 * H * (PQ + PV)) + 18 * bn * H * (2 * PQ + PV)
    f_ipa += 2 * nn_ * C_Z * (H + CZ4) + 2 * nn_ * H * C + nn_ * H * (10 * PQ + 1) + 7 * nn_ * H
    f_ipa += 2 * nn_ * H * (C + 3 * PV + CZ4) + 24 * bn * H * PV + 2 * bn * H * (C + 4 * PV + CZ4) * C_S
    f_seq = SEQ_LAYERS * (2 * bn * C_S * 3 * C_S + 4 * nn_ * C_S + 4 * nn_ * SEQ_HEADS + 6 * bn * C_S * C_S
                          + 20 * bn * C_S)
    f_edge = 2 * bn * C_S * D_NODE + nn_ * (2 * HID * HID * 2 + 2 * HID * C_Z + 5 * HID + 9 * C_Z)
    f_rest = bn * C_S * 26 + 8 * bn * C_S * C_S + 12 * bn * C_S + 300 * bn + nn_ * C_Z
    return f_ipa + f_seq + f_edge + f_rest, f_ipa, f_seq, f_edge


CLOCK = time.perf_counter


def time_it(fn, seconds, min_reps=3, max_reps=30):
    fn()
    ts, start = [], CLOCK()
    while len(ts) < max_reps and (len(ts) < min_reps or CLOCK() - start < seconds):
        t0 = CLOCK()
        fn()
        ts.append(CLOCK() - t0)
    ts.sort()
    n = len(ts)
    return (ts[n // 2] if n % 2 else 0.5 * (ts[n // 2 - 1] + ts[n // 2])), n


def sgemm_rate(L, seconds):
    m = L * L
    total_f, total_t = 0.0, 0.0
    for (n, k) in [(HID, C_Z), (HID, HID), (C_Z, HID)]:
        a, b = torch.randn(m, k), torch.randn(n, k)
        t, _ = time_it(lambda: torch.mm(a, b.t()), seconds / 3)
        total_f += 2.0 * m * n * k
        total_t += t
    return total_f / total_t * 1e-9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--L", default="64,128,256,512")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    blk = Block().eval()
    for L in [int(x) for x in args.L.split(",")]:
        s, z = torch.randn(1, L, C_S), torch.randn(1, L, L, C_Z)
        q0 = torch.randn(1, L, 4)
        r = quat_to_rot(q0 / torch.linalg.norm(q0, dim=-1, keepdim=True))
        t = torch.randn(1, L, 3) * 1.5
        mask, edge_mask = torch.ones(1, L), torch.ones(1, L, L)
        f_blk, f_ipa, f_seq, f_edge = flops(L)
        with torch.no_grad():
            t_blk, reps = time_it(lambda: blk(s, z, r, t, None, mask, edge_mask), args.seconds)
            t_ipa, _ = time_it(lambda: blk.ipa(s, z, r, t, mask), args.seconds / 2)
            pad = (1 - mask).to(torch.bool)
            t_seq, _ = time_it(lambda: blk.seq(s, src_key_padding_mask=pad), args.seconds / 2)
            t_edge, _ = time_it(lambda: blk.edge(s, z), args.seconds / 2)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # before the sgemm reference
            sg = sgemm_rate(L, args.seconds)
        e_rate = f_edge / t_edge * 1e-9
        print(json.dumps({
            "bench": "ipa_block", "impl": "torch-" + torch.__version__, "L": L, "threads": torch.get_num_threads(),
            "reps": reps, "block_ms": round(t_blk * 1e3, 3), "block_gflops": round(f_blk / t_blk * 1e-9, 2),
            "ipa_attention_ms": round(t_ipa * 1e3, 3), "ipa_attention_gflops": round(f_ipa / t_ipa * 1e-9, 2),
            "seq_transformer_ms": round(t_seq * 1e3, 3), "seq_transformer_gflops": round(f_seq / t_seq * 1e-9, 2),
            "edge_transition_ms": round(t_edge * 1e3, 3), "edge_transition_gflops": round(e_rate, 2),
            "sgemm_gflops": round(sg, 2), "edge_vs_sgemm": round(e_rate / sg, 3),
            "peak_rss_mb": round(rss, 1)}), flush=True)


if __name__ == "__main__":
    main()
