# rushdb_hnsw under concurrency:
#  (a) ten clients insert 1,980-dimensional vectors into an indexed table
#      (at m = 16 an element of layer 0 holds its vector inline, a taller one
#      keeps it in chunk pages, so both layouts are written concurrently);
#      afterwards every row is found by the index, as its own nearest
#      neighbour, and hnsw_verify is clean;
#  (b) inserters and searchers run together for 10 s: no error, and every
#      search (plain and filtered) returns its full LIMIT;
#  (c) VACUUM runs over and over while other sessions insert, delete and
#      search: no error, no lost row, hnsw_verify clean;
#  (d) the pending list's background merger: a burst past the limit is
#      drained behind the writers by one worker at a time, which exits;
#  (e) with no background worker slot at all, writers merge the list
#      themselves and keep it within its limit;
#  (f) writers past the limit, whole-list merges, deletes and VACUUM at
#      once: merges run, one backend at a time (concurrent graph inserts can
#      orphan an element), and afterwards every live row is found once, the
#      list is empty after a VACUUM and hnsw_verify is clean;
#  (g) 6 clients inserting straight into the graph at m = 4 (nearly every
#      insert drops links from full lists): after VACUUM every element is
#      reachable and every row found (right after the inserts a few can be
#      cut off: printed, a known gap, docs/hnsw.md).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use RushdbTap;
use IPC::Run;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('concurrency');
$node->init;
# pgbench runs thousands of statements; keep the log to what matters.
$node->append_conf('postgresql.conf', "log_statement = none\nmax_connections = 40");
$node->start;
create_rushdb($node);

my $script_no = 0;

sub script_file
{
    my ($body) = @_;
    my $file = $node->basedir . '/script' . ++$script_no . '.sql';
    append_to_file($file, $body);
    return $file;
}

# Starts pgbench in the background; scripts are [file, weight] pairs.
sub start_pgbench
{
    my ($options, $scripts, $out, $err) = @_;
    my @cmd = ('pgbench', '-n', '-h', $node->host, '-p', $node->port, split(/\s+/, $options));
    push @cmd, '-f', "$_->[0]\@$_->[1]" for @$scripts;
    push @cmd, 'postgres';
    note('running: ' . join(' ', @cmd));
    return IPC::Run::start(\@cmd, '>', $out, '2>', $err);
}

sub pgbench_ok
{
    my ($name, $h, $out, $err) = @_;
    $h->finish;
    my $status = $h->result(0);
    note("$name: pgbench stdout:\n$$out");
    is($status, 0, "$name: pgbench exits with status 0") or diag("pgbench stderr:\n$$err");
    like($$out, qr/number of failed transactions: 0 \(/, "$name: no failed transaction");
    unlike($$err, qr/ERROR|FATAL|PANIC|aborted/, "$name: no error reported by any client");
}

# Searches check their own result size: \if raises a division by zero (an
# error, so the client aborts and pgbench fails) unless LIMIT rows came back.
sub search_script
{
    my ($table, $dims, $filter_rows) = @_;
    return script_file(qq{
\\set q random(1, 1000000000)
SELECT count(*) AS n FROM (SELECT id FROM $table ORDER BY v <-> pvec(:q, $dims) LIMIT 10) s \\gset
\\if :n != 10
SELECT 1 / 0 AS "plain search returned fewer than 10 rows";
\\endif
SELECT count(*) AS n FROM (SELECT id FROM $table WHERE id % 5 = 0 ORDER BY v <-> pvec(:q, $dims) LIMIT $filter_rows) s \\gset
\\if :n != $filter_rows
SELECT 1 / 0 AS "filtered search returned too few rows";
\\endif
});
}

# ---- (a) ten concurrent inserters of 1,980-dimensional vectors -------------
my $t0 = time;
$node->safe_psql('postgres', q{
    CREATE TABLE big (id bigint PRIMARY KEY, v vector(1980));
    CREATE SEQUENCE big_seq;
    CREATE INDEX big_v_idx ON big USING rushdb_hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 64);
});
{
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 10 -j 2 -t 50', [
        [ script_file("INSERT INTO big (id, v) SELECT n, pvec(n, 1980) FROM (SELECT nextval('big_seq') AS n) s;\n"), 1 ] ],
        \$out, \$err);
    pgbench_ok('(a) 10 inserters', $h, \$out, \$err);
    like($out, qr{actually processed: 500/500}, '(a) 500 rows inserted');
}
note(sprintf('(a) inserts: %.1f s', time - $t0));
is(verify_problems($node, 'big_v_idx'), '', '(a) hnsw_verify is clean');
{
    my ($found, $distinct, $total) = index_census($node, 'big', 1980);
    is("$found|$distinct|$total", '500|500|500', '(a) an index scan returns each of the 500 rows once');
}
is(through_index($node, 'big', 'SET enable_seqscan = off; SET rushdb.hnsw_ef_search = 1000',
        'SELECT count(*) FROM big b WHERE (SELECT i.id FROM big i ORDER BY i.v <-> b.v LIMIT 1) = b.id'),
    '500', '(a) every row is its own nearest neighbour through the index (its stored vector is intact)');
note(sprintf('(a) total: %.1f s', time - $t0));

# ---- (b) inserters and searchers together for 10 s -------------------------
$t0 = time;
$node->safe_psql('postgres', q{
    CREATE TABLE mix (id bigint PRIMARY KEY, v vector(64));
    CREATE SEQUENCE mix_seq;
    INSERT INTO mix SELECT nextval('mix_seq'), pvec(i, 64) FROM generate_series(1, 3000) i;
    CREATE INDEX mix_v_idx ON mix USING rushdb_hnsw (v vector_l2_ops);
    ANALYZE mix;
});
like($node->safe_psql('postgres', q{
    SET enable_seqscan = off;
    EXPLAIN (COSTS OFF) SELECT id FROM mix WHERE id % 5 = 0 ORDER BY v <-> pvec(1, 64) LIMIT 10}),
    qr/Index Scan using mix_v_idx/, '(b) searches go through the index (with enable_seqscan off)');
{
    local $ENV{PGOPTIONS} = '-c enable_seqscan=off';
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 8 -j 2 -T 10 --random-seed=5', [
        [ script_file("INSERT INTO mix (id, v) SELECT n, pvec(n, 64) FROM (SELECT nextval('mix_seq') AS n) s;\n"), 1 ],
        [ search_script('mix', 64, 10), 1 ] ], \$out, \$err);
    pgbench_ok('(b) inserters + searchers', $h, \$out, \$err);
    like($out, qr{actually processed: [1-9]\d{2,}}, '(b) hundreds of transactions ran');
}
note(sprintf('(b) mixed run: %.1f s', time - $t0));
is(verify_problems($node, 'mix_v_idx'), '', '(b) hnsw_verify is clean');
{
    my ($found, $distinct, $total) = index_census($node, 'mix', 64);
    is("$found|$distinct", "$total|$total", "(b) an index scan returns all $total rows once each");
}

# ---- (c) VACUUM in a loop while others insert, delete and search -----------
$t0 = time;
$node->safe_psql('postgres', q{
    CREATE TABLE churn (id bigint PRIMARY KEY, v vector(64));
    CREATE SEQUENCE churn_seq;
    INSERT INTO churn SELECT nextval('churn_seq'), pvec(i, 64) FROM generate_series(1, 3000) i;
    -- A small pending list (64 kB, about 240 rows): inserters merge it
    -- page by page while VACUUM merges what is left, deletes and repairs.
    CREATE INDEX churn_v_idx ON churn USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = 64);
    ANALYZE churn;
});
my ($vacuums, @vacuum_errors) = (0);
{
    local $ENV{PGOPTIONS} = '-c enable_seqscan=off';
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 6 -j 2 -T 15 --random-seed=11', [
        [ script_file("INSERT INTO churn (id, v) SELECT n, pvec(n, 64) FROM (SELECT nextval('churn_seq') AS n) s;\n"), 3 ],
        [ script_file(qq{
\\set r random(1, 15000)
DELETE FROM churn WHERE id = (SELECT id FROM churn WHERE id >= :r ORDER BY id LIMIT 1);
}), 2 ],
        [ search_script('churn', 64, 5), 1 ] ], \$out, \$err);
    my $deadline = time + 14;
    while (time < $deadline)
    {
        my ($ret, $stdout, $stderr) = $node->psql('postgres', 'VACUUM churn');
        if ($ret != 0) { push @vacuum_errors, $stderr; last; }
        $vacuums++;
        sleep 0.1;
    }
    pgbench_ok('(c) inserts + deletes + searches under VACUUM', $h, \$out, \$err);
}
note("(c) VACUUM ran $vacuums times");
is(join("\n", @vacuum_errors), '', '(c) every VACUUM succeeded');
cmp_ok($vacuums, '>=', 5, '(c) VACUUM ran repeatedly during the run');
is(verify_problems($node, 'churn_v_idx'), '', '(c) hnsw_verify is clean after the run');
{
    my ($found, $distinct, $total) = index_census($node, 'churn', 64);
    is("$found|$distinct", "$total|$total", "(c) an index scan returns all $total rows once each");
}
$node->safe_psql('postgres', 'VACUUM churn');
is(verify_problems($node, 'churn_v_idx'), '', '(c) hnsw_verify is clean after a final VACUUM');
{
    my ($found, $distinct, $total) = index_census($node, 'churn', 64);
    is("$found|$distinct", "$total|$total", "(c) after a final VACUUM the index still returns all $total rows");
}
note(sprintf('(c) total: %.1f s', time - $t0));

# A table of 2,000 64-dim rows with an index whose pending list has the
# given limit (kB): the setup of (d), (e) and (f).
sub listed_table
{
    my ($table, $limit_kb) = @_;
    $node->safe_psql('postgres', qq{
        CREATE TABLE $table (id bigint PRIMARY KEY, v vector(64));
        INSERT INTO $table SELECT i, pvec(i, 64) FROM generate_series(1, 2000) i;
        CREATE INDEX ${table}_v_idx ON $table USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = $limit_kb);
    });
}

# Every row of a 64-dim table comes back from an index scan, once.
sub all_rows_once
{
    my ($what, $table) = @_;
    my ($found, $distinct, $total) = index_census($node, $table, 64);
    is("$found|$distinct", "$total|$total", "$what an index scan returns all $total rows once each");
}

# ---- (d) the background merger drains a burst ------------------------------
$t0 = time;
listed_table('burst', 256);
{
    # 4 writers, 6,000 rows: past a sixteenth of the limit (2 pages) a
    # worker starts; past the limit (32 pages) writers wait for it.
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 4 -j 2 -t 1500 --random-seed=13', [
        [ script_file("INSERT INTO burst (id, v) SELECT n, pvec(n, 64) FROM (SELECT 100000 + (random() * 1e9)::bigint AS n) s ON CONFLICT DO NOTHING;\n"), 1 ] ],
        \$out, \$err);
    my ($max_workers, $max_pages) = (0, 0);
    while ($h->pumpable)
    {
        my ($w, $p) = split /\|/, $node->safe_psql('postgres', q{
            SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'rushdb hnsw merge'),
                   pending_pages FROM rushdb.hnsw_index_info('burst_v_idx')});
        $max_workers = $w if $w > $max_workers;
        $max_pages = $p if $p > $max_pages;
        $h->pump_nb;
        sleep 0.05;
    }
    pgbench_ok('(d) burst of inserts', $h, \$out, \$err);
    note("(d) during the burst: up to $max_workers merge worker(s), up to $max_pages pending pages");
    is($max_workers <= 1 ? 'ok' : $max_workers, 'ok', '(d) one merge worker at a time');
    cmp_ok($max_pages, '<=', 32 + 4 + 2, '(d) the list stays within its limit (plus a page per writer)');
}
ok($node->poll_query_until('postgres', q{
    SELECT pending_pages <= 1 AND NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'rushdb hnsw merge')
    FROM rushdb.hnsw_index_info('burst_v_idx')}),
    '(d) the worker drains the list to the page being filled, then exits');
is(verify_problems($node, 'burst_v_idx'), '', '(d) hnsw_verify is clean after the burst');
all_rows_once('(d)', 'burst');
note(sprintf('(d) total: %.1f s', time - $t0));

# ---- (e) no worker slot: writers merge themselves ---------------------------
$node->append_conf('postgresql.conf', 'max_worker_processes = 0');
$node->restart;
$t0 = time;
listed_table('noslot', 64);
{
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 4 -j 2 -t 500 --random-seed=17', [
        [ script_file("INSERT INTO noslot (id, v) SELECT n, pvec(n, 64) FROM (SELECT 100000 + (random() * 1e9)::bigint AS n) s ON CONFLICT DO NOTHING;\n"), 1 ] ],
        \$out, \$err);
    pgbench_ok('(e) inserts with no background worker slot', $h, \$out, \$err);
}
cmp_ok($node->safe_psql('postgres', q{SELECT pending_pages FROM rushdb.hnsw_index_info('noslot_v_idx')}),
    '<=', 8 + 4, '(e) the writers kept the list within its limit (8 pages, plus a page per writer)');
is(verify_problems($node, 'noslot_v_idx'), '', '(e) hnsw_verify is clean');
all_rows_once('(e)', 'noslot');
note(sprintf('(e) total: %.1f s', time - $t0));

# ---- (f) every kind of merger at once ---------------------------------------
# Still no worker slot: the writers merge past the limit (8 pages), beside
# whole-list merges and VACUUM, one page at a time.
$t0 = time;
listed_table('side', 64);
{
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 6 -j 2 -t 1000 --random-seed=19', [
        [ script_file("INSERT INTO side (id, v) SELECT n, pvec(n, 64) FROM (SELECT 100000 + (random() * 1e9)::bigint AS n) s ON CONFLICT DO NOTHING;\n"), 12 ],
        [ script_file("DELETE FROM side WHERE id = (SELECT id FROM side WHERE id > (random() * 1e9)::bigint ORDER BY id LIMIT 1);\n"), 2 ],
        [ script_file("SELECT rushdb.hnsw_merge_pending('side_v_idx');\n"), 1 ],
        [ script_file("VACUUM side;\n"), 1 ] ],
        \$out, \$err);
    # Mergers hold the merge lock (a page lock on block 0xFFFFFFFE, which
    # pg_locks shows as the int4 -2); the
    # most backends seen holding it at once (one read of pg_locks per
    # sample, a consistent snapshot of the lock table).
    my $max_claims = 0;
    while ($h->pumpable)
    {
        # 50 samples 2 ms apart per call (the subquery depends on g, so it
        # runs again for every g).
        my $c = $node->safe_psql('postgres', q{
            SELECT max((SELECT count(DISTINCT pid) FROM (
                WITH p AS MATERIALIZED (
                    SELECT pid, page, mode FROM pg_locks
                    WHERE locktype = 'page' AND relation = 'side_v_idx'::regclass AND granted AND g > 0)
                SELECT pid FROM p WHERE mode = 'ExclusiveLock' AND page = -2) x))
            FROM generate_series(1, 50) g, LATERAL (SELECT pg_sleep(0.002) WHERE g > 0) z});
        $max_claims = $c if $c > $max_claims;
        $h->pump_nb;
    }
    pgbench_ok('(f) writers, deletes, whole-list merges and VACUUM at once', $h, \$out, \$err);
    note("(f) up to $max_claims backend(s) merging at once");
    is($max_claims, 1, '(f) merges ran during the run, one at a time');
}
is(verify_problems($node, 'side_v_idx'), '', '(f) hnsw_verify is clean after the run');
all_rows_once('(f)', 'side');
$node->safe_psql('postgres', 'VACUUM side');
is($node->safe_psql('postgres', q{SELECT pending_pages || '|' || pending_rows FROM rushdb.hnsw_index_info('side_v_idx')}),
    '0|0', '(f) VACUUM leaves the list empty');
is(verify_problems($node, 'side_v_idx'), '', '(f) hnsw_verify is clean after VACUUM');
all_rows_once('(f) after VACUUM', 'side');
note(sprintf('(f) total: %.1f s', time - $t0));

# ---- (g) concurrent drops of links into the same element --------------------
# Graph inserts straight into small lists (no pending list; m = 4, so 8
# links on layer 0) from 6 clients: nearly every reverse link into a full
# list drops a link, and two inserts often drop links into the same element
# at once. Each drop's check (the element keeps another way in) and its
# write run under the dropped element's lock (DropLocks, docs/hnsw.md), so
# two inserts cannot each count on the link the other removes.
# Known gap, kept visible: at m = 4 the check (a neighbour links back) can
# count on a neighbour that is itself reachable only through the dropped
# element, so a few elements can be cut off right after the inserts (2 of
# 12,500 in some runs, with inserts serialized too). The count is printed;
# what is asserted is what holds today: VACUUM's reachability pass links
# them back, and then every row is found once.
$t0 = time;
$node->safe_psql('postgres', q{
    CREATE TABLE drops (id bigint PRIMARY KEY, v vector(8));
    INSERT INTO drops SELECT i, pvec(i, 8) FROM generate_series(1, 500) i;
    CREATE INDEX drops_v_idx ON drops USING rushdb_hnsw (v vector_l2_ops)
        WITH (m = 4, ef_construction = 16, pending_list_limit = 0);
});
{
    my ($out, $err) = ('', '');
    my $h = start_pgbench('-c 6 -j 2 -t 2000 --random-seed=23', [
        [ script_file("INSERT INTO drops (id, v) SELECT n, pvec(n, 8) FROM (SELECT 100000 + (random() * 1e9)::bigint AS n) s ON CONFLICT DO NOTHING;\n"), 1 ] ],
        \$out, \$err);
    pgbench_ok('(g) 6 clients inserting into lists of 8', $h, \$out, \$err);
}
my $cut_off = verify_problems($node, 'drops_v_idx');
note('(g) right after the inserts, hnsw_verify: ' . ($cut_off eq '' ? 'clean' : $cut_off));
$node->safe_psql('postgres', 'VACUUM drops');
is(verify_problems($node, 'drops_v_idx'), '', '(g) after VACUUM hnsw_verify is clean: every element reachable');
{
    my ($found, $distinct, $total) = index_census($node, 'drops', 8);
    is("$found|$distinct", "$total|$total", "(g) after VACUUM an index scan returns all $total rows once each");
}
note(sprintf('(g) total: %.1f s', time - $t0));


ok(!$node->log_contains(qr/terminated by signal|PANIC/), 'no backend crashed and nothing PANICked');
$node->stop;
done_testing();
