#!/usr/bin/env python3
"""Grafana's PostgreSQL data source, replayed: the statements Grafana sends
when a data source is saved and tested, while the query builder browses
schemas, tables and columns, for template variables, and for time-series
panels with its macros expanded exactly as Grafana's backend expands them
for PostgreSQL (pkg/tsdb/grafana-postgresql-datasource/macros.go):

    $__timeFilter(col)        -> col BETWEEN '<from RFC3339Nano>' AND '<to>'
    $__timeGroup(col, '5m')   -> floor(extract(epoch from col)/300)*300
    $__timeGroupAlias(…)      -> the same AS "time"
    $__time(col)              -> col AS "time"
    $__timeEpoch(col)         -> extract(epoch from col) as "time"
    $__unixEpochFilter(col)   -> col >= <from unix> AND col <= <to unix>

Statement texts come from Grafana's public sources (postgresMetaQuery.ts
of the query editor, schema.go of the backend, sqlUtil.ts of the visual
query builder). Grafana's backend runs them through pgx (extended
protocol, cached named statements, binary results) and older versions
through lib/pq (text); each statement runs both ways here.

Run by scripts/test-clients.sh with LAMBDASQL_HOST/LAMBDASQL_PORT set.
"""

import datetime
import decimal
import re

import psycopg
from psycopg import pq

from harness import (DB, DEMO_COLUMNS, DEMO_SOURCE, DEMO_VIEWS, DEVICE, HOST, PORT, USER, Suite,
                     expect, expect_eq, now_utc)

conn = None
suite = Suite("grafana", reset=lambda: conn.rollback())

conn = suite.check("connect", lambda: psycopg.connect(host=HOST, port=PORT, user=USER, dbname=DB,
                                                      connect_timeout=10, autocommit=True,
                                                      application_name="Grafana"))
if conn is None:
    suite.finish()


def run(sql, params=None, live=False):
    """Runs sql as lib/pq does (text results) and as pgx does (a prepared
    statement, binary results); returns the rows of the pgx run. For
    stable results both runs must agree; live=True (the newest windows
    change between the runs) returns both as (text, binary) for the
    caller to check each."""
    text = conn.cursor().execute(sql, params).fetchall()
    binary = conn.cursor(binary=True).execute(sql, params, prepare=True).fetchall()
    if live:
        return text, binary
    expect_eq(len(binary), len(text), "rows with binary results vs text")
    for a, b in zip(text, binary):
        for x, y in zip(a, b):
            if isinstance(x, float) and isinstance(y, float):
                expect(abs(x - y) <= 1e-9 * max(abs(x), 1.0), "binary %r vs text %r" % (y, x))
            else:
                expect_eq(y, x, "binary vs text value")
    return binary


# --- data source "Save & test" -------------------------------------------

def check_health():
    # lib/pq's Ping sends ";", pgx's sends "-- ping": both EmptyQueryResponse.
    for q in (b";", b"-- ping"):
        res = conn.pgconn.exec_(q)
        expect_eq(res.status, pq.ExecStatus.EMPTY_QUERY, "status of %r" % q)
    # The health check of newer versions runs a trivial query too.
    expect_eq(run("SELECT 1"), [(1,)], "SELECT 1")


def check_version():
    rows = run("SELECT current_setting('server_version_num')::int/100 as version")
    expect(rows[0][0] >= 1500, "version %r, want >= 1500 (PostgreSQL 15)" % (rows[0][0],))
    rows = run("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
    expect_eq(rows, [], "timescaledb extension rows")


# --- query editor: schemas, tables, columns (postgresMetaQuery.ts) --------

SEARCH_PATH_CONSTRAINT = """
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )"""


def check_schemas():
    rows = run("""SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name""")
    names = [r[0] for r in rows]
    expect("public" in names, "schemas %r lack public" % names)
    expect("pg_catalog" not in names, "schemas %r include pg_catalog" % names)


def check_tables_on_search_path():
    rows = run("""SELECT
    CASE WHEN %s
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN %s THEN 0 ELSE 1 END, 1""".replace("%s", SEARCH_PATH_CONSTRAINT))
    names = [r[0] for r in rows]
    for rel in (DEMO_SOURCE,) + DEMO_VIEWS:
        expect(rel in names, "%s is not listed unqualified: %r" % (rel, names))


def check_tables_in_schema():
    rows = run("""SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1""")
    names = [r[0] for r in rows]
    expect_eq([n for n in names if n in (DEMO_SOURCE,) + DEMO_VIEWS], sorted((DEMO_SOURCE,) + DEMO_VIEWS),
              "demo relations in public")


def columns_query(table):
    part = "'" + table.replace("'", "''") + "'"
    return """SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident(%s),1) = 2
        THEN quote_ident(table_schema) = (parse_ident(%s))[1]
          AND quote_ident(table_name) = (parse_ident(%s))[2]
        ELSE quote_ident(table_name) = %s
          AND %s
      END""" % (part, part, part, part, SEARCH_PATH_CONSTRAINT)


def check_columns():
    for rel, want in DEMO_COLUMNS.items():
        rows = run(columns_query(rel))
        expect_eq(sorted(rows), sorted(want), "columns of %s" % rel)
        rows = run(columns_query("public." + rel))
        expect_eq(sorted(rows), sorted(want), "columns of public.%s" % rel)


# --- backend schema API (schema.go) ----------------------------------------

def check_backend_schema():
    rows = run("""SELECT schema_name FROM information_schema.schemata
		 WHERE schema_name NOT LIKE 'pg_%' AND schema_name != 'information_schema'
		 ORDER BY schema_name""")
    expect(("public",) in rows, "schemas %r" % rows)
    rows = run("""SELECT table_name FROM information_schema.tables
		 WHERE table_schema = %s AND table_type IN ('BASE TABLE', 'VIEW')
		 ORDER BY table_name""", ("public",))
    names = [r[0] for r in rows]
    expect_eq([n for n in names if n in (DEMO_SOURCE,) + DEMO_VIEWS], sorted((DEMO_SOURCE,) + DEMO_VIEWS),
              "tables of public")
    for rel, want in DEMO_COLUMNS.items():
        rows = run("""SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale
		 FROM information_schema.columns
		 WHERE table_schema = %s AND table_name = %s
		 ORDER BY ordinal_position""", ("public", rel))
        expect_eq([(r[0], r[1]) for r in rows], want, "columns of %s" % rel)
        udt = {"text": "text", "bigint": "int8", "integer": "int4", "double precision": "float8",
               "numeric": "numeric", "timestamp with time zone": "timestamptz"}
        for name, dtype, udt_name, prec, scale in rows:
            expect_eq(udt_name, udt[dtype], "udt_name of %s.%s" % (rel, name))
            if dtype == "double precision":
                expect_eq((prec, scale), (53, None), "numeric_precision, numeric_scale of float8 %s" % name)


def check_column_values():
    # ColumnValues: distinct values of columns, for filter pickers.
    parts = []
    for i, col in enumerate(["device_id", "event_count"]):
        parts.append("SELECT '%s' AS col_name, \"%s\"::text AS val FROM (SELECT DISTINCT \"%s\" FROM "
                     "\"public\".\"device_metrics\" WHERE \"%s\" IS NOT NULL ORDER BY \"%s\" LIMIT 100) sub_%d"
                     % (col, col, col, col, col, i))
    rows = run(" UNION ALL ".join(parts))
    devices = [v for c, v in rows if c == "device_id"]
    counts = [v for c, v in rows if c == "event_count"]
    expect_eq(len(devices), 100, "distinct device_id values (the demo has 100 devices)")
    expect_eq(devices, sorted(devices), "device_id values ordered")
    expect(DEVICE in devices, "%s missing" % DEVICE)
    expect(0 < len(counts) <= 100 and all(re.fullmatch(r"[0-9]+", c) for c in counts),
           "event_count values %r" % counts[:5])


# --- template variables (metricFindQuery) ---------------------------------

def check_variables():
    rows = run("SELECT DISTINCT device_id FROM device_metrics ORDER BY 1")  # 100 devices, stable
    expect_eq(len(rows), 100, "distinct devices")
    rows = run("SELECT device_id AS __text, device_id AS __value FROM device_hourly GROUP BY device_id ORDER BY 1 LIMIT 5")
    expect_eq(len(rows), 5, "__text/__value rows")
    expect(all(t == v for t, v in rows), "__text != __value")


# --- time series panels ------------------------------------------------------

def rfc3339nano(t):
    # Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped.
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += ("." + "%06d" % t.microsecond).rstrip("0")
    return s + "Z"


def time_filter(col, frm, to):
    return "%s BETWEEN '%s' AND '%s'" % (col, rfc3339nano(frm), rfc3339nano(to))


def time_group(col, seconds):
    return "floor(extract(epoch from %s)/%d)*%d" % (col, seconds, seconds)


def panel_range():
    to = now_utc().replace(microsecond=123000)
    return to - datetime.timedelta(minutes=30), to


def as_epoch(v):
    if isinstance(v, datetime.datetime):
        return v.timestamp()
    expect(isinstance(v, (int, float, decimal.Decimal)), "time column value %r is not a number or timestamp" % (v,))
    return float(v)


def check_time_group():
    frm, to = panel_range()
    sql = ("SELECT %s AS \"time\", avg(avg_temperature) AS avg_temperature, sum(event_count) AS events\n"
           "FROM device_metrics\nWHERE %s\nGROUP BY 1\nORDER BY 1"
           % (time_group("window_start", 300), time_filter("window_start", frm, to)))
    for rows in run(sql, live=True):
        check_buckets(rows, frm, to)


def check_buckets(rows, frm, to):
    expect(6 <= len(rows) <= 8, "%d five-minute buckets in 30 minutes" % len(rows))
    prev = None
    for t, avg, events in rows:
        e = as_epoch(t)
        expect(e % 300 == 0, "bucket %r not on the 5-minute grid" % (t,))
        expect(frm.timestamp() - 300 < e <= to.timestamp(), "bucket %r outside the panel range" % (t,))
        expect(prev is None or e > prev, "buckets not ascending")
        prev = e
        expect(isinstance(avg, float) and -50 < avg < 100, "avg_temperature %r" % (avg,))
        expect(int(events) > 0, "events %r" % (events,))


def check_time_group_alias_metric():
    # Grafana's pre-5.3 form: $__timeGroup(col,'1m'), followed by a comma,
    # becomes the alias form; plus a metric column and a multi-value
    # variable interpolated as a quoted list.
    frm, to = panel_range()
    devices = "'device-00001','device-00042'"
    sql = ("SELECT %s AS \"time\", device_id AS metric, avg(avg_temperature) AS value\n"
           "FROM device_metrics\nWHERE %s AND device_id IN (%s)\nGROUP BY 1, 2\nORDER BY 1, 2"
           % (time_group("window_start", 60), time_filter("window_start", frm, to), devices))
    for rows in run(sql, live=True):
        check_metric_rows(rows)


def check_metric_rows(rows):
    metrics = sorted({r[1] for r in rows})
    expect_eq(metrics, ["device-00001", "device-00042"], "metric column values")
    expect(len(rows) >= 2 * 25, "%d rows for 2 devices over 30 one-minute buckets" % len(rows))
    keys = [(as_epoch(t), m) for t, m, _ in rows]
    expect_eq(keys, sorted(keys), "ORDER BY 1, 2")
    expect_eq(len(keys), len(set(keys)), "one row per (time, metric)")


def check_time_macro():
    frm, to = panel_range()
    sql = ("SELECT window_start AS \"time\", event_count, avg_temperature\nFROM device_metrics\n"
           "WHERE %s AND device_id = '%s'\nORDER BY 1" % (time_filter("window_start", frm, to), DEVICE))
    rows, _ = run(sql, live=True)
    expect(len(rows) >= 25, "%d windows of %s in 30 minutes" % (len(rows), DEVICE))
    for t, n, avg in rows:
        expect(isinstance(t, datetime.datetime) and t.tzinfo is not None, "time %r" % (t,))
        expect(frm <= t <= to, "time %s outside [%s, %s]" % (t, frm, to))
    sql = ("SELECT extract(epoch from window_start) as \"time\", event_count\nFROM device_metrics\n"
           "WHERE %s AND device_id = '%s'\nORDER BY 1" % (time_filter("window_start", frm, to), DEVICE))
    epochs, _ = run(sql, live=True)
    # The newest window may appear between the two queries.
    expect_eq([float(r[0]) for r in epochs][:len(rows) - 1], [r[0].timestamp() for r in rows][:len(rows) - 1],
              "$__timeEpoch vs $__time")


def check_unix_epoch_filter():
    frm, to = panel_range()
    sql = ("SELECT extract(epoch from window_start) AS \"time\", count(*) FROM device_metrics\n"
           "WHERE extract(epoch from window_start) >= %d AND extract(epoch from window_start) <= %d\n"
           "GROUP BY 1 ORDER BY 1" % (int(frm.timestamp()), int(to.timestamp())))
    rows, _ = run(sql, live=True)
    expect(len(rows) >= 25, "%d one-minute windows" % len(rows))
    expect(all(int(frm.timestamp()) <= float(t) <= int(to.timestamp()) for t, _ in rows), "epoch outside range")


def check_dashboard_panels():
    # The two panels of the dashboard lambdasql serves at
    # /grafana/dashboard.json, with $__timeFilter expanded.
    frm, to = panel_range()
    tf = time_filter("window_start", frm, to)
    rows, _ = run("SELECT window_start AS \"time\", avg(avg_temperature) AS avg_temperature\nFROM device_metrics\n"
                  "WHERE " + tf + "\nGROUP BY 1\nORDER BY 1", live=True)
    expect(len(rows) >= 25, "%d rows in the temperature panel" % len(rows))
    rows, _ = run("SELECT window_start AS \"time\",\n"
                  "       sum(event_count) FILTER (WHERE _layer = 'batch') AS batch,\n"
                  "       sum(event_count) FILTER (WHERE _layer = 'speed') AS speed\nFROM device_metrics\n"
                  "WHERE " + tf + "\nGROUP BY 1\nORDER BY 1", live=True)
    expect(len(rows) >= 25, "%d rows in the layers panel" % len(rows))
    expect(any(r[1] for r in rows), "no window served by the batch layer in the last 30 minutes")
    expect(any(r[2] for r in rows), "no window served by the speed layer in the last 30 minutes")
    for t, b, s in rows:
        expect(b is None or s is None, "window %s served by both layers (batch %r, speed %r)" % (t, b, s))


def check_query_builder():
    # sqlUtil.ts toRawSql: the visual builder's SQL, trailing space included.
    rows, _ = run("SELECT device_id, avg(avg_temperature) AS avg_temp, max(max_temperature) FROM device_hourly "
                  "WHERE device_id = 'device-00042' GROUP BY device_id ORDER BY device_id DESC LIMIT 50 ", live=True)
    expect_eq(len(rows), 1, "rows")
    expect_eq(rows[0][0], DEVICE, "device_id")
    expect(isinstance(rows[0][1], float) and isinstance(rows[0][2], float), "aggregates %r" % (rows[0],))
    rows, _ = run("SELECT window_start, device_id, event_count FROM device_metrics LIMIT 50 ", live=True)
    expect_eq(len(rows), 50, "LIMIT 50 rows")


suite.check("health_ping", check_health)
suite.check("version_detect", check_version)
suite.check("editor_schemas", check_schemas)
suite.check("editor_tables_search_path", check_tables_on_search_path)
suite.check("editor_tables_in_schema", check_tables_in_schema)
suite.check("editor_columns_parse_ident", check_columns)
suite.check("backend_schema_api", check_backend_schema)
suite.check("backend_column_values", check_column_values)
suite.check("variables", check_variables)
suite.check("timeseries_timegroup", check_time_group)
suite.check("timeseries_metric_multivalue", check_time_group_alias_metric)
suite.check("timeseries_time_epoch", check_time_macro)
suite.check("timeseries_unix_epoch_filter", check_unix_epoch_filter)
suite.check("dashboard_panels", check_dashboard_panels)
suite.check("query_builder", check_query_builder)
conn.close()
suite.finish()
