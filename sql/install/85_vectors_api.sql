-- upsert_vectors and search.

-- Checks, with the caller's rights, that every record exists (and is
-- visible to her) and carries the index's label, for messages that name
-- the record; the privileged write checks the same again.
CREATE OR REPLACE FUNCTION rushdb_internal.check_records_for_index(ix rushdb.embedding_indexes, ids uuid[])
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing uuid;
    other_label text;
    other_id uuid;
BEGIN
    SELECT i INTO missing FROM unnest(ids) i
    WHERE i IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rushdb.records r WHERE r.id = i) LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad(format('record %s does not exist', missing), NULL, 'P0002');
    END IF;
    SELECT r.id, r.label INTO other_id, other_label FROM rushdb.records r
    WHERE r.id = ANY (ids) AND r.label <> ix.label LIMIT 1;
    IF other_id IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad(format('record %s has label "%s"; index %s is for label "%s"',
                                                 other_id, other_label, ix.id, ix.label));
    END IF;
END $$;

-- The fast form for bulk loads (drivers, COPY-staged data): parallel arrays.
-- Idempotent by record id; a repeated id in one call: the last one wins.
CREATE OR REPLACE FUNCTION rushdb.upsert_vectors(index_id uuid, record_ids uuid[], vectors rushdb.vector[])
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ix rushdb.embedding_indexes := rushdb_internal.lookup_index(index_id);
    n integer := coalesce(cardinality(record_ids), 0);
    bad integer;
BEGIN
    IF ix.source_type <> 'external' THEN
        PERFORM rushdb_internal.raise_bad(format('index %s is managed: its vectors are computed by the server', ix.id),
                                          'upsert_vectors writes to external indexes only.');
    END IF;
    IF record_ids IS NULL OR vectors IS NULL THEN
        PERFORM rushdb_internal.raise_bad('record ids and vectors are required', NULL, '22004');
    END IF;
    IF n <> coalesce(cardinality(vectors), 0) THEN
        PERFORM rushdb_internal.raise_bad(format('%s record ids but %s vectors', n, coalesce(cardinality(vectors), 0)));
    END IF;
    SELECT o INTO bad FROM unnest(record_ids, vectors) WITH ORDINALITY AS u(i, v, o)
    WHERE i IS NULL OR v IS NULL LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad(format('item %s has a null record id or vector', bad), NULL, '22004');
    END IF;
    SELECT o INTO bad FROM unnest(vectors) WITH ORDINALITY AS u(v, o)
    WHERE rushdb.vector_dims(v) <> ix.dimensions LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM rushdb_internal.raise_bad(format('vector %s has %s dimensions; index %s expects %s',
                                                 bad, rushdb.vector_dims(vectors[bad]), ix.id, ix.dimensions));
    END IF;
    PERFORM rushdb_internal.check_records_for_index(ix, record_ids);
    RETURN rushdb_internal.privileged('store_vectors', jsonb_build_object('indexId', ix.id), record_ids, vectors);
END $$;

-- RushDB's upsertVectors body: {"items": [{recordId, vector}, ...]}, or the
-- bare array of items.
CREATE OR REPLACE FUNCTION rushdb.upsert_vectors(index_id uuid, items jsonb)
RETURNS jsonb LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids uuid[] := '{}';
    vecs rushdb.vector[] := '{}';
    item jsonb;
    pos integer := 0;
BEGIN
    PERFORM rushdb_internal.lookup_index(index_id);
    IF jsonb_typeof(items) = 'object' THEN
        PERFORM rushdb_internal.check_keys(items, ARRAY['items'], 'upsert_vectors');
        items := items -> 'items';
    END IF;
    IF items IS NULL OR jsonb_typeof(items) <> 'array' THEN
        PERFORM rushdb_internal.raise_bad('upsert_vectors expects {"items": [{"recordId": "<uuid>", "vector": [numbers]}, ...]}');
    END IF;
    FOR item IN SELECT value FROM jsonb_array_elements(items) LOOP
        pos := pos + 1;
        IF jsonb_typeof(item) <> 'object' OR jsonb_typeof(item -> 'recordId') IS DISTINCT FROM 'string'
           OR jsonb_typeof(item -> 'vector') IS DISTINCT FROM 'array' THEN
            PERFORM rushdb_internal.raise_bad(format('item %s must be {"recordId": "<uuid>", "vector": [numbers]}', pos));
        END IF;
        PERFORM rushdb_internal.check_keys(item, ARRAY['recordId', 'vector'], format('item %s', pos));
        BEGIN
            ids := ids || (item ->> 'recordId')::uuid;
        EXCEPTION WHEN invalid_text_representation THEN
            PERFORM rushdb_internal.raise_bad(format('item %s: recordId "%s" is not a record id', pos, item ->> 'recordId'),
                                              NULL, '22P02');
        END;
        vecs := vecs || (item -> 'vector')::rushdb.vector;
    END LOOP;
    RETURN rushdb.upsert_vectors(index_id, ids, vecs);
END $$;

-- SDK form: {indexId, items}.
CREATE OR REPLACE FUNCTION rushdb.upsert_vectors(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' OR jsonb_typeof(params -> 'indexId') IS DISTINCT FROM 'string' THEN
        PERFORM rushdb_internal.raise_bad('upsert_vectors expects {"indexId": "<uuid>", "items": [...]}');
    END IF;
    PERFORM rushdb_internal.check_keys(params, ARRAY['indexId', 'items'], 'upsert_vectors');
    RETURN rushdb.upsert_vectors((params ->> 'indexId')::uuid, coalesce(params -> 'items', 'null'));
END $$;

-- search: records ranked by similarity of a property's vector to
-- query_vector, best first, each as the record's JSON plus __score
-- (cosine: (1 + cos) / 2; euclidean: 1 / (1 + d^2)). Implemented in C
-- (src/pg/search_api.cpp): argument checks, the index choice (resolve_index
-- there), the where-filter compiler, and the ranked query from
-- a backend-cached plan, so the API adds little to the bare query.
CREATE OR REPLACE FUNCTION rushdb.search(
    label text, property_name text, query_vector rushdb.vector,
    "limit" integer DEFAULT 20, skip integer DEFAULT 0, "where" jsonb DEFAULT '{}',
    similarity_function text DEFAULT NULL, source_type text DEFAULT NULL, dimensions integer DEFAULT NULL,
    mode text DEFAULT 'auto', ef integer DEFAULT NULL)
RETURNS SETOF jsonb AS 'MODULE_PATHNAME', 'rushdb_search' LANGUAGE C VOLATILE ROWS 20;

-- search_text: the same search with a natural-language query, embedded by
-- the managed index's provider (RushDB's default mode). source_type may
-- only be NULL or 'managed'; a property with only an external index is an
-- error that says to give a query vector.
CREATE OR REPLACE FUNCTION rushdb.search_text(
    label text, property_name text, query text,
    "limit" integer DEFAULT 20, skip integer DEFAULT 0, "where" jsonb DEFAULT '{}',
    similarity_function text DEFAULT NULL, source_type text DEFAULT NULL, dimensions integer DEFAULT NULL,
    mode text DEFAULT 'auto', ef integer DEFAULT NULL)
RETURNS SETOF jsonb AS 'MODULE_PATHNAME', 'rushdb_search_text' LANGUAGE C VOLATILE ROWS 20;

-- SDK form: {label | labels, propertyName, queryVector | query, text, rrfK,
-- where, limit, skip, minScore, similarityFunction, sourceType, dimensions,
-- mode, ef}; returns the result array. With "text" it is a hybrid search
-- (a keyword leg over the property's text index fused with the vector leg
-- by reciprocal rank), or keyword-only without a vector or query. With several labels the first picks the
-- index, as in RushDB; an index holds the vectors of its own label's records
-- only (a record has one label), so the others can add no result.
-- minScore drops results whose __score is below it: results come best
-- first, so those that pass are a prefix of the page (limit and skip apply
-- to the ranking, minScore to what they return).
-- The results whose __score is at least `min` (all when it is NULL), in order;
-- a score that is not a number (NaN, from a zero vector under cosine) passes
-- no threshold.
CREATE OR REPLACE FUNCTION rushdb_internal.min_score(results jsonb, min jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN min IS NULL THEN results
                ELSE coalesce((SELECT jsonb_agg(t.r ORDER BY t.o) FROM jsonb_array_elements(results) WITH ORDINALITY AS t(r, o)
                               WHERE jsonb_typeof(t.r -> '__score') OPERATOR(pg_catalog.=) 'number'
                                 AND (t.r ->> '__score')::numeric OPERATOR(pg_catalog.>=) (min #>> '{}')::numeric), '[]') END
$$;

-- Reciprocal-rank fusion of a vector leg and a keyword leg (either may be
-- NULL): each record scores the sum over the legs it is in of
-- 1 / (rrf_k + its rank there), best first (ties: better vector rank, then
-- better keyword rank, then __id), then skip and limit. Each result carries
-- __score (the fused score), __vectorRank / __textRank (1-based, null when
-- absent from that leg) and __vectorScore / __textScore (the leg's own).
CREATE OR REPLACE FUNCTION rushdb_internal.fuse(vector jsonb, keyword jsonb, rrf_k numeric, lim integer, skip integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(f.x ORDER BY f.n), '[]') FROM (
        SELECT x, row_number() OVER (ORDER BY s DESC, vr NULLS LAST, kr NULLS LAST, id) AS n FROM (
            SELECT (coalesce(v.x, k.x) - '__score' - '__textScore') || jsonb_build_object(
                       '__score', (coalesce(1 / (rrf_k + v.o), 0) + coalesce(1 / (rrf_k + k.o), 0))::float8,
                       '__vectorRank', v.o, '__textRank', k.o,
                       '__vectorScore', v.x -> '__score', '__textScore', k.x -> '__textScore') AS x,
                   coalesce(1 / (rrf_k + v.o), 0) + coalesce(1 / (rrf_k + k.o), 0) AS s,
                   v.o AS vr, k.o AS kr, coalesce(v.x, k.x) ->> '__id' AS id
            FROM (SELECT e.x, e.o FROM jsonb_array_elements(coalesce(vector, '[]')) WITH ORDINALITY AS e(x, o)) v
            FULL JOIN (SELECT e.x, e.o FROM jsonb_array_elements(coalesce(keyword, '[]')) WITH ORDINALITY AS e(x, o)) k
                ON (v.x ->> '__id') = (k.x ->> '__id')) r
        ORDER BY s DESC, vr NULLS LAST, kr NULLS LAST, id OFFSET skip LIMIT lim) f
$$;

CREATE OR REPLACE FUNCTION rushdb.search(params jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lbl text := params ->> 'label';
    result jsonb;
    keyword jsonb;
    lim integer;
    skp integer;
    width integer;
    rrf_k numeric := 60;
    cfg oid;
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('search expects a JSON object {label, propertyName, queryVector | query, ...}');
    END IF;
    PERFORM rushdb_internal.check_keys(params,
        ARRAY['label', 'labels', 'propertyName', 'queryVector', 'query', 'text', 'rrfK', 'where', 'limit', 'skip',
              'minScore', 'similarityFunction', 'sourceType', 'dimensions', 'mode', 'ef'], 'search');
    IF params ? 'label' AND params ? 'labels' THEN
        PERFORM rushdb_internal.raise_bad('give either "label" or "labels", not both');
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(ARRAY['limit', 'skip', 'dimensions', 'ef']) k
               WHERE params ? k AND (jsonb_typeof(params -> k) <> 'number'
                                     OR (params ->> k)::numeric <> trunc((params ->> k)::numeric)
                                     OR abs((params ->> k)::numeric) > 2147483647)) THEN
        PERFORM rushdb_internal.raise_bad('"limit", "skip", "dimensions" and "ef" must be whole numbers');
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(ARRAY['label', 'propertyName', 'similarityFunction', 'sourceType', 'mode']) k
               WHERE params ? k AND jsonb_typeof(params -> k) <> 'string') THEN
        PERFORM rushdb_internal.raise_bad('"label", "propertyName", "similarityFunction", "sourceType" and "mode" must be strings');
    END IF;
    IF params ? 'where' AND jsonb_typeof(params -> 'where') <> 'object' THEN
        PERFORM rushdb_internal.raise_bad('"where" must be an object of conditions');
    END IF;
    IF params ? 'minScore' AND jsonb_typeof(params -> 'minScore') <> 'number' THEN
        PERFORM rushdb_internal.raise_bad('"minScore" must be a number (a __score: 0 to 1 for cosine, see byov.md)');
    END IF;
    IF params ? 'labels' THEN
        IF jsonb_typeof(params -> 'labels') <> 'array' OR jsonb_array_length(params -> 'labels') = 0
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(params -> 'labels') e
                      WHERE jsonb_typeof(e) <> 'string' OR e #>> '{}' = '') THEN
            PERFORM rushdb_internal.raise_bad('"labels" must be a non-empty array of label names; the first picks the index');
        END IF;
        lbl := params -> 'labels' ->> 0;
    END IF;
    IF params ? 'query' AND params ? 'queryVector' THEN
        PERFORM rushdb_internal.raise_bad('give either "query" (text, for a managed index) or "queryVector", not both');
    END IF;
    IF params ? 'query' AND jsonb_typeof(params -> 'query') <> 'string' THEN
        PERFORM rushdb_internal.raise_bad('"query" must be a string');
    END IF;
    IF params ? 'rrfK' AND NOT params ? 'text' THEN
        PERFORM rushdb_internal.raise_bad('"rrfK" weights the fusion of a keyword search: give "text" too');
    END IF;
    lim := coalesce((params ->> 'limit')::integer, 20);
    skp := coalesce((params ->> 'skip')::integer, 0);

    -- Hybrid (or keyword-only) search: each leg ranks its top `width`,
    -- reciprocal-rank fusion orders the union, then skip and limit apply.
    IF params ? 'text' THEN
        IF jsonb_typeof(params -> 'text') <> 'string' OR btrim(params ->> 'text') = '' THEN
            PERFORM rushdb_internal.raise_bad('"text" must be a non-empty string of keywords');
        END IF;
        IF params ? 'rrfK' THEN
            IF jsonb_typeof(params -> 'rrfK') <> 'number' OR (params ->> 'rrfK')::numeric <= 0
               OR (params ->> 'rrfK')::numeric > 1000000 THEN
                PERFORM rushdb_internal.raise_bad('"rrfK" must be a number above 0 (60 by default), at most 1000000');
            END IF;
            rrf_k := (params ->> 'rrfK')::numeric;
        END IF;
        IF lbl IS NULL OR lbl = '' THEN PERFORM rushdb_internal.raise_bad('label is required', NULL, '22004'); END IF;
        IF coalesce(params ->> 'propertyName', '') = '' THEN
            PERFORM rushdb_internal.raise_bad('propertyName is required', NULL, '22004');
        END IF;
        IF lim < 1 OR lim > 1000 THEN
            PERFORM rushdb_internal.raise_bad(format('limit must be between 1 and 1000, not %s', lim));
        END IF;
        IF skp < 0 THEN PERFORM rushdb_internal.raise_bad(format('skip must be 0 or more, not %s', skp)); END IF;
        IF NOT (params ? 'query' OR params ? 'queryVector') AND EXISTS (
               SELECT 1 FROM unnest(ARRAY['similarityFunction', 'sourceType', 'dimensions', 'mode', 'ef']) k WHERE params ? k) THEN
            PERFORM rushdb_internal.raise_bad('"similarityFunction", "sourceType", "dimensions", "mode" and "ef" choose and '
                                              'tune the vector leg: give "queryVector" or "query" too, or leave them out');
        END IF;
        cfg := rushdb_internal.text_index_config(lbl, params ->> 'propertyName');
        width := least(1000, greatest(50, 2 * (lim::bigint + skp)));
        keyword := coalesce((SELECT jsonb_agg(t.x ORDER BY t.o) FROM rushdb_internal.keyword_leg(
            lbl, params ->> 'propertyName', params ->> 'text', width, coalesce(params -> 'where', '{}'), cfg)
            WITH ORDINALITY AS t(x, o)), '[]');
        IF params ? 'query' OR params ? 'queryVector' THEN
            result := rushdb.search(params - 'text' - 'rrfK' - 'minScore' - 'skip'
                                    || jsonb_build_object('limit', width));
        END IF;
        RETURN rushdb_internal.min_score(rushdb_internal.fuse(result, keyword, rrf_k, lim, skp), params -> 'minScore');
    END IF;

    IF params ? 'query' THEN
        result := coalesce((SELECT jsonb_agg(t.x ORDER BY t.o) FROM rushdb.search_text(
            lbl, params ->> 'propertyName', params ->> 'query', lim, skp,
            coalesce(params -> 'where', '{}'), params ->> 'similarityFunction', params ->> 'sourceType',
            (params ->> 'dimensions')::integer, coalesce(params ->> 'mode', 'auto'),
            (params ->> 'ef')::integer) WITH ORDINALITY AS t(x, o)), '[]');
        RETURN rushdb_internal.min_score(result, params -> 'minScore');
    END IF;
    IF jsonb_typeof(params -> 'queryVector') IS DISTINCT FROM 'array' THEN
        PERFORM rushdb_internal.raise_bad('"queryVector" (an array of numbers), "query" (text) or "text" (keywords) is required',
                                          NULL, '22004');
    END IF;
    result := coalesce((SELECT jsonb_agg(t.x ORDER BY t.o) FROM rushdb.search(
        lbl, params ->> 'propertyName', (params -> 'queryVector')::rushdb.vector, lim, skp,
        coalesce(params -> 'where', '{}'), params ->> 'similarityFunction', params ->> 'sourceType',
        (params ->> 'dimensions')::integer, coalesce(params ->> 'mode', 'auto'),
        (params ->> 'ef')::integer) WITH ORDINALITY AS t(x, o)), '[]');
    RETURN rushdb_internal.min_score(result, params -> 'minScore');
END $$;

-- Server-side embedding of one text with a managed-index provider: a
-- built-in model (builtin-lexical-v1: offline, deterministic, lexical; see
-- src/core/embed/README.md) or, for any other model key, the
-- OpenAI-compatible API at rushdb.embedding_endpoint. An empty or wordless
-- text gives the built-in model's zero vector. STABLE, not IMMUTABLE: what
-- an HTTP model returns depends on settings and on the server.
CREATE OR REPLACE FUNCTION rushdb.embed_text(input text, dimensions integer DEFAULT 384,
                                  model_key text DEFAULT 'builtin-lexical-v1')
    RETURNS rushdb.vector AS 'MODULE_PATHNAME', 'rushdb_embed_text' LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

COMMENT ON FUNCTION rushdb.upsert_vectors(uuid, uuid[], rushdb.vector[]) IS
    'Writes external vectors for records (parallel arrays), idempotent by record id';
COMMENT ON FUNCTION rushdb.upsert_vectors(uuid, jsonb) IS
    'Writes external vectors from {"items": [{recordId, vector}]} (or the bare array); RushDB upsertVectors';
COMMENT ON FUNCTION rushdb.upsert_vectors(jsonb) IS 'Writes external vectors from the SDK object {indexId, items}';
COMMENT ON FUNCTION rushdb.search(text, text, rushdb.vector, integer, integer, jsonb, text, text, integer, text, integer) IS
    'Records of a label ranked by vector similarity of a property to a query vector, with __score';
COMMENT ON FUNCTION rushdb.search_text(text, text, text, integer, integer, jsonb, text, text, integer, text, integer) IS
    'Records ranked by similarity to a text query, embedded by the managed index''s provider';
COMMENT ON FUNCTION rushdb.search(jsonb) IS
    'Vector, hybrid or keyword search from the SDK object {label, propertyName, queryVector | query, text, where, limit, ...}';
COMMENT ON FUNCTION rushdb.embed_text(text, integer, text) IS
    'Embeds a text with a managed-index provider (builtin-lexical-v1 or the HTTP endpoint)';
