#!/usr/bin/env python3
"""Debian's kcat producing JSON events into a Kafka broker that lambdasql
consumes. The broker is the in-process kfake (clients/kfake) whose address
scripts/test-clients.sh passes in KFAKE_ADDR; the topic `telemetry` exists.

The program creates a Kafka source `kcat_telemetry` and a one-minute view
over it, produces well-formed events plus malformed lines with
`kcat -P -b <addr> -t telemetry`, and checks that every good event arrives
(count and values), that the view aggregates them, and that the malformed
lines land in lambda_rejected with their payload. It drops what it
created.
"""

import datetime
import json
import os
import subprocess
import tempfile
import time

import psycopg

from harness import DB, HOST, PORT, USER, Suite, expect, expect_eq, now_utc

ADDR = os.environ.get("KFAKE_ADDR", "")
KCAT = os.environ.get("KCAT", "kcat")
SOURCE = "kcat_telemetry"
VIEW = "kcat_minutes"
GOOD = 200
DEVICES = 4
BAD = ['{"device_id": "kcat-bad", "event_timestamp": ',      # broken JSON
       '{"device_id": "kcat-x", "event_timestamp": "yesterday-ish", "temperature": 1}',  # bad timestamp
       '{"event_timestamp": "2024-01-01T00:00:00Z", "temperature": 1}']  # device_id missing

conn = None
suite = Suite("kcat", reset=lambda: conn.rollback())

conn = suite.check("connect", lambda: psycopg.connect(host=HOST, port=PORT, user=USER, dbname=DB,
                                                      connect_timeout=10, autocommit=True))
if conn is None or not ADDR:
    if not ADDR:
        print("FAIL kcat.broker: KFAKE_ADDR is not set (scripts/test-clients.sh starts clients/kfake)")
        suite.failed += 1
    suite.finish()

# Events stamped five minutes ago, one every 0.5 s.
base = now_utc().replace(microsecond=0) - datetime.timedelta(minutes=5)
events = []
for i in range(GOOD):
    events.append({"device_id": "kcat-%02d" % (i % DEVICES),
                   "event_timestamp": (base + datetime.timedelta(milliseconds=500 * i)).isoformat().replace("+00:00", "Z"),
                   "temperature": 20 + (i % 7) + 0.5, "event_type": "reading"})


def poll(query, want, what, timeout_s=30):
    """Polls query until it returns want (bounded); returns the last value."""
    deadline = time.monotonic() + timeout_s
    got = None
    while time.monotonic() < deadline:
        got = conn.execute(query).fetchone()[0]
        if got == want:
            return got
        time.sleep(0.2)
    raise AssertionError("%s: got %r after %ds, want %r" % (what, got, timeout_s, want))


def create():
    conn.execute("DROP VIEW IF EXISTS %s" % VIEW)
    conn.execute("DROP SOURCE IF EXISTS %s" % SOURCE)
    conn.execute("""CREATE SOURCE %s (
        device_id TEXT NOT NULL, event_timestamp TIMESTAMPTZ NOT NULL,
        temperature DOUBLE PRECISION, event_type TEXT
    ) WITH (connector = 'kafka', brokers = '%s', topic = 'telemetry', format = 'json',
            event_time = 'event_timestamp', lateness = '1m', capture_interval = '1s')""" % (SOURCE, ADDR))
    conn.execute("""CREATE VIEW %s WITH (window = '1m') AS
        SELECT device_id, count(*) AS n, avg(temperature) AS avg_temperature FROM %s GROUP BY device_id"""
                 % (VIEW, SOURCE))
    rows = conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_name = %s ORDER BY ordinal_position", (SOURCE,)).fetchall()
    expect_eq(rows, [("device_id", "text"), ("event_timestamp", "timestamp with time zone"),
                     ("temperature", "double precision"), ("event_type", "text")], "columns of " + SOURCE)


def produce():
    lines = [json.dumps(e) for e in events[:GOOD // 2]] + BAD + [json.dumps(e) for e in events[GOOD // 2:]]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        # -l: one message per line of the file; -p 0: the topic's partition.
        out = subprocess.run([KCAT, "-P", "-b", ADDR, "-t", "telemetry", "-p", "0", "-l", path],
                             capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(path)
    expect(out.returncode == 0, "kcat exited %d: %s" % (out.returncode, out.stderr.strip()))
    # kcat itself can read the topic back: the broker holds every line.
    out = subprocess.run([KCAT, "-C", "-b", ADDR, "-t", "telemetry", "-p", "0", "-o", "beginning", "-e", "-q"],
                         capture_output=True, text=True, timeout=60)
    expect(out.returncode == 0, "kcat -C exited %d: %s" % (out.returncode, out.stderr.strip()))
    expect_eq(len(out.stdout.splitlines()), GOOD + len(BAD), "messages on the topic")


def arrived():
    poll("SELECT count(*) FROM %s" % SOURCE, GOOD, "events in " + SOURCE)
    rows = conn.execute("SELECT device_id, count(*), min(event_timestamp), max(event_timestamp), sum(temperature) "
                        "FROM %s GROUP BY device_id ORDER BY device_id" % SOURCE).fetchall()
    expect_eq([r[0] for r in rows], ["kcat-%02d" % d for d in range(DEVICES)], "devices")
    expect_eq([r[1] for r in rows], [GOOD // DEVICES] * DEVICES, "events per device")
    expect_eq(min(r[2] for r in rows), base, "first event_timestamp")
    want_sum = sum(e["temperature"] for e in events)
    got_sum = sum(r[4] for r in rows)
    expect(abs(got_sum - want_sum) < 1e-6, "sum(temperature) %r, want %r" % (got_sum, want_sum))


def rejected():
    poll("SELECT count(*) FROM lambda_rejected WHERE source = '%s'" % SOURCE, len(BAD), "rejected events")
    rows = conn.execute("SELECT payload, error FROM lambda_rejected WHERE source = %s ORDER BY \"offset\"",
                        (SOURCE,)).fetchall()
    expect_eq([r[0] for r in rows], BAD, "rejected payloads")
    for payload, err in rows:
        expect(err, "no reason for rejecting %r" % payload)


def view():
    want = conn.execute("SELECT count(*) FROM (SELECT DISTINCT device_id, "
                        "date_trunc('minute', event_timestamp) FROM %s) AS w" % SOURCE).fetchone()[0]
    poll("SELECT count(*) FROM %s" % VIEW, want, "windows of " + VIEW)
    total = conn.execute("SELECT sum(n) FROM %s" % VIEW).fetchone()[0]
    expect_eq(int(total), GOOD, "sum(n) over the windows of " + VIEW)


def drop():
    conn.execute("DROP VIEW %s" % VIEW)
    conn.execute("DROP SOURCE %s" % SOURCE)
    n = conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name IN (%s, %s)",
                     (SOURCE, VIEW)).fetchone()[0]
    expect_eq(n, 0, "relations left after DROP")


start_failed = suite.failed
suite.check("create_source", create)
if suite.failed == start_failed:
    suite.check("kcat_produce", produce)
    if suite.failed == start_failed:
        suite.check("events_arrive", arrived)
        suite.check("malformed_rejected", rejected)
        suite.check("view_over_kafka", view)
    suite.check("drop", drop)
conn.close()
suite.finish()
