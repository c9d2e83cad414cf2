#!/usr/bin/env bash
# The per-ISA kernel objects are compiled with -mavx2 / -mavx512f. If one of
# them emitted a weak (inline) symbol not keyed on its arch tag, the linker
# could pick that AVX copy for every caller and crash older CPUs with SIGILL.
# Fails when such a symbol exists.
set -euo pipefail
root="${1:-.}"
status=0
for pair in avx2:avx2 avx512:avx512f; do
    file="$root/src/core/distance/kernels_${pair%%:*}.o"
    tag="${pair##*:}"
    [ -f "$file" ] || continue
    bad=$(nm -C "$file" | awk '$2 ~ /^[WVu]$/' | grep -v "$tag" | grep -v '__gxx_personality' || true)
    if [ -n "$bad" ]; then
        echo "arch-neutral weak symbols in $file:"
        echo "$bad"
        status=1
    fi
done
exit $status
