package server

import (
	"context"
	"testing"
	"time"
)

// TestBacklogIsNotIdle: a speed layer that drains one partition's backlog
// before reading the other's must not count the other's events late. A
// partition with unread entries is never idle, even when it has not shown
// the reader an event yet (statements go to partitions round-robin).
func TestBacklogIsNotIdle(t *testing.T) {
	s := startServer(t, "")
	c := connect(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, q := range []string{
		`CREATE SOURCE ev (k TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL) WITH (event_time = 'ts', lateness = '1s', partitions = 2, idle_timeout = '30s')`,
		`CREATE VIEW v WITH (window = '1m') AS SELECT k, count(*) AS n FROM ev GROUP BY k`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Three statements in one message, while the speed layer waits for
	// data: partition 0, 1, 0, and partition 1 holds the oldest events.
	// The next pass drains partition 0 first.
	if _, err := c.Exec(ctx, `
		INSERT INTO ev SELECT 'a', '2024-01-01 00:10:00+00'::timestamptz + g * interval '1 second' FROM generate_series(0, 599) g;
		INSERT INTO ev SELECT 'b', '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second' FROM generate_series(0, 299) g;
		INSERT INTO ev SELECT 'a', '2024-01-01 00:30:00+00'::timestamptz + g * interval '1 second' FROM generate_series(0, 599) g`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var total, late int64
		if err := c.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM v`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRow(ctx, `SELECT late_events FROM lambda_views WHERE name = 'v'`).Scan(&late); err != nil {
			t.Fatal(err)
		}
		if late != 0 {
			t.Fatalf("%d events counted late", late)
		}
		if total == 1500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("view holds %d events, want 1500", total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var b int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM v WHERE k = 'b'`).Scan(&b); err != nil || b != 5 {
		t.Fatalf("windows of partition 1: %d, %v", b, err)
	}
}
