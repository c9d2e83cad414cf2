"""psycopg2 round-trips rushdb.halfvec: text form, and the binary COPY form
(int16 dim, int16 0, IEEE binary16 big-endian values: pgvector's halfvec
wire format). The rounding of text input to halves is checked against
Python's own float -> binary16 packing (struct format 'e', round to nearest,
ties to even), an implementation independent of ours.

Connection comes from the libpq environment (PGHOST, PGPORT, PGUSER).
"""
import io
import random
import struct

import psycopg2
from checks import check

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def copy_out_halves(cur, query):
    """The halfvec of the first row of `query`, read from binary COPY as raw
    16-bit patterns."""
    buf = io.BytesIO()
    cur.copy_expert("COPY (%s) TO STDOUT (FORMAT binary)" % query, buf)
    data = buf.getvalue()
    pos = len(HEADER)
    nfields, length = struct.unpack_from(">hi", data, pos)
    dim, reserved = struct.unpack_from(">hh", data, pos + 6)
    check(nfields == 1 and reserved == 0 and length == 4 + 2 * dim,
          "binary halfvec layout: dim=%d reserved=%d length=%d" % (dim, reserved, length))
    return list(struct.unpack_from(">%dH" % dim, data, pos + 10))


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS rushdb")
    cur.execute("DROP TABLE IF EXISTS client_halfvecs")
    cur.execute("CREATE TABLE client_halfvecs (id int PRIMARY KEY, v rushdb.halfvec)")

    # 4,000 float32 values over the whole half range, subnormals and values
    # that round away included, sent as text; each stored half must be the
    # one Python's packing picks for the same float32 value.
    rng = random.Random(20261204)
    values = []
    for _ in range(4000):
        x = rng.choice([rng.uniform(-65504, 65504), rng.uniform(-1, 1), rng.uniform(-1e-4, 1e-4),
                        rng.uniform(-1e-7, 1e-7), rng.uniform(-65519, 65519)])
        values.append(struct.unpack("<f", struct.pack("<f", x))[0])  # exactly a float32
    text = "[" + ",".join("%.9g" % x for x in values) + "]"
    cur.execute("INSERT INTO client_halfvecs VALUES (1, %s)", (text,))
    got = copy_out_halves(cur, "SELECT v FROM client_halfvecs WHERE id = 1")
    want = [struct.unpack(">H", struct.pack(">e", x))[0] for x in values]
    wrong = [(values[i], got[i], want[i]) for i in range(len(values)) if got[i] != want[i]]
    check(len(got) == 4000 and not wrong,
          "text input rounds 4,000 values as Python's binary16 packing does (first differences: %s)" % wrong[:3])

    # Text output reads back as the same halves.
    cur.execute("SELECT v::text FROM client_halfvecs WHERE id = 1")
    printed = [float(s) for s in cur.fetchone()[0].strip("[]").split(",")]
    check([struct.unpack(">H", struct.pack(">e", x))[0] for x in printed] == want,
          "text output reads back to the stored halves")

    # Binary COPY in, written by hand with Python's binary16 packing.
    payload = struct.pack(">hh3e", 3, 0, 0.5, -1.25, 65504.0)
    row = struct.pack(">h", 2) + struct.pack(">ii", 4, 2) + struct.pack(">i", len(payload)) + payload
    cur.copy_expert("COPY client_halfvecs (id, v) FROM STDIN (FORMAT binary)",
                    io.BytesIO(HEADER + row + struct.pack(">h", -1)))
    cur.execute("SELECT v::text, rushdb.l2_norm(v) FROM client_halfvecs WHERE id = 2")
    text_out, norm = cur.fetchone()
    check(text_out == "[0.5,-1.25,65504]", "binary COPY in: %s" % text_out)
    check(abs(norm - (0.25 + 1.5625 + 65504.0 ** 2) ** 0.5) < 1e-9, "l2_norm of the copied row")

    # Errors reach the driver with their SQLSTATE; nothing is stored.
    for bad, code, what in [("[70000]", "22003", "a value beyond the half range"),
                            ("[1,NaN]", "22P02", "NaN"),
                            ("[1,", "22P02", "malformed text")]:
        try:
            cur.execute("INSERT INTO client_halfvecs VALUES (3, %s)", (bad,))
            check(False, "%s rejected" % what)
        except psycopg2.Error as e:
            check(e.pgcode == code, "%s rejected with %s (got %s)" % (what, code, e.pgcode))
    nan_payload = struct.pack(">hhe", 1, 0, float("nan"))
    try:
        cur.copy_expert("COPY client_halfvecs (id, v) FROM STDIN (FORMAT binary)",
                        io.BytesIO(HEADER + struct.pack(">h", 2) + struct.pack(">ii", 4, 4)
                                   + struct.pack(">i", len(nan_payload)) + nan_payload + struct.pack(">h", -1)))
        check(False, "binary NaN half rejected")
    except psycopg2.Error as e:
        check(e.pgcode == "22023", "binary NaN half rejected with 22023 (got %s)" % e.pgcode)
    cur.execute("SELECT count(*) FROM client_halfvecs")
    check(cur.fetchone()[0] == 2, "failed writes stored nothing")

    cur.execute("DROP TABLE client_halfvecs")
    conn.close()


if __name__ == "__main__":
    main()
