# framegen generate end to end on the tiny preset with random weights:
# determinism across thread counts (byte for byte), every bad input of the
# issue (clear message, exit status, no partial files), a NaN in one sample,
# --resume, mmCIF output and trajectories, and Ctrl-C.
set -u
fg=$1
src=${FG_SOURCE_DIR:?}
cfg=$src/configs/tiny.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "  PASS $*"; }
bad() { echo "  FAIL $*"; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
differ() { ! cmp -s "$1" "$2"; }

# runs generate, keeping stderr and the exit status
gen() { "$fg" generate "$@" 2>"$tmp/err"; echo $? >"$tmp/rc"; }
rc() { cat "$tmp/rc"; }
err_has() { grep -q -- "$1" "$tmp/err"; }
no_tmp_files() { [ -z "$(find "$1" -name '.*tmp*' 2>/dev/null)" ]; }

"$fg" init-weights --config "$cfg" --out "$tmp/w.safetensors" --seed 7 2>/dev/null || { echo "init-weights failed"; exit 1; }
W=(--config "$cfg" --weights "$tmp/w.safetensors")

echo "determinism: --threads 1 vs --threads 2"
gen "${W[@]}" --lengths 12-40:14 --num-samples 2 --seed 11 --out "$tmp/t1" --threads 1
check "run with 1 thread succeeds" [ "$(rc)" = 0 ]
gen "${W[@]}" --lengths 12-40:14 --num-samples 2 --seed 11 --out "$tmp/t2" --threads 2
check "run with 2 threads succeeds" [ "$(rc)" = 0 ]
n=$(ls "$tmp/t1"/*.pdb 2>/dev/null | wc -l)
check "6 structures written ($n)" [ "$n" = 6 ]
same=1
for f in "$tmp"/t1/*.pdb; do cmp -s "$f" "$tmp/t2/$(basename "$f")" || same=0; done
check "structures identical byte for byte" [ "$same" = 1 ]
check "summary.tsv lists 6 samples" [ "$(tail -n +2 "$tmp/t1/summary.tsv" | wc -l)" = 6 ]
check "summary.json lists the seed" grep -Eq '"seed":[[:space:]]*11' "$tmp/t1/summary.json"
gen "${W[@]}" --length 26 --num-samples 1 --seed 11 --out "$tmp/t3" --threads 2
check "a sample does not depend on the other lengths of the run" cmp -s "$tmp/t1/sample_L26_0.pdb" "$tmp/t3/sample_L26_0.pdb"
gen "${W[@]}" --length 26 --num-samples 1 --seed 12 --out "$tmp/t4"
check "another seed gives another structure" differ "$tmp/t1/sample_L26_0.pdb" "$tmp/t4/sample_L26_0.pdb"
atoms=$(grep -c '^ATOM' "$tmp/t1/sample_L12_0.pdb")
check "backbone N, CA, C, O for 12 residues ($atoms atoms)" [ "$atoms" = 48 ]

echo "bad input"
expect_usage() { # description, expected exit status, message, args...
    local what=$1 code=$2 msg=$3; shift 3
    local out="$tmp/bad_out"
    rm -rf "$out"
    gen "$@" --out "$out"
    if [ "$(rc)" = "$code" ] && err_has "$msg" && [ ! -e "$out" ]; then ok "$what: $(head -1 "$tmp/err")"
    else bad "$what (exit $(rc), stderr: $(cat "$tmp/err"))"; fi
}
expect_usage "length 0" 2 "out of range" "${W[@]}" --length 0 --num-samples 1
expect_usage "length -5" 2 "out of range" "${W[@]}" --length -5 --num-samples 1
expect_usage "length above the config's maximum" 2 "above the maximum 512" "${W[@]}" --length 600 --num-samples 1
expect_usage "range above the maximum" 2 "above the maximum" "${W[@]}" --lengths 500-520:10 --num-samples 1
expect_usage "empty range" 2 "empty range" "${W[@]}" --lengths 30-20 --num-samples 1
expect_usage "zero samples" 2 "out of range" "${W[@]}" --length 10 --num-samples 0
expect_usage "steps 0" 2 "out of range" "${W[@]}" --length 10 --num-samples 1 --steps 0
expect_usage "no lengths" 2 "required" "${W[@]}" --num-samples 1
expect_usage "unknown format" 2 "expected pdb or cif" "${W[@]}" --length 10 --num-samples 1 --format xyz
printf '12\n# comment\nabc\n' >"$tmp/lengths.txt"
expect_usage "lengths file with a non-number" 2 "lengths.txt:3" "${W[@]}" --lengths-file "$tmp/lengths.txt" --num-samples 1
expect_usage "weights that do not fit the config" 1 "do not fit" --config "$cfg" \
    --weights "$src/models/default/weights.safetensors" --length 10 --num-samples 1
expect_usage "missing weights file" 1 "cannot open" --config "$cfg" --weights "$tmp/none.safetensors" \
    --length 10 --num-samples 1
touch "$tmp/afile"
gen "${W[@]}" --length 10 --num-samples 1 --out "$tmp/afile/sub"
check "unwritable output directory: exit 1 ($(head -1 "$tmp/err"))" [ "$(rc)" = 1 ]
check "unwritable output directory names it" err_has "afile/sub"

echo "NaN in one sample"
gen "${W[@]}" --length 16 --num-samples 3 --out "$tmp/nan" --debug-nan-at 16:1:4
check "exit status 1 when a sample fails" [ "$(rc)" = 1 ]
check "warning names the step" err_has "step 4 of 20"
check "the failed sample has no file" [ ! -e "$tmp/nan/sample_L16_1.pdb" ]
check "the other samples are written" [ -s "$tmp/nan/sample_L16_0.pdb" ] && [ -s "$tmp/nan/sample_L16_2.pdb" ]
check "summary marks the failure" grep -q "failed: step 4 of 20" "$tmp/nan/summary.tsv"
check "no temporary files left" no_tmp_files "$tmp/nan"

echo "--resume"
gen "${W[@]}" --length 14 --num-samples 2 --out "$tmp/res"
sum0=$(md5sum "$tmp/res/sample_L14_0.pdb")
touch -d '2001-01-01' "$tmp/res/sample_L14_0.pdb"
gen "${W[@]}" --length 14 --num-samples 3 --out "$tmp/res" --resume
check "resume succeeds" [ "$(rc)" = 0 ]
check "finished samples are skipped" err_has "skipped (--resume)"
check "a skipped file is untouched" [ "$(stat -c %Y "$tmp/res/sample_L14_0.pdb")" = "$(date -d 2001-01-01 +%s)" ]
check "the new sample is written" [ -s "$tmp/res/sample_L14_2.pdb" ]
check "summary lists all three" [ "$(tail -n +2 "$tmp/res/summary.tsv" | wc -l)" = 3 ]
check "skipped file content unchanged" [ "$(md5sum "$tmp/res/sample_L14_0.pdb")" = "$sum0" ]

echo "mmCIF and trajectories"
gen "${W[@]}" --length 12 --num-samples 1 --out "$tmp/cif" --format cif --save-trajectory --steps 5
check "cif run succeeds" [ "$(rc)" = 0 ]
check "structure is mmCIF" grep -q '^_atom_site' "$tmp/cif/sample_L12_0.cif"
models=$(grep -c '^MODEL' "$tmp/cif/sample_L12_0_traj.cif" 2>/dev/null || true)
nmod=$(awk '$1 == "ATOM" {print $NF}' "$tmp/cif/sample_L12_0_traj.cif" | sort -u | wc -l)
check "trajectory has 6 models (prior + 4 steps + final): $nmod" [ "$nmod" = 6 ]

echo "Ctrl-C"
"$fg" generate "${W[@]}" --length 64 --num-samples 500 --steps 200 --out "$tmp/int" 2>"$tmp/int_err" &
pid=$!
for _ in $(seq 1200); do [ -s "$tmp/int/summary.json" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
code=$?
check "interrupted run exits 130 (got $code)" [ "$code" = 130 ]
listed=$(tail -n +2 "$tmp/int/summary.tsv" | wc -l)
files=$(ls "$tmp/int"/*.pdb | wc -l)
check "finished samples are listed ($listed) and only they exist ($files)" [ "$listed" -ge 1 ] && [ "$listed" = "$files" ]
complete=1
for f in "$tmp"/int/*.pdb; do tail -1 "$f" | grep -q '^END' || complete=0; done
check "every written structure is complete" [ "$complete" = 1 ]
check "no temporary files left" no_tmp_files "$tmp/int"
check "says it was interrupted" grep -q "interrupted" "$tmp/int_err"

echo "generate_cli: $fails failed"
[ "$fails" = 0 ]
