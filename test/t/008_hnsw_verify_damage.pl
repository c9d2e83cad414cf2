# rushdb.hnsw_verify finds damage: small indexes are built, the server is
# stopped, each index file is damaged on purpose in one way (offsets from
# the page layout in src/pg/hnsw_page.hpp), the server is started again and
# verify must report exactly that damage: a dangling link, an invalid link,
# a link count past the maximum, a link to itself, a link given twice, a
# link to an element absent from that layer, a missing or invalid entry
# point, a wrong entry level, an entry below the tallest element, an
# unreachable element, a page of unknown kind, a page of zeros (fine when
# added by a crash, dangling links when it held elements), an element tuple of the
# wrong size, a broken metapage, and vector chunk chains (vectors too large
# for one page) that break off, end early, lead to a tuple that is not a
# chunk, run on past the vector, share a chunk with another vector, loop,
# or hold an empty chunk that points at itself.
#
# And a pending-list entry of the wrong size: verify reports it, scans and
# hnsw_index_info pass over it, and VACUUM still empties the list (it used
# to merge forever, the entry counting as waiting but never merged).
#
# Before any damage, the file as parsed here must agree with the server:
# one element per row (same heap TIDs), the metapage's parameters and entry
# point, every link resolving to an element, and verify clean; so a parser
# that reads the layout wrongly fails here rather than damaging the wrong
# bytes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use RushdbTap;

# --- the on-disk layout (src/pg/hnsw_page.hpp), little-endian ---------------
use constant {
    BLCKSZ       => 8192,
    PAGE_HEADER  => 24,            # SizeOfPageHeaderData, MAXALIGNed
    MAGIC        => 0x52484e57,
    KIND_META    => 1,
    KIND_ELEMENT => 2,
    KIND_CHUNK   => 3,
    TUPLE_ELEMENT => 1,
    TUPLE_CHUNK  => 2,
    ELEMENT_HEADER => 16,          # sizeof(ElementHeader)
    CHUNK_HEADER => 12,            # sizeof(ChunkHeader)
    TID_SIZE     => 6,             # ItemPointerData: bi_hi, bi_lo, ip_posid
    MAX_TUPLE    => 8152,          # kMaxTupleSize
};
# MetaPageData fields, as offsets in the page (PageGetContents = 24).
use constant {
    META_MAGIC => PAGE_HEADER + 0, META_VERSION => PAGE_HEADER + 4, META_DIMS => PAGE_HEADER + 8,
    META_M => PAGE_HEADER + 12, META_ENTRY => PAGE_HEADER + 20, META_ENTRY_LEVEL => PAGE_HEADER + 26,
};
use constant INVALID_TID => pack('vvv', 0xFFFF, 0xFFFF, 0);    # ItemPointerSetInvalid

sub align4 { my ($n) = @_; return ($n + 3) & ~3; }
sub tid_text { my ($blk, $off) = @_; return "($blk,$off)"; }

sub u8  { my ($d, $p) = @_; return unpack('C', substr($$d, $p, 1)); }
sub u16 { my ($d, $p) = @_; return unpack('v', substr($$d, $p, 2)); }
sub i16 { my ($d, $p) = @_; return unpack('s<', substr($$d, $p, 2)); }
sub u32 { my ($d, $p) = @_; return unpack('V', substr($$d, $p, 4)); }
sub put { my ($d, $p, $bytes) = @_; substr($$d, $p, length $bytes) = $bytes; }
sub tid_at
{
    my ($d, $p) = @_;
    my ($hi, $lo, $off) = unpack('vvv', substr($$d, $p, TID_SIZE));
    return ((($hi << 16) | $lo), $off);
}
sub tid_bytes { my ($blk, $off) = @_; return pack('vvv', $blk >> 16, $blk & 0xFFFF, $off); }

# Parses an index file (a string): metapage, elements, chunks.
sub parse_index
{
    my ($data) = @_;
    my $d = \$data;
    my $nblocks = length($data) / BLCKSZ;
    my %ix = (nblocks => $nblocks, elements => {}, chunks => {}, pages => {});
    $ix{magic} = u32($d, META_MAGIC);
    $ix{version} = u32($d, META_VERSION);
    $ix{dims} = u32($d, META_DIMS);
    $ix{m} = u16($d, META_M);
    @ix{qw(entry_blk entry_off)} = tid_at($d, META_ENTRY);
    $ix{entry_level} = i16($d, META_ENTRY_LEVEL);
    $ix{meta_kind} = u16($d, u16($d, 16));
    my $m = $ix{m};
    for my $blk (1 .. $nblocks - 1)
    {
        my $base = $blk * BLCKSZ;
        my ($lower, $special) = (u16($d, $base + 12), u16($d, $base + 16));
        my $kind = u16($d, $base + $special);
        $ix{pages}{$blk} = { kind => $kind, special_pos => $base + $special };
        my $items = ($lower - PAGE_HEADER) / 4;
        for my $off (1 .. $items)
        {
            my $lp = u32($d, $base + PAGE_HEADER + 4 * ($off - 1));
            my ($lp_off, $lp_flags, $lp_len) = ($lp & 0x7FFF, ($lp >> 15) & 3, $lp >> 17);
            next unless $lp_flags == 1;    # LP_NORMAL
            my $pos = $base + $lp_off;
            my $id = tid_text($blk, $off);
            if ($kind == KIND_ELEMENT && u8($d, $pos) == TUPLE_ELEMENT)
            {
                my $level = u8($d, $pos + 1);
                my $links_pos = $pos + align4(ELEMENT_HEADER + $level + 1);
                my %e = (blk => $blk, off => $off, pos => $pos, len => $lp_len, level => $level,
                         flags => u8($d, $pos + 2), inline => u8($d, $pos + 3),
                         heap => tid_text(tid_at($d, $pos + 4)), first_chunk => [ tid_at($d, $pos + 10) ],
                         counts_pos => $pos + ELEMENT_HEADER, links_pos => $links_pos, links => []);
                for my $l (0 .. $level)
                {
                    my $count = u8($d, $e{counts_pos} + $l);
                    my $slot0 = $l == 0 ? 0 : 2 * $m + ($l - 1) * $m;
                    my @links;
                    for my $k (0 .. $count - 1)
                    {
                        push @links, tid_text(tid_at($d, $links_pos + TID_SIZE * ($slot0 + $k)));
                    }
                    $e{links}[$l] = \@links;
                }
                $ix{elements}{$id} = \%e;
            }
            elsif ($kind == KIND_CHUNK && u8($d, $pos) == TUPLE_CHUNK)
            {
                $ix{chunks}{$id} = { pos => $pos, count => u16($d, $pos + 2), next => [ tid_at($d, $pos + 4) ] };
            }
        }
    }
    return \%ix;
}

# Byte offsets of an element's fields.
sub max_links { my ($ix, $layer) = @_; return $layer == 0 ? 2 * $ix->{m} : $ix->{m}; }
sub count_pos { my ($e, $layer) = @_; return $e->{counts_pos} + $layer; }
sub slot_pos
{
    my ($ix, $e, $layer, $k) = @_;
    my $slot0 = $layer == 0 ? 0 : 2 * $ix->{m} + ($layer - 1) * $ix->{m};
    return $e->{links_pos} + TID_SIZE * ($slot0 + $k);
}
sub id_of { my ($e) = @_; return tid_text($e->{blk}, $e->{off}); }
sub tid_of { my ($id) = @_; my ($b, $o) = $id =~ /^\((\d+),(\d+)\)$/ or die "bad id $id"; return ($b, $o); }

# Frees a slot in a full list (the build fills every list): drops the last
# link whose loss leaves all of layer 0 reachable from the entry point, so
# the freed slot is the only change verify could see (and it sees none).
sub make_room
{
    my ($data, $ix, $e, $layer) = @_;
    my $links = $e->{links}[$layer];
    return if @$links < max_links($ix, $layer);
    for my $k (reverse 0 .. $#$links)
    {
        my @keep = @$links;
        splice(@keep, $k, 1);
        local $e->{links}[$layer] = \@keep;
        next if $layer == 0 && unreachable_from_entry($ix);
        put($data, slot_pos($ix, $e, $layer, $_), tid_bytes(tid_of($keep[$_]))) for 0 .. $#keep;
        put($data, slot_pos($ix, $e, $layer, scalar @keep), INVALID_TID);
        put($data, count_pos($e, $layer), pack('C', scalar @keep));
        $links = \@keep;
        last;
    }
    die 'no link can be dropped' if @$links >= max_links($ix, $layer);
    $e->{links}[$layer] = $links;
}

# Appends a link to an element's list on a layer (making room first).
sub add_link
{
    my ($data, $ix, $e, $layer, $tid_bytes) = @_;
    make_room($data, $ix, $e, $layer);
    my $count = scalar @{ $e->{links}[$layer] };
    put($data, slot_pos($ix, $e, $layer, $count), $tid_bytes);
    put($data, count_pos($e, $layer), pack('C', $count + 1));
}

# Elements in a stable order (by TID), optionally filtered.
sub elements
{
    my ($ix, $filter) = @_;
    my @all = sort { $a->{blk} <=> $b->{blk} || $a->{off} <=> $b->{off} } values %{ $ix->{elements} };
    return $filter ? grep { $filter->($_) } @all : @all;
}
sub entry_id { my ($ix) = @_; return tid_text($ix->{entry_blk}, $ix->{entry_off}); }

# Layer-0 reachability from the entry point, over the parsed graph.
sub unreachable_from_entry
{
    my ($ix) = @_;
    my %reached = (entry_id($ix) => 1);
    my @todo = (entry_id($ix));
    while (@todo)
    {
        my $e = $ix->{elements}{ pop @todo } or next;
        for my $to (@{ $e->{links}[0] }) { push @todo, $to unless $reached{$to}++; }
    }
    return grep { !$reached{$_} } sort keys %{ $ix->{elements} };
}

# --- the server ----------------------------------------------------------------
my $node = PostgreSQL::Test::Cluster->new('verify_damage');
$node->init;
# Nothing may rewrite the damaged pages behind the test's back, and a
# checksum (were the cluster initialised with them) must not hide them.
$node->append_conf('postgresql.conf', "autovacuum = off\nignore_checksum_failure = on\nlog_statement = none");
$node->start;
create_rushdb($node);

my $ROWS = 300;
$node->safe_psql('postgres', qq{
    CREATE TABLE d (id int PRIMARY KEY, v vector(8));
    INSERT INTO d SELECT i, pvec(i, 8) FROM generate_series(1, $ROWS) i;
    -- 3,000 dimensions: 12,000 bytes, stored as chunk chains of 2,035 + 965 floats.
    CREATE TABLE w (id int PRIMARY KEY, v vector(3000));
    INSERT INTO w SELECT i, pvec(i, 3000) FROM generate_series(1, 12) i;
});

# One index per kind of damage, so each report stands alone.
my @graph_cases = qw(dangling beyond_end invalid_link too_many self twice absent_layer
                     entry_invalid entry_not_element entry_level entry_below unreachable
                     page_kind zero_page_added zero_page_lost tuple_size meta_magic meta_version);
my @chunk_cases = qw(chain_cut chain_first_invalid chain_count chain_not_chunk chain_too_long chain_shared
                     chain_loop chain_empty);
for my $c (@graph_cases)
{
    $node->safe_psql('postgres',
        "CREATE INDEX d_$c ON d USING rushdb_hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32)");
}
for my $c (@chunk_cases)
{
    $node->safe_psql('postgres', "CREATE INDEX w_$c ON w USING rushdb_hnsw (v vector_l2_ops) WITH (m = 16)");
}

# A pending list: 40 rows inserted after the build wait in the list (the
# limit is far off, so no merge runs before the stop).
$node->safe_psql('postgres', q{
    CREATE TABLE p (id int PRIMARY KEY, v vector(8));
    INSERT INTO p SELECT i, pvec(i, 8) FROM generate_series(1, 100) i;
    CREATE INDEX p_pending ON p USING rushdb_hnsw (v vector_l2_ops) WITH (m = 8, pending_list_limit = 1024);
    INSERT INTO p SELECT i, pvec(i, 8) FROM generate_series(101, 140) i;
});
is($node->safe_psql('postgres', q{SELECT pending_rows FROM rushdb.hnsw_index_info('p_pending')}), '40',
    'pending: 40 rows wait in the list');

my %heap = map { $_ => 1 } split /\n/, $node->safe_psql('postgres', 'SELECT ctid FROM d');
my %wheap = map { $_ => 1 } split /\n/, $node->safe_psql('postgres', 'SELECT ctid FROM w');
my %path;
for my $c (@graph_cases) { $path{"d_$c"} = $node->safe_psql('postgres', "SELECT pg_relation_filepath('d_$c')"); }
for my $c (@chunk_cases) { $path{"w_$c"} = $node->safe_psql('postgres', "SELECT pg_relation_filepath('w_$c')"); }
$path{p_pending} = $node->safe_psql('postgres', "SELECT pg_relation_filepath('p_pending')");
for my $name (sort keys %path)
{
    is(verify_problems($node, $name), '', "$name: hnsw_verify is clean before the damage");
}

# A clean stop: everything is on disk, and no WAL is replayed over the
# damage at the next start.
$node->stop('fast');

sub read_index { my ($name) = @_; return slurp_file($node->data_dir . '/' . $path{$name}); }
sub write_index
{
    my ($name, $data) = @_;
    open(my $fh, '+<:raw', $node->data_dir . '/' . $path{$name}) or die "open $name: $!";
    print $fh $data;
    close $fh or die "close $name: $!";
}

# The parser agrees with the server on the undamaged files.
{
    my $ix = parse_index(read_index('d_dangling'));
    is(join('|', $ix->{magic}, $ix->{version}, $ix->{dims}, $ix->{m}, $ix->{meta_kind}),
        join('|', MAGIC, 1, 8, 8, KIND_META), 'layout: the metapage reads as magic, version 1, 8 dims, m = 8');
    is(scalar(keys %{ $ix->{elements} }), $ROWS, "layout: $ROWS element tuples found");
    is(join(',', sort map { $_->{heap} } elements($ix)), join(',', sort keys %heap),
        'layout: their heap TIDs are exactly the rows of the table');
    my $entry = $ix->{elements}{ entry_id($ix) };
    ok($entry && $entry->{level} == $ix->{entry_level}
          && !grep({ $_->{level} > $ix->{entry_level} } elements($ix)),
        'layout: the entry point is an element of the top level');
    my @bad = grep { !$ix->{elements}{$_} } map { map { @$_ } @{ $_->{links} } } elements($ix);
    is(scalar(@bad), 0, 'layout: every link read resolves to an element');
    ok((grep { $_->{level} >= 1 } elements($ix)) >= 10, 'layout: some elements are on layer 1 or higher');
    my $w = parse_index(read_index('w_chain_cut'));
    is(join(',', sort map { $_->{heap} } elements($w)), join(',', sort keys %wheap),
        'layout: the wide index has one element per row');
    ok(!grep({ $_->{inline} } elements($w)), 'layout: no 3,000-dim vector is inline');
    is(join(',', map { join('+', map { $_->{count} } chain($w, $_)) } elements($w)),
        join(',', ('2035+965') x 12), 'layout: each vector is a chain of two chunks, 2,035 + 965 floats');
}

# The chunks of an element's chain, in order (stops at an invalid or unknown TID).
sub chain
{
    my ($ix, $e) = @_;
    my @chain;
    my ($b, $o) = @{ $e->{first_chunk} };
    while ($o != 0 && (my $c = $ix->{chunks}{ tid_text($b, $o) }))
    {
        push @chain, { %$c, id => tid_text($b, $o) };
        last if @chain > 100;
        ($b, $o) = @{ $c->{next} };
    }
    return @chain;
}

# damage NAME, CODE: CODE gets (\$data, $parsed) and returns the problems
# verify must report: a list of exact lines (the whole report) or a regex
# every report must match.
my %want;
sub damage
{
    my ($name, $code) = @_;
    my $data = read_index($name);
    my $ix = parse_index($data);
    $want{$name} = $code->(\$data, $ix);
    write_index($name, $data);
}

# An element of layer 0 only, not the entry point.
sub plain_element
{
    my ($ix, $skip) = @_;
    $skip //= 0;
    my @c = elements($ix, sub { $_[0]{level} == 0 && id_of($_[0]) ne entry_id($ix) });
    return $c[$skip];
}

damage('d_dangling', sub {
    my ($d, $ix) = @_;
    my $e = plain_element($ix);
    add_link($d, $ix, $e, 0, tid_bytes($e->{blk}, 250));    # no page has 250 items
    return [ sprintf('element %s layer 0 links to (%d,250), which is not an element', id_of($e), $e->{blk}) ];
});
damage('d_beyond_end', sub {
    my ($d, $ix) = @_;
    my $e = plain_element($ix, 1);
    add_link($d, $ix, $e, 0, tid_bytes($ix->{nblocks} + 7, 1));
    return [ sprintf('element %s layer 0 links to (%d,1), which is not an element', id_of($e), $ix->{nblocks} + 7) ];
});
damage('d_invalid_link', sub {
    my ($d, $ix) = @_;
    my $e = plain_element($ix);
    add_link($d, $ix, $e, 0, INVALID_TID);
    return [ sprintf('element %s has an invalid link', id_of($e)) ];
});
damage('d_too_many', sub {
    my ($d, $ix) = @_;
    my $max = max_links($ix, 0);
    # A full list: every slot holds a valid link, so the count is the only damage.
    my ($e) = elements($ix, sub { @{ $_[0]{links}[0] } == $max });
    die 'no element with a full layer-0 list' unless $e;
    put($d, count_pos($e, 0), pack('C', $max + 1));
    return [ sprintf('element %s layer 0 claims %d links (max %d)', id_of($e), $max + 1, $max) ];
});
damage('d_self', sub {
    my ($d, $ix) = @_;
    my $e = plain_element($ix);
    add_link($d, $ix, $e, 0, tid_bytes($e->{blk}, $e->{off}));
    return [ sprintf('element %s layer 0 links to itself', id_of($e)) ];
});
damage('d_twice', sub {
    my ($d, $ix) = @_;
    my $e = plain_element($ix);
    add_link($d, $ix, $e, 0, tid_bytes(tid_of($e->{links}[0][0])));
    return [ sprintf('element %s layer 0 links twice to %s', id_of($e), $e->{links}[0][0]) ];
});
damage('d_absent_layer', sub {
    my ($d, $ix) = @_;
    my ($e) = elements($ix, sub { $_[0]{level} >= 1 });
    my $z = plain_element($ix);
    add_link($d, $ix, $e, 1, tid_bytes($z->{blk}, $z->{off}));
    return [ sprintf('element %s layer 1 links to %s, absent from that layer', id_of($e), id_of($z)) ];
});
damage('d_entry_invalid', sub {
    my ($d, $ix) = @_;
    put($d, META_ENTRY, INVALID_TID);
    return [ 'entry point (4294967295,0) is not an element' ];
});
damage('d_entry_not_element', sub {
    my ($d, $ix) = @_;
    put($d, META_ENTRY, tid_bytes(1, 250));
    return [ 'entry point (1,250) is not an element' ];
});
damage('d_entry_level', sub {
    my ($d, $ix) = @_;
    put($d, META_ENTRY_LEVEL, pack('s<', $ix->{entry_level} + 1));
    return [ sprintf("metapage entry level %d differs from the entry element's level %d",
                     $ix->{entry_level} + 1, $ix->{entry_level}) ];
});
damage('d_entry_below', sub {
    my ($d, $ix) = @_;
    # The entry moves to an element of layer 0 from which all of layer 0 is
    # still reachable, with a matching level: only the height is wrong.
    my $top = $ix->{entry_level};
    for my $z (elements($ix, sub { $_[0]{level} == 0 }))
    {
        local @$ix{qw(entry_blk entry_off)} = ($z->{blk}, $z->{off});
        next if unreachable_from_entry($ix);
        put($d, META_ENTRY, tid_bytes($z->{blk}, $z->{off}));
        put($d, META_ENTRY_LEVEL, pack('s<', 0));
        return [ "entry point level 0 is below the tallest element's level $top" ];
    }
    die 'no layer-0 element reaches the whole graph';
});
damage('d_unreachable', sub {
    my ($d, $ix) = @_;
    # An element whose in-links on layer 0 can all be removed leaving every
    # other element reachable; its in-links are cut out of their lists.
    for my $x (elements($ix, sub { id_of($_[0]) ne entry_id($ix) }))
    {
        my $xid = id_of($x);
        my @from = elements($ix, sub { grep { $_ eq $xid } @{ $_[0]{links}[0] } });
        my %saved = map { id_of($_) => $_->{links}[0] } @from;
        $_->{links}[0] = [ grep { $_ ne $xid } @{ $_->{links}[0] } ] for @from;
        my @lost = unreachable_from_entry($ix);
        if (@lost == 1 && $lost[0] eq $xid)
        {
            for my $f (@from)
            {
                my @keep = @{ $f->{links}[0] };
                put($d, count_pos($f, 0), pack('C', scalar @keep));
                put($d, slot_pos($ix, $f, 0, $_), tid_bytes(tid_of($keep[$_]))) for 0 .. $#keep;
                put($d, slot_pos($ix, $f, 0, scalar @keep), INVALID_TID);    # the freed slot
            }
            note(sprintf('unreachable: cut %d links to %s', scalar @from, $xid));
            return [ "1 of $ROWS live elements are unreachable from the entry point (e.g. $xid)" ];
        }
        $_->{links}[0] = $saved{ id_of($_) } for @from;
    }
    die 'no element can be cut off alone';
});
damage('d_page_kind', sub {
    my ($d, $ix) = @_;
    my ($blk) = grep { $ix->{pages}{$_}{kind} == KIND_ELEMENT } sort { $a <=> $b } keys %{ $ix->{pages} };
    put($d, $ix->{pages}{$blk}{special_pos}, pack('v', 9));
    # Its elements are gone from the graph too: links to them dangle.
    return qr/^block $blk has unknown page kind 9$/m;
});
# A crash between extending the file and logging the new page leaves a
# block of zeros at the end: not damage.
damage('d_zero_page_added', sub {
    my ($d, $ix) = @_;
    $$d .= "\0" x BLCKSZ;
    return [];
});
# An element page that became zeros: its elements are gone, so the links to
# them dangle (a page of zeros is not itself reported).
damage('d_zero_page_lost', sub {
    my ($d, $ix) = @_;
    my $blk = 2;
    my ($e) = elements($ix, sub { $_[0]{blk} != $blk && grep { /^\($blk,/ } @{ $_[0]{links}[0] } });
    my ($to) = grep { /^\($blk,/ } @{ $e->{links}[0] };
    put($d, $blk * BLCKSZ, "\0" x BLCKSZ);
    my $eid = quotemeta(id_of($e));
    return qr/\A(?!(?s:.*)unknown page kind)(?s:.*)^element $eid layer 0 links to \Q$to\E, which is not an element$/m;
});
damage('d_tuple_size', sub {
    my ($d, $ix) = @_;
    my $e = plain_element($ix);
    put($d, $e->{pos} + 1, pack('C', 1));    # level 1 needs a longer tuple
    my $id = quotemeta(id_of($e));
    return qr/^element $id has a tuple of the wrong size$/m;
});
damage('d_meta_magic', sub { my ($d) = @_; put($d, META_MAGIC, pack('V', 0x12345678)); return 'error' });
damage('d_meta_version', sub { my ($d) = @_; put($d, META_VERSION, pack('V', 2)); return 'error' });

# Chunk chains of the wide index: element k of the sorted list, its chain.
sub wide { my ($ix, $k) = @_; my $e = (elements($ix))[$k]; return ($e, chain($ix, $e)); }
damage('w_chain_cut', sub {
    my ($d, $ix) = @_;
    my ($e, $first) = wide($ix, 3);
    put($d, $first->{pos} + 4, INVALID_TID);    # 2,035 of 3,000 floats
    return [ sprintf('element %s has a broken vector chunk chain: it ends after 2035 of 3000 floats', id_of($e)) ];
});
damage('w_chain_first_invalid', sub {
    my ($d, $ix) = @_;
    my ($e) = wide($ix, 4);
    put($d, $e->{pos} + 10, INVALID_TID);
    return [ sprintf('element %s has a broken vector chunk chain: it ends after 0 of 3000 floats', id_of($e)) ];
});
damage('w_chain_count', sub {
    my ($d, $ix) = @_;
    my ($e, $first, $second) = wide($ix, 5);
    put($d, $second->{pos} + 2, pack('v', 964));    # one float short, chain ends
    return [ sprintf('element %s has a broken vector chunk chain: it ends after 2999 of 3000 floats', id_of($e)) ];
});
damage('w_chain_not_chunk', sub {
    my ($d, $ix) = @_;
    my ($e, $first) = wide($ix, 6);
    my $z = (elements($ix))[0];
    put($d, $first->{pos} + 4, tid_bytes($z->{blk}, $z->{off}));    # next -> an element tuple
    return [ sprintf('element %s has a broken vector chunk chain: %s is not a vector chunk', id_of($e), id_of($z)) ];
});
# The chain goes on past the vector's 3,000 floats into another vector's
# chunks: VACUUM, which deletes a removed element's chain to its end, would
# delete the other vector too.
damage('w_chain_too_long', sub {
    my ($d, $ix) = @_;
    my ($e, $first, $second) = wide($ix, 7);
    my (undef, $other_first) = wide($ix, 8);
    put($d, $second->{pos} + 4, tid_bytes(tid_of($other_first->{id})));
    return [ sprintf("element %s has a broken vector chunk chain: it goes on past the vector's 3000 floats to %s",
                     id_of($e), $other_first->{id}) ];
});
# Two elements start on the same chunks.
damage('w_chain_shared', sub {
    my ($d, $ix) = @_;
    my ($e) = wide($ix, 9);
    my ($f) = wide($ix, 10);
    put($d, $f->{pos} + 10, tid_bytes(@{ $e->{first_chunk} }));
    return [ sprintf('element %s has a broken vector chunk chain: chunk %s is also in the chain of element %s',
                     id_of($f), tid_text(@{ $e->{first_chunk} }), id_of($e)) ];
});
# A chain that comes back to its own first chunk.
damage('w_chain_loop', sub {
    my ($d, $ix) = @_;
    my ($e, $first) = wide($ix, 11);
    put($d, $first->{pos} + 4, tid_bytes(tid_of($first->{id})));
    return [ sprintf('element %s has a broken vector chunk chain: it loops back to %s', id_of($e), $first->{id}) ];
});
# An empty chunk that points at itself (a walk that trusts the chain would
# never end).
damage('w_chain_empty', sub {
    my ($d, $ix) = @_;
    my ($e, $first, $second) = wide($ix, 2);
    put($d, $second->{pos} + 2, pack('v', 0));
    put($d, $second->{pos} + 4, tid_bytes(tid_of($second->{id})));
    return [ sprintf('element %s has a broken vector chunk chain: chunk %s holds 0 floats after 2035 of 3000',
                     id_of($e), $second->{id}) ];
});

# A pending entry whose line pointer says it is 4 bytes short (an item of
# the wrong size). Merges used to count it as waiting but never merge it, so
# its page could never leave the list and VACUUM merged forever.
my $pending_damage;
{
    my $data = read_index('p_pending');
    my $npages = length($data) / BLCKSZ;
    for my $blk (0 .. $npages - 1)
    {
        next unless u16(\$data, ($blk + 1) * BLCKSZ - 8) == 4;    # PageOpaque.kind: a pending page
        my $lp = $blk * BLCKSZ + PAGE_HEADER;                      # the first line pointer
        my $word = u32(\$data, $lp);
        my $len = $word >> 17;
        die "pending entry of $len bytes, expected 44" unless $len == 12 + 4 * 8;
        put(\$data, $lp, pack('V', ($word & 0x1FFFF) | (($len - 4) << 17)));
        $pending_damage = "pending page $blk item 1 is not a pending entry of 8 dimensions";
        last;
    }
    ok(defined $pending_damage, 'pending: a list page was found in the file');
    write_index('p_pending', $data);
}

$node->start;

like(verify_problems($node, 'p_pending'), qr/\Q$pending_damage\E/, "p_pending: verify reports it ($pending_damage)");
is($node->safe_psql('postgres', q{SELECT pending_rows FROM rushdb.hnsw_index_info('p_pending')}), '39',
    'p_pending: the damaged entry is not counted as a row');
{
    my ($ret, $out, $err) = $node->psql('postgres', q{SET statement_timeout = '60s'; VACUUM p;});
    is($ret, 0, 'p_pending: VACUUM finishes (the damaged entry does not keep its page in the list)') or diag($err);
}
is($node->safe_psql('postgres', q{SELECT pending_pages || '|' || pending_rows FROM rushdb.hnsw_index_info('p_pending')}),
    '0|0', 'p_pending: VACUUM emptied the list');
is(verify_problems($node, 'p_pending'), '', 'p_pending: verify is clean once the page left the list');
is($node->safe_psql('postgres', q{SET enable_seqscan = off; SET rushdb.hnsw_ef_search = 400;
    SELECT count(*) FROM (SELECT id FROM p ORDER BY v <-> pvec(120, 8) LIMIT 200) s}), '139',
    'p_pending: every row but the damaged entry\'s is found through the index');

for my $name (map({ "d_$_" } @graph_cases), map({ "w_$_" } @chunk_cases))
{
    my $want = $want{$name};
    if (!ref $want)
    {
        my ($ret, $out, $err) = $node->psql('postgres', "SELECT * FROM rushdb.hnsw_verify('$name')");
        my $what = $name eq 'd_meta_magic' ? qr/"$name" is not a valid rushdb_hnsw index/
                 : qr/index "$name" has on-disk version 2; this build reads version 1/;
        ok($ret != 0 && $err =~ $what, "$name: verify fails with the metapage error") or diag($err);
        next;
    }
    my $got = verify_problems($node, $name);
    if (ref $want eq 'ARRAY')
    {
        is($got, join("\n", @$want), "$name: verify reports exactly: " . ($want->[0] // 'no problem'));
    }
    else
    {
        like($got, $want, "$name: verify reports it ($want)");
    }
}

ok(!$node->log_contains(qr/terminated by signal|PANIC/), 'no backend crashed');
$node->stop;
done_testing();
