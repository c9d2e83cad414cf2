# Crash recovery of rushdb_hnsw indexes. Four clients insert into an indexed
# table while the server is stopped with 'immediate' (no shutdown
# checkpoint), twice: first with the default pending list (the rows are
# appended to it), then with a 16 kB list that the inserts keep merging into
# the graph. The ids committed just before each crash are recorded, and after
# the restart each of them is in the table and returned by an exhaustive
# index scan, which returns every row exactly once, and hnsw_verify is
# clean. A third crash hits while rows are also deleted and VACUUM runs in a
# loop (merging the list too); a fourth in the middle of a large COPY, a
# fifth in the middle of a large merge (rushdb.hnsw_merge_pending), after
# which the merge is finished. An UNLOGGED table's index comes back empty
# but usable after the same stop.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use RushdbTap;
use IPC::Run;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('crash');

# psql in the background on `$node` with its arguments (-f file or -c sql),
# output collected in $$out and $$err; the caller crashes the server under it.
sub start_psql
{
    my ($out, $err, @args) = @_;
    return IPC::Run::start(
        [ 'psql', '-X', '-q', '-h', $node->host, '-p', $node->port, '-d', 'postgres', @args ],
        '>', $out, '2>', $err);
}

$node->init;
$node->append_conf('postgresql.conf', 'log_statement = none');
$node->start;

create_rushdb($node);

# Background pgbench: 4 clients, each transaction one row with the next id.
$node->safe_psql('postgres', q{
    CREATE TABLE t (id bigint PRIMARY KEY, v vector(64));
    CREATE SEQUENCE t_id_seq;
    INSERT INTO t SELECT nextval('t_id_seq'), pvec(i, 64) FROM generate_series(1, 2000) i;
    CREATE INDEX t_v_idx ON t USING rushdb_hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 64);
});
my $script = $node->basedir . '/insert_t.sql';
append_to_file($script,
    "INSERT INTO t (id, v) SELECT n, pvec(n, 64) FROM (SELECT nextval('t_id_seq') AS n) s;\n");

for my $round (1 .. 2)
{
    # Round 2: a small list, merged page by page by the inserts themselves.
    $node->safe_psql('postgres', 'ALTER INDEX t_v_idx SET (pending_list_limit = 16)') if $round == 2;
    my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
    my ($out, $err) = ('', '');
    my $bench = IPC::Run::start(
        [ 'pgbench', '-n', '-h', $node->host, '-p', $node->port, '-c', '4', '-j', '2',
          '-T', '120', '-f', $script, 'postgres' ],
        '>', \$out, '2>', \$err);
    my $t0 = time;
    # Crash once a good number of rows has gone in, with the clients busy.
    my $target = $before + 2500;
    ok($node->poll_query_until('postgres', "SELECT count(*) >= $target FROM t"),
        "round $round: the clients inserted 2,500 rows");
    # The rows committed by now, recorded by a committed transaction of
    # their own just before the crash (the clients keep inserting).
    my $seen = $node->safe_psql('postgres', qq{
        CREATE TABLE seen_$round AS SELECT id FROM t; SELECT count(*) FROM seen_$round});
    $node->stop('immediate');
    $bench->finish;    # the clients lose their connections and give up
    note(sprintf("round %d: crashed after %.1f s of inserts", $round, time - $t0));
    like($err, qr/server closed the connection|terminating connection|connection to server|could not|abort|FATAL|recovery mode/i,
        "round $round: pgbench was still running when the server stopped");

    $node->start;
    my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
    is($node->safe_psql('postgres', qq{
            SELECT count(*) FROM seen_$round s WHERE NOT EXISTS (SELECT FROM t WHERE t.id = s.id)}),
        '0', "round $round: each of the $seen rows committed before the crash is in the table ($total rows)");
    # An insert that prunes a full neighbour list writes it in a WAL record
    # of its own, so it never drops an element that has no other way in
    # (hnsw_insert.cpp, add_reverse_link): whatever WAL survives, every row
    # stays reachable.
    is(verify_problems($node, 't_v_idx'), '', "round $round: hnsw_verify is clean after recovery");
    {
        my ($found, $distinct, undef, $unfound) = index_census($node, 't', 64, "seen_$round");
        is($unfound, '0', "round $round: the index returns each of the $seen rows committed before the crash");
    }
    $node->safe_psql('postgres', 'VACUUM t');
    is(verify_problems($node, 't_v_idx'), '', "round $round: hnsw_verify is clean after a VACUUM following recovery");
    my ($found, $distinct, undef, $unfound) = index_census($node, 't', 64, "seen_$round");
    is($unfound, '0', "round $round: after that VACUUM the index returns each of the $seen rows committed before the crash");
    is("$found|$distinct", "$total|$total", "round $round: after that VACUUM the index returns all $total committed rows once each");
}

# Round 3: the crash hits while rows are also deleted and VACUUM runs over
# and over (marking elements, repairing lists, removing tuples).
{
    my $delete_script = $node->basedir . '/delete_t.sql';
    append_to_file($delete_script, q{\set r random(1, 20000)
DELETE FROM t WHERE id = (SELECT id FROM t WHERE id >= :r ORDER BY id LIMIT 1);
});
    my $vacuum_script = $node->basedir . '/vacuum_t.sql';
    append_to_file($vacuum_script, "VACUUM t;\n" x 1000);
    my $vacuums_before = $node->safe_psql('postgres',
        q{SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 't'});
    my ($out, $err, $vout, $verr) = ('', '', '', '');
    my $bench = IPC::Run::start(
        [ 'pgbench', '-n', '-h', $node->host, '-p', $node->port, '-c', '4', '-j', '2',
          '-T', '120', '-f', "$script\@3", '-f', "$delete_script\@1", 'postgres' ],
        '>', \$out, '2>', \$err);
    my $vacuum = start_psql(\$vout, \$verr, '-f', $vacuum_script);
    my $t0 = time;
    ok($node->poll_query_until('postgres', qq{
        SELECT vacuum_count >= $vacuums_before + 3 AND n_tup_del >= 300
        FROM pg_stat_user_tables WHERE relname = 't'}),
        'round 3: rows were deleted and VACUUM completed several times');
    $node->stop('immediate');
    $bench->finish;
    $vacuum->finish;
    note(sprintf("round 3: crashed after %.1f s of inserts, deletes and VACUUM", time - $t0));
    unlike($verr, qr/ERROR(?!.*terminating connection)/, 'round 3: VACUUM raised no error before the crash')
        or diag($verr);

    $node->start;
    my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
    # A crash between VACUUM's two halves leaves elements marked deleted and
    # still linked, exactly the state between the halves of any VACUUM:
    # searches route through them and never return them; the next VACUUM
    # finishes the work. hnsw_verify does not count it as a problem.
    # VACUUM's repair keeps a link it would drop when the element has no
    # other way in (hnsw_repair.cpp, repair_list), as inserts do, so the
    # graph is whole right after recovery too.
    is(verify_problems($node, 't_v_idx'), '', 'round 3: hnsw_verify is clean after recovery');
    my ($found, $distinct) = index_census($node, 't', 64);
    is("$found|$distinct", "$total|$total", "round 3: the index returns all $total committed rows once each");
    $node->safe_psql('postgres', 'VACUUM t');
    is(verify_problems($node, 't_v_idx'), '', 'round 3: hnsw_verify is clean after a VACUUM following recovery');
    ($found, $distinct) = index_census($node, 't', 64);
    is("$found|$distinct", "$total|$total", "round 3: after that VACUUM the index returns all $total rows");
}

# Round 4: a crash in the middle of a large COPY (one transaction), its rows
# appended to a large pending list; nothing committed is lost, the COPY's
# own rows are not returned. VACUUM merges the pending list, so autovacuum
# (which the 6,000 inserts below can wake) is kept off t for rounds 4 and 5:
# it would empty the list these rounds fill and crash in.
my $copy_file = $node->basedir . '/big.copy';
$node->safe_psql('postgres', qq{
    ALTER TABLE t SET (autovacuum_enabled = off);
    ALTER INDEX t_v_idx SET (pending_list_limit = 65536);
    INSERT INTO t SELECT nextval('t_id_seq'), pvec(i, 64) FROM generate_series(200001, 206000) i;
    COPY (SELECT 1000000 + i, pvec(1000000 + i, 64) FROM generate_series(1, 150000) i) TO '$copy_file';
    CREATE TABLE seen_4 AS SELECT id FROM t;
});
{
    my $pending = $node->safe_psql('postgres', q{SELECT pending_rows FROM rushdb.hnsw_index_info('t_v_idx')});
    cmp_ok($pending, '>=', 6000, "round 4: $pending committed rows wait in the pending list");
    my ($out, $err) = ('', '');
    my $copy = start_psql(\$out, \$err, '-c', "COPY t FROM '$copy_file'");
    ok($node->poll_query_until('postgres',
        "SELECT pending_rows >= $pending + 10000 FROM rushdb.hnsw_index_info('t_v_idx')"),
        'round 4: the COPY appended 10,000 rows to the pending list');
    $node->stop('immediate');
    $copy->finish;
    like($err, qr/server closed the connection|terminating connection|connection to server|FATAL/i,
        'round 4: the COPY was still running when the server stopped');
    $node->start;
    my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
    is($total, $node->safe_psql('postgres', 'SELECT count(*) FROM seen_4'),
        "round 4: the table holds the $total committed rows and none of the COPY's");
    is(verify_problems($node, 't_v_idx'), '', 'round 4: hnsw_verify is clean after recovery');
    my ($found, $distinct, undef, $unfound) = index_census($node, 't', 64, 'seen_4');
    is("$found|$distinct|$unfound", "$total|$total|0",
        "round 4: the index returns all $total committed rows once each");
}

# Round 5: a crash in the middle of merging that list (tens of thousands of
# entries, the COPY's dead ones included); then the merge is finished.
{
    my ($out, $err) = ('', '');
    my $elements = $node->safe_psql('postgres', q{SELECT elements FROM rushdb.hnsw_index_info('t_v_idx')});
    my $merge = start_psql(\$out, \$err, '-c', q{SELECT rushdb.hnsw_merge_pending('t_v_idx')});
    ok($node->poll_query_until('postgres',
        "SELECT elements >= $elements + 3000 AND pending_pages > 0 FROM rushdb.hnsw_index_info('t_v_idx')"),
        'round 5: the merge put 3,000 rows into the graph and was still going');
    $node->stop('immediate');
    $merge->finish;
    $node->start;
    my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
    is(verify_problems($node, 't_v_idx'), '', 'round 5: hnsw_verify is clean after a crash during a merge');
    my ($found, $distinct, undef, $unfound) = index_census($node, 't', 64, 'seen_4');
    is("$found|$distinct|$unfound", "$total|$total|0",
        "round 5: the index returns all $total rows once each, mid-merge");
    my $merged = $node->safe_psql('postgres', q{SELECT rushdb.hnsw_merge_pending('t_v_idx')});
    cmp_ok($merged, '>', 0, "round 5: the interrupted merge finishes ($merged more rows)");
    is($node->safe_psql('postgres', q{SELECT pending_pages || '/' || pending_rows FROM rushdb.hnsw_index_info('t_v_idx')}),
        '0/0', 'round 5: the pending list is empty');
    is(verify_problems($node, 't_v_idx'), '', 'round 5: hnsw_verify is clean after the merge');
    ($found, $distinct, undef, $unfound) = index_census($node, 't', 64, 'seen_4');
    is("$found|$distinct|$unfound", "$total|$total|0",
        "round 5: after the merge the index returns all $total rows once each");
    $node->safe_psql('postgres', 'VACUUM t; ALTER INDEX t_v_idx RESET (pending_list_limit); ALTER TABLE t RESET (autovacuum_enabled)');
    is(verify_problems($node, 't_v_idx'), '', 'round 5: hnsw_verify is clean after VACUUM removed the COPY\'s rows');
}

# The recovered index keeps working: more inserts, a self-match, verify.
$node->safe_psql('postgres', q{
    INSERT INTO t SELECT nextval('t_id_seq'), pvec(i, 64) FROM generate_series(100001, 100300) i});
is(through_index($node, 't', 'SET enable_seqscan = off', q{
    SELECT count(*) FROM (SELECT id, v FROM t ORDER BY id DESC LIMIT 5) x
    WHERE (SELECT i.id FROM t i ORDER BY i.v <-> x.v LIMIT 1) = x.id}),
    '5', 'after recovery, a row inserted later is its own nearest neighbour');
is(verify_problems($node, 't_v_idx'), '', 'hnsw_verify is clean after further inserts');
my ($found, $distinct, $total) = index_census($node, 't', 64);
is("$found|$distinct", "$total|$total", "after further inserts the index returns all $total rows");

# UNLOGGED: one index built on an empty table (init fork via ambuildempty),
# one built over rows; both are reset to their init fork by the crash.
$node->safe_psql('postgres', q{
    CREATE UNLOGGED TABLE u1 (id int PRIMARY KEY, v vector(16));
    CREATE INDEX u1_v_idx ON u1 USING rushdb_hnsw (v vector_cosine_ops);
    INSERT INTO u1 SELECT i, pvec(i, 16) FROM generate_series(1, 1000) i;
    CREATE UNLOGGED TABLE u2 (id int PRIMARY KEY, v vector(16));
    INSERT INTO u2 SELECT i, pvec(i, 16) FROM generate_series(1, 1000) i;
    CREATE INDEX u2_v_idx ON u2 USING rushdb_hnsw (v vector_l2_ops);
    INSERT INTO u2 SELECT i, pvec(i, 16) FROM generate_series(1001, 1500) i;
    CHECKPOINT;
    INSERT INTO u1 SELECT i, pvec(i, 16) FROM generate_series(1001, 1200) i;
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM u1}) . '/' .
   $node->safe_psql('postgres', q{SELECT count(*) FROM u2}), '1200/1500', 'unlogged tables filled');
$node->stop('immediate');
$node->start;

for my $u ('u1', 'u2')
{
    my $op = hnsw_operator($node, $u);    # u1's index is cosine, u2's L2
    is($node->safe_psql('postgres', "SELECT count(*) FROM $u"), '0', "$u is empty after the crash");
    is(through_index($node, $u, 'SET enable_seqscan = off',
            "SELECT count(*) FROM (SELECT id FROM $u ORDER BY v $op pvec(7, 16) LIMIT 5) s"),
        '0', "$u: an index scan of the reset index returns nothing");
    is(verify_problems($node, "${u}_v_idx"), '', "$u: hnsw_verify is clean on the reset index");
    $node->safe_psql('postgres', "INSERT INTO $u SELECT i, pvec(i, 16) FROM generate_series(5001, 5300) i");
    my ($f, $d, $n) = index_census($node, $u, 16);
    is("$f|$d|$n", '300|300|300', "$u: the 300 rows inserted after the crash are all found by the index");
    is(through_index($node, $u, 'SET enable_seqscan = off', qq{
        SELECT count(*) FROM generate_series(5001, 5300, 37) k
        WHERE (SELECT id FROM $u ORDER BY v $op pvec(k, 16) LIMIT 1) = k}),
        '9', "$u: rows inserted after the crash are found as their own nearest neighbours");
    is(verify_problems($node, "${u}_v_idx"), '', "$u: hnsw_verify is clean after the new inserts");
}

ok(!$node->log_contains(qr/terminated by signal|PANIC/), 'no backend crashed and nothing PANICked');

$node->stop;
done_testing();
