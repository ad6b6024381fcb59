#!/usr/bin/env python3
"""psycopg2 against the lambdasql demo: catalog listing, parameters,
server-side (named) cursors, copy_expert out, types and errors.

Run by scripts/test-clients.sh with LAMBDASQL_HOST/LAMBDASQL_PORT set.
"""

import csv
import datetime
import decimal
import io

import psycopg2
import psycopg2.errors
import psycopg2.extras

from harness import (DB, DEMO_COLUMNS, DEMO_SOURCE, DEMO_VIEWS, DEVICE, HOST, PORT, USER, Suite,
                     expect, expect_eq, now_utc)

suite = Suite("psycopg2", reset=lambda: conn.rollback())
conn = None


def connect():
    return psycopg2.connect(host=HOST, port=PORT, user=USER, dbname=DB, connect_timeout=10,
                            application_name="clients/test_psycopg2.py")


conn = suite.check("connect", connect)
if conn is None:
    suite.finish()


def check_server():
    expect(conn.server_version >= 150000, "server_version %r, want PostgreSQL 15 or later", conn.server_version)
    with conn.cursor() as cur:
        cur.execute("SELECT version()")
        v = cur.fetchone()[0]
        expect(v.startswith("PostgreSQL "), "version() = %r", v)
        cur.execute("SHOW server_encoding")
        expect_eq(cur.fetchone()[0], "UTF8", "server_encoding")
        cur.execute("SELECT current_database(), current_user")
        expect_eq(cur.fetchone(), (DB, USER), "current_database(), current_user")
    conn.rollback()


def check_tables():
    with conn.cursor() as cur:
        cur.execute("""SELECT table_name, table_type FROM information_schema.tables
                       WHERE table_schema = %s ORDER BY table_name""", ("public",))
        got = dict(cur.fetchall())
    conn.rollback()
    expect_eq(got.get(DEMO_SOURCE), "BASE TABLE", "table_type of source " + DEMO_SOURCE)
    for v in DEMO_VIEWS:
        expect_eq(got.get(v), "VIEW", "table_type of view " + v)


def check_columns():
    with conn.cursor() as cur:
        for rel, want in sorted(DEMO_COLUMNS.items()):
            cur.execute("""SELECT column_name, data_type FROM information_schema.columns
                           WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position""", (rel,))
            expect_eq(cur.fetchall(), want, "columns of " + rel)
    conn.rollback()


def check_description():
    # The OIDs of a result's RowDescription: timestamptz 1184, text 25,
    # int8 20, float8 701.
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM device_metrics LIMIT 0")
        got = [(d.name, d.type_code) for d in cur.description]
    conn.rollback()
    want = [("window_start", 1184), ("window_end", 1184), ("device_id", 25), ("event_count", 20),
            ("avg_temperature", 701), ("max_temperature", 701), ("min_temperature", 701),
            ("total_energy", 701), ("unique_users", 20)]
    expect_eq(got, want, "cursor.description of device_metrics")


def check_params():
    since = now_utc() - datetime.timedelta(minutes=20)
    with conn.cursor() as cur:
        cur.execute("""SELECT window_start, window_end, device_id, event_count, avg_temperature, total_energy
                       FROM device_metrics
                       WHERE device_id = %s AND window_start >= %s AND event_count > %s
                       ORDER BY window_start""", (DEVICE, since, 0))
        rows = cur.fetchall()
    conn.rollback()
    expect(len(rows) >= 10, "want at least 10 one-minute windows of %s since %s, got %d", DEVICE, since, len(rows))
    for ws, we, dev, n, avg, energy in rows:
        expect(isinstance(ws, datetime.datetime) and ws.tzinfo is not None, "window_start %r is not tz-aware", ws)
        expect(ws.utcoffset() is not None, "window_start %r has no UTC offset", ws)
        expect_eq(we - ws, datetime.timedelta(minutes=1), "window length")
        expect(ws >= since, "window_start %s before the parameter %s", ws, since)
        expect(ws.second == 0 and ws.microsecond == 0, "window_start %s not on the minute grid", ws)
        expect_eq(dev, DEVICE, "device_id")
        expect(isinstance(n, int) and n > 0, "event_count %r", n)
        expect(isinstance(avg, float) and -50 < avg < 100, "avg_temperature %r", avg)
        expect(isinstance(energy, float), "total_energy %r is not a float", energy)
    starts = [r[0] for r in rows]
    expect_eq(starts, sorted(set(starts)), "window starts (ordered, one row per window)")


def check_param_types():
    # Parameters of every common Python type round-trip through the server.
    ts = datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)
    with conn.cursor() as cur:
        cur.execute("SELECT %s::int, %s::float8, %s::text, %s::timestamptz, %s::bool, %s::numeric, %s::text IS NULL",
                    (42, 2.5, "it's", ts, True, decimal.Decimal("12.345"), None))
        got = cur.fetchone()
    conn.rollback()
    expect_eq(got, (42, 2.5, "it's", ts, True, decimal.Decimal("12.345"), True), "round-tripped parameters")


def check_numeric():
    with conn.cursor() as cur:
        cur.execute("""SELECT user_id, avg_session_seconds, revenue FROM user_activity
                       WHERE avg_session_seconds IS NOT NULL AND window_start >= %s LIMIT 5""",
                    (now_utc() - datetime.timedelta(hours=1),))
        rows = cur.fetchall()
    conn.rollback()
    expect(rows, "user_activity has no row with avg_session_seconds")
    for uid, avg, rev in rows:
        expect(isinstance(uid, str), "user_id %r", uid)
        expect(isinstance(avg, decimal.Decimal) and avg > 0, "avg_session_seconds %r is not a positive Decimal", avg)
        expect(rev is None or isinstance(rev, float), "revenue %r", rev)


def stable_range():
    # Telemetry well behind the demo's late events (at most 10 min late)
    # and inside its 30-minute backfill: no longer changing.
    now = now_utc().replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=25), now - datetime.timedelta(minutes=15)


def check_named_cursor():
    lo, hi = stable_range()
    q = """SELECT device_id, event_timestamp, temperature FROM telemetry
           WHERE device_id = %s AND event_timestamp >= %s AND event_timestamp < %s"""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM (" + q + ") AS t", (DEVICE, lo, hi))
        want = cur.fetchone()[0]
    expect(want > 100, "only %d telemetry rows of %s in [%s, %s)", want, DEVICE, lo, hi)
    # A named cursor is DECLARE … CURSOR plus FETCH FORWARD itersize.
    # Several rounds: a cursor that loses its scan between FETCHes does
    # not fail every time.
    for attempt in range(5):
        fetches = n = 0
        with conn.cursor(name="clients_named_%d" % attempt) as cur:
            cur.itersize = 100
            cur.execute(q, (DEVICE, lo, hi))
            while True:
                chunk = cur.fetchmany(100)
                if not chunk:
                    break
                fetches += 1
                expect(len(chunk) <= 100, "fetchmany(100) returned %d rows", len(chunk))
                for dev, ts, temp in chunk:
                    expect_eq(dev, DEVICE, "device_id")
                    expect(lo <= ts < hi, "event_timestamp %s outside [%s, %s)", ts, lo, hi)
                    n += 1
        conn.commit()
        expect_eq(n, want, "rows through the named cursor (round %d)" % attempt)
        expect(fetches >= want // 100, "%d fetches for %d rows", fetches, want)


def check_named_cursor_scroll():
    with conn.cursor(name="clients_scroll", scrollable=True) as cur:
        cur.execute("SELECT g FROM generate_series(1, 50) AS g ORDER BY g")
        first = cur.fetchmany(10)
        cur.scroll(0, mode="absolute")
        again = cur.fetchone()
    conn.commit()
    expect_eq([r[0] for r in first], list(range(1, 11)), "first 10 rows")
    expect_eq(again, (1,), "row after scroll(0, absolute)")


def check_copy_expert_csv():
    lo, hi = stable_range()
    q = ("SELECT device_id, window_start, event_count, avg_temperature FROM device_metrics "
         "WHERE device_id = '%s' AND window_start >= '%s' AND window_start < '%s' ORDER BY window_start"
         % (DEVICE, lo.isoformat(), hi.isoformat()))
    buf = io.StringIO()
    with conn.cursor() as cur:
        cur.copy_expert("COPY (" + q + ") TO STDOUT WITH (FORMAT csv, HEADER true)", buf)
        cur.execute(q)
        rows = cur.fetchall()
    conn.rollback()
    got = list(csv.reader(io.StringIO(buf.getvalue())))
    expect_eq(got[0], ["device_id", "window_start", "event_count", "avg_temperature"], "CSV header")
    expect_eq(len(got) - 1, len(rows), "CSV data rows")
    expect(len(rows) >= 9, "only %d windows in [%s, %s)", len(rows), lo, hi)
    for line, row in zip(got[1:], rows):
        expect_eq(line[0], row[0], "device_id")
        expect_eq(datetime.datetime.fromisoformat(line[1].replace("+00", "+00:00")), row[1], "window_start")
        expect_eq(int(line[2]), row[2], "event_count")
        expect(abs(float(line[3]) - row[3]) <= 1e-9 * abs(row[3]), "avg_temperature %s vs %r", line[3], row[3])


def check_copy_expert_text():
    buf = io.StringIO()
    with conn.cursor() as cur:
        cur.copy_expert("COPY (SELECT g, 'x' || g, NULL::text, g * 0.5 FROM generate_series(1, 3) AS g) TO STDOUT", buf)
    conn.rollback()
    expect_eq(buf.getvalue(), "1\tx1\t\\N\t0.5\n2\tx2\t\\N\t1.0\n3\tx3\t\\N\t1.5\n", "COPY text output")


def check_copy_to_source_table():
    # copy_to(table) sends COPY telemetry (cols) TO STDOUT: a whole source.
    buf = io.StringIO()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM telemetry WHERE event_timestamp < now() - interval '15 minutes'")
        expect(cur.fetchone()[0] > 0, "no telemetry")
        cur.copy_expert("COPY (SELECT device_id, event_timestamp FROM telemetry LIMIT 5) TO STDOUT WITH CSV", buf)
    conn.rollback()
    lines = buf.getvalue().splitlines()
    expect_eq(len(lines), 5, "lines of COPY (SELECT … FROM telemetry LIMIT 5)")
    for line in lines:
        dev, ts = line.split(",")
        expect(dev.startswith("device-"), "device_id %r", dev)
        datetime.datetime.fromisoformat(ts.replace("+00", "+00:00"))


def check_dict_cursor():
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT name, source, kind FROM lambda_views WHERE name = %(v)s", {"v": "device_metrics"})
        row = cur.fetchone()
    conn.rollback()
    expect_eq(dict(row), {"name": "device_metrics", "source": "telemetry", "kind": "lambda"}, "lambda_views row")


def check_errors():
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT * FROM no_such_view")
        except psycopg2.errors.UndefinedTable as e:
            expect_eq(e.pgcode, "42P01", "SQLSTATE")
        else:
            raise AssertionError("SELECT from a missing relation succeeded")
    conn.rollback()
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT no_such_column FROM device_metrics")
        except psycopg2.errors.UndefinedColumn as e:
            expect_eq(e.pgcode, "42703", "SQLSTATE")
        else:
            raise AssertionError("SELECT of a missing column succeeded")
    conn.rollback()
    # The connection is usable after the errors.
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        expect_eq(cur.fetchone(), (1,), "SELECT 1 after errors")
    conn.rollback()


def check_transaction_error():
    # psycopg2 opens a transaction; after an error everything fails with
    # 25P02 until ROLLBACK.
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT 1/0")
        except psycopg2.errors.DivisionByZero:
            pass
        else:
            raise AssertionError("1/0 succeeded")
        try:
            cur.execute("SELECT 1")
        except psycopg2.errors.InFailedSqlTransaction as e:
            expect_eq(e.pgcode, "25P02", "SQLSTATE")
        else:
            raise AssertionError("statement in a failed transaction succeeded")
    conn.rollback()


def check_interval_and_bool():
    with conn.cursor() as cur:
        cur.execute("SELECT batch_interval, status = 'ok' FROM lambda_views WHERE name = %s", ("device_metrics",))
        iv, ok = cur.fetchone()
    conn.rollback()
    expect_eq(iv, datetime.timedelta(seconds=30), "batch_interval of device_metrics")
    expect(isinstance(ok, bool), "bool column decoded as %r", ok)


suite.check("server", check_server)
suite.check("list_tables", check_tables)
suite.check("list_columns", check_columns)
suite.check("description_oids", check_description)
suite.check("param_query_device_metrics", check_params)
suite.check("param_types", check_param_types)
suite.check("numeric_decimal", check_numeric)
suite.check("interval_bool", check_interval_and_bool)
suite.check("named_cursor", check_named_cursor)
suite.check("named_cursor_scroll", check_named_cursor_scroll)
suite.check("copy_expert_csv", check_copy_expert_csv)
suite.check("copy_expert_text", check_copy_expert_text)
suite.check("copy_expert_source", check_copy_to_source_table)
suite.check("dict_cursor", check_dict_cursor)
suite.check("errors", check_errors)
suite.check("failed_transaction", check_transaction_error)
conn.close()
suite.finish()
