// node-postgres (pg) runs RushDB's "Bring Your Own Vectors" flow end to end
// through the SQL API in schema rushdb. Every value is a query parameter:
// SDK objects and item lists as JSON text cast to jsonb, record ids as a JS
// array cast to uuid[], vectors as a JS array of "[x,y,...]" strings cast to
// text[] and then rushdb.vector[]. Nothing is spliced into SQL text.
//
// Prints one line per check ("ok: ..." / "FAIL: ...") and exits non-zero when
// any check fails. Connection comes from the libpq environment (PGHOST,
// PGPORT, PGUSER, PGDATABASE), which node-postgres reads too. The label is
// unique per run and everything created is deleted at the end.
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const BULK = 2000;
const TOL = 1e-5;

let failures = 0;
function check(cond, what) {
  if (cond) {
    console.log(`ok: ${what}`);
  } else {
    failures += 1;
    console.log(`FAIL: ${what}`);
  }
}

const json = (value) => JSON.stringify(value);
const near = (a, b) => Math.abs(a - b) < TOL;
const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const vecText = (v) => `[${v.join(',')}]`;

function cosineScore(a, b) {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  const na = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const nb = Math.sqrt(b.reduce((s, x) => s + x * x, 0));
  return (1 + dot / (na * nb)) / 2;
}

function euclidScore(a, b) {
  return 1 / (1 + a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0));
}

// A distinct integer grid point per record: exact in float32.
const bulkVector = (i, shift = 0) => [i % 10, Math.floor(i / 10) % 10, Math.floor(i / 100), 0.5 + shift];

const client = new pg.Client();

async function one(text, values = []) {
  const res = await client.query(text, values);
  return Object.values(res.rows[0])[0];
}

async function expectError(sqlstate, what, text, values = []) {
  try {
    await client.query(text, values);
  } catch (err) {
    if (err.code === undefined) throw err; // not a server error
    check(err.code === sqlstate, `${what} -> SQLSTATE ${err.code} (want ${sqlstate}): ${err.message}`);
    return;
  }
  check(false, `${what} -> expected SQLSTATE ${sqlstate}, but the call succeeded`);
}

const recordCount = async (label) =>
  Number(await one('SELECT count(*) FROM rushdb.records WHERE label = $1', [label]));
const indexCount = async (label) =>
  Number(await one('SELECT count(*) FROM rushdb.embedding_indexes WHERE label = $1', [label]));
const stats = (ix) => one('SELECT rushdb.index_stats($1::uuid)', [ix]);
const search = (params) => one('SELECT rushdb.search($1::jsonb)', [json(params)]);
// The record counts of index_stats (it also reports the status).
const statsAre = async (ix, totalRecords, indexedRecords) => {
  const s = await stats(ix);
  return sameJson({ totalRecords: s.totalRecords, indexedRecords: s.indexedRecords }, { totalRecords, indexedRecords });
};

// The schema the embedding indexes' vector tables live in: the one place
// this test names it.
const VECTOR_SCHEMA = 'rushdb_internal';
// An embedding index's vector table (from rushdb.embedding_indexes),
// schema-qualified and quoted, and the name of its rushdb_hnsw index.
const vectorTable = (ix) => one("SELECT format('%I.%I', $1::text, vector_table) FROM rushdb.embedding_indexes "
                                + 'WHERE id = $2::uuid', [VECTOR_SCHEMA, ix]);
const hnswIndex = async (ix) => one('SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid '
                                    + "JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw' "
                                    + 'WHERE i.indrelid = $1::regclass', [await vectorTable(ix)]);

// Server notices of this session (auto_explain reports plans as notices).
const notices = [];
client.on('notice', (msg) => notices.push(msg.message));
// A search with the plans of every statement it ran, the query rushdb.search
// prepares inside included (auto_explain, this session only).
async function searchWithPlans(params) {
  await client.query("LOAD 'auto_explain'");
  await client.query('SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice; '
                     + 'SET auto_explain.log_format = text; SET auto_explain.log_min_duration = 0');
  notices.length = 0;
  try {
    const hits = await search(params);
    return [hits, notices.filter((n) => n.includes('plan:'))];
  } finally {
    await client.query('RESET auto_explain.log_min_duration');
  }
}
const scans = (plans, index) => plans.some((p) => p.includes(`Index Scan using ${index} on `));

async function run(label, createdIndexes) {
  // --- create_index, SDK form ------------------------------------------------
  const bodySpec = { label, propertyName: 'body', external: true, similarityFunction: 'cosine', dimensions: 3 };
  let ix = await one('SELECT rushdb.create_index($1::jsonb)', [json(bodySpec)]);
  createdIndexes.push(ix.id);
  const bodyIx = ix.id;
  check(ix.label === label && ix.propertyName === 'body' && ix.sourceType === 'external'
        && ix.similarityFunction === 'cosine' && ix.dimensions === 3
        && ix.status === 'awaiting_vectors' && ix.enabled === true,
        'create_index(jsonb) external cosine/3 -> awaiting_vectors');
  check((await one('SELECT rushdb.get_index($1::uuid)', [bodyIx])).id === bodyIx, 'get_index returns the new index');
  check((await one('SELECT rushdb.list_indexes()')).some((i) => i.id === bodyIx), 'list_indexes includes the new index');

  await expectError('23505', 'duplicate create_index', 'SELECT rushdb.create_index($1::jsonb)', [json(bodySpec)]);
  check(await indexCount(label) === 1, 'failed duplicate left one index for the label');
  await expectError('55000', 'search before any vector is written', 'SELECT rushdb.search($1::jsonb)',
    [json({ label, propertyName: 'body', queryVector: [1, 0, 0] })]);

  // --- create_record with inline __vectors -------------------------------------
  const docs = {
    alpha: [2024, [1, 0, 0]],
    beta: [2023, [1, 1, 0]],
    gamma: [2019, [1, 0.1, 0]],
    delta: [2022, [0, 1, 0]],
    epsilon: [2021, [-1, 0, 0]],
    zeta: [2025, [2, 1, 0]],
  };
  const ids = {};
  const rec = await one('SELECT rushdb.create_record($1, $2::jsonb)',
    [label, json({ body: 'alpha', year: 2024, __vectors: [{ propertyName: 'body', vector: docs.alpha[1] }] })]);
  ids.alpha = rec.__id;
  check(rec.__label === label && rec.body === 'alpha' && rec.year === 2024 && !('__vectors' in rec)
        && /^[0-9a-f]{8}-[0-9a-f]{4}-7/.test(rec.__id),
        'create_record with inline __vectors returns the record (UUIDv7 __id)');
  check(sameJson(rec.__proptypes, { body: 'string', year: 'number' }), `__proptypes ${json(rec.__proptypes)}`);
  check((await one('SELECT rushdb.get_index($1::uuid)', [bodyIx])).status === 'ready', 'first vector makes the index ready');
  check(await statsAre(bodyIx, 1, 1), 'index_stats after one record');

  // --- create_records (bulk) with __vectors and $vectors -----------------------
  const names = ['beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  const items = names.map((name) => ({
    body: name,
    year: docs[name][0],
    [name === 'epsilon' ? '$vectors' : '__vectors']: [{ propertyName: 'body', vector: docs[name][1] }],
  }));
  let recs = await one('SELECT rushdb.create_records($1, $2::jsonb)', [label, json(items)]);
  check(Array.isArray(recs) && sameJson(recs.map((r) => r.body), names) && recs.every((r) => r.__label === label),
        'create_records returns the records in order');
  for (const r of recs) ids[r.body] = r.__id;
  check(await statsAre(bodyIx, 6, 6), 'index_stats after bulk create');
  const gamma = await one('SELECT rushdb.get_record($1::uuid)', [ids.gamma]);
  check(gamma.body === 'gamma' && gamma.year === 2019, 'get_record reads a bulk-created record');

  // --- failed writes change nothing --------------------------------------------
  await expectError('42704', 'inline vector of the wrong length (no 4-dim index)',
    'SELECT rushdb.create_record($1, $2::jsonb)',
    [label, json({ body: 'bad', __vectors: [{ propertyName: 'body', vector: [1, 2, 3, 4] }] })]);
  check(await recordCount(label) === 6, 'failed create_record left no record');
  await expectError('42704', 'create_records whose last item has a bad vector',
    'SELECT rushdb.create_records($1, $2::jsonb)',
    [label, json([{ body: 'ok1', __vectors: [{ propertyName: 'body', vector: [0, 0, 1] }] },
                  { body: 'ok2' },
                  { body: 'bad', __vectors: [{ propertyName: 'body', vector: [1, 2] }] }])]);
  check(await recordCount(label) === 6 && await statsAre(bodyIx, 6, 6), 'failed create_records is all or nothing');

  // --- upsert_vectors, jsonb form: idempotent ----------------------------------
  const upsert = json({ indexId: bodyIx, items: [{ recordId: ids.alpha, vector: docs.alpha[1] }] });
  for (const attempt of [1, 2]) {
    const res = await one('SELECT rushdb.upsert_vectors($1::jsonb)', [upsert]);
    check(sameJson(res, { updated: 1, requested: 1 }), `upsert_vectors(jsonb) attempt ${attempt} -> ${json(res)}`);
    check(await statsAre(bodyIx, 6, 6), `index_stats unchanged after re-upsert ${attempt}`);
  }
  await expectError('22023', 'upsert_vectors(jsonb) with a 4-dim vector into a 3-dim index',
    'SELECT rushdb.upsert_vectors($1::jsonb)',
    [json({ indexId: bodyIx, items: [{ recordId: ids.delta, vector: [0, 0, 0, 1] }] })]);
  await expectError('42704', 'upsert_vectors(jsonb) into an unknown index',
    'SELECT rushdb.upsert_vectors($1::jsonb)',
    [json({ indexId: randomUUID(), items: [{ recordId: ids.delta, vector: [0, 0, 1] }] })]);
  await expectError('42704', 'get_index of an unknown index', 'SELECT rushdb.get_index($1::uuid)', [randomUUID()]);
  await expectError('P0002', 'upsert_vectors(jsonb) for a record that does not exist',
    'SELECT rushdb.upsert_vectors($1::jsonb)',
    [json({ indexId: bodyIx, items: [{ recordId: randomUUID(), vector: [0, 0, 1] }] })]);
  check(await statsAre(bodyIx, 6, 6), 'failed upserts left index_stats unchanged');

  // --- search, jsonb form: ranking, __score, where, limit, skip ----------------
  const query = [1, 0, 0];
  const where = { year: { $gte: 2020 } };
  const byScore = (list) => [...list].sort((a, b) => cosineScore(query, docs[b][1]) - cosineScore(query, docs[a][1]));
  const expected = byScore(Object.keys(docs).filter((n) => docs[n][0] >= 2020));
  let hits = await search({ label, propertyName: 'body', queryVector: query, where, limit: 10 });
  const bodies = (list) => list.map((h) => h.body);
  check(sameJson(bodies(hits), expected), `search ranking with where ${json(where)}: ${json(bodies(hits))}`);
  check(hits.every((h) => near(h.__score, cosineScore(query, docs[h.body][1]))), '__score = (1 + cos) / 2 for every hit');
  check(hits.every((h) => h.__id === ids[h.body] && h.__label === label && '__proptypes' in h),
        'hits carry __id, __label, __proptypes');
  check(hits.every((h, i) => i === 0 || hits[i - 1].__score >= h.__score), 'scores non-increasing');
  check(!bodies(hits).includes('gamma'), 'where filter excludes year 2019');

  hits = await search({ labels: [label], propertyName: 'body', queryVector: query });
  check(sameJson(bodies(hits), byScore(Object.keys(docs))), 'search without where (labels: [one]) ranks all six');
  hits = await search({ label, propertyName: 'body', queryVector: query, where, limit: 2 });
  check(sameJson(bodies(hits), expected.slice(0, 2)), `limit 2 -> ${json(bodies(hits))}`);
  hits = await search({ label, propertyName: 'body', queryVector: query, where, limit: 2, skip: 1 });
  check(sameJson(bodies(hits), expected.slice(1, 3)), `limit 2 skip 1 -> ${json(bodies(hits))}`);
  hits = await search({ label, propertyName: 'body', queryVector: query, where, limit: 5, skip: 10 });
  check(sameJson(hits, []), 'skip past the end -> []');
  hits = await search({ label, propertyName: 'body', queryVector: query, where: { year: 1900 } });
  check(sameJson(hits, []), 'where matching nothing -> []');
  await expectError('42704', 'search with a 4-dim queryVector (no such index)', 'SELECT rushdb.search($1::jsonb)',
    [json({ label, propertyName: 'body', queryVector: [1, 0, 0, 0] })]);
  await expectError('22023', 'search with limit 0', 'SELECT rushdb.search($1::jsonb)',
    [json({ label, propertyName: 'body', queryVector: query, limit: 0 })]);

  // --- array form: 2,000-row bulk upsert ---------------------------------------
  ix = await one('SELECT rushdb.create_index($1::jsonb)',
    [json({ label, propertyName: 'summary', sourceType: 'external', similarityFunction: 'euclidean', dimensions: 4 })]);
  createdIndexes.push(ix.id);
  const sumIx = ix.id;
  check(ix.similarityFunction === 'euclidean' && ix.dimensions === 4 && ix.status === 'awaiting_vectors',
        'second index (euclidean/4) on the same label');
  const bulkItems = Array.from({ length: BULK }, (_, i) => ({ summary: `chunk ${i}`, n: i }));
  recs = await one('SELECT rushdb.create_records($1, $2::jsonb)', [label, json(bulkItems)]);
  check(recs.length === BULK && recs.every((r, i) => r.n === i), `create_records of ${BULK} records without vectors`);
  const bulkIds = recs.map((r) => r.__id);
  check(await statsAre(sumIx, BULK, 0), 'bulk records not indexed yet');
  check(await statsAre(bodyIx, 6, 6), 'body index unaffected by bulk records');

  const upsertArrays = 'SELECT rushdb.upsert_vectors($1::uuid, $2::uuid[], $3::text[]::rushdb.vector[])';
  const vectors = bulkIds.map((_, i) => vecText(bulkVector(i)));
  for (const attempt of [1, 2]) {
    const res = await one(upsertArrays, [sumIx, bulkIds, vectors]);
    check(sameJson(res, { updated: BULK, requested: BULK }), `array upsert of ${BULK}, attempt ${attempt} -> ${json(res)}`);
    check(await statsAre(sumIx, BULK, BULK), `index_stats after array upsert attempt ${attempt}`);
  }
  check((await one('SELECT rushdb.get_index($1::uuid)', [sumIx])).status === 'ready', 'bulk index ready');

  const origin = [0, 0, 0, 0];
  const hitFor = (n) => search({ label, propertyName: 'summary', queryVector: origin, where: { n }, limit: 5 });
  let ok = true;
  for (const n of [0, 1, 777, BULK - 1]) {
    const h = await hitFor(n);
    ok = ok && h.length === 1 && h[0].n === n && h[0].__id === bulkIds[n]
      && near(h[0].__score, euclidScore(origin, bulkVector(n)));
  }
  check(ok, 'stored bulk vectors read back through search (where n = k, euclidean __score)');

  // exact and ann, each with the plans of what it ran: exact must scan no
  // HNSW index, ann the summary index's. Fresh statistics first, as
  // autovacuum would leave them.
  await client.query('ANALYZE rushdb.records');
  const target = 1234;
  const sumHnsw = await hnswIndex(sumIx);
  const [exact, exactPlans] = await searchWithPlans({ label, propertyName: 'summary', queryVector: bulkVector(target),
                                                      limit: 10, mode: 'exact' });
  check(exact.length === 10 && exact[0].n === target && near(exact[0].__score, 1),
        'exact search finds the record\'s own vector with __score 1');
  const exactNoHnsw = exactPlans.length > 0 && !scans(exactPlans, sumHnsw);
  check(exactNoHnsw, `exact search scanned no HNSW index (${sumHnsw})${exactNoHnsw ? '' : `; its plans:\n${exactPlans.join('\n')}`}`);
  const [ann, annPlans] = await searchWithPlans({ label, propertyName: 'summary', queryVector: bulkVector(target),
                                                  limit: 10, mode: 'ann' });
  const annHnsw = scans(annPlans, sumHnsw);
  check(annHnsw, `ann search scanned the HNSW index ${sumHnsw}${annHnsw ? '' : `; its plans:\n${annPlans.join('\n')}`}`);
  // The grid has many equidistant points, so the exact top 10 is one of
  // several equally right answers: an ANN hit counts when it is as close as
  // the exact 10th (by __score), not when it has the same id.
  const tenth = exact.length ? Math.min(...exact.map((h) => h.__score)) : 0;
  const asClose = ann.filter((h) => h.__score >= tenth - 1e-9).length;
  check(ann.length === 10 && ann[0].n === target && asClose >= 8,
        `ann (HNSW) search: top hit ${ann.length ? ann[0].n : 'none'}, ${asClose} of 10 as close as the exact 10th`);
  const filtered = await search({ label, propertyName: 'summary', queryVector: origin,
                                  where: { n: { $gte: 1000, $lt: 1100 } }, limit: 3 });
  const best = Array.from({ length: 100 }, (_, i) => euclidScore(origin, bulkVector(1000 + i)))
    .sort((a, b) => b - a).slice(0, 3);
  check(filtered.length === 3 && filtered[0].n === 1000 && filtered.every((h) => h.n >= 1000 && h.n < 1100)
        && filtered.every((h, i) => near(h.__score, best[i])),
        `range filter + ranking over the bulk index -> ${json(filtered.map((h) => h.n))}`);

  // A repeated record id in one call: the last vector wins.
  let res = await one(upsertArrays, [sumIx, [bulkIds[0], bulkIds[0]], [vecText([9, 9, 9, 9]), vecText(bulkVector(0))]]);
  check(sameJson(res, { updated: 1, requested: 2 }), `repeated id in one call -> ${json(res)}`);
  check(near((await hitFor(0))[0].__score, euclidScore(origin, bulkVector(0))), 'last vector wins');

  // A failing bulk call (last vector too short) writes none of its vectors.
  const shifted = bulkIds.map((_, i) => vecText(bulkVector(i, 1)));
  shifted[BULK - 1] = '[1,2,3]';
  await expectError('22023', `array upsert of ${BULK} whose last vector has 3 dims`, upsertArrays, [sumIx, bulkIds, shifted]);
  check(await statsAre(sumIx, BULK, BULK)
        && near((await hitFor(0))[0].__score, euclidScore(origin, bulkVector(0)))
        && near((await hitFor(BULK - 2))[0].__score, euclidScore(origin, bulkVector(BULK - 2))),
        'failed array upsert changed no vector');
  await expectError('22023', 'array upsert with 2 ids but 1 vector', upsertArrays, [sumIx, bulkIds.slice(0, 2), vectors.slice(0, 1)]);
  await expectError('42704', 'array upsert into an unknown index', upsertArrays, [randomUUID(), bulkIds.slice(0, 1), vectors.slice(0, 1)]);
  await expectError('22023', 'array upsert of a 3-dim vector into the 4-dim index', upsertArrays, [sumIx, [ids.alpha], ['[1,0,0]']]);
  check(await statsAre(sumIx, BULK, BULK), 'index_stats unchanged after errors');

  // --- deletes and cleanup -------------------------------------------------------
  res = await one('SELECT rushdb.delete_record($1::uuid)', [ids.alpha]);
  check(sameJson(res, { deleted: 1 }), `delete_record -> ${json(res)}`);
  check(await statsAre(bodyIx, 5, 5), 'deleting a record removes its vector');
  hits = await search({ label, propertyName: 'body', queryVector: query, where });
  check(sameJson(bodies(hits), expected.filter((n) => n !== 'alpha')), 'deleted record no longer found');
  await expectError('P0002', 'delete_record of a deleted record', 'SELECT rushdb.delete_record($1::uuid)', [ids.alpha]);

  const remaining = Object.keys(docs).filter((n) => n !== 'alpha').map((n) => ids[n]).concat(bulkIds);
  res = await one('SELECT rushdb.delete_records($1::uuid[])', [remaining]);
  check(sameJson(res, { deleted: remaining.length }), `delete_records -> ${json(res)}`);
  check(await recordCount(label) === 0, 'no records of the label remain');
  check(await statsAre(sumIx, 0, 0), 'bulk index emptied by the deletes');

  for (const id of [bodyIx, sumIx]) {
    res = await one('SELECT rushdb.delete_index($1::uuid)', [id]);
    check(res.deleted === true && res.id === id, `delete_index ${id}`);
    createdIndexes.splice(createdIndexes.indexOf(id), 1);
    await expectError('42704', 'get_index after delete_index', 'SELECT rushdb.get_index($1::uuid)', [id]);
  }
  check(await indexCount(label) === 0, 'no indexes of the label remain');
}

async function main() {
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS rushdb');
  const label = `ByovNode_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const createdIndexes = [];
  try {
    await run(label, createdIndexes);
  } catch (err) {
    failures += 1;
    console.log(`FAIL: unexpected error: ${err.code ? `SQLSTATE ${err.code}: ` : ''}${err.stack || err}`);
  } finally {
    // Best-effort cleanup after a failure part-way (finds nothing on success).
    for (const id of createdIndexes) {
      await client.query('SELECT rushdb.delete_index($1::uuid)', [id]).catch(() => {});
    }
    await client.query("SELECT rushdb.delete_records(coalesce(array_agg(id), '{}')) FROM rushdb.records WHERE label = $1",
      [label]).catch(() => {});
    await client.end();
  }
  if (failures > 0) {
    console.log(`${failures} check(s) failed`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.log(`FAIL: ${err.stack || err}`);
  process.exit(1);
});
