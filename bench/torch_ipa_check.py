#!/usr/bin/env python3
"""Checks that bench/torch_ipa.py computes the same function as the "ipa" block:
its Block, resized to the ipa_trunk fixture (c_s 64, c_z 32, 2 seq layers) and
loaded with the fixture's weights, must reproduce output.node_embed,
edge_embed, rotmats and trans_nm (2 blocks; the second without edge
transition, as in the checkpoint).
    torch_ipa_check.py [FIXTURE_DIR]   (default tests/fixtures)"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ipa as T  # noqa: E402

def load(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    h, base = json.loads(data[8:8 + n]), 8 + n
    out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        dt = {"F32": np.float32, "I64": np.int64}[v["dtype"]]
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[base + a: base + b], dtype=dt).reshape(v["shape"]).copy())
    return out
here = os.path.dirname(os.path.abspath(__file__))
fixdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tests", "fixtures")
fx = load(os.path.join(fixdir, "ipa_trunk.safetensors"))
tol = json.load(open(os.path.join(fixdir, "ipa_trunk.json")))["tolerance"]["per_output"]
T.C_S, T.C_Z, T.C, T.H, T.PQ, T.PV = 64, 32, 16, 8, 8, 12
T.SEQ_HEADS, T.SEQ_LAYERS = 4, 2
T.CZ4 = T.C_Z // 4; T.D_NODE = T.C_S // 2; T.HID = T.C_Z + 2 * T.D_NODE
P = lambda k: fx["param.trunk." + k]
def setlin(m, name):
    m.weight.data.copy_(P(name + ".weight")); m.bias.data.copy_(P(name + ".bias"))
blocks = []
for i in range(2):
    b = T.Block().eval()
    ip = "ipa_%d.impl." % i
    for mine, up in [("q", "linear_q"), ("kv", "linear_kv"), ("qp", "linear_q_points"), ("kvp", "linear_kv_points"),
                     ("b", "linear_b"), ("down", "down_z"), ("out", "linear_out")]:
        setlin(getattr(b.ipa, mine), ip + up)
    b.ipa.head_w.data.copy_(P(ip + "head_weights"))
    setlin(b.ipa_ln, "ipa_ln_%d" % i)
    for k, v in fx.items():
        pre = "param.trunk.seq_tfmr_%d." % i
        if k.startswith(pre):
            dict(b.seq.named_parameters())[k[len(pre):]].data.copy_(v)
    setlin(b.post, "post_tfmr_%d" % i)
    for j, m in enumerate([b.nt1, b.nt2, b.nt3]): setlin(m, "node_transition_%d.linear_%d" % (i, j + 1))
    setlin(b.nt_ln, "node_transition_%d.ln" % i)
    setlin(b.bb, "bb_update_%d.linear" % i)
    if i == 0:
        setlin(b.edge.init, "edge_transition_0.initial_embed")
        setlin(b.edge.trunk[0], "edge_transition_0.trunk.0"); setlin(b.edge.trunk[2], "edge_transition_0.trunk.2")
        setlin(b.edge.final, "edge_transition_0.final_layer"); setlin(b.edge.ln, "edge_transition_0.layer_norm")
    else:
        class Ident(torch.nn.Module):
            def forward(self, s_, z_):
                return z_
        b.edge = Ident()
    blocks.append(b)
s, z = fx["input.node_embed"], fx["input.edge_embed"]
r, t = fx["input.rotmats"], fx["input.trans_nm"]
m, em = fx["input.node_mask"], fx["input.edge_mask"]
q = None
with torch.no_grad():
    for b in blocks:
        s, z, r, t, q = b(s, z, r, t, q, m, em)
ok = True
for name, got in [("node_embed", s), ("edge_embed", z), ("rotmats", r), ("trans_nm", t)]:
    ref, tl = fx["output." + name], tol["output." + name]
    err = (got - ref).abs()
    good = bool((err <= tl["atol"] + tl["rtol"] * ref.abs()).all())
    ok = ok and good
    print("%-10s max |err| %.2e %s" % (name, float(err.max()), "PASS" if good else "FAIL"))
sys.exit(0 if ok else 1)
