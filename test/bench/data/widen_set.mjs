// Widens a converted benchmark set to 3x its dimensions without changing its
// geometry, for measuring the cost of carrying large vectors (1,536 dims,
// OpenAI-size) on real neighbourhoods: no real 1,536-dim set ships in the
// Debian or npm packages this project may use.
//
// Each vector x (d dims) becomes y = [P1 x, P2 x, P3 x] / sqrt(3), where each
// Pk is a fixed signed permutation (seeded): an isometry, so every inner
// product, norm and cosine of the source set is kept (up to float32
// rounding) and the neighbours are the source's. What changes is what the
// write and search paths carry: 3d floats per vector, spread over all
// coordinates.
//
// usage: node widen_set.mjs SRC_DIR OUT_DIR BASE_ROWS
//   reads SRC_DIR/{base,queries,inserts}.csv and meta.json ("id<TAB>[floats]"),
//   writes OUT_DIR/ with the first BASE_ROWS base rows, all queries and inserts,
//   and meta.json (last). No ground truth: the write benchmark computes its own.
import fs from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';

const [src, out, baseRowsArg] = process.argv.slice(2);
if (!src || !out || !baseRowsArg) {
    console.error('usage: node widen_set.mjs SRC_DIR OUT_DIR BASE_ROWS');
    process.exit(2);
}
const baseRows = Number(baseRowsArg);
const meta = JSON.parse(fs.readFileSync(path.join(src, 'meta.json'), 'utf8'));
const d = meta.dims, factor = 3, D = d * factor;

// mulberry32, as the converters use for their splits.
function mulberry32(seed) {
    return () => {
        seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const rand = mulberry32(1536);
const perms = [], signs = [];
for (let k = 0; k < factor; ++k) {
    const p = Array.from({ length: d }, (_, i) => i);
    for (let i = d - 1; i > 0; --i) {
        const j = Math.floor(rand() * (i + 1));
        [p[i], p[j]] = [p[j], p[i]];
    }
    perms.push(p);
    signs.push(Array.from({ length: d }, () => (rand() < 0.5 ? -1 : 1)));
}
const scale = 1 / Math.sqrt(factor);

async function widen(name, limit) {
    const input = readline.createInterface({ input: fs.createReadStream(path.join(src, name)), crlfDelay: Infinity });
    const output = fs.createWriteStream(path.join(out, name));
    let rows = 0;
    const y = new Array(D);
    for await (const line of input) {
        if (limit !== undefined && rows >= limit) break;
        const tab = line.indexOf('\t');
        const x = JSON.parse(line.slice(tab + 1));
        if (x.length !== d) throw new Error(`${name}: row ${rows + 1} has ${x.length} dims, not ${d}`);
        for (let k = 0; k < factor; ++k)
            for (let i = 0; i < d; ++i) y[k * d + i] = Math.fround(signs[k][i] * x[perms[k][i]] * scale).toPrecision(8);
        if (!output.write(`${line.slice(0, tab)}\t[${y.join(',')}]\n`)) await new Promise((r) => output.once('drain', r));
        ++rows;
    }
    input.close();
    await new Promise((r) => output.end(r));
    return rows;
}

fs.mkdirSync(out, { recursive: true });
fs.rmSync(path.join(out, 'meta.json'), { force: true });
const base = await widen('base.csv', baseRows);
const queries = await widen('queries.csv');
const inserts = await widen('inserts.csv');
fs.writeFileSync(path.join(out, 'meta.json'), JSON.stringify({
    source: `${meta.source}, widened to ${D} dims by three seeded signed permutations (an isometry: the source's neighbours; widen_set.mjs)`,
    dims: D, base, queries, inserts, widened_from: path.basename(src), files: ['base.csv', 'queries.csv', 'inserts.csv'],
}, null, 2) + '\n');
console.log(`${out}: ${base} base, ${queries} queries, ${inserts} inserts, ${D} dims`);
