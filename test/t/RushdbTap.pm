# Helpers shared by the TAP tests (a module in test/t: prove runs *.pl only).
package RushdbTap;
use strict;
use warnings;
use Exporter 'import';
use Test::More;
our @EXPORT = qw(create_rushdb verify_problems index_census);

# CREATE EXTENSION rushdb, search_path with rushdb, and pvec(seed, dims): a
# pseudo-random vector in [-1, 1)^dims that depends on the seed only, so
# every run inserts the same vectors for the same ids.
sub create_rushdb
{
    my ($n) = @_;
    $n->safe_psql('postgres', q{
        CREATE EXTENSION rushdb;
        ALTER DATABASE postgres SET search_path TO public, rushdb;
        CREATE FUNCTION pvec(seed bigint, dims int) RETURNS rushdb.vector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT array_agg((('x' || substr(md5(seed::text || ':' || j::text), 1, 8))::bit(32)::int
                              / 2147483648.0)::real ORDER BY j)::rushdb.vector
            FROM generate_series(1, dims) j $$;
    });
}

# hnsw_verify's findings, one per line ('' = clean).
sub verify_problems
{
    my ($n, $index) = @_;
    return $n->safe_psql('postgres', "SELECT string_agg(p, E'\\n') FROM rushdb.hnsw_verify('$index') p");
}

# Rows returned by an exhaustive index scan (count, distinct ids) and by
# count(*); the ids the index scan missed (first 20) go to the test's notes.
sub index_census
{
    my ($n, $table, $dims) = @_;
    my $r = $n->safe_psql('postgres', qq{
        SET enable_seqscan = off; SET enable_bitmapscan = off;
        SET rushdb.hnsw_ef_search = 1000; SET rushdb.hnsw_max_scan_tuples = 10000000;
        CREATE TEMP TABLE found AS SELECT id FROM $table ORDER BY v <-> pvec(-1, $dims) LIMIT 10000000;
        SELECT count(*), count(DISTINCT id), (SELECT count(*) FROM $table),
               (SELECT string_agg(id::text, ',' ORDER BY id) FROM
                   (SELECT id FROM $table EXCEPT SELECT id FROM found ORDER BY 1 LIMIT 20) m)
        FROM found;
    });
    my ($found, $distinct, $total, $missing) = split /\|/, $r;
    note("$table: committed rows the index scan missed (first 20): $missing") if $missing ne '';
    return ($found, $distinct, $total);
}

1;
