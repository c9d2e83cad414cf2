# rushdb.vector data is ordinary WAL-logged heap data: it survives an
# immediate shutdown and reaches a streaming standby bit-for-bit, including
# vectors large enough to be stored out of line (TOAST).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION rushdb');
$primary->backup('base');

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres', q{
    CREATE TABLE items (id int PRIMARY KEY, small rushdb.vector(8), big rushdb.vector(3000));
    INSERT INTO items
    SELECT i,
           (SELECT array_agg(sin(i * 7 + j))::real[] FROM generate_series(1, 8) j)::rushdb.vector,
           (SELECT array_agg(cos(i + j * 0.01))::real[] FROM generate_series(1, 3000) j)::rushdb.vector
    FROM generate_series(1, 500) i;
});

my $fingerprint = q{
    SELECT count(*), md5(string_agg(small::text || big::text, ',' ORDER BY id)),
           round(sum(big OPERATOR(rushdb.<->) (SELECT big FROM items WHERE id = 1))::numeric, 3)
    FROM items};
my $on_primary = $primary->safe_psql('postgres', $fingerprint);
like($on_primary, qr/^500\|/, 'primary holds 500 rows');

$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', $fingerprint), $on_primary,
    'standby returns the same vectors and distances as the primary');

# Immediate shutdown: no checkpoint, recovery must replay the inserts.
$primary->safe_psql('postgres', q{
    INSERT INTO items
    SELECT i, array_fill(i::real, ARRAY[8])::rushdb.vector, array_fill(1::real, ARRAY[3000])::rushdb.vector
    FROM generate_series(501, 600) i});
my $before_crash = $primary->safe_psql('postgres', $fingerprint);
$primary->stop('immediate');
$primary->start;
is($primary->safe_psql('postgres', $fingerprint), $before_crash,
    'vectors are intact after crash recovery');

is($primary->safe_psql('postgres', q{SELECT rushdb.vector_dims(rushdb.avg(big)) FROM items}), '3000',
    'aggregates work after recovery');

done_testing();
