#!/usr/bin/env python3
"""Converts a cogeneration checkpoint's config.json into a framegen config.

The model section is copied as it is (framegen reads the reference's
ModelConfig keys); the sampling section is taken from the inference
interpolant ("interpolant_sampling", or "inference.interpolant"). Settings
framegen's sampler does not implement are refused with a message.

usage: scripts/upstream_config.py CONFIG.json --weights REL_PATH [--name N] > out.json
"""
import argparse
import json
import sys


def fail(msg):
    sys.exit(f"upstream_config.py: {msg}")


def sampling_section(interp):
    rots, trans, aat = interp["rots"], interp["trans"], interp["aatypes"]
    for key, sec in (("rots", rots), ("trans", trans), ("aatypes", aat)):
        if sec.get("stochastic"):
            fail(f"interpolant.{key}.stochastic = true is not supported (deterministic paths only)")
    if trans.get("sample_schedule", "linear") != "linear":
        fail("interpolant.trans.sample_schedule: only 'linear' is supported")
    if trans.get("initial_noise_type", "centered_gaussian") != "centered_gaussian":
        fail("interpolant.trans.initial_noise_type: only 'centered_gaussian' is supported")
    if aat.get("interpolant_type", "masking") != "masking":
        fail("interpolant.aatypes.interpolant_type: only 'masking' is supported")
    if interp.get("steering", {}).get("num_particles", 0) not in (0, 1):
        fail("interpolant.steering.num_particles: Feynman-Kac steering is not supported")
    return {
        "num_timesteps": interp["sampling"]["num_timesteps"],
        "min_t": interp["min_t"],
        "self_condition": interp["self_condition"],
        "rots_schedule": rots["sample_schedule"],
        "rots_exp_rate": rots["exp_rate"],
        "aatypes_temp": aat["drift_temp"],
        "aatypes_gain_max": aat["drift_gain_max"],
        "aatypes_gating": aat["uncertainty_gating"],
        "aatypes_gating_gamma": aat["uncertainty_gating_sharpness"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("--weights", required=True, help="weights path, relative to the output config")
    ap.add_argument("--name", default=None)
    ap.add_argument("--sequence-head-trained", choices=("true", "false"), default=None,
                    help="default: false when the config says the sequence head is untrained")
    a = ap.parse_args()
    up = json.load(open(a.config))
    interp = up.get("interpolant_sampling") or up.get("inference", {}).get("interpolant")
    if interp is None:
        fail("no interpolant_sampling / inference.interpolant section")
    note = json.dumps(up.get("weights", {})) + json.dumps(up.get("training", {}))
    trained = a.sequence_head_trained == "true" if a.sequence_head_trained else "untrained" not in note
    out = {
        "name": a.name or up.get("name", "converted"),
        "description": f"converted from {a.config} by scripts/upstream_config.py",
        "weights": a.weights,
        "sequence_head_trained": trained,
    }
    if "status" in up:
        out["status"] = up["status"]
    out["model"] = up["model"]
    out["sampling"] = sampling_section(interp)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
