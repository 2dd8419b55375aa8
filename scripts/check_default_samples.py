#!/usr/bin/env python3
"""Compares framegen samples of the default model with the upstream sampler's.

Reads the CA atoms of every sample_L<length>_<index>.pdb in two directories
and compares, per length, the mean consecutive CA-CA distance and the CA
radius of gyration. Tolerances (from the spread the model's README reports
for the 16 upstream samples: CA-CA 3.61 +/- 0.18 A, Rg standard deviation
0.7-1.1 A within a length; with 2-4 samples a side the standard error, not
the spread, is what two correct samplers may differ by):
  - mean CA-CA over all samples within 0.10 A of the upstream mean;
  - per length, mean Rg within max(2.0 A, 3 standard errors) of the
    upstream mean;
  - over all lengths, the mean of the per-length Rg differences within
    max(1.0 A, 3 standard errors).
Exit status 0 when every check passes. Standard library only.

usage: check_default_samples.py OURS_DIR [UPSTREAM_DIR] [--json OUT]
(UPSTREAM_DIR default: $FRAMEGEN_SHARED/models/default/samples, FRAMEGEN_SHARED
default ../shared beside the checkout)
"""
import glob
import json
import math
import os
import re
import sys

CA_CA_TOL = 0.10
RG_TOL_MIN = 2.0
RG_TOL_SE = 3.0
RG_POOLED_MIN = 1.0


def ca_coords(path):
    xyz = []
    with open(path) as f:
        for line in f:
            if line.startswith(("ATOM", "HETATM")) and line[12:16].strip() == "CA":
                xyz.append((float(line[30:38]), float(line[38:46]), float(line[46:54])))
    return xyz


def stats(xyz):
    n = len(xyz)
    c = [sum(p[k] for p in xyz) / n for k in range(3)]
    rg = math.sqrt(sum(sum((p[k] - c[k]) ** 2 for k in range(3)) for p in xyz) / n)
    d = [math.dist(xyz[i], xyz[i + 1]) for i in range(n - 1)]
    return sum(d) / len(d), rg


def load(directory):
    by_len = {}
    for path in sorted(glob.glob(os.path.join(directory, "sample_L*_*.pdb"))):
        m = re.match(r"sample_L(\d+)_(\d+)\.pdb$", os.path.basename(path))
        if m:
            by_len.setdefault(int(m.group(1)), []).append(stats(ca_coords(path)))
    return by_len


def mean_sd(v):
    m = sum(v) / len(v)
    sd = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, sd


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    json_out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    if json_out in args:
        args.remove(json_out)
    if not args:
        sys.exit(__doc__)
    ours_dir = args[0]
    shared = os.environ.get("FRAMEGEN_SHARED") or os.path.join(os.path.dirname(__file__), "..", "..", "shared")
    up_dir = args[1] if len(args) > 1 else os.path.join(shared, "models", "default", "samples")
    ours, up = load(ours_dir), load(up_dir)
    lengths = sorted(set(ours) & set(up))
    if not lengths:
        sys.exit(f"no common lengths between {ours_dir} and {up_dir}")
    ok = True
    report = {"lengths": {}, "tolerances": {"ca_ca": CA_CA_TOL, "rg_min": RG_TOL_MIN, "rg_se_factor": RG_TOL_SE}}
    print(f"{'length':>6} {'n ours':>6} {'n up':>5} {'Rg ours':>14} {'Rg upstream':>14} {'tol':>5}  result")
    for L in lengths:
        (ro, so), (ru, su) = mean_sd([s[1] for s in ours[L]]), mean_sd([s[1] for s in up[L]])
        se = math.sqrt(so ** 2 / len(ours[L]) + su ** 2 / len(up[L]))
        tol = max(RG_TOL_MIN, RG_TOL_SE * se)
        good = abs(ro - ru) <= tol
        ok &= good
        print(f"{L:>6} {len(ours[L]):>6} {len(up[L]):>5} {ro:>7.2f} +- {so:4.2f} {ru:>7.2f} +- {su:4.2f} {tol:>5.2f}  "
              f"{'ok' if good else 'FAIL'}")
        report["lengths"][L] = {"rg_ours": [ro, so, len(ours[L])], "rg_upstream": [ru, su, len(up[L])],
                                "se": se, "tol": tol, "ok": good}
    diffs = [report["lengths"][L]["rg_ours"][0] - report["lengths"][L]["rg_upstream"][0] for L in lengths]
    ses = [report["lengths"][L]["se"] for L in lengths]
    pooled, pooled_se = sum(diffs) / len(diffs), math.sqrt(sum(x * x for x in ses)) / len(ses)
    ptol = max(RG_POOLED_MIN, RG_TOL_SE * pooled_se)
    good = abs(pooled) <= ptol
    ok &= good
    print(f"Rg, mean difference over lengths: {pooled:+.2f} A, tol {ptol:.2f}: {'ok' if good else 'FAIL'}")
    report["rg_pooled"] = {"difference": pooled, "tol": ptol, "ok": good}
    cao, cao_sd = mean_sd([s[0] for L in lengths for s in ours[L]])
    cau, cau_sd = mean_sd([s[0] for L in lengths for s in up[L]])
    good = abs(cao - cau) <= CA_CA_TOL
    ok &= good
    print(f"CA-CA(i,i+1): ours {cao:.3f} +- {cao_sd:.3f}, upstream {cau:.3f} +- {cau_sd:.3f}, "
          f"tol {CA_CA_TOL}: {'ok' if good else 'FAIL'}")
    report["ca_ca"] = {"ours": [cao, cao_sd], "upstream": [cau, cau_sd], "ok": good}
    report["ok"] = ok
    if json_out:
        with open(json_out, "w") as f:
            json.dump(report, f, indent=2)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
