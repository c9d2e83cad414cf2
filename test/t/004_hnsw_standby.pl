# rushdb_hnsw on a streaming standby: the index reaches the standby through
# WAL page for page, so the same queries return the same top-10 ids there as
# on the primary: after CREATE INDEX, and after each of ten rounds of
# DELETE + VACUUM (graph repair and element removal) + INSERT (into the
# pending list, merged by the next VACUUM), and after a burst of inserts
# and its merge. At the end the
# standby's copy passes hnsw_verify (read-only, so it runs on a standby) and
# an exhaustive index scan there returns every row.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use RushdbTap;
use Time::HiRes qw(time);

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "shared_buffers = 16MB\nlog_statement = none");
$primary->start;
create_rushdb($primary);
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

my $t0 = time;
$primary->safe_psql('postgres', q{
    CREATE TABLE t (id int PRIMARY KEY, v vector(32));
    INSERT INTO t SELECT i, pvec(i, 32) FROM generate_series(1, 5000) i;
    CREATE INDEX t_v_idx ON t USING rushdb_hnsw (v vector_l2_ops) WITH (m = 16, ef_construction = 64);
});
$primary->wait_for_catchup($standby);
note(sprintf('5,000 rows + index, replicated: %.1f s', time - $t0));

# 20 fixed queries; one line per query: "q:{top-10 ids}". Each node's
# answers come with their plan from the same session, which must scan
# t_v_idx.
my $topk_query = q{
    SELECT q || ':' || ARRAY(SELECT id FROM t ORDER BY v <-> pvec(100000 + q, 32) LIMIT 10)::text
    FROM generate_series(1, 20) q ORDER BY q};

sub compare_topk
{
    my ($stage) = @_;
    my $p = through_index($primary, 't', 'SET enable_seqscan = off', $topk_query);
    my $s = through_index($standby, 't', 'SET enable_seqscan = off', $topk_query);
    my @lines = split /\n/, $p;
    my $full = grep { /^\d+:\{(\d+,){9}\d+\}$/ } @lines;
    is($full, 20, "$stage: the primary returns 10 rows for each of the 20 queries through t_v_idx");
    is($s, $p, "$stage: the standby returns the same top-10 ids as the primary through t_v_idx");
}

compare_topk('after CREATE INDEX');

# Ten rounds: delete 300 rows (a slice of ids, scattered through the space),
# VACUUM, insert 300 new ones.
for my $round (1 .. 10)
{
    my $t1 = time;
    my ($lo, $hi) = (($round - 1) * 300 + 1, $round * 300);
    my ($nlo, $nhi) = (5000 + $lo, 5000 + $hi);
    $primary->safe_psql('postgres', qq{
        DELETE FROM t WHERE id BETWEEN $lo AND $hi;
        VACUUM t;
        INSERT INTO t SELECT i, pvec(i, 32) FROM generate_series($nlo, $nhi) i;
    });
    $primary->wait_for_catchup($standby);
    note(sprintf('round %d: delete + VACUUM + insert, replicated: %.1f s', $round, time - $t1));
    compare_topk("round $round");
}

# A burst of 2,000 inserts waits in the pending list, searched there on both
# nodes; then a merge moves it into the graph. (A limit of 64 MB keeps the
# background merger out, so both nodes are compared on the same state, and
# autovacuum is kept off t: 2,000 inserts can wake it, and VACUUM merges.)
$primary->safe_psql('postgres', q{
    ALTER TABLE t SET (autovacuum_enabled = off);
    ALTER INDEX t_v_idx SET (pending_list_limit = 65536);
    INSERT INTO t SELECT i, pvec(i, 32) FROM generate_series(20001, 22000) i});
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT pending_rows >= 2000 FROM rushdb.hnsw_index_info('t_v_idx')}),
    't', 'the standby sees the burst in the pending list');
compare_topk('after a burst of 2,000 inserts (pending list)');
$primary->safe_psql('postgres', q{SELECT rushdb.hnsw_merge_pending('t_v_idx')});
# A merge assigns no transaction id, so its commit flushes no WAL: wait for
# the insert position, not the flushed one (the background merger's
# records are in it too).
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', q{SELECT pending_pages FROM rushdb.hnsw_index_info('t_v_idx')}),
    '0', 'the standby sees the merged, empty pending list');
compare_topk('after merging the pending list');

is($standby->safe_psql('postgres', 'SELECT count(*) FROM t'), '7000', 'the standby has the 7,000 current rows');
for my $n ($primary, $standby)
{
    is($n->safe_psql('postgres', q{SELECT string_agg(p, E'\n') FROM rushdb.hnsw_verify('t_v_idx') p}),
        '', $n->name . ': hnsw_verify is clean after the ten rounds and the merge');
    # A read-only census (the standby cannot create tables), plan checked.
    my $census = through_index($n, 't',
        'SET enable_seqscan = off; SET rushdb.hnsw_ef_search = 1000; SET rushdb.hnsw_max_scan_tuples = 1000000', q{
        SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE id BETWEEN 1 AND 3000)
        FROM (SELECT id FROM t ORDER BY v <-> pvec(-1, 32) LIMIT 1000000) s});
    is($census, '7000|7000|0', $n->name . ': an index scan returns each of the 7,000 rows once and no deleted one');
}

$standby->stop;
$primary->stop;
done_testing();
