# rushdb_hnsw search quality on clustered data, against exact answers:
# recall@10 at the default ef_search stays >= 0.95 after CREATE INDEX, after
# further inserts (the on-disk insert path) and after deleting a fifth of the
# rows and VACUUM (repair and removal). Deleted rows are never returned, no
# live row is lost, hnsw_verify is clean at every stage, and the planner picks
# the index for ORDER BY v <-> q LIMIT 10 at this size on its own.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::Bin;
use RushdbTap;

my $node = PostgreSQL::Test::Cluster->new('recall');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
    CREATE EXTENSION rushdb;
    ALTER DATABASE postgres SET search_path TO public, rushdb;
});

# 20 centres in [-10, 10]^32, points = centre + N(0, 1) per coordinate
# (Box-Muller over random()); setseed makes every run draw the same numbers.
my $started = time;
$node->safe_psql('postgres', q{
    CREATE FUNCTION gauss() RETURNS double precision LANGUAGE sql VOLATILE AS
        $$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) $$;
    SELECT setseed(0.42);
    CREATE TABLE centres AS
        SELECT c, array_agg((random() * 20 - 10)::real ORDER BY j) AS a
        FROM generate_series(0, 19) c, generate_series(1, 32) j GROUP BY c;
    CREATE TABLE pts (id int PRIMARY KEY, v vector(32));
    INSERT INTO pts
        SELECT i, (SELECT array_agg(c.a[j] + gauss()::real ORDER BY j) FROM generate_series(1, 32) j)::vector
        FROM generate_series(1, 10000) i JOIN centres c ON c.c = i % 20;
    SELECT setseed(0.7);
    CREATE TABLE queries AS
        SELECT q, (SELECT array_agg(c.a[j] + gauss()::real ORDER BY j) FROM generate_series(1, 32) j)::vector AS v
        FROM generate_series(1, 100) q JOIN centres c ON c.c = (q * 7) % 20;
    CREATE TABLE gone (id int PRIMARY KEY);
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM pts'), '10000', '10,000 clustered points');

$node->safe_psql('postgres', q{
    CREATE INDEX pts_v_idx ON pts USING rushdb_hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 64);
    ANALYZE pts;
});
note(sprintf('data + index build: %.1f s', time - $started));

# Top-10 ids of every query by the index (sequential scan disabled, so the
# nested subquery must go through it) and exactly (index scans disabled).
# Each side runs under EXPLAIN ANALYZE in the session that stores its
# answers, and its plan is checked: the approximate side scans pts_v_idx,
# the exact side no rushdb_hnsw index (a btree scan plus a sort would pass
# an enable_seqscan = off run unnoticed).
my $top10 = q{SELECT q.q, ARRAY(SELECT id FROM pts ORDER BY v <-> q.v LIMIT 10) AS ids FROM queries q};
my $analyze = 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)';

sub check_stage
{
    my ($stage, %opt) = @_;
    my $t0 = time;
    my $ef = $opt{ef_search} ? "SET rushdb.hnsw_ef_search = $opt{ef_search};" : '';

    my $res = $node->safe_psql('postgres', qq{
        SET enable_seqscan = off; $ef
        $analyze CREATE TEMP TABLE approx AS $top10;
        SELECT '--- exact ---';
        RESET enable_seqscan; RESET rushdb.hnsw_ef_search;
        SET enable_indexscan = off; SET enable_bitmapscan = off;
        $analyze CREATE TEMP TABLE exact AS $top10;
        SELECT '--- results ---';
        SELECT round(sum(hits) / (10.0 * count(*)), 4), min(cardinality(a_ids)), count(*),
               min(hits), count(*) FILTER (WHERE hits < 10)
        FROM (SELECT a.ids AS a_ids,
                     (SELECT count(*) FROM unnest(a.ids) x WHERE x = ANY (e.ids)) AS hits
              FROM approx a JOIN exact e USING (q)) s;
        SELECT count(*) FROM approx, unnest(ids) x WHERE x IN (SELECT id FROM gone);
    });
    my ($approx_plan, $exact_plan, $results) = split /^--- (?:exact|results) ---\n/m, $res;
    is(hnsw_scan_in($node, $approx_plan, 'pts'), 'pts_v_idx', "$stage: the approximate run scanned pts_v_idx")
        or diag($approx_plan);
    is(hnsw_scan_in($node, $exact_plan, 'pts'), '', "$stage: the exact run scanned no rushdb_hnsw index")
        or diag($exact_plan);
    my ($line, $ghosts) = split /\n/, $results;
    my ($recall, $min_rows, $queries, $worst, $imperfect) = split /\|/, $line;
    note(sprintf('%s: recall@10 %s (worst query %s/10, %s of %s queries imperfect), %.1f s',
        $stage, $recall, $worst, $imperfect, $queries, time - $t0));
    is($queries, '100', "$stage: 100 queries compared");
    is($min_rows, '10', "$stage: every query returns 10 rows through the index");
    cmp_ok($recall, '>=', $opt{min_recall}, "$stage: recall\@10 >= $opt{min_recall}"
        . ($opt{ef_search} ? " at ef_search = $opt{ef_search}" : ' at the default ef_search'));
    is($ghosts, '0', "$stage: no deleted row is returned");
}

sub verify_clean
{
    my ($stage) = @_;
    is($node->safe_psql('postgres', q{SELECT string_agg(p, E'\n') FROM rushdb.hnsw_verify('pts_v_idx') p}),
        '', "$stage: hnsw_verify reports no problem");
}

# Every live row is reachable: an unbounded index scan returns each once
# (the scan's plan, from the same session, must be pts_v_idx).
sub all_rows_found
{
    my ($stage) = @_;
    my $r = $node->safe_psql('postgres', qq{
        SET enable_seqscan = off; SET rushdb.hnsw_ef_search = 1000;
        SET rushdb.hnsw_max_scan_tuples = 1000000;
        $analyze CREATE TEMP TABLE found AS
            SELECT id FROM pts ORDER BY v <-> (SELECT v FROM queries WHERE q = 1) LIMIT 1000000;
        SELECT '--- results ---';
        SELECT count(*), count(DISTINCT id), (SELECT count(*) FROM pts),
               (SELECT string_agg(id::text || ' ' || ctid::text, ', ' ORDER BY id)
                FROM pts WHERE id NOT IN (SELECT id FROM found))
        FROM found;
    });
    my ($plan, $line) = split /^--- results ---\n/m, $r;
    my ($found, $distinct, $total, $missing) = split /\|/, $line;
    note("$stage: rows the index scan did not return (id ctid): $missing") if $missing ne '';
    $found = 'not an index scan' if hnsw_scan_in($node, $plan, 'pts') ne 'pts_v_idx';
    is("$found|$distinct", "$total|$total", "$stage: an index scan returns all $total live rows once each")
        or diag($plan);
}

# The planner's own choice at this size (nothing forced).
my $q1 = $node->safe_psql('postgres', 'SELECT v FROM queries WHERE q = 1');
my $knn = "SELECT id FROM pts ORDER BY v <-> '$q1' LIMIT 10";
my $plan_default = $node->safe_psql('postgres', "EXPLAIN $knn");
my $plan_forced = $node->safe_psql('postgres', "SET enable_seqscan = off; EXPLAIN $knn");
note("plan chosen by the planner:\n$plan_default");
note("plan with enable_seqscan = off:\n$plan_forced");
like($plan_default, qr/Index Scan using pts_v_idx/,
    'the planner chooses the index for ORDER BY v <-> q LIMIT 10 over 10,000 rows without being forced');

check_stage('after build', min_recall => 0.95);
# A healthy graph over 10,000 points is searched almost exhaustively with a
# candidate list of 1,000: anything short of near-exact results means some
# region of the graph cannot be reached from where the search enters it.
check_stage('after build, ef_search 1000', min_recall => 0.99, ef_search => 1000);
verify_clean('after build');
all_rows_found('after build');

# 2,000 more points from the same clusters, one INSERT (aminsert per row).
$started = time;
$node->safe_psql('postgres', q{
    SELECT setseed(0.9);
    INSERT INTO pts
        SELECT i, (SELECT array_agg(c.a[j] + gauss()::real ORDER BY j) FROM generate_series(1, 32) j)::vector
        FROM generate_series(10001, 12000) i JOIN centres c ON c.c = i % 20;
    ANALYZE pts;
});
note(sprintf('2,000 inserts: %.1f s', time - $started));
check_stage('after 2,000 inserts', min_recall => 0.95);
verify_clean('after 2,000 inserts');
all_rows_found('after 2,000 inserts');

# Delete a fifth of the rows, spread over every cluster (md5 order is
# unrelated to the cluster, which is id % 20), then VACUUM.
$started = time;
$node->safe_psql('postgres', q{
    INSERT INTO gone SELECT id FROM pts ORDER BY md5(id::text) LIMIT 2400;
    DELETE FROM pts WHERE id IN (SELECT id FROM gone);
    VACUUM ANALYZE pts;
});
note(sprintf('delete 2,400 + VACUUM: %.1f s', time - $started));
is($node->safe_psql('postgres', 'SELECT count(*) FROM pts'), '9600', '9,600 rows left');
check_stage('after deleting 20% and VACUUM', min_recall => 0.95);
verify_clean('after deleting 20% and VACUUM');
all_rows_found('after deleting 20% and VACUUM');

$node->stop;
done_testing();
