"""Shared harness of the Python client programs of `make test-clients`.

Each program builds a Suite, registers checks with `suite.check(id, fn)`
and ends with `suite.finish()`. A check passes when fn returns, fails when
it raises. A failing check whose id is listed in clients/KNOWN-GAPS.md is
reported as a known gap: a warning when CLIENTS_ALLOW_KNOWN_GAPS=1, a
failure otherwise. A listed check that passes is reported so the entry can
be removed.

The server is taken from the environment that scripts/test-clients.sh
sets: LAMBDASQL_HOST, LAMBDASQL_PORT, LAMBDASQL_USER, LAMBDASQL_DB.
"""

import datetime
import os
import re
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))

HOST = os.environ.get("LAMBDASQL_HOST", "127.0.0.1")
PORT = int(os.environ.get("LAMBDASQL_PORT", "5433"))
USER = os.environ.get("LAMBDASQL_USER", "lambdasql")
DB = os.environ.get("LAMBDASQL_DB", "lambdasql")

# The demo's objects and their columns with the PostgreSQL type names that
# information_schema.columns.data_type reports (format_type spelling).
TS = "timestamp with time zone"
F8 = "double precision"
DEMO_SOURCE = "telemetry"
DEMO_VIEWS = ("device_hourly", "device_metrics", "user_activity")
DEMO_COLUMNS = {
    "telemetry": [
        ("device_id", "text"), ("event_timestamp", TS), ("temperature", F8),
        ("energy_consumed", F8), ("user_id", "text"), ("event_type", "text"),
        ("session_duration", "integer"), ("revenue", F8),
    ],
    "device_metrics": [
        ("window_start", TS), ("window_end", TS), ("device_id", "text"),
        ("event_count", "bigint"), ("avg_temperature", F8), ("max_temperature", F8),
        ("min_temperature", F8), ("total_energy", F8), ("unique_users", "bigint"),
    ],
    "device_hourly": [
        ("window_start", TS), ("window_end", TS), ("device_id", "text"),
        ("event_count", "bigint"), ("avg_temperature", F8), ("max_temperature", F8),
        ("min_temperature", F8), ("total_energy", F8),
    ],
    "user_activity": [
        ("window_start", TS), ("window_end", TS), ("user_id", "text"),
        ("logins", "bigint"), ("transactions", "bigint"),
        ("avg_session_seconds", "numeric"), ("revenue", F8),
    ],
}
# The device whose windows the parameterized queries read.
DEVICE = "device-00042"


def known_gaps(path=os.path.join(HERE, "KNOWN-GAPS.md")):
    """Returns the check ids listed in KNOWN-GAPS.md (headings "## `id`")."""
    ids = set()
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"^##\s+`([^`]+)`", line)
                if m:
                    ids.add(m.group(1))
    except FileNotFoundError:
        pass
    return ids


class CheckFailed(AssertionError):
    """A check's expectation did not hold."""


def expect(cond, msg, *args):
    """Raises CheckFailed with msg % args unless cond holds."""
    if not cond:
        raise CheckFailed(msg % args if args else msg)


def expect_eq(got, want, what):
    if got != want:
        raise CheckFailed("%s: got %r, want %r" % (what, got, want))


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


class Suite:
    """Runs named checks and prints one line per check and a summary."""

    def __init__(self, client, reset=None):
        """reset, if given, runs after every check (errors ignored): it
        returns the connection to a clean state so one failure does not
        cascade into the next checks."""
        self.client = client
        self.reset = reset
        self.gaps = known_gaps()
        self.allow = os.environ.get("CLIENTS_ALLOW_KNOWN_GAPS") == "1"
        self.passed = self.failed = self.warned = 0
        self.fixed = []

    def check(self, cid, fn, *args):
        """Runs fn(*args) as check `client.cid`; returns its result or None."""
        full = "%s.%s" % (self.client, cid)
        start = time.monotonic()
        try:
            try:
                res = fn(*args)
            finally:
                if self.reset is not None:
                    try:
                        self.reset()
                    except Exception:  # noqa: BLE001 - best effort
                        pass
        except Exception as e:  # noqa: BLE001 - every failure is reported
            msg = "%s: %s" % (type(e).__name__, str(e).strip().replace("\n", "\n    "))
            if not isinstance(e, CheckFailed):
                tb = traceback.extract_tb(e.__traceback__)
                here = [fr for fr in tb if fr.filename.startswith(HERE)]
                if here:
                    msg += "\n    at %s:%d" % (os.path.basename(here[-1].filename), here[-1].lineno)
            if full in self.gaps:
                if self.allow:
                    self.warned += 1
                    print("GAP  %s (known, allowed): %s" % (full, msg), flush=True)
                else:
                    self.failed += 1
                    print("FAIL %s (known gap, see clients/KNOWN-GAPS.md): %s" % (full, msg), flush=True)
            else:
                self.failed += 1
                print("FAIL %s: %s" % (full, msg), flush=True)
            return None
        self.passed += 1
        note = ""
        if full in self.gaps:
            self.fixed.append(full)
            note = "  (listed in KNOWN-GAPS.md but passes now: remove the entry)"
        print("ok   %s (%.2fs)%s" % (full, time.monotonic() - start, note), flush=True)
        return res

    def finish(self):
        """Prints the summary line and exits non-zero on any failure."""
        # Known gaps allowed by CLIENTS_ALLOW_KNOWN_GAPS=1 count as skipped.
        print("%s: %d passed, %d failed, %d skipped" % (self.client, self.passed, self.failed, self.warned), flush=True)
        sys.exit(1 if self.failed else 0)
