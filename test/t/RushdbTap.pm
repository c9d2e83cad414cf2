# Helpers shared by the TAP tests (a module in test/t: prove runs *.pl only).
package RushdbTap;
use strict;
use warnings;
use Exporter 'import';
use Test::More;
our @EXPORT = qw(create_rushdb verify_problems index_census hnsw_indexes_of hnsw_scan_in hnsw_operator
                 explained through_index vector_relation vector_hnsw_index);

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

# The rushdb_hnsw indexes of a table (a name or a qualified, quoted name),
# from the catalog.
sub hnsw_indexes_of
{
    my ($n, $table) = @_;
    return split /\n/, $n->safe_psql('postgres', qq{
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
        WHERE a.amname = 'rushdb_hnsw' AND i.indrelid = '$table'::regclass ORDER BY 1});
}

# The rushdb_hnsw index of `table` that an EXPLAIN output scans ("Index Scan
# using <index> on ..."), or '' when the plan scans none of them.
sub hnsw_scan_in
{
    my ($n, $plan, $table) = @_;
    for my $ix (hnsw_indexes_of($n, $table))
    {
        return $ix if $plan =~ /Index Scan(?: Backward)? using \Q$ix\E on /;
    }
    return '';
}

# explained(node, settings, query): the plan of `query` (EXPLAIN, COSTS
# OFF) and its result, both from one session after `settings`, so the plan
# shown is the one that ran. Returns (plan, result).
sub explained
{
    my ($n, $settings, $query) = @_;
    my $marker = '--- result ---';
    my $out = $n->safe_psql('postgres', "$settings; EXPLAIN (COSTS OFF) $query; SELECT '$marker'; $query");
    my ($plan, $result) = split /^\Q$marker\E\n?/m, $out, 2;
    $plan =~ s/\n\z//;
    return ($plan, $result // '');
}

# through_index(node, table, settings, query): the query's result when its
# plan, from the same session, scans a rushdb_hnsw index of `table`; else
# 'not an index scan' (so the caller's comparison fails), with the plan in
# the diagnostics.
sub through_index
{
    my ($n, $table, $settings, $query) = @_;
    my ($plan, $result) = explained($n, $settings, $query);
    return $result if hnsw_scan_in($n, $plan, $table) ne '';
    diag("not a rushdb_hnsw index scan of $table:\n$plan");
    return 'not an index scan';
}

# The distance operator the (one) rushdb_hnsw index of a table answers,
# from its operator class.
sub hnsw_operator
{
    my ($n, $table) = @_;
    my $opclass = $n->safe_psql('postgres', qq{
        SELECT string_agg(opc.opcname, ',') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am a ON a.oid = c.relam JOIN pg_opclass opc ON opc.oid = i.indclass[0]
        WHERE a.amname = 'rushdb_hnsw' AND i.indrelid = '$table'::regclass});
    my %op = (vector_l2_ops => '<->', vector_cosine_ops => '<=>', vector_ip_ops => '<#>');
    return $op{$opclass} // die "$table: no single rushdb_hnsw index with a known operator class ($opclass)";
}

# Rows returned by an exhaustive index scan (count, distinct ids, ordered by
# the index's own operator) and by count(*); the ids the index scan missed (first 20) go to the test's notes.
# With `expected`, the name of a table of ids, also returns how many of those
# ids the scan did not return. The scan runs under EXPLAIN ANALYZE in the
# same session: when its plan is not a scan of the table's rushdb_hnsw
# index, the count comes back as 'not an index scan' (so the caller's
# comparison fails) and the plan goes to the diagnostics.
sub index_census
{
    my ($n, $table, $dims, $expected) = @_;
    my $op = hnsw_operator($n, $table);
    my $unseen = $expected
      ? "(SELECT count(*) FROM $expected e WHERE NOT EXISTS (SELECT FROM found f WHERE f.id = e.id))"
      : "''";
    my $r = $n->safe_psql('postgres', qq{
        SET enable_seqscan = off; SET enable_bitmapscan = off;
        SET rushdb.hnsw_ef_search = 1000; SET rushdb.hnsw_max_scan_tuples = 10000000;
        EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
            CREATE TEMP TABLE found AS SELECT id FROM $table ORDER BY v $op pvec(-1, $dims) LIMIT 10000000;
        SELECT 'census', count(*), count(DISTINCT id), (SELECT count(*) FROM $table), $unseen,
               (SELECT string_agg(id::text, ',' ORDER BY id) FROM
                   (SELECT id FROM $table EXCEPT SELECT id FROM found ORDER BY 1 LIMIT 20) m)
        FROM found;
    });
    my @lines = split /\n/, $r;
    my $plan = join("\n", grep { !/^census\|/ } @lines);
    my ($census) = grep { /^census\|/ } @lines;
    my (undef, $found, $distinct, $total, $unfound, $missing) = split /\|/, $census // '', -1;
    if (hnsw_scan_in($n, $plan, $table) eq '')
    {
        diag("$table: the census query did not scan a rushdb_hnsw index of $table:\n$plan");
        return ('not an index scan', '', $total, 'not an index scan');
    }
    note("$table: committed rows the index scan missed (first 20): $missing") if ($missing // '') ne '';
    return ($found, $distinct, $total, $expected ? $unfound : ());
}

# --- the vector tables of embedding indexes --------------------------------
# Where they live: the one place the tests name their schema.
my $VECTOR_SCHEMA = 'rushdb_internal';

# The vector table of embedding index `id` (from rushdb.embedding_indexes),
# schema-qualified and quoted for SQL text.
sub vector_relation
{
    my ($n, $id) = @_;
    my $rel = $n->safe_psql('postgres', qq{
        SELECT format('%I.%I', '$VECTOR_SCHEMA', vector_table) FROM rushdb.embedding_indexes WHERE id = '$id'});
    die "no embedding index $id" if $rel eq '';
    return $rel;
}

# The rushdb_hnsw index on that table, schema-qualified and quoted.
sub vector_hnsw_index
{
    my ($n, $id) = @_;
    my $rel = vector_relation($n, $id);
    my @ix = hnsw_indexes_of($n, $rel);
    die "vector table $rel has " . scalar(@ix) . " rushdb_hnsw indexes" unless @ix == 1;
    return $n->safe_psql('postgres', qq{SELECT format('%I.%I', '$VECTOR_SCHEMA', '$ix[0]')});
}

1;
