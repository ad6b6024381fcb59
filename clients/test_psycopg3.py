#!/usr/bin/env python3
"""psycopg 3 against the lambdasql demo: server-side parameter binding
(extended protocol), binary results, prepared statements, server-side
cursors, COPY … TO STDOUT through cursor.copy(), pipeline mode, types and
errors.

Run by scripts/test-clients.sh with LAMBDASQL_HOST/LAMBDASQL_PORT set.
"""

import datetime
import decimal

import psycopg
import psycopg.errors
import psycopg.rows

from harness import (DB, DEMO_COLUMNS, DEMO_SOURCE, DEMO_VIEWS, DEVICE, HOST, PORT, USER, Suite,
                     expect, expect_eq, now_utc)

conn = None
suite = Suite("psycopg3", reset=lambda: conn.rollback())


def connect():
    return psycopg.connect(host=HOST, port=PORT, user=USER, dbname=DB, connect_timeout=10,
                           application_name="clients/test_psycopg3.py")


conn = suite.check("connect", connect)
if conn is None:
    suite.finish()


def stable_range():
    # Behind the demo's late events (at most 10 min) and inside its
    # 30-minute backfill: data that no longer changes.
    now = now_utc().replace(second=0, microsecond=0)
    return now - datetime.timedelta(minutes=25), now - datetime.timedelta(minutes=15)


def check_server():
    info = conn.info
    expect(info.server_version >= 150000, "server_version %r", info.server_version)
    expect_eq(info.parameter_status("server_encoding"), "UTF8", "server_encoding")
    expect_eq(info.parameter_status("client_encoding"), "UTF8", "client_encoding")
    expect(info.parameter_status("integer_datetimes") == "on", "integer_datetimes is %r",
           info.parameter_status("integer_datetimes"))
    expect(info.parameter_status("standard_conforming_strings") == "on", "standard_conforming_strings")
    expect(info.parameter_status("DateStyle", ) is not None, "no DateStyle ParameterStatus")


def check_catalog():
    # Sources and views through pg_catalog, as psycopg users list them.
    rows = conn.execute("""SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
                           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = %s AND c.relkind IN ('r', 'v') ORDER BY 1""", ("public",)).fetchall()
    got = dict(rows)
    expect_eq(got.get(DEMO_SOURCE), "r", "relkind of " + DEMO_SOURCE)
    for v in DEMO_VIEWS:
        expect_eq(got.get(v), "v", "relkind of " + v)
    for rel, want in DEMO_COLUMNS.items():
        cols = conn.execute("""SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod)
                               FROM pg_catalog.pg_attribute a
                               WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped
                               ORDER BY a.attnum""", (rel,)).fetchall()
        expect_eq(cols, want, "pg_attribute of " + rel)


def check_information_schema():
    for rel, want in DEMO_COLUMNS.items():
        cols = conn.execute("""SELECT column_name, data_type FROM information_schema.columns
                               WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position""",
                            (rel,)).fetchall()
        expect_eq(cols, want, "information_schema.columns of " + rel)


def check_types_info():
    # psycopg's TypeInfo.fetch is what register adapters run.
    from psycopg.types import TypeInfo
    ti = TypeInfo.fetch(conn, "timestamptz")
    expect(ti is not None, "TypeInfo.fetch(timestamptz) found nothing")
    expect_eq((ti.oid, ti.array_oid), (1184, 1185), "timestamptz oid, array oid")
    ti = TypeInfo.fetch(conn, "numeric")
    expect_eq((ti.oid, ti.array_oid), (1700, 1231), "numeric oid, array oid")


def param_query(binary):
    since = now_utc() - datetime.timedelta(minutes=20)
    cur = conn.cursor(binary=binary)
    cur.execute("""SELECT window_start, window_end, device_id, event_count, avg_temperature, unique_users
                   FROM device_metrics
                   WHERE device_id = %s AND window_start >= %s AND avg_temperature > %s
                   ORDER BY window_start""", (DEVICE, since, -100.0))
    rows = cur.fetchall()
    expect(cur.pgresult.fformat(0) == (1 if binary else 0), "result format %d, want %s", cur.pgresult.fformat(0),
           "binary" if binary else "text")
    expect(len(rows) >= 10, "want at least 10 windows of %s since %s, got %d", DEVICE, since, len(rows))
    for ws, we, dev, n, avg, users in rows:
        expect(isinstance(ws, datetime.datetime) and ws.tzinfo is not None, "window_start %r is not tz-aware", ws)
        expect_eq(we - ws, datetime.timedelta(minutes=1), "window length")
        expect(ws >= since, "window_start %s before the parameter %s", ws, since)
        expect_eq(dev, DEVICE, "device_id")
        expect(isinstance(n, int) and n > 0, "event_count %r", n)
        expect(isinstance(avg, float) and avg > -100.0, "avg_temperature %r", avg)
        expect(isinstance(users, int) and 0 < users <= n, "unique_users %r of %r events", users, n)
    return rows


def check_param_text():
    param_query(False)


def check_param_binary():
    text = param_query(False)
    binary = param_query(True)
    # Closed windows (below the newest two) are identical either way.
    closed = {r[0]: r for r in text[:-2]}
    for r in binary[:-2]:
        if r[0] in closed:
            a, b = closed[r[0]], r
            expect_eq(a[:4], b[:4], "text vs binary row")
            expect(abs(a[4] - b[4]) <= 1e-9 * abs(a[4]), "avg %r vs %r", a[4], b[4])


def check_param_types():
    ts = datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)
    for binary in (False, True):
        got = conn.cursor(binary=binary).execute(
            "SELECT %s::int4, %s::int8, %s::float8, %s::text, %s::timestamptz, %s::bool, %s::numeric, %s::text",
            (42, 2 ** 40, 2.5, "it's", ts, True, decimal.Decimal("12.345"), None)).fetchone()
        expect_eq(got, (42, 2 ** 40, 2.5, "it's", ts, True, decimal.Decimal("12.345"), None),
                  "round-tripped parameters (binary=%s)" % binary)
    # Parameters sent in binary (%b) as well.
    got = conn.execute("SELECT %b + 1, %b::timestamptz, %b || 'x'", (41, ts, "a")).fetchone()
    expect_eq(got, (42, ts, "ax"), "binary parameters")


def check_numeric():
    for binary in (False, True):
        rows = conn.cursor(binary=binary).execute(
            """SELECT avg_session_seconds, revenue FROM user_activity
               WHERE avg_session_seconds IS NOT NULL AND window_start >= %s LIMIT 5""",
            (now_utc() - datetime.timedelta(hours=1),)).fetchall()
        expect(rows, "user_activity has no row with avg_session_seconds")
        for avg, rev in rows:
            expect(isinstance(avg, decimal.Decimal) and avg > 0, "avg_session_seconds %r (binary=%s)", avg, binary)
            expect(rev is None or isinstance(rev, float), "revenue %r", rev)


def check_prepared():
    # psycopg prepares a query server-side once it ran prepare_threshold
    # (5) times; prepare=True does it at once. Both must keep working.
    q = "SELECT count(*) FROM device_metrics WHERE device_id = %s AND window_start >= %s"
    since = now_utc() - datetime.timedelta(minutes=20)
    counts = []
    for i in range(7):
        counts.append(conn.execute(q, ("device-%05d" % i, since)).fetchone()[0])
    expect(all(c >= 10 for c in counts), "counts %r", counts)
    got = conn.execute(q, (DEVICE, since), prepare=True).fetchone()[0]
    expect(got >= 10, "prepared count %r", got)
    got = conn.execute(q, (DEVICE, since), prepare=True).fetchone()[0]
    expect(got >= 10, "prepared count (second run) %r", got)


def check_server_cursor():
    lo, hi = stable_range()
    q = """SELECT device_id, event_timestamp, temperature FROM telemetry
           WHERE device_id = %s AND event_timestamp >= %s AND event_timestamp < %s"""
    want = conn.execute("SELECT count(*) FROM (" + q + ") AS t", (DEVICE, lo, hi)).fetchone()[0]
    expect(want > 100, "only %d telemetry rows of %s in [%s, %s)", want, DEVICE, lo, hi)
    n = 0
    # A named cursor: DECLARE with bound parameters, then FETCH FORWARD.
    with conn.cursor(name="clients_server_cursor") as cur:
        cur.itersize = 100
        cur.execute(q, (DEVICE, lo, hi))
        for dev, ts, temp in cur:
            expect_eq(dev, DEVICE, "device_id")
            expect(lo <= ts < hi, "event_timestamp %s outside [%s, %s)", ts, lo, hi)
            n += 1
    conn.commit()
    expect_eq(n, want, "rows through the server-side cursor")


def check_server_cursor_scroll():
    with conn.cursor(name="clients_scroll3", scrollable=True) as cur:
        cur.execute("SELECT g FROM generate_series(1, 50) AS g ORDER BY g")
        first = cur.fetchmany(10)
        cur.scroll(0, mode="absolute")
        again = cur.fetchone()
    conn.commit()
    expect_eq([r[0] for r in first], list(range(1, 11)), "first 10 rows")
    expect_eq(again, (1,), "row after scroll(0, absolute)")


def check_copy_out_text():
    lo, hi = stable_range()
    q = """SELECT device_id, window_start, event_count, avg_temperature FROM device_metrics
           WHERE device_id = %s AND window_start >= %s AND window_start < %s ORDER BY window_start"""
    rows = conn.execute(q, (DEVICE, lo, hi)).fetchall()
    expect(len(rows) >= 9, "only %d windows in [%s, %s)", len(rows), lo, hi)
    cur = conn.cursor()
    got = []
    with cur.copy("COPY (" + q + ") TO STDOUT", (DEVICE, lo, hi)) as copy:
        copy.set_types(["text", "timestamptz", "int8", "float8"])
        for row in copy.rows():
            got.append(row)
    expect_eq(len(got), len(rows), "COPY rows")
    for a, b in zip(got, rows):
        expect_eq(a[:3], b[:3], "COPY row")
        expect(abs(a[3] - b[3]) <= 1e-9 * abs(b[3]), "avg %r vs %r", a[3], b[3])


def check_copy_out_csv():
    cur = conn.cursor()
    data = b""
    with cur.copy("COPY (SELECT name, kind, window_spec FROM lambda_views ORDER BY name) "
                  "TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
        for chunk in copy:
            data += bytes(chunk)
    expect_eq(data.decode(),
              "name,kind,window_spec\n"
              "device_hourly,lambda,tumble 1h\n"
              "device_metrics,lambda,tumble 1m\n"
              "user_activity,lambda,tumble 10m\n", "COPY csv of lambda_views")


def check_copy_out_binary():
    lo, hi = stable_range()
    q = """SELECT device_id, window_start, event_count, avg_temperature FROM device_metrics
           WHERE device_id = %s AND window_start >= %s AND window_start < %s ORDER BY window_start"""
    rows = conn.execute(q, (DEVICE, lo, hi)).fetchall()
    got = []
    with conn.cursor().copy("COPY (" + q + ") TO STDOUT (FORMAT BINARY)", (DEVICE, lo, hi)) as copy:
        copy.set_types(["text", "timestamptz", "int8", "float8"])
        got = list(copy.rows())
    expect_eq(len(got), len(rows), "binary COPY rows")
    for a, b in zip(got, rows):
        expect_eq(a[:3], b[:3], "binary COPY row")


def check_pipeline():
    since = now_utc() - datetime.timedelta(minutes=20)
    with conn.pipeline():
        c1 = conn.execute("SELECT count(*) FROM device_metrics WHERE device_id = %s AND window_start >= %s",
                          (DEVICE, since))
        c2 = conn.execute("SELECT name FROM lambda_views WHERE kind = %s ORDER BY name", ("lambda",))
        c3 = conn.execute("SELECT %s::text || %s::text", ("a", "b"))
    expect(c1.fetchone()[0] >= 10, "pipeline count")
    expect_eq([r[0] for r in c2.fetchall()], sorted(DEMO_VIEWS), "pipeline lambda_views")
    expect_eq(c3.fetchone(), ("ab",), "pipeline concat")


def check_dict_rows():
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    row = cur.execute("SELECT name, source, kind FROM lambda_views WHERE name = %(v)s", {"v": "device_hourly"}).fetchone()
    expect_eq(row, {"name": "device_hourly", "source": "telemetry", "kind": "lambda"}, "lambda_views row")


def check_errors():
    try:
        conn.execute("SELECT * FROM no_such_view WHERE x = %s", (1,))
    except psycopg.errors.UndefinedTable as e:
        expect_eq(e.sqlstate, "42P01", "SQLSTATE")
        expect(e.diag.message_primary and "no_such_view" in e.diag.message_primary, "message %r",
               e.diag.message_primary)
    else:
        raise AssertionError("SELECT from a missing relation succeeded")
    conn.rollback()
    try:
        conn.execute("SELECT %s::int", ("not a number",))
    except psycopg.errors.InvalidTextRepresentation as e:
        expect_eq(e.sqlstate, "22P02", "SQLSTATE")
    else:
        raise AssertionError("'not a number'::int succeeded")
    conn.rollback()
    expect_eq(conn.execute("SELECT 1").fetchone(), (1,), "SELECT 1 after errors")


def check_autocommit_transaction():
    with psycopg.connect(host=HOST, port=PORT, user=USER, dbname=DB, connect_timeout=10, autocommit=True) as c:
        with c.transaction():
            c.execute("SET LOCAL lambda.read = 'batch'")
            got = c.execute("SELECT count(*) FROM device_metrics WHERE _layer = 'speed'").fetchone()[0]
            expect_eq(got, 0, "speed rows under lambda.read = 'batch'")
        got = c.execute("SHOW lambda.read").fetchone()[0]
        expect_eq(got, "merged", "lambda.read after the transaction")


suite.check("server", check_server)
suite.check("pg_catalog_columns", check_catalog)
suite.check("information_schema_columns", check_information_schema)
suite.check("type_info", check_types_info)
suite.check("param_query_text", check_param_text)
suite.check("param_query_binary", check_param_binary)
suite.check("param_types", check_param_types)
suite.check("numeric_decimal", check_numeric)
suite.check("prepared_statements", check_prepared)
suite.check("server_cursor", check_server_cursor)
suite.check("server_cursor_scroll", check_server_cursor_scroll)
suite.check("copy_out_text", check_copy_out_text)
suite.check("copy_out_csv", check_copy_out_csv)
suite.check("copy_out_binary", check_copy_out_binary)
suite.check("pipeline", check_pipeline)
suite.check("dict_rows", check_dict_rows)
suite.check("errors", check_errors)
suite.check("transaction_set_local", check_autocommit_transaction)
conn.close()
suite.finish()
