# Managed embedding indexes end to end, against a local OpenAI-compatible
# server (test/support/fake_embeddings_server.py): the background worker
# backfills and keeps vectors current, survives a kill -9 mid-backfill (the
# launcher resumes the work without re-embedding what was stored), reports
# provider failures and timeouts as status error with the cause, never
# makes user writes wait, retries flaky requests, keeps the API key out of
# errors, logs and non-superusers' sight, and works without
# shared_preload_libraries (dynamic workers, no launcher).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use HTTP::Tiny;
use JSON::PP;
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Time::HiRes qw(time sleep);
use FindBin;
use lib $FindBin::Bin;
use RushdbTap;

# The requests go to 127.0.0.1: no proxy from the environment may divert
# them (libcurl in the server and HTTP::Tiny here both honour these).
delete @ENV{qw(http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY)};

my $fake_script = abs_path(dirname(__FILE__) . '/../support/fake_embeddings_server.py');
-f $fake_script or die "the fake embeddings server is not at $fake_script";

my $API_KEY   = 'sk-test-DO-NOT-LOG-1234';
my $WRONG_KEY = 'sk-wrong-key-DO-NOT-LOG-5678';
my $DIMS      = 64;
my $BATCH     = 50;

# --- the fake embeddings servers ---------------------------------------------

my @servers;
END
{
    local $?;    # finish() must not change the test's exit status
    for my $h (@servers)
    {
        eval { $h->signal('TERM'); $h->finish; 1 } or eval { $h->kill_kill };
    }
}

sub start_fake_server
{
    my @args = @_;
    my ($out, $err) = ('', '');
    my $h = IPC::Run::start([ 'python3', $fake_script, '--port', '0', @args ],
        '<', \undef, '>', \$out, '2>', \$err);
    push @servers, $h;
    my $deadline = time + 30;
    while ($out !~ /PORT (\d+)/)
    {
        die "the fake embeddings server did not start: $err" if time > $deadline || !$h->pumpable;
        $h->pump_nb;
        sleep 0.05;
    }
    $out =~ /PORT (\d+)/;
    return $1;
}

my $http = HTTP::Tiny->new(timeout => 10);

sub fake_stats
{
    my ($port) = @_;
    my $r = $http->get("http://127.0.0.1:$port/stats");
    die "GET /stats failed: $r->{status} $r->{content}" unless $r->{success};
    return decode_json($r->{content});
}

sub fake_reset
{
    my ($port) = @_;
    my $r = $http->request('POST', "http://127.0.0.1:$port/reset", { content => '' });
    die "POST /reset failed: $r->{status} $r->{content}" unless $r->{success};
}

# Main server: /slow takes 3 s, /auth wants $API_KEY, /flaky fails twice.
my $port = start_fake_server('--slow-seconds', '3', '--api-key', $API_KEY, '--flaky-failures', '2');
# For the crash tests: /slow takes 0.1 s a request, so a backfill of
# thousands of records lasts long enough to be interrupted.
my $port2 = start_fake_server('--slow-seconds', '0.1');
my $URL      = "http://127.0.0.1:$port/v1";
my $SLOW_URL = "http://127.0.0.1:$port/slow/v1";
my $CRASH_URL = "http://127.0.0.1:$port2/slow/v1";
note("fake embeddings servers on ports $port and $port2");

# --- helpers -------------------------------------------------------------------

sub q1 { my ($n, $sql) = @_; return $n->safe_psql('postgres', $sql); }

sub managed_id
{
    my ($n, $label) = @_;
    return q1($n, qq{SELECT id FROM rushdb.embedding_indexes
                     WHERE label = '$label' AND property_name = 'body' AND source_type = 'managed'});
}

# vector_relation / vector_hnsw_index (RushdbTap): an index's vector table
# and its HNSW index, qualified, from the catalog.

sub vector_count
{
    my ($n, $id) = @_;
    my $t = vector_relation($n, $id);
    return q1($n, qq{SELECT count(*) FROM $t});
}

sub queued { my ($n, $id) = @_; return q1($n, "SELECT count(*) FROM rushdb_internal.embedding_queue WHERE index_id = '$id'"); }

sub records_with_body
{
    my ($n, $label) = @_;
    return q1($n, "SELECT count(*) FROM rushdb.records WHERE label = '$label' AND properties ? 'body'");
}

# wait_for_index: the index as JSON (a hash).
sub wait_index
{
    my ($n, $id, $secs) = @_;
    return decode_json(q1($n, "SELECT rushdb.wait_for_index('$id', $secs)"));
}

sub get_index { my ($n, $id) = @_; return decode_json(q1($n, "SELECT rushdb.get_index('$id')")); }

# Records of the label with the property and no vector, or more than one
# (the vector table's primary key makes the latter impossible, but say so).
sub unembedded
{
    my ($n, $label, $id) = @_;
    my $t = vector_relation($n, $id);
    return q1($n, qq{SELECT count(*) FROM rushdb.records r WHERE r.label = '$label' AND r.properties ? 'body'
                     AND (SELECT count(*) FROM $t v WHERE v.record_id = r.id) <> 1});
}

# ALTER SYSTEM + reload; returns once a new session sees the reloaded
# configuration (new workers fork from the postmaster, which has reloaded by
# then too). The API key always shows as "(hidden)", so the reload itself is
# detected by pg_conf_load_time, which a new session takes from the postmaster.
sub reconfigure
{
    my ($n, %settings) = @_;
    my $sql = '';
    my @checks;
    my $before = q1($n, 'SELECT pg_conf_load_time()');
    for my $name (sort keys %settings)
    {
        my $v = $settings{$name};
        $sql .= "ALTER SYSTEM SET $name = '$v';\n";
        next if $name eq 'rushdb.embedding_api_key';
        # pg_settings has the value without units (1000, not 1s); a session
        # that has not loaded rushdb knows it only as a placeholder, which
        # pg_settings leaves out but current_setting reads.
        push @checks, "coalesce((SELECT setting FROM pg_settings WHERE name = '$name'), "
          . "current_setting('$name')) = '$v'";
    }
    push @checks, "pg_conf_load_time() > '$before'";
    q1($n, $sql . 'SELECT pg_reload_conf();');
    $n->poll_query_until('postgres', 'SELECT ' . join(' AND ', @checks))
      or die "the reload did not apply: " . join(', ', sort keys %settings);
}

sub worker_pid
{
    my ($n) = @_;
    return q1($n, q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'rushdb embedding worker' LIMIT 1});
}

# Kill -9 the embedding worker; returns once the postmaster has restarted
# every process and accepts connections again.
sub kill9_worker_and_wait_restart
{
    my ($n, $pid) = @_;
    my $offset = -s $n->logfile;
    kill 'KILL', $pid or die "could not kill $pid: $!";
    $n->wait_for_log(qr/all server processes terminated; reinitializing/, $offset);
    $n->wait_for_log(qr/database system is ready to accept connections/, $offset);
    $n->poll_query_until('postgres', 'SELECT true') or die 'the server did not come back';
}

# The lines of the node's log that contain a string.
sub log_lines_with
{
    my ($n, $secret) = @_;
    return grep { index($_, $secret) >= 0 } split /\n/, slurp_file($n->logfile);
}

sub search_ids
{
    my ($n, $params) = @_;
    return q1($n, qq{SELECT coalesce(string_agg(x ->> '__id', ',' ORDER BY o), '')
                     FROM jsonb_array_elements(rushdb.search('$params'::jsonb)) WITH ORDINALITY AS t(x, o)});
}

# Rows for a label: 'body' is "<three words of a vocabulary> item <i>".
sub insert_docs
{
    my ($n, $label, $from, $to) = @_;
    q1($n, qq{
        INSERT INTO rushdb.records (label, properties, proptypes)
        SELECT '$label', p, rushdb_internal.record_proptypes(p) FROM (
            SELECT jsonb_build_object('body', format('%s %s %s item %s', w[1 + i % 20], w[1 + (i * 7) % 20],
                                                     w[1 + (i * 13) % 20], i), 'n', i) AS p
            FROM generate_series($from, $to) i,
                 (SELECT '{apple,river,stone,cloud,market,engine,garden,silver,paper,window,forest,ladder,
                           copper,meadow,harbor,candle,velvet,thunder,lantern,orchard}'::text[] AS w) v) s});
}

# --- node A: shared_preload_libraries = 'rushdb' (the launcher) --------------

my $node = PostgreSQL::Test::Cluster->new('managed');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'rushdb'
log_statement = none
restart_after_crash = on
rushdb.embedding_endpoint = '$URL'
rushdb.embedding_batch_size = $BATCH
rushdb.embedding_retry_delay = 100
rushdb.embedding_max_retries = 0
rushdb.embedding_max_failures = 3
rushdb.embedding_timeout = 10000
});
$node->start;
q1($node, 'CREATE EXTENSION rushdb');
is(q1($node, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'rushdb embedding launcher'}),
    '1', 'the embedding launcher runs');

# 1. Backfill to ready ----------------------------------------------------------
my $t_start = time;
insert_docs($node, 'Doc', 1, 2000);
q1($node, q{INSERT INTO rushdb.records (label, properties, proptypes)
            SELECT 'Doc', jsonb_build_object('n', -i), '{"n": "number"}' FROM generate_series(1, 50) i});
my $doc_total = records_with_body($node, 'Doc');
is($doc_total, '2000', '2,000 Doc records have a body (and 50 have none)');

my $created = decode_json(q1($node,
    qq{SELECT rushdb.create_index('Doc', 'body', 'managed', 'cosine', $DIMS, 'test-model')}));
is($created->{status}, 'pending', 'create_index of an HTTP-model index: status pending');
my $doc = $created->{id};
my $ix = wait_index($node, $doc, 120);
is($ix->{status}, 'ready', 'backfill: wait_for_index returns status ready');
is(vector_count($node, $doc), $doc_total, 'backfill: one vector per record with the property');
is(unembedded($node, 'Doc', $doc), '0', 'backfill: no record without exactly one vector');
is(queued($node, $doc), '0', 'backfill: no queue rows left');
my $doc_table = vector_relation($node, $doc);
# The vectors are the records' own: each equals the provider's embedding of
# that record's text (asked again from this session).
is(q1($node, qq{
    SELECT count(*) FROM rushdb.records r JOIN $doc_table v ON v.record_id = r.id
    WHERE r.label = 'Doc' AND (r.properties ->> 'n')::int IN (1, 2, 777, 1500, 2000)
      AND rushdb.l2_distance(v.embedding, rushdb.embed_text(r.properties ->> 'body', $DIMS, 'test-model')) < 1e-5}),
    '5', "backfill: stored vectors equal the provider's embedding of each record's text");
note(sprintf('backfill of 2,000 records took %.1f s', time - $t_start));

# 2. Later writes ----------------------------------------------------------------
{
    my ($rid, $status, $pending) = split /\n/, q1($node, qq{
        BEGIN;
        SELECT rushdb.create_record('Doc', '{"body": "zebra giraffe savanna"}') ->> '__id';
        SELECT rushdb.get_index('$doc') ->> 'status';
        SELECT rushdb.index_stats('$doc') ->> 'pendingRecords';
        COMMIT;});
    is($status, 'pending', 'a new record: the index is pending inside the writing transaction');
    is($pending, '1', 'a new record: index_stats shows one pending record');
    is(wait_index($node, $doc, 60)->{status}, 'ready', 'a new record: ready after wait_for_index');
    is(q1($node, qq{SELECT count(*) FROM $doc_table WHERE record_id = '$rid'}), '1',
        'a new record gets its vector');

    # Bulk creation through the API.
    my $n = q1($node, q{SELECT jsonb_array_length(rushdb.create_records('Doc',
        (SELECT jsonb_agg(jsonb_build_object('body', 'later record number ' || i)) FROM generate_series(1, 120) i)))});
    is($n, '120', 'create_records adds 120 records');
    is(wait_index($node, $doc, 60)->{status}, 'ready', 'create_records: ready after wait_for_index');
    is(unembedded($node, 'Doc', $doc), '0', 'create_records: every record has exactly one vector');

    # An update re-embeds; a decoy keeps the old words in the index.
    my $r = q1($node, q{SELECT rushdb.create_record('Doc', '{"body": "alpha bravo charlie"}') ->> '__id'});
    my $decoy = q1($node, q{SELECT rushdb.create_record('Doc', '{"body": "alpha bravo charlie kilo"}') ->> '__id'});
    is(wait_index($node, $doc, 60)->{status}, 'ready', 'update: the record to update is embedded');
    my $before = q1($node, qq{SELECT embedding FROM $doc_table WHERE record_id = '$r'});
    is(search_ids($node, qq{{"label": "Doc", "propertyName": "body", "query": "alpha bravo charlie", "limit": 1}}),
        $r, 'update: before it, a query with its words finds the record');
    my (undef, $upd_queued, $upd_status) = split /\n/, q1($node, qq{
        BEGIN;
        SELECT rushdb.update_record('$r', '{"body": "delta echo foxtrot"}') IS NOT NULL;
        SELECT count(*) FROM rushdb_internal.embedding_queue WHERE index_id = '$doc' AND record_id = '$r';
        SELECT rushdb.get_index('$doc') ->> 'status';
        COMMIT;});
    is("$upd_queued|$upd_status", '1|pending', 'update: the record is queued and the index pending in the transaction');
    is(wait_index($node, $doc, 60)->{status}, 'ready', 'update: ready after wait_for_index');
    my $after = q1($node, qq{SELECT embedding FROM $doc_table WHERE record_id = '$r'});
    isnt($after, $before, 'update: the stored vector changed');
    is(q1($node, qq{SELECT rushdb.l2_distance(embedding, rushdb.embed_text('delta echo foxtrot', $DIMS, 'test-model')) < 1e-5
                    FROM $doc_table WHERE record_id = '$r'}), 't',
        'update: the stored vector is the embedding of the new text');
    is(search_ids($node, qq{{"label": "Doc", "propertyName": "body", "query": "delta echo foxtrot", "limit": 1}}),
        $r, 'update: a query with the new words finds the record');
    my $old = search_ids($node, qq{{"label": "Doc", "propertyName": "body", "query": "alpha bravo charlie", "limit": 1}});
    is($old, $decoy, 'update: a query with the old words no longer finds it (the decoy ranks first)');
    # An update of another property queues nothing.
    my (undef, $other_queued, $other_status) = split /\n/, q1($node, qq{
        BEGIN;
        SELECT rushdb.update_record('$r', '{"n": 42}') IS NOT NULL;
        SELECT count(*) FROM rushdb_internal.embedding_queue WHERE index_id = '$doc';
        SELECT rushdb.get_index('$doc') ->> 'status';
        COMMIT;});
    is("$other_queued|$other_status", '0|ready', 'an update of another property queues nothing (still ready)');

    # A string array: one vector, of the items joined with a space (RushDB).
    my $arr = q1($node, q{SELECT rushdb.create_record('Doc', '{"body": ["kiwi mango", "papaya guava"]}') ->> '__id'});
    is(wait_index($node, $doc, 60)->{status}, 'ready', 'string array: ready after wait_for_index');
    is(q1($node, qq{SELECT count(*) FROM $doc_table WHERE record_id = '$arr'}), '1',
        'string array: exactly one vector');
    is(q1($node, qq{SELECT rushdb.l2_distance(embedding, rushdb.embed_text('kiwi mango papaya guava', $DIMS, 'test-model')) < 1e-5
                    FROM $doc_table WHERE record_id = '$arr'}), 't',
        "string array: the vector is the embedding of the items joined with a space");
    is(unembedded($node, 'Doc', $doc), '0', 'after the later writes every Doc record has exactly one vector');

    # 9. External and managed indexes on one property both answer.
    my $ext = decode_json(q1($node, q{SELECT rushdb.create_index('Doc', 'body', 'external', 'cosine', 3)}));
    is($ext->{status}, 'awaiting_vectors', 'an external index on the same property: awaiting_vectors');
    q1($node, qq{SELECT rushdb.upsert_vectors('$ext->{id}', ARRAY['$rid', '$arr']::uuid[],
                                              ARRAY['[1,0,0]', '[0,1,0]']::rushdb.vector[])});
    is(search_ids($node, q{{"label": "Doc", "propertyName": "body", "queryVector": [0, 1, 0.1], "limit": 1}}),
        $arr, 'external + managed: queryVector searches the external index');
    is(search_ids($node, q{{"label": "Doc", "propertyName": "body", "queryVector": [1, 0.1, 0], "limit": 2}}),
        "$rid,$arr", 'external + managed: queryVector ranks only the external vectors');
    is(search_ids($node, q{{"label": "Doc", "propertyName": "body", "query": "delta echo foxtrot", "limit": 1}}),
        $r, 'external + managed: query searches the managed index');
    is(search_ids($node, q{{"label": "Doc", "propertyName": "body", "query": "kiwi mango papaya guava", "limit": 1}}),
        $arr, 'external + managed: query finds the string-array record in the managed index');
}

# 3. kill -9 of the worker mid-backfill: the launcher resumes --------------------
{
    reconfigure($node, 'rushdb.embedding_endpoint' => $CRASH_URL);
    insert_docs($node, 'Big', 1, 4000);
    fake_reset($port2);
    my $big = decode_json(q1($node,
        qq{SELECT rushdb.create_index('Big', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    my $big_table = vector_relation($node, $big);
    ok($node->poll_query_until('postgres', qq{SELECT count(*) >= 400 FROM $big_table}),
        'crash: the backfill of 4,000 records is under way');
    my $pid = worker_pid($node);
    like($pid, qr/^\d+$/, "crash: the embedding worker runs (pid $pid)");
    my $at_kill = vector_count($node, $big);
    kill9_worker_and_wait_restart($node, $pid);
    my $after_restart = vector_count($node, $big);
    note("crash: $at_kill vectors stored just before the kill, $after_restart right after the restart");
    cmp_ok($after_restart, '>=', $at_kill, 'crash: the vectors committed before the crash survive it');
    cmp_ok($after_restart, '<', 4000, 'crash: the backfill was not finished when the worker was killed');
    ok($node->log_contains(qr/terminated by signal 9/), 'crash: the postmaster saw the worker die of SIGKILL');
    ok($node->poll_query_until('postgres',
            q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'rushdb embedding launcher'}),
        'crash: the launcher is back after the restart');
    # No wait_for_index, no write: only the launcher can start a worker now.
    ok($node->poll_query_until('postgres', qq{SELECT count(*) > $after_restart FROM $big_table}),
        'crash: vectors are stored again after the restart without any call (the launcher started a worker)');
    # Thousands of records remain at 0.1 s a batch: the worker is still at it.
    ok($node->poll_query_until('postgres', qq{
            SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'rushdb embedding worker' AND pid <> $pid}),
        'crash: a new worker process (not the killed one) does the work');
    ok($node->poll_query_until('postgres', qq{SELECT rushdb.index_stats('$big') ->> 'status' = 'ready'}),
        'crash: the launcher-started worker finishes the backfill by itself');
    is(wait_index($node, $big, 120)->{status}, 'ready', 'crash: wait_for_index says ready');
    is(vector_count($node, $big), '4000', 'crash: 4,000 vectors for 4,000 records');
    is(unembedded($node, 'Big', $big), '0', 'crash: every record has exactly one vector');
    is(queued($node, $big), '0', 'crash: no queue rows left');
    my $stats = fake_stats($port2);
    my $limit = 4000 + 2 * $BATCH + 1;    # + the batch lost with the worker (twice, to be generous) + the check
    note("crash: the provider embedded $stats->{inputs} inputs in $stats->{requests} requests");
    cmp_ok($stats->{inputs}, '>=', 4001, 'crash: the provider embedded every record');
    cmp_ok($stats->{inputs}, '<=', $limit,
        "crash: nothing stored before the crash was embedded again ($stats->{inputs} <= $limit inputs)");
    is(q1($node, qq{SELECT coalesce(string_agg(p, E'\\n'), '') FROM rushdb.hnsw_verify('@{[vector_hnsw_index($node, $big)]}') p}),
        '', 'crash: hnsw_verify finds no problem in the HNSW index of the vector table');
    is(q1($node, qq{SELECT rushdb.l2_distance(v.embedding, rushdb.embed_text(r.properties ->> 'body', $DIMS, 'test-model')) < 1e-5
                    FROM rushdb.records r JOIN $big_table v ON v.record_id = r.id
                    WHERE r.label = 'Big' AND (r.properties ->> 'n')::int = 3999}), 't',
        'crash: a vector stored after the restart is the right one');
    reconfigure($node, 'rushdb.embedding_endpoint' => $URL);
}

# 4. Provider error -> status error with the cause; fixing it recovers ---------
{
    q1($node, q{SELECT rushdb.create_records('Err', '[{"body": "first error record"}, {"body": "second error record"}]')});
    my $err = decode_json(q1($node,
        qq{SELECT rushdb.create_index('Err', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    is(wait_index($node, $err, 60)->{status}, 'ready', 'provider error: the index starts ready');
    reconfigure($node, 'rushdb.embedding_endpoint' => "http://127.0.0.1:$port/fail/v1");
    q1($node, q{SELECT rushdb.create_record('Err', '{"body": "written while the provider fails"}')});
    my $ix = wait_index($node, $err, 60);
    is($ix->{status}, 'error', 'provider error: status error after the failed attempts');
    like($ix->{error} // '', qr/HTTP 500/, 'provider error: the cause names HTTP 500');
    like($ix->{error} // '', qr/simulated failure/, "provider error: the cause quotes the server's message");
    like($ix->{error} // '', qr/3 times/, 'provider error: the cause says how many attempts failed');
    is(get_index($node, $err)->{status}, 'error', 'provider error: get_index says error');
    my ($ret, $out, $stderr) = $node->psql('postgres',
        q{SELECT rushdb.search('{"label": "Err", "propertyName": "body", "query": "error record"}')});
    isnt($ret, 0, 'provider error: a text search on the index fails');
    like($stderr, qr/embedding index \S+ is in error/, 'provider error: the search error says the index is in error');
    like($stderr, qr/HTTP 500/, 'provider error: the search error gives the cause');

    reconfigure($node, 'rushdb.embedding_endpoint' => $URL);
    q1($node, q{SELECT rushdb.create_record('Err', '{"body": "written after the fix"}')});
    $ix = wait_index($node, $err, 60);
    is($ix->{status}, 'ready', 'provider error: after fixing the endpoint, a write retries and the index is ready');
    ok(!defined $ix->{error}, 'provider error: the error is cleared');
    is(vector_count($node, $err), '4', 'provider error: all 4 records are embedded');
    is(unembedded($node, 'Err', $err), '0', 'provider error: every record has exactly one vector');
    is(search_ids($node, q{{"label": "Err", "propertyName": "body", "query": "written while the provider fails", "limit": 1}}),
        q1($node, q{SELECT id FROM rushdb.records WHERE properties ->> 'body' = 'written while the provider fails'}),
        'provider error: the record written during the failure is found');
}

# 5. Slow endpoint: timeouts, and writes never wait for the worker --------------
{
    q1($node, q{SELECT rushdb.create_records('Slow', (SELECT jsonb_agg(jsonb_build_object('body', 'slow record ' || i))
                                                       FROM generate_series(1, 10) i))});
    my $slow = decode_json(q1($node,
        qq{SELECT rushdb.create_index('Slow', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    is(wait_index($node, $slow, 60)->{status}, 'ready', 'slow endpoint: the index starts ready');

    # A request that outlasts rushdb.embedding_timeout fails the batch.
    reconfigure($node, 'rushdb.embedding_endpoint' => $SLOW_URL, 'rushdb.embedding_timeout' => '1000');
    q1($node, q{SELECT rushdb.create_record('Slow', '{"body": "written while the provider is slow"}')});
    my $ix = wait_index($node, $slow, 60);
    is($ix->{status}, 'error', 'slow endpoint: status error after the timed-out attempts');
    like($ix->{error} // '', qr/timed out|timeout/i, 'slow endpoint: the cause is a timeout');

    # A worker stuck in a slow (3 s, within the 10 s timeout) request.
    reconfigure($node, 'rushdb.embedding_endpoint' => $SLOW_URL, 'rushdb.embedding_timeout' => '10000');
    q1($node, q{SELECT rushdb.create_records('Slow', (SELECT jsonb_agg(jsonb_build_object('body', 'queued record ' || i))
                                                       FROM generate_series(1, 20) i))});
    ok($node->poll_query_until('postgres', q{
        SELECT count(*) > 0 FROM pg_stat_activity
        WHERE backend_type = 'rushdb embedding worker' AND state = 'active' AND query LIKE 'rushdb: embedding %'}),
        'slow endpoint: the worker is waiting for a slow request');
    my $busy_pid = worker_pid($node);
    my $target = q1($node, q{SELECT id FROM rushdb.records WHERE label = 'Slow' AND properties ->> 'body' = 'queued record 7'});
    my ($r1, $o1, $e1) = $node->psql('postgres', qq{
        SET statement_timeout = '2s';
        SELECT rushdb.update_record('$target', '{"body": "rewritten while being embedded"}') ->> 'body';});
    is($r1, 0, 'slow endpoint: an UPDATE of a record the worker is embedding completes (statement_timeout 2s)')
      or diag($e1);
    my ($r2, $o2, $e2) = $node->psql('postgres', q{
        SET statement_timeout = '2s';
        SELECT jsonb_array_length(rushdb.create_records('Slow', '[{"body": "new one"}, {"body": "new two"}]'));});
    is("$r2|$o2", '0|2', 'slow endpoint: an INSERT of new records completes (statement_timeout 2s)') or diag($e2);
    my ($r3, $o3, $e3) = $node->psql('postgres', qq{
        SET statement_timeout = '2s';
        SELECT rushdb.delete_record((SELECT id FROM rushdb.records WHERE properties ->> 'body' = 'queued record 3'))
               ->> 'deleted';});
    is("$r3|$o3", '0|1', 'slow endpoint: a DELETE of a queued record completes (statement_timeout 2s)') or diag($e3);
    is(q1($node, qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $busy_pid
                    AND state = 'active' AND query LIKE 'rushdb: embedding %'}), '1',
        'slow endpoint: the writes finished while the worker was still in its request');
    $ix = wait_index($node, $slow, 90);
    is($ix->{status}, 'ready', 'slow endpoint: the index becomes ready once the slow requests finish');
    reconfigure($node, 'rushdb.embedding_endpoint' => $URL);
    is(unembedded($node, 'Slow', $slow), '0', 'slow endpoint: every Slow record has exactly one vector');
    is(vector_count($node, $slow), records_with_body($node, 'Slow'), 'slow endpoint: no vector of a deleted record');
    is(q1($node, qq{SELECT rushdb.l2_distance(embedding, rushdb.embed_text('rewritten while being embedded', $DIMS, 'test-model')) < 1e-5
                    FROM @{[vector_relation($node, $slow)]} WHERE record_id = '$target'}), 't',
        'slow endpoint: the record rewritten during the request has the vector of its new text');
}

# 6. Flaky endpoint: HTTP-level retries -----------------------------------------
{
    reconfigure($node, 'rushdb.embedding_endpoint' => "http://127.0.0.1:$port/flaky/v1",
        'rushdb.embedding_max_retries' => '3');
    fake_reset($port);    # the provider check below gets the two 503s and retries
    my $flaky = decode_json(q1($node,
        qq{SELECT rushdb.create_index('Flaky', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    is(wait_index($node, $flaky, 60)->{status}, 'ready', 'flaky endpoint: create_index retries the check');
    my $offset = -s $node->logfile;
    fake_reset($port);    # the worker's first request gets two 503s
    q1($node, q{SELECT rushdb.create_records('Flaky', (SELECT jsonb_agg(jsonb_build_object('body', 'flaky record ' || i))
                                                        FROM generate_series(1, 120) i))});
    my $ix = wait_index($node, $flaky, 60);
    is($ix->{status}, 'ready', 'flaky endpoint: the index reaches ready with embedding_max_retries = 3');
    is(vector_count($node, $flaky), '120', 'flaky endpoint: all 120 records are embedded');
    my $stats = fake_stats($port);
    cmp_ok($stats->{by_route}{'/flaky/v1/embeddings'} // 0, '>=', 3 + 2,
        'flaky endpoint: the two 503 answers were retried (3 batches + 2 retries)');
    ok(!$node->log_contains(qr/embedding a batch for index $flaky failed/, $offset),
        'flaky endpoint: no batch failed (the retries were HTTP-level)');
    reconfigure($node, 'rushdb.embedding_endpoint' => $URL, 'rushdb.embedding_max_retries' => '0');
}

# 7. API key -----------------------------------------------------------------------
{
    q1($node, q{SELECT rushdb.create_records('Auth', (SELECT jsonb_agg(jsonb_build_object('body', 'secret record ' || i))
                                                       FROM generate_series(1, 199) i)
                                                    || '[{"body": "confidential walrus memo"}]')});
    reconfigure($node, 'rushdb.embedding_endpoint' => "http://127.0.0.1:$port/auth/v1",
        'rushdb.embedding_api_key' => $WRONG_KEY);
    my ($ret, $out, $err) = $node->psql('postgres',
        qq{SELECT rushdb.create_index('Auth', 'body', 'managed', 'cosine', $DIMS, 'test-model')});
    isnt($ret, 0, 'API key: create_index fails with a wrong key');
    like($err, qr/401/, 'API key: the error mentions HTTP 401');
    unlike($err, qr/\Q$WRONG_KEY\E/, 'API key: the error does not contain the key');
    is(q1($node, q{SELECT count(*) FROM rushdb.embedding_indexes WHERE label = 'Auth'}), '0',
        'API key: no index was created');

    reconfigure($node, 'rushdb.embedding_api_key' => $API_KEY);
    my $auth = decode_json(q1($node,
        qq{SELECT rushdb.create_index('Auth', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    is(wait_index($node, $auth, 60)->{status}, 'ready', 'API key: with the right key the backfill reaches ready');
    is(vector_count($node, $auth), '200', 'API key: all 200 records are embedded');
    is(search_ids($node, q{{"label": "Auth", "propertyName": "body", "query": "confidential walrus memo", "limit": 1}}),
        q1($node, q{SELECT id FROM rushdb.records WHERE properties ->> 'body' = 'confidential walrus memo'}),
        'API key: a text search (the query embedded with the key) works');

    q1($node, 'CREATE ROLE rushdb_plain LOGIN');
    my @plain = (extra_params => [ '-U', 'rushdb_plain' ]);
    ($ret, $out, $err) = $node->psql('postgres', 'SHOW rushdb.embedding_api_key', @plain);
    isnt($ret, 0, 'API key: a non-superuser cannot SHOW it');
    unlike($out . $err, qr/\Q$API_KEY\E/, 'API key: the non-superuser did not see the key');
    ($ret, $out, $err) = $node->psql('postgres', q{SELECT current_setting('rushdb.embedding_api_key')}, @plain);
    isnt($ret, 0, 'API key: a non-superuser cannot read it with current_setting');
    is(scalar $node->safe_psql('postgres',
            q{SELECT count(*) FROM pg_settings WHERE name = 'rushdb.embedding_api_key'}, @plain),
        '0', 'API key: a non-superuser sees no pg_settings row for it');
    ($ret, $out, $err) = $node->psql('postgres', q{SET rushdb.embedding_api_key = 'x'}, @plain);
    isnt($ret, 0, 'API key: a non-superuser cannot set it');
    reconfigure($node, 'rushdb.embedding_endpoint' => $URL);
}

# PostgreSQL's own 'parameter "..." changed to "..."' line at reload is
# counted apart, to tell it from the extension's messages (worker warnings,
# provider errors): the key must be in neither.
my @leaks = grep { !/parameter "rushdb\.embedding_api_key" changed to/ } log_lines_with($node, $API_KEY),
  log_lines_with($node, $WRONG_KEY);
is(scalar @leaks, 0, "no message of the extension in the server log contains an API key") or diag(join("\n", @leaks));
@leaks = log_lines_with($node, $API_KEY);
is(scalar @leaks, 0, 'the server log does not contain the API key') or diag(join("\n", @leaks));
@leaks = log_lines_with($node, $WRONG_KEY);
is(scalar @leaks, 0, 'the server log does not contain the wrong API key either') or diag(join("\n", @leaks));
$node->stop;

# 8. Without shared_preload_libraries: dynamic workers, no launcher -------------
my $plain = PostgreSQL::Test::Cluster->new('no_preload');
$plain->init;
$plain->append_conf('postgresql.conf', qq{
log_statement = none
restart_after_crash = on
rushdb.embedding_endpoint = '$URL'
rushdb.embedding_batch_size = $BATCH
rushdb.embedding_retry_delay = 100
rushdb.embedding_max_retries = 0
rushdb.embedding_api_key = '$API_KEY'
});
$plain->start;
q1($plain, 'CREATE EXTENSION rushdb');
is(q1($plain, q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'rushdb embedding launcher'}),
    '0', 'no preload: there is no launcher');
# Without the library preloaded, PostgreSQL keeps the key as a placeholder
# that any role can read until its session loads rushdb, and logs reloaded
# values: the extension refuses to use a key unless it is preloaded.
{
    my ($ret, $out, $err) = $plain->psql('postgres',
        qq{SELECT rushdb.create_index('Keyed', 'body', 'managed', 'cosine', $DIMS, 'test-model')});
    isnt($ret, 0, 'no preload: a configured API key is refused');
    like($err, qr/shared_preload_libraries/, 'no preload: the error says the key needs shared_preload_libraries');
    unlike($err, qr/\Q$API_KEY\E/, 'no preload: the error does not contain the key');
    # Removing the key from postgresql.conf logs no value.
    my $before = q1($plain, 'SELECT pg_conf_load_time()');
    $plain->adjust_conf('postgresql.conf', 'rushdb.embedding_api_key', undef);
    q1($plain, 'SELECT pg_reload_conf()');
    $plain->poll_query_until('postgres', "SELECT pg_conf_load_time() > '$before'")
      or die 'the reload did not apply';
}
{
    insert_docs($plain, 'Doc', 1, 300);
    my $id = decode_json(q1($plain,
        qq{SELECT rushdb.create_index('Doc', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    my $table = vector_relation($plain, $id);
    # No wait_for_index: the worker started at create_index's commit does it.
    ok($plain->poll_query_until('postgres', qq{SELECT rushdb.index_stats('$id') ->> 'status' = 'ready'}),
        'no preload: the worker started on commit backfills to ready');
    is(vector_count($plain, $id), '300', 'no preload: 300 vectors for 300 records');
    q1($plain, q{SELECT rushdb.create_record('Doc', '{"body": "a later write"}')});
    ok($plain->poll_query_until('postgres', qq{SELECT count(*) = 301 FROM $table}),
        'no preload: a later write starts a worker on commit and is embedded');
    is(wait_index($plain, $id, 60)->{status}, 'ready', 'no preload: wait_for_index says ready');

    # kill -9 mid-backfill: nothing resumes by itself; wait_for_index does.
    reconfigure($plain, 'rushdb.embedding_endpoint' => $CRASH_URL);
    insert_docs($plain, 'Big', 1, 1500);
    my $big = decode_json(q1($plain,
        qq{SELECT rushdb.create_index('Big', 'body', 'managed', 'cosine', $DIMS, 'test-model')}))->{id};
    my $big_table = vector_relation($plain, $big);
    ok($plain->poll_query_until('postgres', qq{SELECT count(*) >= 200 FROM $big_table}),
        'no preload: the backfill of 1,500 records is under way');
    my $pid = worker_pid($plain);
    like($pid, qr/^\d+$/, "no preload: the dynamic worker runs (pid $pid)");
    kill9_worker_and_wait_restart($plain, $pid);
    my $c1 = vector_count($plain, $big);
    cmp_ok($c1, '<', 1500, "no preload: the backfill was interrupted ($c1 of 1,500 stored)");
    sleep 3;    # a worker would store several batches of 50 in this time
    is(vector_count($plain, $big), $c1, 'no preload: after the restart nothing resumes the backfill by itself');
    is(worker_pid($plain), '', 'no preload: no embedding worker runs after the restart');
    cmp_ok(queued($plain, $big), '>', 0, 'no preload: the rest of the backfill is still queued');
    is(wait_index($plain, $big, 120)->{status}, 'ready', 'no preload: wait_for_index starts a worker and reaches ready');
    is(vector_count($plain, $big), '1500', 'no preload: 1,500 vectors for 1,500 records');
    is(unembedded($plain, 'Big', $big), '0', 'no preload: every record has exactly one vector');
    is(queued($plain, $big), '0', 'no preload: no queue rows left');
}
@leaks = log_lines_with($plain, $API_KEY);
is(scalar @leaks, 0, 'no preload: the server log does not contain the API key') or diag(join("\n", @leaks));
$plain->stop;

done_testing();
