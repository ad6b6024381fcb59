package server

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lambdasql/catalog"
)

func TestMetricsScrape(t *testing.T) {
	srv, conn, base := httpServer(t)
	httpFixture(t, conn)

	// Queries by layer and outcome.
	if n := queryInt(t, conn, `SELECT count(*) FROM device_minutes`); n == 0 {
		t.Fatal("device_minutes is empty")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `SET lambda.read = 'batch'`); err != nil {
		t.Fatal(err)
	}
	queryInt(t, conn, `SELECT count(*) FROM device_minutes`)
	if _, err := conn.Exec(ctx, `SET lambda.read = 'merged'`); err != nil {
		t.Fatal(err)
	}
	var x int64
	if err := conn.QueryRow(ctx, `SELECT 1 / (count(*) - count(*)) FROM telemetry`).Scan(&x); err == nil {
		t.Fatal("division by zero did not fail")
	}

	var m map[string]float64
	// End-to-end latency samples reach the histogram through a drain
	// started within a second of the view starting.
	deadline := time.Now().Add(20 * time.Second)
	for {
		m = scrape(t, base)
		if m[`lambdasql_view_end_to_end_latency_seconds_count{view="device_minutes"}`] > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, views := srv.Status()
	var v ViewStatus
	for _, x := range views {
		if x.Name == "device_minutes" {
			v = x
		}
	}
	if !v.HasB {
		t.Fatal("device_minutes has no B after REFRESH")
	}
	for series, check := range map[string]func(float64) bool{
		`lambdasql_view_end_to_end_latency_seconds_count{view="device_minutes"}`:           positive,
		`lambdasql_queries_total{layer="both",outcome="ok"}`:                               atLeast(1),
		`lambdasql_queries_total{layer="batch",outcome="ok"}`:                              atLeast(1),
		`lambdasql_queries_total{layer="none",outcome="error"}`:                            atLeast(1),
		`lambdasql_query_duration_seconds_count{layer="both",outcome="ok"}`:                atLeast(1),
		`lambdasql_source_events_total{source="telemetry"}`:                                equal(38),
		`lambdasql_source_up{source="telemetry"}`:                                          equal(1),
		`lambdasql_source_partitions{source="telemetry"}`:                                  positive,
		`lambdasql_source_info{connector="embedded",source="telemetry"}`:                   equal(1),
		`lambdasql_source_backlog_events{source="telemetry"}`:                              atLeast(0),
		`lambdasql_source_rejected_events_total{source="telemetry"}`:                       equal(0),
		`lambdasql_source_events_per_second{source="telemetry"}`:                           atLeast(0),
		`lambdasql_source_stream_watermark_seconds{source="telemetry"}`:                    positive,
		`lambdasql_view_batch_watermark_seconds{view="device_minutes"}`:                    equal(unixSeconds(v.B)),
		`lambdasql_view_freshness_seconds{view="device_minutes"}`:                          positive,
		`lambdasql_view_stream_watermark_seconds{view="device_minutes"}`:                   positive,
		`lambdasql_view_up{view="device_minutes"}`:                                         equal(1),
		`lambdasql_view_info{source="telemetry",view="device_minutes",window="tumble 1m"}`: equal(1),
		`lambdasql_view_speed_windows{view="device_minutes"}`:                              positive,
		`lambdasql_view_speed_state_bytes{view="device_minutes"}`:                          positive,
		`lambdasql_view_late_events_total{view="device_minutes"}`:                          equal(0),
		`lambdasql_view_out_of_order_events_total{view="device_minutes"}`:                  atLeast(0),
		`lambdasql_view_out_of_order_ratio{view="device_minutes"}`:                         between(0, 1),
		`lambdasql_view_processing_lag_seconds{view="device_minutes"}`:                     atLeast(0),
		`lambdasql_batch_runs_total{status="succeeded",view="device_minutes"}`:             atLeast(2),
		`lambdasql_batch_run_duration_seconds_count{view="device_minutes"}`:                atLeast(2),
		`lambdasql_batch_rows_in_total{view="device_minutes"}`:                             atLeast(30),
		`lambdasql_batch_last_run_rows_in{view="device_minutes"}`:                          atLeast(30),
		`lambdasql_batch_last_run_rows_out{view="device_minutes"}`:                         positive,
		`lambdasql_batch_last_success_timestamp_seconds{view="device_minutes"}`:            positive,
		`lambdasql_connections_active`:                                                     atLeast(1),
		`lambdasql_connections_accepted_total`:                                             atLeast(1),
		`lambdasql_statements_total`:                                                       atLeast(5),
		`lambdasql_error_responses_total`:                                                  atLeast(1),
		`lambdasql_network_received_bytes_total`:                                           positive,
		`lambdasql_network_sent_bytes_total`:                                               positive,
		`lambdasql_build_info{server_version="15.8",version="` + Version + `"}`:            equal(1),
		`go_goroutines`:                   positive,
		`process_resident_memory_bytes`:   positive,
		`lambdasql_auth_failures_total`:   equal(0),
		`lambdasql_cancel_requests_total`: equal(0),
	} {
		got, ok := m[series]
		if !ok {
			t.Errorf("missing series %s", series)
			continue
		}
		if !check(got) {
			t.Errorf("%s = %v", series, got)
		}
	}
	// The run counters count each run once, however often scraped.
	again := scrape(t, base)
	k := `lambdasql_batch_runs_total{status="succeeded",view="device_minutes"}`
	if again[k] != m[k] {
		t.Errorf("%s went from %v to %v without a new run", k, m[k], again[k])
	}
}

func positive(f float64) bool { return f > 0 }
func atLeast(n float64) func(float64) bool {
	return func(f float64) bool { return f >= n }
}
func equal(n float64) func(float64) bool {
	return func(f float64) bool { return math.Abs(f-n) <= 1e-6*math.Max(1, math.Abs(n)) }
}
func between(lo, hi float64) func(float64) bool {
	return func(f float64) bool { return f >= lo && f <= hi }
}

// TestRunCursor checks that batch runs feed the counters once each, wait
// while a run is running, and restart counting when a view is recreated.
func TestRunCursor(t *testing.T) {
	cat, err := catalog.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	c := newStatusCollector(&Server{cat: cat, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	reg := prometheus.NewRegistry()
	reg.MustRegister(c.runs, c.runDur, c.rowsIn)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(id int64, status string, started time.Time, rowsIn int64) {
		t.Helper()
		r := catalog.BatchRun{View: "v", RunID: id, Kind: "incremental", Started: started, Status: status, RowsIn: rowsIn}
		if status != "running" {
			r.Finished = started.Add(2 * time.Second)
		}
		if err := cat.PutRun(r); err != nil {
			t.Fatal(err)
		}
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		next:
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if labels[lp.GetName()] != lp.GetValue() {
						continue next
					}
				}
				if h := m.GetHistogram(); h != nil {
					return float64(h.GetSampleCount())
				}
				return m.GetCounter().GetValue()
			}
		}
		return 0
	}
	lambda := map[string]bool{"v": true}

	put(1, "succeeded", t0, 10)
	put(2, "running", t0.Add(time.Minute), 0)
	put(3, "succeeded", t0.Add(2*time.Minute), 30) // cannot happen before 2 ends; must wait
	last := c.syncRuns(lambda)
	if got := value("lambdasql_batch_runs_total", map[string]string{"view": "v", "status": "succeeded"}); got != 1 {
		t.Fatalf("succeeded runs = %v, want 1 (run 2 still running)", got)
	}
	if last["v"].finished == nil || last["v"].finished.RunID != 1 {
		t.Fatalf("last finished run = %+v, want run 1", last["v"].finished)
	}
	c.syncRuns(lambda)
	if got := value("lambdasql_batch_runs_total", map[string]string{"view": "v", "status": "succeeded"}); got != 1 {
		t.Fatalf("succeeded runs after a second scrape = %v, want 1", got)
	}

	put(2, "failed", t0.Add(time.Minute), 0)
	put(4, "skipped", t0.Add(3*time.Minute), 0)
	last = c.syncRuns(lambda)
	for status, want := range map[string]float64{"succeeded": 2, "failed": 1, "skipped": 1} {
		if got := value("lambdasql_batch_runs_total", map[string]string{"view": "v", "status": status}); got != want {
			t.Errorf("%s runs = %v, want %v", status, got, want)
		}
	}
	if got := value("lambdasql_batch_run_duration_seconds", map[string]string{"view": "v"}); got != 3 {
		t.Errorf("run durations observed = %v, want 3 (skipped runs excluded)", got)
	}
	if got := value("lambdasql_batch_rows_in_total", map[string]string{"view": "v"}); got != 40 {
		t.Errorf("rows in = %v, want 40", got)
	}
	if last["v"].finished.RunID != 4 || last["v"].success.RunID != 3 {
		t.Errorf("last finished/success = %d/%d, want 4/3", last["v"].finished.RunID, last["v"].success.RunID)
	}

	// The view is dropped and recreated: its runs start again at 1.
	if err := cat.DeleteRecords("", "v"); err != nil {
		t.Fatal(err)
	}
	put(1, "succeeded", t0.Add(time.Hour), 5)
	c.syncRuns(lambda)
	if got := value("lambdasql_batch_runs_total", map[string]string{"view": "v", "status": "succeeded"}); got != 3 {
		t.Errorf("succeeded runs after recreation = %v, want 3", got)
	}
}

func TestLayerLabel(t *testing.T) {
	for _, tc := range []struct {
		layers []string
		want   string
	}{
		{nil, "none"}, {[]string{"batch"}, "batch"}, {[]string{"speed"}, "speed"},
		{[]string{"batch", "speed"}, "both"}, {[]string{"speed", "batch"}, "both"},
	} {
		if got := layerLabel(tc.layers); got != tc.want {
			t.Errorf("layerLabel(%q) = %q, want %q", tc.layers, got, tc.want)
		}
	}
	if !isCanceled(context.Canceled) || isCanceled(io.EOF) {
		t.Error("isCanceled misclassifies")
	}
}

func TestOutOfOrderShare(t *testing.T) {
	for _, tc := range []struct {
		v    ViewStatus
		want float64
	}{
		{ViewStatus{}, 0},
		{ViewStatus{SpeedRows: 90, LateEvents: 10, OutOfOrder: 5}, 0.05},
		{ViewStatus{SpeedRows: 1, OutOfOrder: 4}, 1}, // counted before the view's WHERE: clamped
	} {
		if got := outOfOrderShare(tc.v); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("outOfOrderShare(%+v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
