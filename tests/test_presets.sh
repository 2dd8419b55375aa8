# Every preset in configs/ loads, gets random weights (the default model its
# shipped ones), agrees with them (framegen info --config) and generates a
# short sample; swapping the trunk's block type is a one-line change.
set -u
fg=$1
src=${FG_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "  PASS $*"; }
bad() { echo "  FAIL $*"; fails=$((fails + 1)); }

"$fg" init-weights --esm-shape 2:64:4 --out "$tmp/esm.safetensors" 2>/dev/null || bad "random ESM-2 weights"
for cfg in "$src"/configs/*.json; do
    name=$(basename "$cfg" .json)
    grep -q '"model"' "$cfg" || continue # trunk-section examples of the block docs, not experiments
    esm=()
    grep -q '"esm_weights"' "$cfg" && esm=(--esm-weights "$tmp/esm.safetensors")
    if [ "$name" = default ]; then
        w="$src/models/default/weights.safetensors"
    else
        w="$tmp/$name.safetensors"
        if ! "$fg" init-weights --config "$cfg" "${esm[@]}" --out "$w" 2>"$tmp/err"; then
            bad "$name: init-weights: $(cat "$tmp/err")"; continue
        fi
    fi
    if "$fg" info "$w" --config "$cfg" "${esm[@]}" >"$tmp/info" 2>&1 && grep -q "agree:" "$tmp/info"; then
        ok "$name: $(tail -1 "$tmp/info")"
    else
        bad "$name: info --config: $(tail -3 "$tmp/info")"
    fi
    for t in 1 2; do
        "$fg" generate --config "$cfg" --weights "$w" "${esm[@]}" --length 37 --num-samples 1 --steps 3 \
            --threads $t --out "$tmp/out_${name}_$t" 2>"$tmp/err$t"
    done
    if [ -s "$tmp/out_${name}_1/sample_L37_0.pdb" ]; then
        ok "$name: generates"
    else
        bad "$name: generate: $(tail -2 "$tmp/err1")"
    fi
    if cmp -s "$tmp/out_${name}_1/sample_L37_0.pdb" "$tmp/out_${name}_2/sample_L37_0.pdb"; then
        ok "$name: same structure with 1 and 2 threads"
    else
        bad "$name: structures differ between 1 and 2 threads"
    fi
done

# one line changes the trunk's block type (pairformer -> double)
sed 's/"attn_type": "pairformer"/"attn_type": "double"/' "$src/configs/pairformer_ipa.json" >"$tmp/swapped.json"
changed=$(diff "$src/configs/pairformer_ipa.json" "$tmp/swapped.json" | grep -c '^>')
"$fg" init-weights --config "$tmp/swapped.json" --out "$tmp/swapped.safetensors" 2>"$tmp/swap_err"
if [ "$changed" = 1 ] && "$fg" info "$tmp/swapped.safetensors" --config "$src/configs/doublepair_ipa.json" \
    >"$tmp/swap_info" 2>>"$tmp/swap_err"; then
    ok "pairformer_ipa with attn_type double has the tensors of doublepair_ipa (1 line changed)"
else
    bad "swapping the trunk type in one line ($changed lines changed): $(tail -3 "$tmp/swap_err" "$tmp/swap_info" 2>/dev/null)"
fi
echo "presets: $fails failed"
[ "$fails" = 0 ]
