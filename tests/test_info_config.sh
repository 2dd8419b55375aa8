# framegen info W --config C: agreement, and every missing, unexpected and
# misshapen tensor named, with exit status 1, for weights of a neighbouring config.
set -u
fg=$1
src=${FG_SOURCE_DIR:?}
command -v python3 >/dev/null || { echo "skipped: no python3 to edit the config"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { local what=$1; shift; if "$@"; then echo "  PASS $what"; else echo "  FAIL $what"; fails=$((fails + 1)); fi; }

"$fg" init-weights --config "$src/configs/tiny.json" --out "$tmp/w.safetensors" 2>/dev/null
"$fg" info "$tmp/w.safetensors" --config "$src/configs/tiny.json" >"$tmp/ok.txt"
check "weights of the config agree (exit 0)" [ $? = 0 ]
check "says so" grep -q "weights and config agree: 127 tensors" "$tmp/ok.txt"

# torsions off (their head becomes unexpected), B-factor head on (missing),
# 2 IPA heads instead of 4 (IPA projections misshapen)
python3 - "$src/configs/tiny.json" "$tmp/other.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
m = c["model"]
m["predict_psi_torsions"] = False
m["bfactor"]["enabled"] = True
m["ipa"]["no_heads"] = 2
json.dump(c, open(sys.argv[2], "w"))
PY
"$fg" info "$tmp/w.safetensors" --config "$tmp/other.json" >"$tmp/bad.txt"
check "disagreement exits 1" [ $? = 1 ]
check "missing tensor named" grep -q "^missing:    bfactor_net.bfactor.weight \[64, 32\]" "$tmp/bad.txt"
check "unexpected tensor named" grep -q "^unexpected: ipa_trunk.torsion_pred.linear_1.weight" "$tmp/bad.txt"
check "misshapen tensor named with both shapes" \
    grep -q "^misshapen:  ipa_trunk.trunk.ipa_0.impl.linear_q.weight: file has \[32, 32\], config expects \[16, 32\]" "$tmp/bad.txt"
check "summary line counts them" grep -Eq "disagree: [0-9]+ missing, [0-9]+ unexpected, [0-9]+ misshapen" "$tmp/bad.txt"
"$fg" info "$tmp/w.safetensors" --config "$tmp/none.json" 2>"$tmp/err" >/dev/null
check "missing config: exit 1 naming it" grep -q "none.json" "$tmp/err"
echo "info_config: $fails failed"
[ "$fails" = 0 ]
