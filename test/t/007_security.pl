# The 0.2.0 privilege model under attack (docs/security.md; the attacks of
# issue 11, F1-F7, adapted to 0.2.0, and more).
#
# alice is the attacker: she holds what a user needs to write records and
# create indexes (SELECT/INSERT/UPDATE/DELETE on rushdb.records, EXECUTE on
# both rushdb.create_index) and, as in a database created before
# PostgreSQL 15, CREATE on schema public, which is on everyone's
# search_path. mallory holds no grant at all. postgres, the superuser and
# the extension's owner, does ordinary work between the attacks: writes
# records (with inline vectors, into alice's indexes too), searches with
# where filters, creates managed indexes that the background worker fills.
#
# Row-level security on rushdb.records: a role sees the records whose
# "owner" is itself or "public" and writes only its own. The records owned
# by postgres are the hidden ones.
#
# After each attack: alice is not superuser; public.marker, which alice
# cannot write but her functions write into when they run as anyone else,
# is empty; no hidden record's vector is anywhere alice can read it (the
# vector tables, search, index_stats); the server did not restart.
#
# Then the documented grants: reader, writer, index admin and none, each
# able to do what docs/security.md says and no more.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('security');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'rushdb'\n");
$node->start;

# --- helpers -----------------------------------------------------------------

# Runs SQL as a role; returns (SQLSTATE or 'ok', stdout, stderr).
sub run_as
{
    my ($role, $sql) = @_;
    my ($out, $err) = ('', '');
    my $rc = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql",
        stdout => \$out, stderr => \$err, extra_params => [ '-U', $role ], on_error_stop => 1);
    my $state = $err =~ /ERROR:\s+([0-9A-Z]{5}):/ ? $1 : $rc == 0 ? 'ok' : "exit $rc";
    return ($state, $out, $err);
}

# The SQLSTATE of SQL run as a role is `want` ('ok': no error).
sub state_is
{
    my ($role, $sql, $want, $name) = @_;
    my ($state, $out, $err) = run_as($role, $sql);
    is($state, $want, $name) or diag(substr($err, 0, 2000));
    return $out;
}

# The output of SQL that must succeed.
sub value_as
{
    my ($role, $sql) = @_;
    my ($state, $out, $err) = run_as($role, $sql);
    die "as $role: $sql\n$err" unless $state eq 'ok';
    return $out;
}

# The error message (ERROR line, without the SQLSTATE) of SQL run as a role.
sub error_of
{
    my ($role, $sql) = @_;
    my ($state, $out, $err) = run_as($role, $sql);
    return $err =~ /ERROR:\s+(?:[0-9A-Z]{5}:\s+)?([^\n]*)/ ? "$state: $1" : "no error ($state)";
}

my $started = value_as('postgres', 'SELECT pg_postmaster_start_time()');

# --- the database ------------------------------------------------------------

value_as('postgres', q{
    CREATE EXTENSION rushdb;
    CREATE ROLE alice LOGIN;
    CREATE ROLE mallory LOGIN;
    CREATE ROLE bob LOGIN;
    GRANT SELECT, INSERT, UPDATE, DELETE ON rushdb.records TO alice, bob;
    GRANT EXECUTE ON FUNCTION rushdb.create_index(jsonb),
        rushdb.create_index(text, text, text, text, integer, text) TO alice, bob;
    GRANT CREATE ON SCHEMA public TO alice, mallory;

    CREATE TABLE public.marker (who text, what text, at timestamptz DEFAULT now());
    REVOKE ALL ON public.marker FROM PUBLIC;

    ALTER TABLE rushdb.records ENABLE ROW LEVEL SECURITY;
    CREATE POLICY see ON rushdb.records FOR SELECT USING (properties ->> 'owner' IN (current_user::text, 'public'));
    CREATE POLICY add ON rushdb.records FOR INSERT WITH CHECK (properties ->> 'owner' = current_user::text);
    CREATE POLICY change ON rushdb.records FOR UPDATE USING (properties ->> 'owner' = current_user::text);
    CREATE POLICY remove ON rushdb.records FOR DELETE USING (properties ->> 'owner' = current_user::text);

    -- Test scaffolding (schema audit: nobody but postgres creates there).
    -- Run as alice, with her rights: hidden rows found in vector tables,
    -- hidden records among search results, index_stats counts above what
    -- she can see.
    CREATE SCHEMA audit;
    GRANT USAGE ON SCHEMA audit TO PUBLIC;
    CREATE FUNCTION audit.leaks(hidden uuid[]) RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    DECLARE
        ix rushdb.embedding_indexes;
        rows bigint := 0;
        hits bigint := 0;
        excess bigint := 0;
        n bigint;
        visible bigint;
        stats jsonb;
    BEGIN
        FOR ix IN SELECT * FROM rushdb.embedding_indexes LOOP
            IF to_regclass('rushdb_internal.' || quote_ident(ix.vector_table)) IS NULL THEN CONTINUE; END IF;
            EXECUTE format('SELECT count(*) FROM rushdb_internal.%I WHERE record_id = ANY ($1)', ix.vector_table)
                INTO n USING hidden;
            rows := rows + n;
            EXECUTE format('SELECT count(*) FROM (SELECT record_id FROM rushdb_internal.%I ORDER BY embedding %s $1 LIMIT 1000) s
                            WHERE record_id = ANY ($2)', ix.vector_table,
                           CASE ix.similarity_function WHEN 'cosine' THEN 'OPERATOR(rushdb.<=>)' ELSE 'OPERATOR(rushdb.<->)' END)
                INTO n USING array_fill(0.5::real, ARRAY[ix.dimensions])::rushdb.vector, hidden;
            rows := rows + n;
            BEGIN
                IF ix.source_type = 'managed' THEN
                    SELECT count(*) INTO n FROM rushdb.search_text(ix.label, ix.property_name, 'launch codes secret',
                        1000, 0, '{}', ix.similarity_function, NULL, ix.dimensions) s
                    WHERE (s ->> '__id')::uuid = ANY (hidden);
                ELSE
                    SELECT count(*) INTO n FROM rushdb.search(ix.label, ix.property_name,
                        array_fill(0.5::real, ARRAY[ix.dimensions])::rushdb.vector, 1000, 0, '{}',
                        ix.similarity_function, ix.source_type, ix.dimensions, 'exact') s
                    WHERE (s ->> '__id')::uuid = ANY (hidden);
                END IF;
                hits := hits + n;
            EXCEPTION WHEN object_not_in_prerequisite_state THEN NULL;  -- no vectors yet
            END;
            stats := rushdb.index_stats(ix.id);
            SELECT count(*) INTO visible FROM rushdb.records r WHERE r.label = ix.label;
            excess := excess + greatest((stats ->> 'indexedRecords')::bigint - visible, 0)
                             + greatest(coalesce((stats ->> 'pendingRecords')::bigint, 0) - visible, 0);
        END LOOP;
        RETURN format('%s|%s|%s', rows, hits, excess);
    END $$;
});

# postgres's data: hidden records (owner postgres) and public ones in three
# labels, an external cosine and an external euclidean index on Doc.body,
# a managed index on Note.text.
value_as('postgres', q{
    SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}');
    SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3,
                                 "similarityFunction": "euclidean"}');
    SELECT rushdb.create_index('{"label": "Note", "propertyName": "text"}');
    SELECT rushdb.create_records('Doc', '[
        {"body": "secret plan", "owner": "postgres", "__vectors": [
            {"propertyName": "body", "vector": [0.5, 0.5, 0.5], "similarityFunction": "cosine"},
            {"propertyName": "body", "vector": [0.5, 0.5, 0.5], "similarityFunction": "euclidean"}]},
        {"body": "public plan", "owner": "public", "__vectors": [
            {"propertyName": "body", "vector": [1, 0, 0], "similarityFunction": "cosine"},
            {"propertyName": "body", "vector": [1, 0, 0], "similarityFunction": "euclidean"}]}]');
    SELECT rushdb.create_records('Note', '[{"text": "launch codes secret alpha", "owner": "postgres"},
                                           {"text": "launch codes secret beta", "owner": "postgres"},
                                           {"text": "public launch notice", "owner": "public"}]');
    SELECT rushdb.create_records('Secret', '[{"text": "launch codes secret gamma", "owner": "postgres"},
                                             {"text": "launch codes secret delta", "owner": "postgres"},
                                             {"text": "public notice", "owner": "public"}]');
    SELECT rushdb.create_records('Vault', '[{"code": 42, "owner": "postgres"}]');
});
my $note_ix = value_as('postgres', q{SELECT id FROM rushdb.embedding_indexes WHERE label = 'Note'});
is(value_as('postgres', qq{SELECT rushdb.wait_for_index('$note_ix', 60) ->> 'status'}), 'ready', 'the managed index Note.text is ready');
my $doc_cos = value_as('postgres', q{SELECT id FROM rushdb.embedding_indexes WHERE label = 'Doc' AND similarity_function = 'cosine'});
my $doc_l2 = value_as('postgres', q{SELECT id FROM rushdb.embedding_indexes WHERE label = 'Doc' AND similarity_function = 'euclidean'});
my $doc_vt = value_as('postgres', qq{SELECT vector_table FROM rushdb.embedding_indexes WHERE id = '$doc_cos'});
my $note_vt = value_as('postgres', qq{SELECT vector_table FROM rushdb.embedding_indexes WHERE id = '$note_ix'});
my $hidden = value_as('postgres', q{SELECT string_agg(id::text, ',') FROM rushdb.records WHERE properties ->> 'owner' = 'postgres'});
my $hidden_doc = value_as('postgres', q{SELECT id FROM rushdb.records WHERE label = 'Doc' AND properties ->> 'owner' = 'postgres'});
my $public_doc = value_as('postgres', q{SELECT id FROM rushdb.records WHERE label = 'Doc' AND properties ->> 'owner' = 'public'});
my $public_note = value_as('postgres', q{SELECT id FROM rushdb.records WHERE label = 'Note' AND properties ->> 'owner' = 'public'});
my $missing = '01234567-89ab-7def-8123-456789abcdef';
is(value_as('postgres', "SELECT audit.leaks('{$hidden}')") =~ /^[1-9]/ ? 1 : 0, 1,
    'the audit finds the hidden vectors when postgres looks');

# alice's code: evil() writes the marker and makes alice superuser when it
# runs as anyone who may; as alice it does nothing (errors swallowed, so
# every hijacked statement still completes).
value_as('alice', q{
    CREATE FUNCTION public.evil(how text DEFAULT '') RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
        BEGIN INSERT INTO public.marker (who, what) VALUES (current_user, how); EXCEPTION WHEN OTHERS THEN NULL; END;
        BEGIN EXECUTE 'ALTER ROLE alice SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
        RETURN true;
    END $$;
    CREATE FUNCTION public.evil_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM public.evil(TG_NAME); RETURN coalesce(NEW, OLD); END $$;
});
state_is('alice', q{INSERT INTO public.marker VALUES ('alice', 'direct')}, '42501', 'alice cannot write the marker herself');

# Ordinary work of the superuser, through every API path alice's code
# might be waiting on.
sub ordinary_work
{
    value_as('postgres', qq{
        SELECT rushdb.create_record('Doc', '{"body": "more", "owner": "public", "__vectors": [
            {"propertyName": "body", "vector": [0, 1, 0], "similarityFunction": "cosine"},
            {"propertyName": "body", "vector": [0, 1, 0], "similarityFunction": "euclidean"}]}');
        SELECT count(*) FROM rushdb.search('Doc', 'body', '[1, 0, 0]'::rushdb.vector, 10, 0, '{"body": "public plan"}', 'cosine');
        SELECT count(*) FROM rushdb.search('Doc', 'body', '[1, 0, 0]'::rushdb.vector, 10, 0,
            '{"\$or": [{"body": {"\$in": ["more", "x"]}}, {"owner": {"\$startsWith": "pub"}}, {"n": {"\$gt": 1}}]}', 'euclidean');
        SELECT rushdb.search('{"label": "Doc", "propertyName": "body", "queryVector": [1, 0, 0],
                               "similarityFunction": "cosine", "where": {"body": "more"}}');
        SELECT count(*) FROM rushdb.search_text('Note', 'text', 'launch', 10, 0, '{"owner": {"\$ne": "x"}}');
        SELECT rushdb.update_record('$public_note', '{"text": "public launch notice, revised"}');
        SELECT rushdb.wait_for_index('$note_ix', 60);
        SELECT rushdb.index_stats(id), rushdb.get_index(id) FROM rushdb.embedding_indexes;
        SELECT rushdb.list_indexes();
        SELECT rushdb.get_record('$public_doc');
        SELECT rushdb.upsert_vectors('$doc_cos', ARRAY['$public_doc']::uuid[], ARRAY['[1, 0, 0]']::rushdb.vector[]);
        SELECT rushdb.create_record('Doc', '{"body": "an alice index gets it too", "owner": "public"}');
    });
    # A vector for every external index alice owns, inline, by postgres.
    for my $ix (split /\n/, value_as('postgres', q{
        SELECT label || ',' || property_name || ',' || dimensions || ',' || similarity_function
        FROM rushdb.embedding_indexes WHERE owner = 'alice'::regrole AND source_type = 'external'}))
    {
        my ($label, $prop, $dims, $sim) = split /,/, $ix;
        my $vec = join(',', (1) x $dims);
        value_as('postgres', qq{SELECT rushdb.create_record('$label', '{"$prop": "by postgres", "owner": "public",
            "__vectors": [{"propertyName": "$prop", "vector": [$vec], "similarityFunction": "$sim"}]}')});
    }
}

sub still_secure
{
    my ($what) = @_;
    ordinary_work();
    my $marker = value_as('postgres', q{SELECT count(*) || ' ' || coalesce(string_agg(who || ':' || what, ', '), '') FROM public.marker});
    is($marker, '0 ', "$what: none of alice's code ran as another role");
    is(value_as('postgres', q{SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolname IN ('alice', 'mallory', 'bob') AND rolsuper}),
        '', "$what: alice is not superuser");
    is(value_as('alice', "SELECT audit.leaks('{$hidden}')"), '0|0|0',
        "$what: no hidden vector in what alice reads (vector tables | search | index_stats)");
    is(value_as('postgres', 'SELECT pg_postmaster_start_time()'), $started, "$what: the server did not restart");
    value_as('postgres', 'TRUNCATE public.marker; ALTER ROLE alice NOSUPERUSER; ALTER ROLE mallory NOSUPERUSER');
}

# --- F1 / F4: alice's objects in or on the extension's objects ---------------

value_as('alice', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "summary", "external": true, "dimensions": 3}')});
my $alice_ix = value_as('alice', q{SELECT id FROM rushdb.embedding_indexes WHERE owner = 'alice'::regrole});
my $alice_vt = value_as('alice', qq{SELECT vector_table FROM rushdb.embedding_indexes WHERE id = '$alice_ix'});
is(value_as('postgres', qq{SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'rushdb_internal.$alice_vt'::regclass}),
    'postgres', "the vector table of alice's index belongs to the extension's owner");

for my $t ([ "rushdb_internal.$alice_vt", "her own index's vector table" ],
    [ "rushdb_internal.$doc_vt", "postgres's vector table" ],
    [ 'rushdb_internal.embedding_queue', 'the queue' ],
    [ 'rushdb.embedding_indexes', 'the catalog' ],
    [ 'rushdb.records', 'rushdb.records' ])
{
    my ($rel, $desc) = @$t;
    state_is('alice', "CREATE TRIGGER evil BEFORE INSERT OR UPDATE OR DELETE ON $rel FOR EACH ROW EXECUTE FUNCTION public.evil_trigger()",
        '42501', "F4: no trigger on $desc");
    state_is('alice', "CREATE TRIGGER evil_s AFTER INSERT ON $rel FOR EACH STATEMENT EXECUTE FUNCTION public.evil_trigger()",
        '42501', "F4: no statement trigger on $desc");
    state_is('alice', "CREATE RULE evil AS ON INSERT TO $rel DO ALSO SELECT public.evil()", '42501', "F4: no rule on $desc");
    state_is('alice', "CREATE POLICY evil ON $rel USING (public.evil())", '42501', "no policy on $desc");
    state_is('alice', "ALTER TABLE $rel DISABLE ROW LEVEL SECURITY", '42501', "row-level security of $desc stays");
    state_is('alice', "ALTER TABLE $rel RENAME TO gone", '42501', "F1: $desc cannot be renamed");
    state_is('alice', "DROP TABLE $rel", '42501', "F1: $desc cannot be dropped");
    state_is('alice', "CREATE INDEX evil ON $rel ((public.evil()))", '42501', "no expression index on $desc");
    state_is('alice', "BEGIN; LOCK TABLE $rel IN ACCESS EXCLUSIVE MODE; COMMIT", '42501', "$desc cannot be locked exclusively")
        unless $rel eq 'rushdb.records';    # a writer may, as on any table she may write
    state_is('alice', "ALTER TABLE $rel OWNER TO alice", '42501', "$desc cannot be taken over");
}
for my $rel ("rushdb_internal.$alice_vt", "rushdb_internal.$doc_vt")
{
    state_is('alice', "INSERT INTO $rel (record_id, embedding) VALUES ('$public_doc', '[1, 1, 1]')", '42501', "F4: $rel is not writable");
    state_is('alice', "UPDATE $rel SET embedding = '[1, 1, 1]'", '42501', "F4: $rel cannot be updated");
    state_is('alice', "DELETE FROM $rel", '42501', "$rel rows cannot be deleted");
    state_is('alice', "TRUNCATE $rel", '42501', "$rel cannot be truncated");
}
state_is('alice', "CREATE VIEW rushdb_internal.evil AS SELECT public.evil()", '42501', 'F1: nothing created in rushdb_internal');
state_is('alice', "CREATE TABLE rushdb.evil (x int)", '42501', 'nothing created in rushdb');
state_is('alice', q{CREATE FUNCTION rushdb_internal.privileged(op text, args jsonb, ids uuid[], vectors text[]) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT NULL::jsonb $$}, '42501', 'rushdb_internal.privileged cannot be overloaded');
state_is('alice', q{CREATE OR REPLACE FUNCTION rushdb_internal.op_store_vectors(caller regrole, args jsonb, ids uuid[], vectors rushdb.vector[])
    RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$}, '42501', 'an op_ function cannot be replaced');
state_is('alice', q{ALTER FUNCTION rushdb_internal.index_status(rushdb.embedding_indexes) SET search_path = public},
    '42501', 'a SECURITY DEFINER helper cannot be altered');
state_is('alice', "UPDATE rushdb.embedding_indexes SET vector_table = '$doc_vt' WHERE id = '$alice_ix'", '42501',
    'F4: the catalog cannot be redirected');
state_is('alice', "DELETE FROM rushdb.embedding_indexes WHERE id = '$doc_cos'", '42501', "F4: others' catalog rows cannot be deleted");
state_is('alice', q{INSERT INTO rushdb.embedding_indexes (label, property_name, source_type, similarity_function, dimensions,
    status, vector_table, owner) VALUES ('X', 'y', 'external', 'cosine', 3, 'ready', 'evil', 'postgres')}, '42501',
    'catalog rows cannot be forged');
still_secure('F1/F4');

# --- F2 / F3: alice's operators and functions on the search_path --------------

# Exact-type matches that would beat pg_catalog's implicit-cast candidates
# in any SQL resolved through a search_path holding public: the score
# arithmetic of search (1 - d / 2, 1 / (1 + d * d)), the where-filter's
# jsonb_build_object / jsonb_build_array, format, power and the worker's
# numeric arithmetic.
value_as('alice', q{
    CREATE FUNCTION public.f8_int_div(float8, integer) RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('/ (float8, int)'); RETURN $1 / $2::float8; END $$;
    CREATE OPERATOR public./ (LEFTARG = float8, RIGHTARG = integer, FUNCTION = public.f8_int_div);
    CREATE FUNCTION public.int_f8_div(integer, float8) RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('/ (int, float8)'); RETURN $1::float8 / $2; END $$;
    CREATE OPERATOR public./ (LEFTARG = integer, RIGHTARG = float8, FUNCTION = public.int_f8_div);
    CREATE FUNCTION public.int_f8_add(integer, float8) RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('+ (int, float8)'); RETURN $1::float8 + $2; END $$;
    CREATE OPERATOR public.+ (LEFTARG = integer, RIGHTARG = float8, FUNCTION = public.int_f8_add);
    CREATE FUNCTION public.num_int_mul(numeric, integer) RETURNS numeric LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('* (numeric, int)'); RETURN $1 * $2::numeric; END $$;
    CREATE OPERATOR public.* (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = public.num_int_mul);
    CREATE FUNCTION public.f8_num_div(float8, numeric) RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('/ (float8, numeric)'); RETURN $1 / $2::float8; END $$;
    CREATE OPERATOR public./ (LEFTARG = float8, RIGHTARG = numeric, FUNCTION = public.f8_num_div);
    CREATE FUNCTION public.jsonb_build_object(text, jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('jsonb_build_object'); RETURN pg_catalog.jsonb_build_object($1, $2); END $$;
    CREATE FUNCTION public.jsonb_build_object(text, uuid) RETURNS jsonb LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('jsonb_build_object uuid'); RETURN pg_catalog.jsonb_build_object($1, $2); END $$;
    CREATE FUNCTION public.jsonb_build_array(jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('jsonb_build_array'); RETURN pg_catalog.jsonb_build_array($1); END $$;
    CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('format'); RETURN pg_catalog.format($1, $2); END $$;
    CREATE FUNCTION public.power(integer, integer) RETURNS float8 LANGUAGE plpgsql AS $$ BEGIN PERFORM public.evil('power'); RETURN pg_catalog.power($1::float8, $2::float8); END $$;
});
# They are live: postgres's own unqualified SQL resolves to them.
value_as('postgres', q{SELECT 1.0::float8 / 2});
is(value_as('postgres', q{SELECT count(*) FROM public.marker}), '1', "alice's public operator catches a superuser's plain SQL");
value_as('postgres', 'TRUNCATE public.marker; ALTER ROLE alice NOSUPERUSER');
# F3: the positional C search and search_text, cosine and euclidean, with
# where filters (ordinary_work), and F2: the worker backfills 2,000
# records (the bulk path: HNSW index dropped, rebuilt, ANALYZE) and
# re-embeds updates.
value_as('postgres', q{
    SELECT rushdb.create_records('Bulk', (SELECT jsonb_agg(jsonb_build_object('text', 'bulk record ' || i, 'owner', 'public'))
                                         FROM generate_series(1, 2000) i));
    SELECT rushdb.create_index('{"label": "Bulk", "propertyName": "text"}');
});
my $bulk_ix = value_as('postgres', q{SELECT id FROM rushdb.embedding_indexes WHERE label = 'Bulk'});
is(value_as('postgres', qq{SELECT rushdb.wait_for_index('$bulk_ix', 120) ->> 'status'}), 'ready', 'F2: the bulk backfill finished');
value_as('postgres', qq{SELECT rushdb.create_record('Note', '{"text": "launch codes secret epsilon", "owner": "postgres"}')});
$hidden = value_as('postgres', q{SELECT string_agg(id::text, ',') FROM rushdb.records WHERE properties ->> 'owner' = 'postgres'});
still_secure('F2/F3 (public operators and functions)');

# The same names in pg_temp of alice's own session, and temp relations
# named like what the extension's SQL reads, while she calls API paths
# that run as the extension's owner (privileged, the queue triggers).
my ($st, $out, $err) = run_as('alice', qq{
    CREATE FUNCTION pg_temp.jsonb_build_object(text, jsonb) RETURNS jsonb LANGUAGE sql AS \$\$ SELECT '{}'::jsonb WHERE public.evil('pg_temp fn') \$\$;
    CREATE FUNCTION pg_temp.format(text, text) RETURNS text LANGUAGE sql AS \$\$ SELECT \$1 WHERE public.evil('pg_temp format') \$\$;
    CREATE FUNCTION pg_temp.f8_int_div(float8, integer) RETURNS float8 LANGUAGE sql AS \$\$ SELECT \$1 WHERE public.evil('pg_temp op') \$\$;
    CREATE OPERATOR pg_temp./ (LEFTARG = float8, RIGHTARG = integer, FUNCTION = pg_temp.f8_int_div);
    CREATE TEMP VIEW new_rows AS SELECT r.*, public.evil('temp new_rows') AS e FROM rushdb.records r;
    CREATE TEMP VIEW old_rows AS SELECT r.*, public.evil('temp old_rows') AS e FROM rushdb.records r;
    CREATE TEMP VIEW records AS SELECT r.*, public.evil('temp records') AS e FROM rushdb.records r;
    CREATE TEMP VIEW embedding_indexes AS SELECT e.*, public.evil('temp catalog') AS x FROM rushdb.embedding_indexes e;
    CREATE TEMP VIEW embedding_queue AS SELECT 1 AS seq, public.evil('temp queue') AS x;
    CREATE TEMP VIEW u AS SELECT public.evil('temp u') AS x;
    CREATE TEMP VIEW i AS SELECT public.evil('temp i') AS x;
    CREATE TEMP VIEW e AS SELECT public.evil('temp e') AS x;
    SET search_path = pg_temp, public, pg_catalog;
    SELECT rushdb.create_index('{"label": "Note", "propertyName": "title"}');
    SELECT rushdb.create_record('Note', '{"text": "alice note", "title": "t", "owner": "alice"}');
    SELECT rushdb.update_record((SELECT id FROM rushdb.records WHERE properties ->> 'title' = 't'), '{"text": "alice note 2"}');
    SELECT rushdb.create_record('Doc', '{"summary": "s", "owner": "alice", "__vectors": [{"propertyName": "summary", "vector": [1, 2, 3]}]}');
    SELECT rushdb.upsert_vectors('$alice_ix', pg_catalog.format('[{"recordId": "%s", "vector": [3, 2, 1]}]',
        (SELECT id FROM rushdb.records WHERE properties ->> 'summary' = 's'))::jsonb);
    SELECT rushdb.retry_index(id), rushdb.repair_index(id) FROM rushdb.embedding_indexes WHERE owner = 'alice'::regrole AND source_type = 'managed';
    SELECT rushdb.delete_index(id) FROM rushdb.embedding_indexes WHERE owner = 'alice'::regrole AND source_type = 'managed';
    SELECT count(*) FROM rushdb.search('Doc', 'summary', '[1, 2, 3]'::rushdb.vector, 5, 0, '{"summary": "s"}');
});
is($st, 'ok', 'alice works through the API with hostile pg_temp objects') or diag($err);
still_secure('pg_temp functions, operators and temp views');

# A property name is a bound parameter of the filter, never SQL.
state_is('alice', q{SELECT count(*) FROM rushdb.search('Doc', 'body', '[1, 0, 0]'::rushdb.vector, 5, 0,
    '{"body''), public.evil(''filter key'') OR (''": "x", "$or": [{"a\"); SELECT public.evil(); --": {"$exists": true}}]}', 'cosine')},
    'ok', 'a where filter with SQL in its keys runs as a filter');

# --- privileged(): crafted arguments, direct calls -------------------------------

state_is('alice', qq{SELECT rushdb.delete_index('$doc_cos')}, '42501', "alice cannot delete postgres's index");
state_is('alice', qq{SELECT rushdb_internal.privileged('delete_index', '{"indexId": "$doc_cos"}')}, '42501',
    "nor through privileged()");
state_is('alice', qq{SELECT rushdb.retry_index('$note_ix')}, '42501', "alice cannot retry postgres's index");
state_is('alice', qq{SELECT rushdb.repair_index('$note_ix')}, '42501', "alice cannot repair postgres's index");
state_is('bob', qq{SELECT rushdb.delete_index('$alice_ix')}, '42501', "bob cannot delete alice's index");
state_is('alice', q{SELECT rushdb_internal.privileged('drop_everything', '{}')}, '22023', 'unknown operations are refused');
state_is('alice', q{SELECT rushdb_internal.privileged('create_index(x); --', '{}')}, '22023', 'operation names are not SQL');
state_is('alice', q{SELECT rushdb_internal.privileged(NULL, '{}')}, '22004', 'an operation is required');
state_is('mallory', q{SELECT rushdb_internal.privileged('create_index', '{"label": "M", "propertyName": "p",
    "sourceType": "external", "similarityFunction": "cosine", "dimensions": 3}')}, '42501',
    'without EXECUTE on create_index, privileged() creates no index');
state_is('mallory', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$doc_cos"}')}, '42501',
    'a role that may not write records gets an error from store_vectors even without ids');
my $forged = value_as('alice', q{SELECT rushdb_internal.privileged('create_index', '{"label": "Forged", "propertyName": "p",
    "sourceType": "external", "similarityFunction": "cosine", "dimensions": 3, "owner": "postgres",
    "vector_table": "evil", "vectorTable": "evil"}') ->> 'id'});
is(value_as('postgres', qq{SELECT owner::text || ' ' || (vector_table = 'vectors_' || replace(id::text, '-', ''))
    FROM rushdb.embedding_indexes WHERE id = '$forged'}), 'alice true',
    'privileged(create_index) takes neither the owner nor the vector table from its arguments');
state_is('alice', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$doc_cos"}', ARRAY['$hidden_doc']::uuid[],
    ARRAY['[9, 9, 9]']::rushdb.vector[])}, 'P0002', "F5: privileged() writes no vector for a hidden record");
is(error_of('alice', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$doc_cos"}', ARRAY['$hidden_doc']::uuid[],
    ARRAY['[9, 9, 9]']::rushdb.vector[])}),
    error_of('alice', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$doc_cos"}', ARRAY['$missing']::uuid[],
    ARRAY['[9, 9, 9]']::rushdb.vector[])}), 'F5: a hidden record and a missing one get the same error from privileged()');
# A record of hers (so she may change it), of label Note.
my $alice_note = value_as('postgres', q{SELECT id FROM rushdb.records WHERE label = 'Note' AND properties ->> 'owner' = 'alice' LIMIT 1});
state_is('alice', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$doc_cos"}', ARRAY['$public_note']::uuid[],
    ARRAY['[9, 9, 9]']::rushdb.vector[])}, '42501', 'no vector for a record she may not change');
state_is('alice', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$doc_cos"}', ARRAY['$alice_note']::uuid[],
    ARRAY['[9, 9, 9]']::rushdb.vector[])}, '22023', 'no vector for a record of another label');
state_is('alice', qq{SELECT rushdb_internal.privileged('store_vectors', '{"indexId": "$note_ix"}', ARRAY['$alice_note']::uuid[],
    ARRAY[rushdb.embed_text('x', 384)])}, '22023', 'no hand-written vector in a managed index');
for my $f ('op_create_index', 'op_delete_index', 'op_retry_index', 'op_repair_index', 'op_store_vectors')
{
    state_is('alice', qq{SELECT rushdb_internal.$f('postgres', '{"indexId": "$doc_cos"}', NULL, NULL)}, '42501',
        "rushdb_internal.$f cannot be called directly");
}
for my $call ("create_vector_table(e)", "create_vector_index(e)", "build_vector_index(e)", "queue_backfill(e)",
    "check_owner('alice', e, 'x')")
{
    state_is('alice', qq{SELECT rushdb_internal.$call FROM rushdb.embedding_indexes e WHERE id = '$doc_cos'}, '42501',
        "rushdb_internal.$call cannot be called directly");
}
state_is('alice', qq{SELECT rushdb_internal.after_queueing(ARRAY['$note_ix']::uuid[])}, '42501', 'after_queueing is not callable');
state_is('alice', q{SELECT rushdb_internal.wake_embedding_worker()}, '42501', 'wake_embedding_worker is not callable');
state_is('alice', q{SELECT rushdb_internal.queue_inserted_records()}, '42501', 'the queue triggers are not callable');
state_is('alice', q{SELECT rushdb_internal.guard_drop_extension()}, '42501', 'the drop guard is not callable');
still_secure('privileged() and the internal functions');

# --- F5: row-level security ----------------------------------------------------

# A managed index of alice's on a label with hidden records: the worker
# embeds them all (as the owner), but alice reads back only hers.
my $secret_ix = value_as('alice', q{
    BEGIN;
    SELECT rushdb.create_index('{"label": "Secret", "propertyName": "text"}') ->> 'id' AS id \gset
    SELECT :'id' || ' ' || rushdb.index_stats(:'id');
    COMMIT;
});
my ($secret_id, $secret_stats) = split / /, $secret_ix, 2;
like($secret_stats, qr/"pendingRecords": 1\b/, 'F5: index_stats counts only the queued records alice can see');
is(value_as('alice', qq{SELECT rushdb.wait_for_index('$secret_id', 60) ->> 'status'}), 'ready', "alice's managed index on Secret is ready");
is(value_as('postgres', qq{SELECT rushdb.index_stats('$secret_id') ->> 'indexedRecords'}), '3', 'the worker embedded every Secret record');
is(value_as('alice', qq{SELECT rushdb.index_stats('$secret_id') ->> 'indexedRecords'}), '1', 'alice counts only hers');
state_is('alice', qq{INSERT INTO rushdb_internal.embedding_queue (index_id, record_id) VALUES ('$secret_id', '$hidden_doc')},
    '42501', 'F5: nobody queues records by hand');
state_is('alice', q{DELETE FROM rushdb_internal.embedding_queue}, '42501', 'nor removes queued work');
state_is('alice', q{SELECT seq FROM rushdb_internal.embedding_queue}, '42501', 'queue sequence numbers are not readable');
is(value_as('alice', qq{SELECT count(*) FROM rushdb_internal.embedding_queue WHERE record_id = ANY ('{$hidden}')}), '0',
    'the queue shows no hidden record');
value_as('alice', q{SELECT rushdb.start_embedding_worker()});
state_is('alice', "SET row_security = off; SELECT count(*) FROM rushdb_internal.$doc_vt", '42501',
    'row_security = off does not lift the policy of a vector table');
state_is('alice', "SELECT * FROM rushdb.exact_top_k('rushdb_internal.$doc_vt', 'embedding', '[1, 0, 0]', 10, 'cosine')", '0A000',
    'exact_top_k refuses a table with row-level security');
# A leaky function in her WHERE clause sees only rows the policy passed.
value_as('alice', q{CREATE FUNCTION public.peek(uuid, rushdb.vector) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS $$
    BEGIN RAISE NOTICE 'peek % %', $1, $2; RETURN true; END $$});
($st, $out, $err) = run_as('alice', "SELECT count(*) FROM rushdb_internal.$doc_vt WHERE public.peek(record_id, embedding)");
unlike($err, qr/$hidden_doc/, 'F5: a leaky function in a WHERE clause never sees a hidden row');
# Hidden and missing records get the same answers.
for my $t ([ "rushdb.get_record('%s')", 'get_record' ], [ "rushdb.update_record('%s', '{\"a\": 1}')", 'update_record' ],
    [ "rushdb.delete_record('%s')", 'delete_record' ],
    [ "rushdb.upsert_vectors('$doc_cos', ARRAY['%s']::uuid[], ARRAY['[1, 1, 1]']::rushdb.vector[])", 'upsert_vectors' ])
{
    my ($sql, $name) = @$t;
    my $h = error_of('alice', 'SELECT ' . sprintf($sql, $hidden_doc));
    my $m = error_of('alice', 'SELECT ' . sprintf($sql, $missing));
    $h =~ s/$hidden_doc/<id>/g;
    $m =~ s/$missing/<id>/g;
    like($h, qr/^P0002: /, "F5: $name of a hidden record: no data found");
    is($h, $m, "F5: $name: a hidden record and a missing one get the same error");
}
is(value_as('alice', qq{SELECT rushdb.delete_records(ARRAY['$hidden_doc']::uuid[]) ->> 'deleted'}), '0', 'delete_records deletes no hidden record');
($st, $out, my $vault_err) = run_as('alice', q{SELECT rushdb.search('Vault', 'code', '[1, 0, 0]'::rushdb.vector)});
($st, $out, my $nope_err) = run_as('alice', q{SELECT rushdb.search('Nope', 'code', '[1, 0, 0]'::rushdb.vector)});
s/Vault/<label>/g for $vault_err;
s/Nope/<label>/g for $nope_err;
$vault_err =~ s/^LOCATION:.*$//mg;
$nope_err =~ s/^LOCATION:.*$//mg;
is($vault_err, $nope_err, 'F5: "no index" errors tell a label of hidden records from no label at all by nothing');
state_is('alice', q{CREATE TABLE public.probe (id uuid REFERENCES rushdb.records (id))}, '42501',
    'F5: no foreign key of hers probes record ids');
state_is('alice', q{CREATE TABLE public.child () INHERITS (rushdb.records)}, '42501', 'no table of hers inherits from records');
value_as('postgres', "ANALYZE rushdb.records; ANALYZE rushdb_internal.$doc_vt; ANALYZE rushdb_internal.$note_vt");
is(value_as('alice', q{SELECT count(*) FROM pg_stats WHERE schemaname IN ('rushdb', 'rushdb_internal')}), '0',
    'F5: pg_stats shows alice no statistics of tables under row-level security');
state_is('alice', q{SELECT rushdb.create_index('{"label": "Vault", "propertyName": "code", "external": true, "dimensions": 3}')},
    'ok', 'hidden records do not decide (nor reveal) whether a property may be indexed');
still_secure('F5');

# Vectors are part of their record: alice can see the public records but an
# UPDATE policy keeps her off them, so she may not replace their vectors.
state_is('alice', qq{SELECT rushdb.upsert_vectors('$doc_cos', ARRAY['$public_doc']::uuid[], ARRAY['[0, 0, 1]']::rushdb.vector[])},
    '42501', "alice cannot overwrite the vector of a record she may not update");
value_as('postgres', qq{SELECT rushdb.upsert_vectors('$doc_cos', ARRAY['$public_doc']::uuid[], ARRAY['[1, 0, 0]']::rushdb.vector[])});

# --- F6: a huge where filter ------------------------------------------------

# 5,000 identical $and clauses (one parameter, deduplicated): 20,000 reach
# several GB and outlast statement_timeout here, which a shared machine
# should not be put through. The server must stay up.
my $filter = '{"$and": [' . join(',', ('{"body": "x"}') x 5000) . ']}';
($st, $out, $err) = run_as('alice', qq{SET statement_timeout = '20s';
    SELECT count(*) FROM rushdb.search('Doc', 'body', '[1, 0, 0]'::rushdb.vector, 5, 0, '$filter', 'cosine')});
is($st, '54000', 'F6: a filter of 5,000 clauses (over rushdb.max_filter_nodes) is refused before it is planned');
still_secure('F6');

# --- smaller findings of issue 11 (fixed in other branches) -----------------------

# Credentials in the endpoint URL are refused (they belong in the hidden
# key setting), so no role can read them back.
state_is('postgres', q{ALTER SYSTEM SET rushdb.embedding_endpoint = 'http://user:s3cret@127.0.0.1:9/v1'},
    '22023', 'an endpoint URL with credentials is refused');
($st, $out, $err) = run_as('alice', q{SELECT current_setting('rushdb.embedding_endpoint')});
unlike($out . $err, qr/s3cret/, 'the refused credentials are nowhere alice can read');
state_is('alice', "SELECT rushdb.hnsw_verify('rushdb_internal.${doc_vt}_hnsw')", '42501',
    "alice cannot verify postgres's HNSW index");
state_is('postgres', q{SELECT rushdb.search('Doc', 'body', '[0, 0, 0]'::rushdb.vector, 5, 0, '{}', 'cosine')}, '22023',
    'a zero query vector on a cosine index is an error, not NaN scores');
# F7 (the plan cache's bound and report) is tested in sql/search_limits.sql.

# --- documented grants ------------------------------------------------------------

value_as('postgres', q{
    CREATE ROLE reader LOGIN; CREATE ROLE writer LOGIN; CREATE ROLE admin LOGIN; CREATE ROLE nogrant LOGIN;
    GRANT SELECT ON rushdb.records TO reader;
    GRANT SELECT, INSERT, UPDATE, DELETE ON rushdb.records TO writer, admin;
    GRANT EXECUTE ON FUNCTION rushdb.create_index(jsonb), rushdb.create_index(text, text, text, text, integer, text) TO admin;
});
my $search_json = q{SELECT jsonb_array_length(rushdb.search('{"label": "Doc", "propertyName": "body", "queryVector": [1, 0, 0],
    "similarityFunction": "cosine"}')) > 0};
for my $role ('reader', 'writer', 'admin')
{
    is(value_as($role, $search_json), 't', "$role: search (SDK form) finds records");
    state_is($role, q{SELECT count(*) FROM rushdb.search('Doc', 'body', '[1, 0, 0]'::rushdb.vector, 5, 0, '{"owner": "public"}', 'cosine')},
        'ok', "$role: search (positional, with a filter)");
    state_is($role, q{SELECT count(*) FROM rushdb.search_text('Note', 'text', 'launch')}, 'ok', "$role: search_text");
    state_is($role, qq{SELECT rushdb.get_record('$public_doc')}, 'ok', "$role: get_record");
    state_is($role, q{SELECT rushdb.list_indexes()}, 'ok', "$role: list_indexes");
    state_is($role, qq{SELECT rushdb.get_index('$doc_cos')}, 'ok', "$role: get_index");
    state_is($role, qq{SELECT rushdb.index_stats('$note_ix')}, 'ok', "$role: index_stats");
    state_is($role, qq{SELECT rushdb.wait_for_index('$note_ix', 10)}, 'ok', "$role: wait_for_index");
    state_is($role, qq{SELECT rushdb.delete_index('$doc_cos')}, '42501', "$role: delete_index of postgres's index fails");
    state_is($role, qq{SELECT rushdb.retry_index('$note_ix')}, '42501', "$role: retry_index of postgres's index fails");
}
state_is('reader', q{SELECT rushdb.create_record('Doc', '{"body": "r", "owner": "reader"}')}, '42501', 'reader: create_record fails');
state_is('reader', qq{SELECT rushdb.upsert_vectors('$doc_cos', ARRAY['$public_doc']::uuid[], ARRAY['[1, 0, 0]']::rushdb.vector[])},
    '42501', 'reader: upsert_vectors fails');
state_is('reader', qq{SELECT rushdb.delete_record('$public_doc')}, '42501', 'reader: delete_record fails');
state_is('reader', qq{SELECT rushdb.update_record('$public_doc', '{"body": "r"}')}, '42501', 'reader: update_record fails');
for my $role ('reader', 'writer')
{
    state_is($role, q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "x", "external": true, "dimensions": 3}')},
        '42501', "$role: create_index fails");
}
for my $role ('writer', 'admin')
{
    my $rec = value_as($role, qq{SELECT rushdb.create_record('Doc', '{"body": "by $role", "owner": "$role",
        "__vectors": [{"propertyName": "body", "vector": [0, 0, 1], "similarityFunction": "cosine"}]}') ->> '__id'});
    like($rec, qr/^[0-9a-f-]{36}$/, "$role: create_record with inline vectors");
    state_is($role, qq{SELECT rushdb.update_record('$rec', '{"body": "changed"}')}, 'ok', "$role: update_record");
    state_is($role, qq{SELECT rushdb.upsert_vectors('$doc_cos', ARRAY['$rec']::uuid[], ARRAY['[0, 1, 1]']::rushdb.vector[])},
        'ok', "$role: upsert_vectors");
    state_is($role, qq{SELECT rushdb.update_record('$public_doc', '{"body": "changed"}')}, '42501',
        "$role: update_record of a record the policy keeps from it fails");
    is(value_as($role, qq{SELECT rushdb.delete_record('$rec') ->> 'deleted'}), '1', "$role: delete_record");
}
my $admin_ix = value_as('admin', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "admin_prop", "external": true,
    "dimensions": 3}') ->> 'id'});
like($admin_ix, qr/^[0-9a-f-]{36}$/, 'admin: create_index');
state_is('writer', qq{SELECT rushdb.delete_index('$admin_ix')}, '42501', "writer: delete_index of admin's index fails");
state_is('admin', qq{SELECT rushdb.delete_index('$alice_ix')}, '42501', "admin: delete_index of alice's index fails");
state_is('admin', qq{SELECT rushdb.delete_index('$admin_ix')}, 'ok', 'admin: delete_index of its own index');
state_is('nogrant', q{SELECT rushdb.list_indexes()}, 'ok', 'none: list_indexes (the catalog is public)');
state_is('nogrant', qq{SELECT rushdb.get_index('$doc_cos')}, 'ok', 'none: get_index');
state_is('nogrant', qq{SELECT rushdb.wait_for_index('$note_ix', 10)}, 'ok', 'none: wait_for_index');
state_is('nogrant', $search_json, '42501', 'none: search fails');
state_is('nogrant', qq{SELECT rushdb.get_record('$public_doc')}, '42501', 'none: get_record fails');
state_is('nogrant', qq{SELECT rushdb.index_stats('$note_ix')}, '42501', 'none: index_stats fails');
state_is('nogrant', q{SELECT rushdb.create_record('Doc', '{"body": "n", "owner": "nogrant"}')}, '42501', 'none: create_record fails');
state_is('nogrant', qq{SELECT rushdb.upsert_vectors('$doc_cos', ARRAY['$public_doc']::uuid[], ARRAY['[1, 0, 0]']::rushdb.vector[])},
    '42501', 'none: upsert_vectors fails');
state_is('nogrant', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "n", "external": true, "dimensions": 3}')},
    '42501', 'none: create_index fails');
state_is('nogrant', "SELECT count(*) FROM rushdb_internal.$doc_vt", '42501', 'none: a vector table is not readable');
still_secure('documented grants');

$node->stop;
done_testing();
