--
-- What a user sees when a call is wrong: unknown JSON keys are errors that
-- name the key, the accepted ones and a near miss; enumerations list their
-- values; "no index" errors say what there is; wrong types are named; and
-- no CONTEXT lines from the extension's internal frames (SHOW_CONTEXT is
-- on: any such line would show here).
--
\set SHOW_CONTEXT errors
\set VERBOSITY default
-- For errors whose DETAIL names generated ids: the whole error, ids masked.
CREATE FUNCTION pg_temp.error_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN regexp_replace(concat_ws(E'\n', st || ': ' || msg, nullif('DETAIL: ' || det, 'DETAIL: '), nullif('HINT: ' || hnt, 'HINT: ')),
                          '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<=vectors_)[0-9a-f]{32}', '<id>', 'g');
END $$;

SELECT rushdb.create_index('{"label": "Memo", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'status' AS doc_body;
SELECT rushdb.create_record('Memo', '{"body": "hello", "year": 2024, "__vectors": [{"propertyName": "body", "vector": [1, 0, 0]}]}') ->> 'body' AS created;

-- Unknown keys, each entry point.
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "wher": {"year": 1}}');
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "limt": 3}');
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "colour": "red"}');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "title", "external": true, "dimension": 3}');
SELECT rushdb.create_record('{"label": "Memo", "dta": {"body": "x"}}');
SELECT rushdb.create_records('{"label": "Memo", "data": [], "extra": 1}');
SELECT rushdb.create_record('Memo', '{"body": "x", "__vectors": [{"propertyName": "body", "vectr": [1, 0, 0]}]}');
SELECT rushdb.create_record('Memo', '{"body": "x", "__vectors": [{"propertyName": "body", "vector": [1, 0, 0], "similarity": "cosine"}]}');
SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes LIMIT 1), '{"itemz": []}');
SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes LIMIT 1),
                             '[{"recordId": "00000000-0000-7000-8000-000000000000", "vector": [1, 0, 0], "score": 1}]');
SELECT rushdb.upsert_vectors('{"indexId": "00000000-0000-7000-8000-000000000000", "items": [], "force": true}');

-- Enumerations list the valid values.
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "similarityFunction": "cos"}');
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "sourceType": "byov"}');
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "mode": "fast"}');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "title", "sourceType": "byov", "dimensions": 3}');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "title", "external": true, "similarityFunction": "dot", "dimensions": 3}');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "title", "external": false, "sourceType": "external", "dimensions": 3}');

-- Wrong types are named, not cast errors.
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "limit": "ten"}');
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "limit": 2.5}');
SELECT rushdb.search('{"label": "Memo", "propertyName": 7, "queryVector": [1, 0, 0]}');
SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0], "where": [1]}');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "title", "external": true, "dimensions": 3.5}');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "title", "external": true, "dimensions": 1e12}');

-- "No index" errors say what the label and property have.
SELECT rushdb.search('{"label": "Memo", "propertyName": "bdy", "queryVector": [1, 0, 0]}');
SELECT pg_temp.error_of($$SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0]}')$$);
SELECT rushdb.search('{"label": "Mmeo", "propertyName": "body", "queryVector": [1, 0, 0]}');
SELECT rushdb.create_record('Memo', '{"year": 1, "__vectors": [{"propertyName": "year", "vector": [1, 0, 0]}]}');
SELECT rushdb.create_record('Note', '{"body": "x", "__vectors": [{"propertyName": "body", "vector": [1, 0, 0]}]}');
SELECT pg_temp.error_of($$SELECT rushdb.create_record('Memo', '{"body": "x", "__vectors": [{"propertyName": "body", "vector": [1, 0]}]}')$$);
SELECT rushdb.get_index('00000000-0000-7000-8000-000000000000');
-- The failed calls changed nothing.
SELECT count(*) AS records, (SELECT count(*) FROM rushdb.embedding_indexes) AS indexes FROM rushdb.records;
-- Leave nothing behind for the tests that follow in this database.
SELECT rushdb.delete_index(id) ->> 'deleted' AS cleaned FROM rushdb.embedding_indexes WHERE label = 'Memo';
SELECT rushdb.delete_records(array_agg(id)) AS cleaned_records FROM rushdb.records WHERE label = 'Memo';

-- repair_index: argument errors, a healthy index left alone, a table
-- dropped by hand recreated, and a relation that is not the extension's
-- table refused by search and repair alike.
SELECT rushdb.repair_index(NULL);
SELECT rushdb.repair_index('00000000-0000-7000-8000-000000000000');
SELECT rushdb.create_index('{"label": "Memo", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'status' AS memo_body;
SELECT rushdb.create_record('Memo', '{"body": "hello", "__vectors": [{"propertyName": "body", "vector": [1, 0, 0]}]}') ->> 'body' AS created;
SELECT rushdb.repair_index(id) - 'id' AS healthy FROM rushdb.embedding_indexes WHERE label = 'Memo';
SELECT format('DROP TABLE rushdb_internal.%1$I; CREATE VIEW rushdb_internal.%1$I AS SELECT NULL::uuid AS record_id, NULL::rushdb.vector AS embedding',
              vector_table) AS replace_sql FROM rushdb.embedding_indexes WHERE label = 'Memo' \gset
:replace_sql;
SELECT pg_temp.error_of($$SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0]}')$$) AS not_ours;
SELECT pg_temp.error_of($$SELECT rushdb.repair_index(id) FROM rushdb.embedding_indexes WHERE label = 'Memo'$$) AS repair_not_ours;
SELECT format('DROP VIEW rushdb_internal.%I', vector_table) AS drop_sql FROM rushdb.embedding_indexes WHERE label = 'Memo' \gset
:drop_sql;
SELECT pg_temp.error_of($$SELECT rushdb.search('{"label": "Memo", "propertyName": "body", "queryVector": [1, 0, 0]}')$$) AS table_missing;
SELECT rushdb.repair_index(id) - 'id' AS repaired FROM rushdb.embedding_indexes WHERE label = 'Memo';
SELECT rushdb.get_index(id) ->> 'status' AS status_after_repair FROM rushdb.embedding_indexes WHERE label = 'Memo';
SELECT rushdb.delete_index(id) ->> 'deleted' AS cleaned FROM rushdb.embedding_indexes WHERE label = 'Memo';
SELECT rushdb.delete_records(array_agg(id)) AS cleaned_records FROM rushdb.records WHERE label = 'Memo';
