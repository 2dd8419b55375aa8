#!/usr/bin/env bash
# framegen esm: init, embed (layers, pooling, attention), logits, --resume,
# and bad input: clear errors, exit codes, and never a partial output file.
set -u
FG=${1:?usage: test_esm_cli.sh path/to/framegen}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); if eval "$2"; then echo "  PASS $1"; else echo "  FAIL $1"; fails=$((fails + 1)); fi; }

"$FG" esm init --out "$T/w.safetensors" --layers 2 --width 64 --heads 4 --seed 3; rc=$?
ok "init writes random weights" '[ -s "$T/w.safetensors" ] && "$FG" info "$T/w.safetensors" | grep -q "layers.1.fc2.weight"'
printf '>a first\nMKTAYIAKQR\n>b\nLAGV<mask>X\n>c\nACDEFGHIKL\nMNPQRSTVWY\n' > "$T/in.fa"

"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/e.st" --layers all --attention --threads 2 2> "$T/log"; rc=$?
ok "embed all layers + attention: exit 0" '[ $rc -eq 0 ]'
"$FG" info "$T/e.st" > "$T/info"
ok "embed: tokens, per-layer residue reps, attention maps" \
   'grep -Eq "c.tokens +I64 +\[22\]" "$T/info" && grep -Eq "c.repr.2 +F32 +\[20, 64\]" "$T/info" &&
    grep -Eq "b.repr.0 +F32 +\[6, 64\]" "$T/info" && grep -Eq "a.attention +F32 +\[10, 10, 8\]" "$T/info"'
ok "embed: progress on stderr" 'grep -q "3/3 sequences" "$T/log"'

"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/m.st" --pool mean --layers 0,-1 2>/dev/null; rc=$?
ok "pool mean, layers 0,-1" '"$FG" info "$T/m.st" | grep -Eq "a.mean.2 +F32 +\[64\]" && "$FG" info "$T/m.st" | grep -Eq "a.mean.0 +F32 +\[64\]"'
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/c.st" --pool cls 2>/dev/null; rc=$?
ok "pool cls, last layer by default" '"$FG" info "$T/c.st" | grep -Eq "b.cls.2 +F32 +\[64\]"'
"$FG" esm logits --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/l.st" 2>/dev/null; rc=$?
ok "logits" '"$FG" info "$T/l.st" | grep -Eq "c.logits +F32 +\[20, 33\]"'

# A checkpoint after every batch (one record each): every write carries the
# earlier records over from the previous file; the result equals one write.
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/k.st" --layers all --attention --batch-tokens 16 --checkpoint 0 2>/dev/null; rc=$?
ok "checkpoint after every batch: same tensors as one write" \
   '[ $rc -eq 0 ] && [ "$("$FG" info "$T/k.st" | grep -E "^  " | sort)" = "$(grep -E "^  " "$T/info" | sort)" ]'

# --resume: only the new record is computed; the others are carried over.
cp "$T/in.fa" "$T/more.fa"
printf '>d\nGGGGSSSS\n' >> "$T/more.fa"
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/more.fa" --out "$T/e.st" --layers all --attention --resume 2> "$T/log"; rc=$?
ok "resume: 3 of 4 already there, 1 computed" 'grep -q "3 of 4 records already" "$T/log" && grep -q "1/1 sequences" "$T/log"'
ok "resume: all 4 records in the output" '[ "$("$FG" info "$T/e.st" | grep -c "\.tokens ")" -eq 4 ]'
sum=$(cksum < "$T/e.st")
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/more.fa" --out "$T/e.st" --layers all --attention --resume 2> "$T/log"; rc=$?
ok "resume with nothing left: no work, file unchanged" 'grep -q "4 of 4" "$T/log" && [ "$(cksum < "$T/e.st")" = "$sum" ]'
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/more.fa" --out "$T/e.st" --layers last --resume 2> "$T/log"; rc=$?
ok "resume with other options: error, file unchanged" '[ $rc -eq 1 ] && grep -q "cannot resume" "$T/log" && [ "$(cksum < "$T/e.st")" = "$sum" ]'
printf '>a\nMKTAYIAKQQ\n' > "$T/changed.fa"
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/changed.fa" --out "$T/e.st" --layers all --attention --resume 2> "$T/log"; rc=$?
ok "resume with a changed sequence: error" '[ $rc -eq 1 ] && grep -q "another sequence" "$T/log"'

# Bad input: exit 1 with the file, line and reason; no output, no temporary left.
bad() { # name, fasta text, expected message, extra options
    printf "$2" > "$T/bad.fa"
    "$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/bad.fa" --out "$T/bad.st" ${4:-} 2> "$T/log"
    rc=$? want=$3
    ok "$1: exit 1, '$3', nothing written" \
       '[ $rc -eq 1 ] && grep -q -- "$want" "$T/log" && [ ! -e "$T/bad.st" ] && [ -z "$(ls -A "$T" | grep tmp)" ]'
    sed 's/^/       /' "$T/log"
}
bad "character outside the alphabet" '>x\nMKT\n>y\nMKJL\n' "bad.fa:3: record 'y': character 'J' at position 3"
bad "lower case" '>x\nmkt\n' "lower case"
bad "empty record" '>x\n>y\nMK\n' "bad.fa:1: record 'x' has no sequence"
bad "over-long record" '>x\nMKTAYIAKQR\n' "10 residues, over the limit of 8" "--max-len 8"
bad "duplicate name" '>x\nMK\n>x\nMK\n' "name 'x' already used"
bad "sequence before a header" 'MK\n>x\nMK\n' "sequence before the first"
"$FG" esm embed --weights "$T/nope.safetensors" --fasta "$T/in.fa" --out "$T/bad.st" 2> "$T/log"; rc=$?
ok "missing weights: exit 1, names the file" '[ $rc -eq 1 ] && grep -q "nope.safetensors" "$T/log" && [ ! -e "$T/bad.st" ]'
"$FG" esm embed --weights "$T/in.fa" --fasta "$T/in.fa" --out "$T/bad.st" 2> "$T/log"; rc=$?
ok "weights not safetensors: exit 1" '[ $rc -eq 1 ] && [ ! -e "$T/bad.st" ]'
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/bad.st" --pool max 2> "$T/log"; rc=$?
ok "bad --pool: exit 2" '[ $rc -eq 2 ] && grep -q "expected none, mean or cls" "$T/log"'
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" --out "$T/bad.st" --layers 7 2> "$T/log"; rc=$?
ok "layer out of range: exit 2" '[ $rc -eq 2 ] && grep -q "\[-3, 2\]" "$T/log"'
"$FG" esm embed --weights "$T/w.safetensors" --fasta "$T/in.fa" 2> "$T/log"; rc=$?
ok "missing --out: exit 2" '[ $rc -eq 2 ]'
"$FG" esm frobnicate 2> "$T/log"; rc=$?
ok "unknown subcommand: exit 2" '[ $rc -eq 2 ]'
"$FG" esm --help | grep -q "framegen esm embed"; rc=$?
ok "help" '[ $rc -eq 0 ]'

echo "esm_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
