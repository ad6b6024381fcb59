package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func openDemoServer(t *testing.T, dir string) (*Server, *pgx.Conn) {
	t.Helper()
	srv, err := Open(Config{DataDir: dir, Listen: "127.0.0.1:0", HTTP: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, catConnect(t, srv)
}

// waitInt polls q until ok accepts its value or the deadline passes.
func waitInt(t *testing.T, conn *pgx.Conn, q string, d time.Duration, ok func(int64) bool) int64 {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		n := queryInt(t, conn, q)
		if ok(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %d after %s", q, n, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	srv, conn := openDemoServer(t, dir)
	cfg := DemoConfig{Rate: 200, Devices: 50, Backfill: 5 * time.Minute}
	if err := StartDemo(srv, cfg); err != nil {
		t.Fatal(err)
	}
	if err := StartDemo(srv, cfg); err == nil {
		t.Error("a second StartDemo on the same server succeeded")
	}
	snap := srv.cat.Snapshot()
	if snap.Sources["telemetry"] == nil {
		t.Fatal("no source telemetry")
	}
	created := map[string]time.Time{}
	for _, v := range demoViews {
		cv := snap.Views[v.name]
		if cv == nil || !cv.Lambda {
			t.Fatalf("view %s missing or not a lambda view", v.name)
		}
		created[v.name] = cv.Created
	}
	// The history went in before the views: each first (full) run read
	// all of it, and nothing else.
	wantHistory := int64(cfg.Rate) * int64(cfg.Backfill/time.Second)
	for _, v := range demoViews {
		rows := queryInt(t, conn, fmt.Sprintf(`SELECT rows_in FROM lambda_batch_runs WHERE view = '%s' AND run_id = 1`, v.name))
		if rows != wantHistory {
			t.Errorf("%s: the first batch run read %d rows, want the %d backfilled", v.name, rows, wantHistory)
		}
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM device_metrics WHERE _layer = 'batch'`); n == 0 {
		t.Error("device_metrics has no batch rows right after the demo started")
	}
	// The generator's events reach the source and the speed layer.
	waitInt(t, conn, `SELECT count(*) FROM telemetry`, 30*time.Second, func(n int64) bool { return n > wantHistory })
	waitInt(t, conn, `SELECT count(*) FROM device_metrics WHERE _layer = 'speed'`, 30*time.Second, func(n int64) bool { return n > 0 })
	waitInt(t, conn, `SELECT count(*) FROM user_activity WHERE _layer = 'speed' AND (logins > 0 OR transactions > 0)`, 30*time.Second, func(n int64) bool { return n > 0 })

	// The dashboard's SQL panels run as Grafana sends them (macros
	// expanded to a BETWEEN of RFC 3339 literals).
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	for _, p := range loadDashboard(t).Panels {
		for _, tg := range p.Targets {
			if tg.RawSQL == "" {
				continue
			}
			q := strings.ReplaceAll(tg.RawSQL, "$__timeFilter(window_start)", fmt.Sprintf("window_start BETWEEN '%s' AND '%s'", from, to))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			rows, err := conn.Query(ctx, q)
			if err != nil {
				cancel()
				t.Fatalf("panel %q: %v\n%s", p.Title, err, q)
			}
			n := 0
			for rows.Next() {
				n++
			}
			err = rows.Err()
			rows.Close()
			cancel()
			if err != nil || n == 0 {
				t.Errorf("panel %q: %d rows, err %v", p.Title, n, err)
			}
		}
	}

	before := queryInt(t, conn, `SELECT count(*) FROM telemetry`)
	if before <= wantHistory {
		t.Errorf("count(*) = %d: the generator added nothing to the %d backfilled events", before, wantHistory)
	}
	conn.Close(context.Background())
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close with the demo running: %v", err)
	}
	t.Logf("Close took %s", time.Since(start))

	// A restart keeps the objects and resumes the generator.
	srv, conn = openDemoServer(t, dir)
	if err := StartDemo(srv, cfg); err != nil {
		t.Fatal(err)
	}
	snap = srv.cat.Snapshot()
	for _, v := range demoViews {
		if cv := snap.Views[v.name]; cv == nil || !cv.Created.Equal(created[v.name]) {
			t.Errorf("view %s was recreated on restart", v.name)
		}
	}
	if n := queryInt(t, conn, `SELECT count(*) FROM lambda_batch_runs WHERE kind = 'full'`); n != int64(len(demoViews)) {
		t.Errorf("%d full batch runs after the restart, want %d (no second backfill)", n, len(demoViews))
	}
	after := queryInt(t, conn, `SELECT count(*) FROM telemetry`)
	if after < before {
		t.Fatalf("count(*) after restart = %d < %d before: events were lost", after, before)
	}
	// Events sent after the restart become visible too.
	waitInt(t, conn, `SELECT count(*) FROM telemetry`, 30*time.Second, func(n int64) bool { return n > after })
}

func TestDemoSourceMismatch(t *testing.T) {
	srv, conn := openDemoServer(t, t.TempDir())
	mustExec(t, conn, `CREATE SOURCE telemetry (device_id TEXT NOT NULL, event_timestamp TIMESTAMPTZ NOT NULL) WITH (event_time = 'event_timestamp')`)
	err := StartDemo(srv, DemoConfig{Rate: 10, Devices: 5})
	if err == nil || !strings.Contains(err.Error(), "another data directory") {
		t.Fatalf("StartDemo over a foreign telemetry source: %v", err)
	}
	// The failed start left nothing running: a second try fails the same way.
	if err := StartDemo(srv, DemoConfig{Rate: 10, Devices: 5}); err == nil || strings.Contains(err.Error(), "already runs") {
		t.Fatalf("second StartDemo: %v", err)
	}
}

// TestDemoGeneratorMix checks the generated stream against what the demo
// promises: event type shares, out-of-order and late shares, malformed
// events the source rejects, temperatures and optional fields.
func TestDemoGeneratorMix(t *testing.T) {
	srv, conn := openDemoServer(t, t.TempDir())
	if _, _, err := srv.internalQuery(context.Background(), demoSourceSQL, nil); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	g := newDemoGenerator(100, 7)
	now := time.Now().UTC().Truncate(time.Millisecond)
	payloads := g.batch(now, n)
	accepted, rejected, err := srv.IngestJSON(context.Background(), "telemetry", payloads)
	if err != nil {
		t.Fatal(err)
	}
	if accepted+rejected != n || rejected < 5 || rejected > 60 {
		t.Errorf("accepted %d, rejected %d of %d: want about 0.1%% rejected", accepted, rejected, n)
	}
	if got := queryInt(t, conn, `SELECT count(*) FROM lambda_rejected`); got != int64(rejected) {
		t.Errorf("lambda_rejected has %d rows, want %d", got, rejected)
	}
	if got := queryInt(t, conn, `SELECT count(*) FROM telemetry`); got != int64(accepted) {
		t.Errorf("telemetry has %d rows, want %d", got, accepted)
	}

	types := map[string]int{}
	var ooo, late, spikes, valid int
	devices := map[string]bool{}
	for _, p := range payloads {
		var ev struct {
			Device  *string  `json:"device_id"`
			TS      string   `json:"event_timestamp"`
			Temp    *float64 `json:"temperature"`
			Energy  *float64 `json:"energy_consumed"`
			User    *string  `json:"user_id"`
			Type    string   `json:"event_type"`
			Session *int     `json:"session_duration"`
			Revenue *float64 `json:"revenue"`
		}
		if json.Unmarshal(p, &ev) != nil || ev.Device == nil || ev.Temp == nil || ev.Energy == nil {
			continue // malformed on purpose
		}
		at, err := time.Parse(time.RFC3339Nano, ev.TS)
		if err != nil || at.After(now) {
			continue
		}
		valid++
		devices[*ev.Device] = true
		types[ev.Type]++
		switch age := now.Sub(at); {
		case age > 2*time.Minute:
			late++
			if age < 3*time.Minute || age > 10*time.Minute {
				t.Errorf("late event %s old", age)
			}
		case age > 0:
			ooo++
		}
		if *ev.Temp > 85 {
			spikes++
		} else if *ev.Temp < 10 || *ev.Temp > 40 {
			t.Errorf("temperature %v outside the devices' range", *ev.Temp)
		}
		if *ev.Energy < 0 {
			t.Errorf("negative energy %v", *ev.Energy)
		}
		if (ev.Session != nil) != (ev.Type == "logout") || (ev.Revenue != nil) != (ev.Type == "transaction") {
			t.Errorf("event %s: session_duration %v, revenue %v", ev.Type, ev.Session, ev.Revenue)
		}
		if ev.Type != "telemetry" && ev.User == nil {
			t.Errorf("a %s event without user_id", ev.Type)
		}
	}
	share := func(k int) float64 { return float64(k) / float64(valid) }
	for typ, want := range map[string]float64{"telemetry": 0.70, "login": 0.10, "transaction": 0.12, "logout": 0.08} {
		if got := share(types[typ]); got < want-0.02 || got > want+0.02 {
			t.Errorf("%s share %.3f, want about %.2f", typ, got, want)
		}
	}
	if got := share(ooo); got < 0.04 || got > 0.06 {
		t.Errorf("out-of-order share %.4f, want about 0.05", got)
	}
	if late < 15 || late > 80 {
		t.Errorf("%d late events of %d, want about 0.2%%", late, valid)
	}
	if spikes > valid/200 {
		t.Errorf("%d temperature spikes of %d", spikes, valid)
	}
	if len(devices) != 100 || !devices["device-00042"] {
		t.Errorf("%d distinct devices (device-00042 present: %v), want 100", len(devices), devices["device-00042"])
	}
}
