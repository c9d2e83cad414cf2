// Converts the unpacked npm package @sap-ux/fiori-docs-embeddings@1.2.6 into
// one JSON object per line. Called by fetch_fiori.sh; node >= 18, no modules.
//
//   node fiori_convert.mjs PACKAGE_DIR OUT.jsonl
//
// Input: PACKAGE_DIR/data/embeddings/ holds (format "version 2.0.0" of the
// package's own flat vector store):
//   metadata.json   {"version","createdAt","model": "Xenova/all-MiniLM-L6-v2",
//                    "dimensions": 384, "totalVectors": 778, "totalDocuments",
//                    "chunkSize", "chunkOverlap"}
//   records.jsonl   778 JSON objects, one per line (the last line has no
//                   trailing newline), fields: id, content, title, category,
//                   path, chunk_index, document_id, tags_json, headers_json,
//                   lastModified, wordCount, excerpt, totalChunks. No URL field.
//   embeddings.bin  778 * 384 float32, little-endian, row-major, no header
//                   (exactly 1,195,008 bytes); row i is the vector of line i of
//                   records.jsonl. The vectors are L2-normalised (|v| = 1).
//
// Output: OUT.jsonl, one line per chunk in the package's order:
//   "id"       <- records.jsonl id        e.g. "local-btp-fiori-tools-0-chunk-0"
//   "title"    <- records.jsonl title
//   "text"     <- records.jsonl content   (full text, not truncated; the vector
//                 was computed by the package from this text with whitespace
//                 collapsed and cut at 8192 characters)
//   "category" <- records.jsonl category  e.g. "Sapui5", "Btp Fiori Tools"
//   "path"     <- records.jsonl path      source file inside the doc crawl
//   "vector"   <- embeddings.bin row i    384 numbers, each the shortest decimal
//                 that reads back to exactly the stored float32
// There is no "url" field because the package has none. The other record
// fields (chunk_index is always 0, totalChunks always 1, document_id is id
// without "-chunk-0", excerpt is the first 200 characters of content, ...)
// are dropped.
//
// Fails (exit 1) unless there are exactly 778 records and 384 dimensions,
// ids are unique and every value is finite.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';

const EXPECTED_COUNT = 778;
const EXPECTED_DIMS = 384;

function fail(msg) {
    process.stderr.write(`fiori_convert: error: ${msg}\n`);
    process.exit(1);
}

// Shortest decimal text that parses back to the same float32.
function float32Text(f) {
    for (let p = 1; p <= 9; p++) {
        const s = f.toPrecision(p);
        if (Math.fround(Number(s)) === f) return String(Number(s));
    }
    return String(f);
}

const [pkgDir, outPath] = process.argv.slice(2);
if (!pkgDir || !outPath) fail('usage: node fiori_convert.mjs PACKAGE_DIR OUT.jsonl');
const embDir = path.join(pkgDir, 'data', 'embeddings');

const meta = JSON.parse(readFileSync(path.join(embDir, 'metadata.json'), 'utf8'));
if (meta.dimensions !== EXPECTED_DIMS) fail(`metadata.json dimensions ${meta.dimensions}, expected ${EXPECTED_DIMS}`);
if (meta.totalVectors !== EXPECTED_COUNT) fail(`metadata.json totalVectors ${meta.totalVectors}, expected ${EXPECTED_COUNT}`);

const records = readFileSync(path.join(embDir, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
        try {
            return JSON.parse(line);
        } catch (e) {
            fail(`records.jsonl line ${i + 1}: ${e.message}`);
        }
    });
if (records.length !== EXPECTED_COUNT) fail(`records.jsonl has ${records.length} records, expected ${EXPECTED_COUNT}`);

const bin = readFileSync(path.join(embDir, 'embeddings.bin'));
const rowBytes = EXPECTED_DIMS * 4;
if (bin.length !== records.length * rowBytes)
    fail(`embeddings.bin is ${bin.length} bytes, expected ${records.length} x ${EXPECTED_DIMS} x 4 = ${records.length * rowBytes}`);

const seen = new Set();
let minNorm = Infinity;
let maxNorm = -Infinity;
const lines = [];
records.forEach((r, i) => {
    for (const field of ['id', 'title', 'content']) {
        if (typeof r[field] !== 'string') fail(`record ${i}: field "${field}" missing or not a string`);
    }
    if (seen.has(r.id)) fail(`duplicate id ${r.id}`);
    seen.add(r.id);
    const vector = new Array(EXPECTED_DIMS);
    let sq = 0;
    for (let j = 0; j < EXPECTED_DIMS; j++) {
        const f = bin.readFloatLE(i * rowBytes + j * 4);
        if (!Number.isFinite(f)) fail(`record ${i} (${r.id}): non-finite value at dimension ${j}`);
        sq += f * f;
        vector[j] = f;
    }
    const norm = Math.sqrt(sq);
    minNorm = Math.min(minNorm, norm);
    maxNorm = Math.max(maxNorm, norm);
    const obj = { id: r.id, title: r.title, text: r.content, category: r.category ?? null, path: r.path ?? null };
    // Numbers spliced in as text so each keeps its shortest float32 form.
    const json = JSON.stringify({ ...obj, vector: [] });
    lines.push(json.slice(0, -2) + vector.map(float32Text).join(',') + ']}');
});

if (Math.abs(minNorm - 1) > 1e-3 || Math.abs(maxNorm - 1) > 1e-3)
    process.stderr.write(`fiori_convert: warning: vector norms in [${minNorm}, ${maxNorm}], expected ~1\n`);

const tmp = `${outPath}.tmp`;
writeFileSync(tmp, lines.join('\n') + '\n');
renameSync(tmp, outPath);
process.stderr.write(
    `fiori_convert: ${lines.length} chunks, ${EXPECTED_DIMS} dims, model ${meta.model}, ` +
        `norms ${minNorm.toFixed(6)}..${maxNorm.toFixed(6)} -> ${outPath}\n`
);
