"""psycopg2 (a real libpq driver) round-trips rushdb.vector in the text form
drivers already speak, and in the binary COPY format (int16 dim, int16 0,
float32 big-endian values) that binary-protocol drivers use.

Connection comes from the libpq environment (PGHOST, PGPORT, PGUSER).
"""
import io
import struct
import sys

import psycopg2
from checks import check, one



def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS rushdb")
    cur.execute("DROP TABLE IF EXISTS client_vectors")
    cur.execute("CREATE TABLE client_vectors (id int PRIMARY KEY, v rushdb.vector(3))")

    # Text form, passed as a query parameter exactly as an application would.
    values = [0.1, -2.5, 1e-7]
    text = "[" + ",".join(repr(x) for x in values) + "]"
    cur.execute("INSERT INTO client_vectors VALUES (1, %s)", (text,))
    cur.execute("SELECT v::text FROM client_vectors WHERE id = 1")
    out = cur.fetchone()[0]
    parsed = [float(x) for x in out.strip("[]").split(",")]
    check(all(abs(a - b) <= 1e-7 * max(1.0, abs(a)) for a, b in zip(parsed, values)),
          "text round trip %s -> %s" % (text, out))

    # A Python list through the real[] cast.
    cur.execute("INSERT INTO client_vectors VALUES (2, %s::real[])", ([1.0, 2.0, 3.0],))
    cur.execute("SELECT v::text FROM client_vectors WHERE id = 2")
    check(cur.fetchone()[0] == "[1,2,3]", "list parameter via real[] cast")

    # Errors reach the driver with their SQLSTATE.
    try:
        cur.execute("INSERT INTO client_vectors VALUES (3, %s)", ("[1,2",))
        check(False, "malformed vector rejected")
    except psycopg2.Error as e:
        check(e.pgcode == "22P02", "malformed vector rejected with 22P02")
    try:
        cur.execute("INSERT INTO client_vectors VALUES (3, %s)", ("[1,2,3,4]",))
        check(False, "wrong dimension rejected")
    except psycopg2.Error as e:
        check(e.pgcode == "22023", "wrong dimension rejected with 22023")

    # Binary COPY out: parse the wire format by hand.
    buf = io.BytesIO()
    cur.copy_expert("COPY (SELECT v FROM client_vectors WHERE id = 2) TO STDOUT (FORMAT binary)", buf)
    data = buf.getvalue()
    check(data.startswith(b"PGCOPY\n\xff\r\n\x00"), "binary COPY signature")
    pos = 11 + 4 + 4  # signature, flags, header extension length
    nfields, = struct.unpack_from(">h", data, pos)
    length, = struct.unpack_from(">i", data, pos + 2)
    dim, reserved = struct.unpack_from(">hh", data, pos + 6)
    floats = struct.unpack_from(">%df" % dim, data, pos + 10)
    check(nfields == 1 and length == 4 + 4 * dim and dim == 3 and reserved == 0,
          "binary layout: dim=%d reserved=%d length=%d" % (dim, reserved, length))
    check(list(floats) == [1.0, 2.0, 3.0], "binary values %s" % (floats,))

    # Binary COPY in: write the format ourselves and read it back as text.
    row = struct.pack(">h", 2) + struct.pack(">ii", 4, 10)
    payload = struct.pack(">hh3f", 3, 0, 4.5, -1.0, 0.25)
    row += struct.pack(">i", len(payload)) + payload
    stream = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0) + row + struct.pack(">h", -1)
    cur.copy_expert("COPY client_vectors (id, v) FROM STDIN (FORMAT binary)", io.BytesIO(stream))
    cur.execute("SELECT v::text FROM client_vectors WHERE id = 10")
    check(cur.fetchone()[0] == "[4.5,-1,0.25]", "binary COPY in")

    # Malformed binary input is rejected, not crashed on.
    bad_payload = struct.pack(">hh2f", 3, 0, 1.0, 2.0)  # says 3 dims, carries 2
    bad = (b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0) + struct.pack(">h", 2)
           + struct.pack(">ii", 4, 11) + struct.pack(">i", len(bad_payload)) + bad_payload
           + struct.pack(">h", -1))
    try:
        cur.copy_expert("COPY client_vectors (id, v) FROM STDIN (FORMAT binary)", io.BytesIO(bad))
        check(False, "short binary vector rejected")
    except psycopg2.Error as e:
        check(e.pgcode == "22P03", "short binary vector rejected with 22P03")

    cur.execute("DROP TABLE client_vectors")
    conn.close()


if __name__ == "__main__":
    main()
