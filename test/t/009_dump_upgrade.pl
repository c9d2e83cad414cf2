# Backups, upgrades and the extension's life cycle (docs/backup.md):
#  1. pg_dump -Fc | pg_restore into a new database, and pg_dumpall | psql
#     into a new cluster, carry every record, catalog row, queue row and
#     vector; the HNSW indexes are rebuilt and used; searches return the same
#     JSON; hnsw_verify is clean; the worker embeds later writes and the
#     restored queue. A base backup plus archived WAL (what point-in-time
#     recovery replays) gives the same.
#  2. 0.1.0 -> ALTER EXTENSION rushdb UPDATE gives the objects, definitions,
#     privileges and tables of a fresh 0.2.0 install, keeps the records and
#     vectors (the vector tables move to rushdb_internal) and the search
#     results, and the managed index embeds again; a dump of the upgraded
#     database restores with the vector tables' grants.
#  3. an HNSW metapage with another on-disk version is refused with the
#     version and the REINDEX hint (0A000), and REINDEX repairs it.
#  4. logical replication carries the catalog rows but not the vector
#     tables: a search on the subscriber names the missing table and
#     repair_index, which recreates it; a repaired managed index is
#     backfilled there but does not follow later replicated records.
#  5. DROP EXTENSION refuses while records or indexes exist (2BP01); CASCADE
#     removes both schemas and every vector table while the worker is busy,
#     the worker exits without an error, CREATE EXTENSION starts clean.
#  6. DROP DATABASE (without FORCE) succeeds within seconds while the
#     database's embedding worker waits on a slow provider, and no worker
#     is started for the dropped database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Time::HiRes qw(time sleep);

delete @ENV{qw(http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY)};

my $t_start = time;
my %timing;

# --- the fake embeddings server (slow route: 2 s a request) -------------------

my $fake_script = abs_path(dirname(__FILE__) . '/../support/fake_embeddings_server.py');
my $fake_out = '';
my $fake_err = '';
my $fake = IPC::Run::start([ 'python3', $fake_script, '--port', '0', '--slow-seconds', '2' ],
    '<', \undef, '>', \$fake_out, '2>', \$fake_err);
END
{
    local $?;
    eval { $fake->signal('TERM'); $fake->finish; 1 } or eval { $fake->kill_kill } if $fake;
}
{
    my $deadline = time + 30;
    while ($fake_out !~ /PORT (\d+)/)
    {
        die "the fake embeddings server did not start: $fake_err" if time > $deadline || !$fake->pumpable;
        $fake->pump_nb;
        sleep 0.05;
    }
}
$fake_out =~ /PORT (\d+)/;
my $SLOW_URL = "http://127.0.0.1:$1/slow/v1";

# --- nodes -------------------------------------------------------------------

sub new_node
{
    my ($name, %opts) = @_;
    my $n = PostgreSQL::Test::Cluster->new($name);
    $n->init(%opts);
    $n->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'rushdb'
log_statement = none
max_worker_processes = 16
rushdb.embedding_endpoint = '$SLOW_URL'
rushdb.embedding_max_retries = 0
rushdb.embedding_timeout = 30000
rushdb.embedding_request_size = 500
});
    $n->start;
    return $n;
}

# main: the source of the dumps, the upgrade, the publisher.
my $node = new_node('main', allows_streaming => 'logical', has_archiving => 1);
# second: the pg_dumpall target and the logical subscriber.
my $second = new_node('second');
is($node->safe_psql('postgres', 'SHOW data_checksums'), 'off',
    'data checksums are off (part 3 writes a page by hand)');

# --- helpers -------------------------------------------------------------------

sub q1 { my ($n, $db, $sql) = @_; return $n->safe_psql($db, $sql); }

# The ERROR (with SQLSTATE) and HINT lines of a statement that must fail.
sub sql_error
{
    my ($n, $db, $sql) = @_;
    my ($out, $err) = ('', '');
    my $ret = $n->psql($db, $sql, stdout => \$out, stderr => \$err,
        extra_params => [ '-v', 'VERBOSITY=verbose' ]);
    return 'no error' if $ret == 0;
    return join "\n", map { s/^psql:[^:]*:\d+: //r } grep { /^(psql:[^:]*:\d+: )?(ERROR|HINT):/ } split /\n/, $err;
}

# Runs a client program; returns (exit status, stderr).
sub run_prog
{
    my (@cmd) = @_;
    my ($out, $err) = ('', '');
    IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err);
    return ($? >> 8, $err);
}

my $VOCAB = q{'{apple,river,stone,cloud,market,engine,garden,silver,paper,window,forest,ladder,copper,meadow,
    harbor,candle,velvet,thunder,lantern,orchard,ox,sky,ice,elm,fig,jade,kiln,moss,nectar,opal,quartz,saffron,
    tundra,umbrella,violin,walnut,xylophone,yarrow,zephyr,basil}'::text[]};

# Doc records n = from..to: body is 3 to 6 words of $VOCAB picked by md5(n),
# then "item <n>"; n is the number.
sub insert_docs
{
    my ($n, $db, $from, $to) = @_;
    q1($n, $db, qq{
        INSERT INTO rushdb.records (label, properties, proptypes)
        SELECT 'Doc', jsonb_build_object('body', (SELECT string_agg(w[1 + get_byte(decode(md5(i::text), 'hex'), k) % 40], ' '
                                                                    ORDER BY k)
                                                  FROM generate_series(0, 2 + i % 4) k) || ' item ' || i, 'n', i),
               '{"n": "number", "body": "string"}'
        FROM generate_series($from, $to) i, (SELECT $VOCAB AS w) v ORDER BY i});
}

# [sin n, cos n, sin 2n] for every Doc record, written as external vectors.
my $EXT_VECTORS = q{
    SELECT rushdb.upsert_vectors(:'ix', array_agg(id ORDER BY id),
                                 array_agg(ARRAY[sin(n), cos(n), sin(2 * n)]::real[]::rushdb.vector ORDER BY id))
    FROM (SELECT id, (properties ->> 'n')::int AS n FROM rushdb.records WHERE label = 'Doc') r};
sub ext_vectors
{
    my ($n, $db, $ix, $role) = @_;
    my $sql = $EXT_VECTORS =~ s/:'ix'/'$ix'/r;
    $sql = "SET ROLE $role; $sql" if $role;
    return q1($n, $db, $sql);
}

my %QUERIES = (
    ext_plain  => '{"label": "Doc", "propertyName": "body", "queryVector": [0.1, 0.8, 0.3], "limit": 10, "ef": 200}',
    ext_where  => '{"label": "Doc", "propertyName": "body", "queryVector": [-0.5, 0.2, 0.9], "limit": 5, "ef": 200, '
      . '"where": {"n": {"$lt": 1500}}}',
    text_two   => '{"label": "Doc", "propertyName": "body", "query": "river stone", "limit": 10, "ef": 200}',
    text_three => '{"label": "Doc", "propertyName": "body", "query": "copper lantern meadow", "limit": 5, "ef": 200}',
);

sub search_json
{
    my ($n, $db, $params, $role) = @_;
    my $set = $role ? "SET ROLE $role; " : '';
    return q1($n, $db, "${set}SELECT rushdb.search('$params'::jsonb)");
}

sub searches
{
    my ($n, $db) = @_;
    return { map { $_ => search_json($n, $db, $QUERIES{$_}) } keys %QUERIES };
}

# Everything a backup must carry, as comparable strings.
sub state_of
{
    my ($n, $db) = @_;
    my %s;
    $s{records} = q1($n, $db, q{
        SELECT count(*) || ' ' || md5(string_agg(id::text || label || properties::text || proptypes::text
                                                 || created_at::text || updated_at::text, ',' ORDER BY id))
        FROM rushdb.records});
    $s{catalog} = q1($n, $db, q{
        SELECT string_agg(concat_ws(' ', id, label, property_name, source_type, similarity_function, dimensions,
                                    model_key, status, enabled, owner, vector_table), E'\n' ORDER BY id)
        FROM rushdb.embedding_indexes});
    $s{queue} = q1($n, $db, q{
        SELECT count(*) || ' ' || coalesce(string_agg(seq || ':' || index_id || ':' || record_id, ',' ORDER BY seq), '')
        FROM rushdb_internal.embedding_queue});
    $s{'queue sequence'} = q1($n, $db, 'SELECT last_value FROM rushdb_internal.embedding_queue_seq_seq');
    for my $t (split /\n/, q1($n, $db, 'SELECT vector_table FROM rushdb.embedding_indexes ORDER BY id'))
    {
        $s{"vectors $t"} = q1($n, $db, qq{
            SELECT count(*) || ' ' || coalesce(md5(string_agg(record_id::text || embedding::text || updated_at::text,
                                                                ',' ORDER BY record_id)), '')
            FROM rushdb_internal."$t"});
        $s{"indexes $t"} = q1($n, $db, qq{
            SELECT string_agg(indexdef, E'\n' ORDER BY indexname) FROM pg_indexes
            WHERE schemaname = 'rushdb_internal' AND tablename = '$t'});
    }
    return \%s;
}

sub compare_states
{
    my ($got, $want, $what) = @_;
    is(join(',', sort keys %$got), join(',', sort keys %$want), "$what: the same vector tables");
    for my $k (sort keys %$want)
    {
        is($got->{$k}, $want->{$k}, "$what: $k");
    }
}

sub vector_table
{
    my ($n, $db, $id) = @_;
    return q1($n, $db, "SELECT vector_table FROM rushdb.embedding_indexes WHERE id = '$id'");
}

sub wait_status
{
    my ($n, $db, $id, $secs) = @_;
    return q1($n, $db, "SELECT rushdb.wait_for_index('$id', $secs) ->> 'status'");
}

# The plan of the ranked query a search runs (auto_explain of nested statements).
sub search_plan
{
    my ($n, $db, $params) = @_;
    my ($out, $err) = ('', '');
    $n->psql($db, qq{
        LOAD 'auto_explain';
        SET auto_explain.log_min_duration = 0;
        SET auto_explain.log_nested_statements = on;
        SET client_min_messages = log;
        SELECT rushdb.search('$params'::jsonb) IS NOT NULL;}, stdout => \$out, stderr => \$err);
    return $err;
}

# The embedding worker of a database: its pid, '' when none runs.
sub worker_of
{
    my ($n, $db) = @_;
    return q1($n, 'postgres', qq{
        SELECT coalesce((SELECT pid::text FROM pg_stat_activity
                         WHERE backend_type = 'rushdb embedding worker' AND datname = '$db' LIMIT 1), '')});
}

# --- 1. dump and restore ------------------------------------------------------

my $t0 = time;
q1($node, 'postgres', 'CREATE ROLE alice LOGIN; CREATE DATABASE src');
q1($node, 'src', q{
    CREATE EXTENSION rushdb;
    GRANT SELECT, INSERT, UPDATE ON rushdb.records TO alice;
    GRANT EXECUTE ON FUNCTION rushdb.create_index(jsonb), rushdb.create_index(text, text, text, text, integer, text)
        TO alice;});
insert_docs($node, 'src', 1, 3000);
# The external index belongs to alice (the owner column is a regrole).
my $ext = q1($node, 'src', q{SET ROLE alice;
    SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'id'});
is(ext_vectors($node, 'src', $ext, 'alice'), '{"updated": 3000, "requested": 3000}', 'src: 3,000 external vectors written');
my $man = q1($node, 'src', q{SELECT rushdb.create_index('Doc', 'body') ->> 'id'});
is(wait_status($node, 'src', $man, 60), 'ready', 'src: the managed index (builtin-lexical-v1) is ready');
# Two queue rows that stay: a managed index the worker skips (disabled).
my $note = q1($node, 'src', q{SELECT rushdb.create_index('Note', 'title') ->> 'id'});
is(wait_status($node, 'src', $note, 30), 'ready', 'src: the Note index is ready (no records yet)');
q1($node, 'src', qq{
    UPDATE rushdb.embedding_indexes SET enabled = false WHERE id = '$note';
    SELECT rushdb.create_record('Note', '{"title": "queued one"}');
    SELECT rushdb.create_record('Note', '{"title": "queued two"}');});
is(q1($node, 'src', "SELECT count(*) FROM rushdb_internal.embedding_queue WHERE index_id = '$note'"), '2',
    'src: two queue rows wait for the disabled index');
q1($node, 'src', 'ANALYZE');
my ($ext_t, $man_t, $note_t) = map { vector_table($node, 'src', $_) } ($ext, $man, $note);
is(q1($node, 'src', qq{SELECT (SELECT count(*) FROM rushdb_internal."$ext_t") || ' ' || (SELECT count(*) FROM rushdb_internal."$man_t")}),
    '3000 3000', 'src: 3,000 vectors in each Doc index');
my $src_state = state_of($node, 'src');
my $src_search = searches($node, 'src');
like($src_search->{$_}, qr/^\[\{.*"__score"/, "src: search $_ returns scored records") for sort keys %QUERIES;
$timing{'fill src'} = time - $t0;

$t0 = time;
my $tmp = PostgreSQL::Test::Utils::tempdir;
my ($rc, $err) = run_prog('pg_dumpall', '-d', $node->connstr('postgres'), '-f', "$tmp/all.sql");
is("$rc $err", '0 ', 'pg_dumpall: exit status 0, nothing on stderr');
# The script creates every role, the bootstrap superuser too, which any
# cluster has already ("role postgres already exists", PostgreSQL's own
# behaviour): that one statement is left out, so ON_ERROR_STOP catches the rest.
my $all = slurp_file("$tmp/all.sql");
is(scalar(() = $all =~ /^CREATE ROLE postgres;\n/mg), 1, 'the pg_dumpall script creates role postgres once');
$all =~ s/^CREATE ROLE postgres;\n//m;
PostgreSQL::Test::Utils::append_to_file("$tmp/all-but-postgres.sql", $all);
($rc, $err) = run_prog('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $second->connstr('postgres'), '-f', "$tmp/all-but-postgres.sql");
is("$rc $err", '0 ', 'psql (ON_ERROR_STOP) of the pg_dumpall script into the second cluster: exit status 0, no error');
($rc, $err) = run_prog('pg_dump', '-Fc', '-f', "$tmp/src.dump", '-d', $node->connstr('src'));
is("$rc $err", '0 ', 'pg_dump -Fc: exit status 0, nothing on stderr');
q1($node, 'postgres', 'CREATE DATABASE restored');
($rc, $err) = run_prog('pg_restore', '-d', $node->connstr('restored'), "$tmp/src.dump");
is("$rc $err", '0 ', 'pg_restore into a new database: exit status 0, nothing on stderr');
$timing{'dump + restore'} = time - $t0;

for my $target ([ $node, 'restored', 'pg_restore' ], [ $second, 'src', 'pg_dumpall' ])
{
    my ($n, $db, $how) = @$target;
    compare_states(state_of($n, $db), $src_state, "$how");
    q1($n, $db, 'ANALYZE');
    like(search_plan($n, $db, $QUERIES{ext_plain}), qr/Index Scan using \Q${ext_t}_hnsw\E on \Q$ext_t\E v\b/,
        "$how: an external search scans the rushdb_hnsw index");
    like(search_plan($n, $db, $QUERIES{text_two}), qr/Index Scan using \Q${man_t}_hnsw\E on \Q$man_t\E v\b/,
        "$how: a text search scans the managed index's rushdb_hnsw index");
    for my $t ($ext_t, $man_t, $note_t)
    {
        is(q1($n, $db, "SELECT count(*) FROM rushdb.hnsw_verify('rushdb_internal.${t}_hnsw')"), '0',
            "$how: hnsw_verify of ${t}_hnsw is clean");
    }
    my $got = searches($n, $db);
    is($got->{$_}, $src_search->{$_}, "$how: search $_ returns the same JSON") for sort keys %QUERIES;
    is(search_json($n, $db, $QUERIES{ext_plain}, 'alice'), $src_search->{ext_plain},
        "$how: alice (no superuser) gets the same external search");

    # A later write is embedded again.
    my $rec = q1($n, $db, q{SELECT id FROM rushdb.records WHERE properties ->> 'n' = '7'});
    my $old = q1($n, $db, qq{SELECT embedding::text FROM rushdb_internal."$man_t" WHERE record_id = '$rec'});
    q1($n, $db, qq{SELECT rushdb.update_record('$rec', '{"body": "zephyr basil walnut item 99999"}')});
    is(wait_status($n, $db, $man, 60), 'ready', "$how: the managed index is ready again after a write");
    is(q1($n, $db, qq{SELECT v.embedding::text = rushdb.embed_text('zephyr basil walnut item 99999', 384)::text
                               AND v.embedding::text <> '$old'
                        FROM rushdb_internal."$man_t" v WHERE v.record_id = '$rec'}),
        't', "$how: the written record's vector is the embedding of its new body");
    # The restored queue rows are embedded once the index is enabled.
    q1($n, $db, "UPDATE rushdb.embedding_indexes SET enabled = true WHERE id = '$note'");
    is(wait_status($n, $db, $note, 60), 'ready', "$how: the Note index, enabled, is ready");
    is(q1($n, $db, qq{SELECT (SELECT count(*) FROM rushdb_internal."$note_t") || ' '
                               || (SELECT count(*) FROM rushdb_internal.embedding_queue)}),
        '2 0', "$how: the two restored queue rows were embedded; the queue is empty");
}
# What a restore leaves until its last step: a vector table without row-level
# security (or without its primary key). The worker leaves it alone.
q1($node, 'restored', qq{ALTER TABLE rushdb_internal."$note_t" DISABLE ROW LEVEL SECURITY;
                         SELECT rushdb.create_record('Note', '{"title": "queued three"}');
                         SELECT rushdb.start_embedding_worker();});
sleep 1.5;
is(q1($node, 'restored', qq{SELECT (SELECT count(*) FROM rushdb_internal.embedding_queue) || ' ' || status || ' ' || failures
                            FROM rushdb.embedding_indexes WHERE id = '$note'}),
    '1 ready 0', 'restored: the worker leaves a vector table without row-level security alone (no failure)');
q1($node, 'restored', qq{ALTER TABLE rushdb_internal."$note_t" ENABLE ROW LEVEL SECURITY});
is(wait_status($node, 'restored', $note, 60), 'ready', 'restored: with row-level security back, the record is embedded');
is(q1($node, 'restored', qq{SELECT count(*) FROM rushdb_internal."$note_t"}), '3', 'restored: three Note vectors');
$timing{'restore checks'} = time - $t0 - $timing{'dump + restore'};

# --- 1b. base backup + archived WAL (point-in-time recovery) -------------------

$t0 = time;
$node->backup('base');
# Writes after the base backup reach the copy only through the archived WAL:
# a managed re-embedding (the worker's HNSW inserts) and an external vector.
my $rec8 = q1($node, 'src', q{SELECT id FROM rushdb.records WHERE properties ->> 'n' = '8'});
my $rec9 = q1($node, 'src', q{SELECT id FROM rushdb.records WHERE properties ->> 'n' = '9'});
q1($node, 'src', qq{SELECT rushdb.update_record('$rec8', '{"body": "walnut violin opal item 8"}')});
q1($node, 'src', qq{SET ROLE alice; SELECT rushdb.upsert_vectors('$ext', ARRAY['$rec9']::uuid[], ARRAY['[0.1, 0.8, 0.3]']::rushdb.vector[])});
is(wait_status($node, 'src', $man, 60), 'ready', 'src: the write after the base backup is embedded');
my $pitr_state = state_of($node, 'src');
my $pitr_search = searches($node, 'src');
my $last_wal = q1($node, 'src', 'SELECT pg_walfile_name(pg_current_wal_lsn())');
q1($node, 'src', 'SELECT pg_switch_wal()');
$node->poll_query_until('postgres', "SELECT last_archived_wal >= '$last_wal' FROM pg_stat_archiver")
  or die 'the WAL was not archived';
my $pitr = PostgreSQL::Test::Cluster->new('pitr');
$pitr->init_from_backup($node, 'base', has_restoring => 1, standby => 0);
$pitr->append_conf('postgresql.conf', 'archive_mode = off');
$pitr->start;
$pitr->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'the recovery did not end';
my $pitr_got_state = state_of($pitr, 'src');
# Recovery advances a sequence past what it had logged (PostgreSQL logs 32
# values ahead): the queue's next seq may only be higher.
my $seq_after = delete $pitr_got_state->{'queue sequence'};
my $seq_before = delete $pitr_state->{'queue sequence'};
ok($seq_after >= $seq_before, "base backup + archived WAL: the queue sequence is not behind ($seq_after >= $seq_before)");
compare_states($pitr_got_state, $pitr_state, 'base backup + archived WAL');
like($pitr_search->{ext_plain}, qr/\Q$rec9\E/, 'src: the external vector written after the backup is found');
my $pitr_got = searches($pitr, 'src');
is($pitr_got->{$_}, $pitr_search->{$_}, "base backup + archived WAL: search $_ returns the same JSON") for sort keys %QUERIES;
for my $t ($ext_t, $man_t)
{
    is(q1($pitr, 'src', "SELECT count(*) FROM rushdb.hnsw_verify('rushdb_internal.${t}_hnsw')"), '0',
        "base backup + archived WAL: hnsw_verify of ${t}_hnsw is clean");
}
$pitr->stop;
$timing{'base backup + WAL'} = time - $t0;

# --- 2. upgrade 0.1.0 -> 0.2.0 ---------------------------------------------------

$t0 = time;
# Members of the extension with what defines them; the same on an upgraded
# and a fresh install. Initial privileges (pg_init_privs, what pg_dump
# compares ACLs with) are shown as their effective value: none recorded
# means the object's default.
my $DEFINITIONS = q{
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'rushdb'),
m AS (SELECT d.classid, d.objid FROM pg_depend d, ext
      WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
tabs AS (SELECT unnest(ARRAY['rushdb.records', 'rushdb.embedding_indexes', 'rushdb_internal.embedding_queue']::regclass[]) AS rel)
SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0)
       || coalesce(' comment=' || md5((SELECT x.description FROM pg_description x
                                       WHERE x.classoid = m.classid AND x.objoid = m.objid AND x.objsubid = 0)), '')
       || CASE m.classid
          WHEN 'pg_proc'::regclass THEN (SELECT concat(' owner=', proowner::regrole, ' acl=', proacl,
                  ' init=', coalesce(i.initprivs, acldefault('f', proowner)),
                  ' def=', CASE WHEN prokind = 'a' THEN (SELECT concat_ws(' ', aggtransfn, aggfinalfn, aggcombinefn,
                                                                 aggtranstype::regtype, agginitval)
                                                          FROM pg_aggregate WHERE aggfnoid = p.oid)
                                ELSE md5(pg_get_functiondef(p.oid)) END)
                FROM pg_proc p LEFT JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = p.oid AND i.objsubid = 0
                WHERE p.oid = m.objid)
          WHEN 'pg_class'::regclass THEN (SELECT concat(' kind=', relkind, ' owner=', relowner::regrole, ' acl=', relacl,
                  ' init=', coalesce(i.initprivs, acldefault((CASE relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", relowner)),
                  ' rls=', relrowsecurity, '/', relforcerowsecurity)
                FROM pg_class c LEFT JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = c.oid AND i.objsubid = 0
                WHERE c.oid = m.objid)
          WHEN 'pg_namespace'::regclass THEN (SELECT concat(' owner=', nspowner::regrole, ' acl=', nspacl,
                  ' init=', coalesce(i.initprivs, acldefault('n', nspowner)))
                FROM pg_namespace s LEFT JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = s.oid AND i.objsubid = 0
                WHERE s.oid = m.objid)
          WHEN 'pg_type'::regclass THEN (SELECT concat(' owner=', typowner::regrole, ' acl=', typacl,
                  ' storage=', typstorage, ' align=', typalign, ' len=', typlen,
                  ' category=', typcategory, ' preferred=', typispreferred)
                FROM pg_type WHERE oid = m.objid)
          WHEN 'pg_operator'::regclass THEN (SELECT concat(' code=', oprcode, ' com=', oprcom::regoperator,
                  ' neg=', oprnegate::regoperator, ' rest=', oprrest, ' join=', oprjoin, ' merges=', oprcanmerge)
                FROM pg_operator WHERE oid = m.objid)
          WHEN 'pg_cast'::regclass THEN (SELECT concat(' func=', castfunc::regprocedure, ' context=', castcontext,
                  ' method=', castmethod) FROM pg_cast WHERE oid = m.objid)
          WHEN 'pg_opclass'::regclass THEN (SELECT concat(' default=', opcdefault, ' members=',
                  (SELECT string_agg(concat(amopstrategy, ':', amopopr::regoperator, ':', amoppurpose, ':',
                                            amopsortfamily), ',' ORDER BY amopstrategy)
                   FROM pg_amop WHERE amopfamily = opcfamily),
                  ' procs=', (SELECT string_agg(concat(amprocnum, ':', amproc::regprocedure), ',' ORDER BY amprocnum)
                              FROM pg_amproc WHERE amprocfamily = opcfamily))
                FROM pg_opclass WHERE oid = m.objid)
          ELSE '' END
FROM m
UNION ALL
SELECT 'depends ' || pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) || ' ' || d.deptype::text
FROM pg_depend d, ext WHERE d.classid = 'pg_extension'::regclass AND d.objid = ext.oid
UNION ALL
SELECT 'extension ' || concat_ws(' ', extversion, extnamespace::regnamespace, extowner::regrole, extrelocatable,
       (SELECT string_agg(c::regclass::text || '=' || coalesce(extcondition[o], ''), ',' ORDER BY c::regclass::text)
        FROM unnest(extconfig) WITH ORDINALITY u(c, o)))
FROM pg_extension WHERE extname = 'rushdb'
UNION ALL
SELECT 'column ' || attrelid::regclass || '.' || attname || ' ' || format_type(atttypid, atttypmod)
       || ' notnull=' || attnotnull || ' default=' || coalesce(pg_get_expr(adbin, adrelid), '-')
       || ' identity=' || attidentity::text || coalesce(' comment=' || col_description(attrelid, attnum), '')
FROM tabs JOIN pg_attribute ON attrelid = tabs.rel LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
WHERE attnum > 0 AND NOT attisdropped
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(c.oid)
FROM tabs JOIN pg_constraint c ON c.conrelid = tabs.rel
UNION ALL
SELECT 'index ' || pg_get_indexdef(indexrelid) FROM tabs JOIN pg_index ON indrelid = tabs.rel
UNION ALL
SELECT 'policy ' || polrelid::regclass || ' ' || polname || ' ' || pg_get_expr(polqual, polrelid)
FROM tabs JOIN pg_policy ON polrelid = tabs.rel
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM tabs JOIN pg_trigger t ON t.tgrelid = tabs.rel AND NOT t.tgisinternal
UNION ALL
SELECT 'event trigger ' || concat_ws(' ', evtname, evtevent, evtfoid::regproc, evtenabled, evttags) FROM pg_event_trigger
ORDER BY 1};

# The vector tables, with index ids and table names blanked out.
my $VECTOR_TABLES = q{
WITH t AS (SELECT c.oid, e.source_type AS kind FROM pg_class c JOIN rushdb.embedding_indexes e ON e.vector_table = c.relname
           WHERE c.relnamespace = 'rushdb_internal'::regnamespace),
lines AS (
    SELECT kind, concat('table kind=', relkind, ' owner=', relowner::regrole, ' acl=', relacl,
                        ' init=', (SELECT initprivs FROM pg_init_privs i WHERE i.classoid = 'pg_class'::regclass AND i.objoid = c.oid),
                        ' rls=', relrowsecurity, '/', relforcerowsecurity, ' comment=', obj_description(c.oid, 'pg_class'),
                        ' member=', EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                            AND d.objid = c.oid AND d.deptype = 'e')) AS line
    FROM t JOIN pg_class c ON c.oid = t.oid
    UNION ALL
    SELECT kind, 'column ' || attname || ' ' || format_type(atttypid, atttypmod) || ' notnull=' || attnotnull
                 || ' default=' || coalesce(pg_get_expr(adbin, adrelid), '-')
    FROM t JOIN pg_attribute ON attrelid = t.oid LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
    WHERE attnum > 0 AND NOT attisdropped
    UNION ALL
    SELECT kind, 'constraint ' || conname || ' ' || pg_get_constraintdef(k.oid) FROM t JOIN pg_constraint k ON k.conrelid = t.oid
    UNION ALL
    SELECT kind, 'index ' || pg_get_indexdef(indexrelid) FROM t JOIN pg_index ON indrelid = t.oid
    UNION ALL
    SELECT kind, concat('policy ', polname, ' ', polcmd, ' ', polpermissive, ' ', polroles::regrole[], ' ',
                        pg_get_expr(polqual, polrelid), ' ', pg_get_expr(polwithcheck, polrelid))
    FROM t JOIN pg_policy ON polrelid = t.oid
    UNION ALL
    SELECT kind, 'trigger ' || tgname FROM t JOIN pg_trigger g ON g.tgrelid = t.oid AND NOT g.tgisinternal
    UNION ALL
    SELECT kind, 'rule ' || rulename FROM t JOIN pg_rewrite r ON r.ev_class = t.oid)
SELECT kind || ' ' || regexp_replace(line, '[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'X', 'g')
FROM lines ORDER BY 1};

sub lines_only_in
{
    my ($a, $b) = @_;
    my %in_b = map { $_ => 1 } split /\n/, $b;
    return join "\n", grep { !$in_b{$_} } split /\n/, $a;
}

# The ranked rows a search returns, computed by hand from the tables (what
# rushdb.search runs, without an index): works in a 0.1.0 database too.
sub raw_search
{
    my ($n, $db, $schema, $table, $query, $limit) = @_;
    return q1($n, $db, qq{
        SELECT jsonb_agg(x ORDER BY d) FROM (
            SELECT r.properties || jsonb_build_object('__id', r.id, '__label', r.label, '__proptypes', r.proptypes)
                   || jsonb_build_object('__score', 1 - (v.embedding OPERATOR(rushdb.<=>) $query) / 2) AS x,
                   v.embedding OPERATOR(rushdb.<=>) $query AS d
            FROM $schema."$table" v JOIN rushdb.records r ON r.id = v.record_id
            WHERE r.label = 'Doc' ORDER BY d LIMIT $limit) s});
}
my %RAW = (
    ext_plain => [ q{'[0.1, 0.8, 0.3]'::rushdb.vector}, 10 ],
    text_two  => [ q{rushdb.embed_text('river stone', 384, 'builtin-lexical-v1')}, 10 ],
);

q1($node, 'postgres', 'CREATE DATABASE up; CREATE DATABASE fresh');
q1($node, 'up', q{
    CREATE EXTENSION rushdb VERSION '0.1.0';
    -- what 0.1.0 needed for a role to create and fill an index
    GRANT USAGE, CREATE ON SCHEMA rushdb TO alice;
    GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON rushdb.records, rushdb.embedding_indexes TO alice;
    GRANT SELECT ON rushdb.embedding_queue TO alice;});
is(q1($node, 'up', q{SELECT extversion || ' ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'rushdb'}),
    '0.1.0 rushdb', 'up: rushdb 0.1.0 installed in schema rushdb');
insert_docs($node, 'up', 1, 500);
my $up_ext = q1($node, 'up', q{SET ROLE alice;
    SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'id'});
is(ext_vectors($node, 'up', $up_ext, 'alice'), '{"updated": 500, "requested": 500}', 'up (0.1.0): 500 external vectors written by alice');
my $up_man = q1($node, 'up', q{SELECT rushdb.create_index('Doc', 'body') ->> 'id'});
my ($up_ext_t, $up_man_t) = map { vector_table($node, 'up', $_) } ($up_ext, $up_man);
# This build's worker serves 0.2.0 databases only: it leaves the 0.1.0
# backfill alone. Do what the 0.1.0 worker did (same built-in model).
sleep 1;
is(q1($node, 'up', qq{SELECT count(*) || ' ' || (SELECT status FROM rushdb.embedding_indexes WHERE id = '$up_man')
                       FROM rushdb.embedding_queue WHERE index_id = '$up_man'}),
    '500 pending', 'up (0.1.0): the backfill stays queued (the 0.2.0 worker waits for the update)');
q1($node, 'up', qq{
    INSERT INTO rushdb."$up_man_t" (record_id, embedding)
    SELECT id, rushdb.embed_text(properties ->> 'body', 384, 'builtin-lexical-v1') FROM rushdb.records;
    DELETE FROM rushdb.embedding_queue;
    UPDATE rushdb.embedding_indexes SET status = 'ready' WHERE id = '$up_man';});
# A write the 0.1.0 trigger queues, embedded only after the update.
my $up_rec11 = q1($node, 'up', q{SELECT id FROM rushdb.records WHERE properties ->> 'n' = '11'});
q1($node, 'up', qq{UPDATE rushdb.records SET properties = properties || '{"body": "zephyr basil item 77777"}'
                   WHERE id = '$up_rec11'});
is(q1($node, 'up', "SELECT count(*) FROM rushdb.embedding_queue"), '1', 'up (0.1.0): the write queued one row');
is(sql_error($node, 'up', "SELECT rushdb.search('$QUERIES{ext_plain}'::jsonb)"),
    'ERROR:  3F000: schema "rushdb_internal" does not exist',
    'up (0.1.0): with the 0.2.0 library installed, search fails until ALTER EXTENSION UPDATE');
my $pre_records = q1($node, 'up', q{SELECT count(*) || ' ' || md5(string_agg(id::text || properties::text, ',' ORDER BY id)) FROM rushdb.records});
# The vectors but the queued record's (the worker may embed it any time after the update).
my $VECTORS_SUM = qq{SELECT count(*) || ' ' || md5(string_agg(record_id::text || embedding::text, ',' ORDER BY record_id))
                     FROM %s WHERE record_id <> '$up_rec11'};
my %pre_vectors = map { $_ => q1($node, 'up', sprintf($VECTORS_SUM, qq{rushdb."$_"})) } ($up_ext_t, $up_man_t);
my %pre_raw = (ext_plain => raw_search($node, 'up', 'rushdb', $up_ext_t, @{ $RAW{ext_plain} }),
               text_two  => raw_search($node, 'up', 'rushdb', $up_man_t, @{ $RAW{text_two} }));
unlike($pre_raw{text_two}, qr/\Q$up_rec11\E/, 'up: the queued record is not among the text search results');

q1($node, 'up', 'ALTER EXTENSION rushdb UPDATE');
is(q1($node, 'up', q{SELECT extversion || ' ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'rushdb'}),
    '0.2.0 pg_catalog', 'up: ALTER EXTENSION rushdb UPDATE goes to 0.2.0');

q1($node, 'fresh', q{
    CREATE EXTENSION rushdb;
    GRANT SELECT, INSERT, UPDATE, DELETE, REFERENCES ON rushdb.records TO alice;
    GRANT EXECUTE ON FUNCTION rushdb.create_index(jsonb), rushdb.create_index(text, text, text, text, integer, text)
        TO alice;});
insert_docs($node, 'fresh', 1, 10);
q1($node, 'fresh', q{SET ROLE alice;
    SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}')});
q1($node, 'fresh', q{SELECT rushdb.create_index('Doc', 'body');
    -- after the upgrade nobody but the superuser may create indexes until granted
    REVOKE EXECUTE ON FUNCTION rushdb.create_index(jsonb), rushdb.create_index(text, text, text, text, integer, text)
        FROM alice;});

is($node->safe_psql('up', '\dx+ rushdb'), $node->safe_psql('fresh', '\dx+ rushdb'),
    'upgraded and fresh: the same \dx+ rushdb object list');
my $up_defs = q1($node, 'up', $DEFINITIONS);
my $fresh_defs = q1($node, 'fresh', $DEFINITIONS);
like($fresh_defs, qr/^member function rushdb\.search\(jsonb\) comment=/m, 'the definition listing lists functions');
is(lines_only_in($up_defs, $fresh_defs), '', 'upgraded: no member, definition, ACL, comment or table line a fresh install lacks');
is(lines_only_in($fresh_defs, $up_defs), '', 'fresh: no member, definition, ACL, comment or table line the upgrade lacks');
# Without any grant in 0.1.0 too (the ACLs 0.1.0 never set are NULL).
q1($node, 'postgres', 'CREATE DATABASE up_plain; CREATE DATABASE fresh_plain');
q1($node, 'up_plain', q{CREATE EXTENSION rushdb VERSION '0.1.0'; ALTER EXTENSION rushdb UPDATE});
q1($node, 'fresh_plain', 'CREATE EXTENSION rushdb');
is(q1($node, 'up_plain', $DEFINITIONS), q1($node, 'fresh_plain', $DEFINITIONS),
    'a 0.1.0 database without grants, updated, has exactly the definitions and ACLs of a fresh install');
my $up_vt = q1($node, 'up', $VECTOR_TABLES);
is($up_vt, q1($node, 'fresh', $VECTOR_TABLES), 'upgraded and fresh: the same vector tables (columns, keys, indexes, policy, grants)');

is(q1($node, 'up', q{SELECT string_agg(n.nspname || ':' || count, ' ' ORDER BY n.nspname) FROM (
        SELECT relnamespace, count(*) FROM pg_class WHERE relname LIKE 'vectors\_%' GROUP BY 1) c
        JOIN pg_namespace n ON n.oid = c.relnamespace}),
    'rushdb_internal:6', 'up: both vector tables (with key and HNSW index) moved to rushdb_internal');
is(q1($node, 'up', q{SELECT string_agg(source_type || ':' || owner || ':' || status, ' ' ORDER BY source_type) FROM rushdb.embedding_indexes}),
    'external:alice:ready managed:postgres:ready', 'up: the catalog rows keep their status and name their owners');
is(q1($node, 'up', q{SELECT concat_ws(' ', has_schema_privilege('alice', 'rushdb', 'CREATE'),
                                 has_table_privilege('alice', 'rushdb.embedding_indexes', 'INSERT'),
                                 has_table_privilege('alice', 'rushdb.embedding_indexes', 'SELECT'),
                                 has_table_privilege('alice', 'rushdb.records', 'INSERT'))}),
    'f f t t', 'up: alice lost CREATE on rushdb and writes to the catalog, kept her grants on records');
is(q1($node, 'up', q{SELECT count(*) || ' ' || md5(string_agg(id::text || properties::text, ',' ORDER BY id)) FROM rushdb.records}),
    $pre_records, 'up: every record survives');
for my $t ($up_ext_t, $up_man_t)
{
    is(q1($node, 'up', sprintf($VECTORS_SUM, qq{rushdb_internal."$t"})), $pre_vectors{$t},
        "up: every vector of $t survives (499 compared: all but the queued record's)");
}
is(raw_search($node, 'up', 'rushdb_internal', $up_ext_t, @{ $RAW{ext_plain} }), $pre_raw{ext_plain},
    'up: the external ranking is unchanged');
for my $mode ('exact', 'auto')
{
    my $p = $QUERIES{ext_plain} =~ s/\}$/, "mode": "$mode"}/r;
    is(search_json($node, 'up', $p), $pre_raw{ext_plain},
        "up: rushdb.search ($mode) returns the 0.1.0 ranking of the external index");
    $p = $QUERIES{text_two} =~ s/\}$/, "mode": "$mode"}/r;
    is(search_json($node, 'up', $p), $pre_raw{text_two}, "up: rushdb.search ($mode) returns the 0.1.0 ranking for a text query");
}
is(search_json($node, 'up', $QUERIES{ext_plain}, 'alice'), $pre_raw{ext_plain}, 'up: alice gets the same external search');
for my $t ($up_ext_t, $up_man_t)
{
    is(q1($node, 'up', "SELECT count(*) FROM rushdb.hnsw_verify('rushdb_internal.${t}_hnsw')"), '0',
        "up: the HNSW index built under 0.1.0 is read without REINDEX (hnsw_verify of ${t}_hnsw clean)");
}
is(wait_status($node, 'up', $up_man, 60), 'ready', 'up: the managed index embeds the row queued before the update');
is(q1($node, 'up', qq{SELECT embedding::text = rushdb.embed_text('zephyr basil item 77777', 384)::text
                       FROM rushdb_internal."$up_man_t" WHERE record_id = '$up_rec11'}),
    't', 'up: the record written under 0.1.0 has the embedding of its new body');
my $up_rec12 = q1($node, 'up', q{SELECT id FROM rushdb.records WHERE properties ->> 'n' = '12'});
q1($node, 'up', qq{SELECT rushdb.update_record('$up_rec12', '{"body": "saffron tundra item 88888"}')});
is(wait_status($node, 'up', $up_man, 60), 'ready', 'up: ready again after a write under 0.2.0');
is(q1($node, 'up', qq{SELECT embedding::text = rushdb.embed_text('saffron tundra item 88888', 384)::text
                       FROM rushdb_internal."$up_man_t" WHERE record_id = '$up_rec12'}),
    't', 'up: a write after the update is re-embedded');

# A dump of the upgraded database restores the vector tables' grants.
my $up_dump = "$tmp/up.sql";
($rc, $err) = run_prog('pg_dump', '-f', $up_dump, '-d', $node->connstr('up'));
is("$rc $err", '0 ', 'pg_dump of the upgraded database: exit status 0, no warning');
my $dumped = slurp_file($up_dump);
is(join(' ', map { $dumped =~ /^GRANT SELECT ON TABLE rushdb_internal\.\Q$_\E TO PUBLIC;$/m ? 1 : 0 } ($up_ext_t, $up_man_t)),
    '1 1', 'the dump grants SELECT on both vector tables to PUBLIC');
q1($node, 'postgres', 'CREATE DATABASE uprest');
($rc, $err) = run_prog('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('uprest'), '-f', $up_dump);
is("$rc $err", '0 ', 'the dump of the upgraded database restores without an error');
is(search_json($node, 'uprest', $QUERIES{ext_plain}, 'alice'), search_json($node, 'up', $QUERIES{ext_plain}, 'alice'),
    'restored upgraded database: alice gets the same external search');
$timing{upgrade} = time - $t0;

# --- 3. an HNSW index of another on-disk version ----------------------------------

$t0 = time;
my $ext_idx = "${ext_t}_hnsw";
my $idx_file = $node->data_dir . '/' . q1($node, 'src', "SELECT pg_relation_filepath('rushdb_internal.$ext_idx')");
my $started = q1($node, 'postgres', 'SELECT pg_postmaster_start_time()');
$node->stop;
# MetaPageData (src/pg/hnsw_page.hpp) starts right after the page header,
# MAXALIGN(SizeOfPageHeaderData) = 24 bytes into block 0: magic, then version.
open(my $fh, '+<', $idx_file) or die "open $idx_file: $!";
binmode $fh;
sysseek($fh, 24, 0);
sysread($fh, my $meta, 8);
my ($magic, $version) = unpack('VV', $meta);
is(sprintf('%08x %d', $magic, $version), '52484e57 1', 'the metapage holds the magic "RHNW" and version 1 at offset 24');
sysseek($fh, 28, 0);
syswrite($fh, pack('V', 7));
close $fh;
$node->start;
my $log_offset = -s $node->logfile;
$started = q1($node, 'postgres', 'SELECT pg_postmaster_start_time()');
my $VERSION_ERROR = qq{ERROR:  0A000: index "$ext_idx" has on-disk version 7; this build reads version 1\nHINT:  REINDEX the index.};
my $ann = $QUERIES{ext_plain} =~ s/\}$/, "mode": "ann"}/r;
is(sql_error($node, 'src', "SELECT rushdb.search('$ann'::jsonb)"), $VERSION_ERROR,
    'a search over the index names its version and says REINDEX (0A000)');
is(sql_error($node, 'src', "SELECT * FROM rushdb.hnsw_verify('rushdb_internal.$ext_idx')"), $VERSION_ERROR,
    'hnsw_verify raises the same error');
my $rec5 = q1($node, 'src', q{SELECT id FROM rushdb.records WHERE properties ->> 'n' = '5'});
is(sql_error($node, 'src', "SET ROLE alice; SELECT rushdb.upsert_vectors('$ext', ARRAY['$rec5']::uuid[], ARRAY['[1,0,0]']::rushdb.vector[])"),
    $VERSION_ERROR, 'an insert into the index raises the same error');
is(q1($node, 'postgres', 'SELECT pg_postmaster_start_time()'), $started, 'no crash: the server did not restart');
unlike(slurp_file($node->logfile, $log_offset), qr/terminated by signal|PANIC/, 'no crash: the log has no signal or PANIC');
q1($node, 'src', "REINDEX INDEX rushdb_internal.$ext_idx");
is(search_json($node, 'src', $QUERIES{ext_plain}), $pitr_search->{ext_plain}, 'after REINDEX the search returns the same JSON');
is(q1($node, 'src', "SELECT count(*) FROM rushdb.hnsw_verify('rushdb_internal.$ext_idx')"), '0', 'after REINDEX hnsw_verify is clean');
$timing{'format version'} = time - $t0;

# --- 4. logical replication ---------------------------------------------------------

$t0 = time;
q1($node, 'postgres', 'CREATE DATABASE pubdb');
q1($second, 'postgres', 'CREATE DATABASE subdb');
q1($_->[0], $_->[1], 'CREATE EXTENSION rushdb') for ([ $node, 'pubdb' ], [ $second, 'subdb' ]);
insert_docs($node, 'pubdb', 1, 50);
q1($node, 'pubdb', 'CREATE PUBLICATION rushdb_pub FOR TABLE rushdb.records, rushdb.embedding_indexes');
my $pub_conn = $node->connstr . ' dbname=pubdb';
q1($second, 'subdb', "CREATE SUBSCRIPTION rushdb_sub CONNECTION '$pub_conn' PUBLICATION rushdb_pub");
$second->wait_for_subscription_sync($node, 'rushdb_sub', 'subdb');
my $rep = q1($node, 'pubdb', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'id'});
ext_vectors($node, 'pubdb', $rep);
$node->wait_for_catchup('rushdb_sub');
my $rep_t = vector_table($node, 'pubdb', $rep);
is(q1($second, 'subdb', qq{SELECT (SELECT count(*) FROM rushdb.records) || ' ' || status || ' '
                             || (to_regclass('rushdb_internal.$rep_t') IS NULL)
                            FROM rushdb.embedding_indexes WHERE id = '$rep'}),
    '50 ready true', 'subscriber: the records and the index row arrived, its vector table did not');
my $rep_query = '{"label": "Doc", "propertyName": "body", "queryVector": [0.1, 0.8, 0.3], "limit": 5}';
is(sql_error($second, 'subdb', "SELECT rushdb.search('$rep_query'::jsonb)"),
    qq{ERROR:  42P01: the vector table rushdb_internal.$rep_t of embedding index $rep does not exist\n}
      . qq{HINT:  Run SELECT rushdb.repair_index('$rep') to recreate it.},
    'subscriber: a search names the missing vector table and repair_index (42P01)');
is(q1($second, 'subdb', "SELECT rushdb.repair_index('$rep')"), qq{{"id": "$rep", "repaired": true}},
    'subscriber: repair_index recreates the vector table');
is(ext_vectors($second, 'subdb', $rep), '{"updated": 50, "requested": 50}', 'subscriber: vectors written there');
is(search_json($second, 'subdb', $rep_query), search_json($node, 'pubdb', $rep_query),
    'subscriber: the search returns what the publisher returns');
# A managed index: repaired on the subscriber it is backfilled there, but
# records that replication applies later are not queued: the queue triggers
# are statement triggers, which logical replication never fires (not even
# ENABLE ALWAYS).
my $rep_man = q1($node, 'pubdb', q{SELECT rushdb.create_index('Doc', 'body') ->> 'id'});
$node->wait_for_catchup('rushdb_sub');
is(q1($second, 'subdb', "SELECT rushdb.repair_index('$rep_man') ->> 'repaired'"), 'true', 'subscriber: repair_index of the managed index');
is(wait_status($second, 'subdb', $rep_man, 60), 'ready', 'subscriber: the repaired managed index is backfilled there');
my $rep_man_t = vector_table($second, 'subdb', $rep_man);
q1($node, 'pubdb', q{SELECT rushdb.create_record('Doc', '{"body": "replicated later", "n": 51}')});
$node->wait_for_catchup('rushdb_sub');
is(q1($second, 'subdb', qq{SELECT (SELECT count(*) FROM rushdb.records) || ' ' || (SELECT count(*) FROM rushdb_internal."$rep_man_t")
                             || ' ' || (SELECT count(*) FROM rushdb_internal.embedding_queue)}),
    '51 50 0', 'subscriber: a record replicated later is not queued for the managed index');
q1($second, 'subdb', 'DROP SUBSCRIPTION rushdb_sub');
$timing{'logical replication'} = time - $t0;

# --- 5. DROP EXTENSION ---------------------------------------------------------------

$t0 = time;
q1($node, 'postgres', 'CREATE DATABASE dropx');
q1($node, 'dropx', 'CREATE EXTENSION rushdb');
my $one = q1($node, 'dropx', q{SELECT rushdb.create_record('Doc', '{"body": "only one"}') ->> '__id'});
is(sql_error($node, 'dropx', 'DROP EXTENSION rushdb'),
    'ERROR:  2BP01: cannot drop extension rushdb because it holds 1 records and 0 embedding indexes' . "\n"
      . 'HINT:  Back them up first (pg_dump; see docs/backup.md), then use DROP EXTENSION rushdb CASCADE.',
    'plain DROP EXTENSION refuses while a record exists (2BP01, with the counts)');
q1($node, 'dropx', "SELECT rushdb.delete_record('$one')");
my $lone = q1($node, 'dropx', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'id'});
like(sql_error($node, 'dropx', 'DROP EXTENSION rushdb'),
    qr/^ERROR:  2BP01: cannot drop extension rushdb because it holds 0 records and 1 embedding indexes\n/,
    'plain DROP EXTENSION refuses while an index exists');
q1($node, 'dropx', "SELECT rushdb.delete_index('$lone')");
q1($node, 'dropx', 'DROP EXTENSION rushdb');
is(q1($node, 'dropx', q{SELECT count(*) FROM pg_namespace WHERE nspname IN ('rushdb', 'rushdb_internal')}), '0',
    'with no records and no indexes plain DROP EXTENSION works and removes both schemas');

q1($node, 'dropx', 'CREATE EXTENSION rushdb');
insert_docs($node, 'dropx', 1, 200);
my $dx_ext = q1($node, 'dropx', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'id'});
ext_vectors($node, 'dropx', $dx_ext);
q1($node, 'dropx', q{SELECT rushdb.create_index('Doc', 'body')});  # builtin, ready at once
my $dx_slow = q1($node, 'dropx', q{SELECT rushdb.create_index('Doc', 'body', 'managed', 'cosine', 16, 'test-model') ->> 'id'});
$node->poll_query_until('postgres', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'dropx'
        AND backend_type = 'rushdb embedding worker' AND query LIKE 'rushdb: embedding % texts for index%')})
  or die 'the embedding worker of dropx never got busy';
my $dx_worker = worker_of($node, 'dropx');
$log_offset = -s $node->logfile;
my $t_drop = time;
q1($node, 'dropx', 'DROP EXTENSION rushdb CASCADE');
$timing{'DROP EXTENSION CASCADE'} = time - $t_drop;
ok($timing{'DROP EXTENSION CASCADE'} < 5, sprintf('DROP EXTENSION CASCADE does not wait for the busy worker (%.1f s)',
                                                  $timing{'DROP EXTENSION CASCADE'}));
is(q1($node, 'dropx', q{SELECT (SELECT count(*) FROM pg_namespace WHERE nspname IN ('rushdb', 'rushdb_internal')) || ' '
                          || (SELECT count(*) FROM pg_class WHERE relname LIKE 'vectors\_%')}),
    '0 0', 'DROP EXTENSION CASCADE (worker busy) removes both schemas and every vector table');
$node->poll_query_until('postgres', qq{SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $dx_worker)})
  or die 'the worker did not exit after DROP EXTENSION';
my @worker_lines = grep { /\[$dx_worker\]|PID $dx_worker\)/ } split /\n/, slurp_file($node->logfile, $log_offset);
is(join("\n", grep { /ERROR|WARNING|FATAL|exit code [1-9]/ } @worker_lines), '',
    'the worker exits after the drop without an error, warning or failed exit in the log');
q1($node, 'dropx', 'CREATE EXTENSION rushdb');
is(q1($node, 'dropx', q{SELECT (SELECT count(*) FROM rushdb.records) || ' ' || (SELECT count(*) FROM rushdb.embedding_indexes)
                          || ' ' || (SELECT count(*) FROM rushdb_internal.embedding_queue)
                          || ' ' || (SELECT count(*) FROM pg_class WHERE relnamespace = 'rushdb_internal'::regnamespace
                                                                    AND relname LIKE 'vectors\_%')}),
    '0 0 0 0', 'CREATE EXTENSION afterwards: no records, indexes, queue rows or vector tables');
my $again = q1($node, 'dropx', q{SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') ->> 'id'});
my $again_rec = q1($node, 'dropx', qq{SELECT rushdb.create_record('Doc', '{"body": "back again", "__vectors": [{"propertyName": "body", "vector": [1, 0, 0]}]}') ->> '__id'});
is(q1($node, 'dropx', q{SELECT x ->> '__id' FROM jsonb_array_elements(rushdb.search('{"label": "Doc", "propertyName": "body", "queryVector": [1, 0, 0]}')) x}),
    $again_rec, 'and rushdb works again: the new record is found');
$timing{'DROP EXTENSION'} = time - $t0;

# --- 6. DROP DATABASE while the worker is busy --------------------------------------------

$t0 = time;
q1($node, 'postgres', 'CREATE DATABASE dropme');
q1($node, 'dropme', 'CREATE EXTENSION rushdb');
insert_docs($node, 'dropme', 1, 200);
q1($node, 'dropme', q{SELECT rushdb.create_index('Doc', 'body', 'managed', 'cosine', 16, 'test-model')});
$node->poll_query_until('postgres', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = 'dropme'
        AND backend_type = 'rushdb embedding worker' AND query LIKE 'rushdb: embedding % texts for index%')})
  or die 'the embedding worker of dropme never got busy';
my $dropme_oid = q1($node, 'postgres', q{SELECT oid FROM pg_database WHERE datname = 'dropme'});
$log_offset = -s $node->logfile;
$t_drop = time;
q1($node, 'postgres', 'DROP DATABASE dropme');
my $drop_secs = time - $t_drop;
$timing{'DROP DATABASE'} = $drop_secs;
ok($drop_secs < 5, sprintf('DROP DATABASE (no FORCE) with a busy worker returns within 5 s (%.1f s)', $drop_secs));
is(q1($node, 'postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'dropme'}), '0', 'the database is gone');
my $drop_log = slurp_file($node->logfile, $log_offset);
like($drop_log, qr/rushdb embedding worker leaves database $dropme_oid: a command waits for it/, 'the worker logged that it left');
# The launcher, woken by the drop, starts no worker for the dropped database.
is(join("\n", $drop_log =~ /^.*(?:database $dropme_oid does not exist|"rushdb embedding worker" \(PID \d+\) exited with exit code [1-9]).*$/mg),
    '', 'no worker failed on the dropped database');

$timing{total} = time - $t_start;
note(join(', ', map { sprintf('%s %.1f s', $_, $timing{$_}) } sort keys %timing));

$node->stop;
$second->stop;
done_testing();
