#!/usr/bin/env bash
# The kernel variants of docs/device-runs/kb2: each variant of src/core/ops_mm.c
# (made by variants.py) compiled with its symbols renamed, all linked into one
# kb.c binary that times them interleaved.
# build.sh ROOT LIBDIR VARIANT...   (ROOT: framegen tree, LIBDIR: the dir of its libframegen.a)
set -euo pipefail
root=$1 lib=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
syms="fg_mm_linear fg_mm_linear_run fg_mm_linear_scratch_floats fg_mm_pack_panels fg_mm_pack_panels_new fg_mm_pack_t fg_mm_panel_floats fg_mm_rows fg_mm_run"
objs="" decl="" list=""
for v in "$@"; do
  d=/tmp/kv_$v; rm -rf $d; mkdir -p $d; cp -r $root/src $root/include $d/
  python3 $here/variants.py $d $v
  defs=""; for s in $syms; do defs="$defs -D$s=${v}_$s"; done
  gcc -O3 -march=native -std=c11 -fopenmp -D_POSIX_C_SOURCE=200809L -I$d/include -I$d/src $defs -c $d/src/core/ops_mm.c -o /tmp/kv_$v.o
  objs="$objs /tmp/kv_$v.o" decl="$decl DECL($v)" list="$list {\"$v\", ${v}_fg_mm_rows},"
done
gcc -O3 -march=native -std=c11 -fopenmp -D_POSIX_C_SOURCE=200809L -I$root/include -I$root/src "-DVARIANTS_DECL=$decl" "-DVARIANTS_LIST=$list" \
  $here/kb.c $objs $lib/libframegen.a ${KB_LIBS:--lopenblas} -lm -o /tmp/kb2
echo built /tmp/kb2
