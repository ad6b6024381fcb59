package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// httpServer starts a server with its HTTP endpoints on loopback and
// returns it, a client connection and the HTTP base URL.
func httpServer(t *testing.T) (*Server, *pgx.Conn, string) {
	t.Helper()
	srv, err := Open(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", HTTP: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if srv.HTTPAddr() == "" {
		t.Fatal("HTTPAddr is empty after Start with HTTP on")
	}
	return srv, catConnect(t, srv), "http://" + srv.HTTPAddr()
}

// httpFixture creates a source and a one-minute lambda view and fills it
// so that both layers serve windows: 15 minutes of events, a REFRESH that
// publishes B, then 4 more minutes for the speed layer. It returns the
// first window start.
func httpFixture(t *testing.T, conn *pgx.Conn) time.Time {
	t.Helper()
	base := time.Now().UTC().Truncate(time.Minute).Add(-20 * time.Minute)
	mustExec(t, conn,
		`CREATE SOURCE telemetry (device_id TEXT NOT NULL, event_timestamp TIMESTAMPTZ NOT NULL, temperature DOUBLE PRECISION) WITH (event_time = 'event_timestamp', lateness = '1m')`,
		`CREATE VIEW device_minutes WITH (window = '1m', batch_interval = '1h') AS SELECT device_id, count(*) AS event_count, max(temperature) AS max_temperature FROM telemetry GROUP BY device_id`)
	insertMinutes(t, conn, base, 0, 15)
	mustExec(t, conn, `REFRESH VIEW device_minutes`)
	insertMinutes(t, conn, base, 16, 20)
	return base
}

// insertMinutes inserts two events in each minute [from, to) after base.
func insertMinutes(t *testing.T, conn *pgx.Conn, base time.Time, from, to int) {
	t.Helper()
	var vals []string
	for i := from; i < to; i++ {
		at := base.Add(time.Duration(i)*time.Minute + 10*time.Second)
		for d := 0; d < 2; d++ {
			vals = append(vals, fmt.Sprintf("('dev-%d', '%s', %d.5)", d, at.Format(time.RFC3339), 20+i))
		}
	}
	mustExec(t, conn, "INSERT INTO telemetry (device_id, event_timestamp, temperature) VALUES "+strings.Join(vals, ", "))
}

func mustExec(t *testing.T, conn *pgx.Conn, sqls ...string) {
	t.Helper()
	for _, q := range sqls {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := conn.Exec(ctx, q)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func queryInt(t *testing.T, conn *pgx.Conn, q string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n int64
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func httpDo(t *testing.T, method, url, contentType string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// scrape fetches /metrics and returns every sample by its series
// (`name{label="v",…}` as the exposition prints it, labels sorted).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	code, hdr, body := httpDo(t, "GET", base+"/metrics", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q", ct)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestHealthz(t *testing.T) {
	srv, conn, base := httpServer(t)
	httpFixture(t, conn)
	code, hdr, body := httpDo(t, "GET", base+"/healthz", "", nil)
	if code != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET /healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
	if hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("healthz Cache-Control = %q", hdr.Get("Cache-Control"))
	}
	if code, hdr, _ := httpDo(t, "POST", base+"/healthz", "", nil); code != http.StatusMethodNotAllowed || !strings.Contains(hdr.Get("Allow"), "GET") {
		t.Errorf("POST /healthz = %d (Allow %q), want 405 allowing GET", code, hdr.Get("Allow"))
	}

	// A source whose runtime stopped (past the start grace) is a problem.
	defer func(g time.Duration) { startGrace = g }(startGrace)
	startGrace = 0
	srv.engine.stopSource("telemetry", false)
	code, hdr, body = httpDo(t, "GET", base+"/healthz", "", nil)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("GET /healthz with a stopped source = %d %q, want 503", code, body)
	}
	if hdr.Get("Content-Type") != "application/json" {
		t.Errorf("503 Content-Type = %q", hdr.Get("Content-Type"))
	}
	var reply struct {
		Status   string          `json:"status"`
		Problems []HealthProblem `json:"problems"`
	}
	if err := json.Unmarshal([]byte(body), &reply); err != nil {
		t.Fatalf("503 body is not JSON: %v\n%s", err, body)
	}
	found := false
	for _, p := range reply.Problems {
		if p.Kind == "source" && p.Name == "telemetry" && p.Status == "stopped" {
			found = true
		}
	}
	if reply.Status != "unhealthy" || !found {
		t.Fatalf("503 body %s does not name the stopped source", body)
	}
}

func TestUnhealthyStatus(t *testing.T) {
	for status, bad := range map[string]bool{
		"ok": false, "starting": false, "ordinary view": false, "ok (rebuilding a new definition)": false,
		"stopped": true, "error: disk full": true, "log unavailable: broker down": true,
		"DATA LOST: the log no longer holds offsets the speed layer needs": true, "": true,
	} {
		if got := unhealthyStatus(status); got != bad {
			t.Errorf("unhealthyStatus(%q) = %v, want %v", status, got, bad)
		}
	}
}

func TestIngestEndpoint(t *testing.T) {
	_, conn, base := httpServer(t)
	httpFixture(t, conn)
	before := queryInt(t, conn, `SELECT count(*) FROM telemetry`)
	now := time.Now().UTC().Format(time.RFC3339Nano)

	post := func(body, contentType string) (int, ingestReply, string) {
		t.Helper()
		code, _, raw := httpDo(t, "POST", base+"/ingest/telemetry", contentType, strings.NewReader(body))
		var r ingestReply
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatalf("ingest reply is not JSON: %v\n%s", err, raw)
		}
		return code, r, raw
	}

	// NDJSON: two good events, one malformed (kept as rejected), blank lines ignored.
	nd := fmt.Sprintf("{\"device_id\":\"http-1\",\"event_timestamp\":%q,\"temperature\":21.5}\r\n\n"+
		"{\"device_id\":\"http-2\",\"event_timestamp\":%q}\n"+
		"{\"event_timestamp\":%q,\"temperature\":\"hot\"}\n", now, now, now)
	code, r, raw := post(nd, "application/x-ndjson")
	if code != http.StatusOK || r.Accepted != 2 || r.Rejected != 1 {
		t.Fatalf("NDJSON ingest = %d %s, want 200 accepted 2 rejected 1", code, raw)
	}
	// A JSON array.
	arr := fmt.Sprintf(`[{"device_id":"http-3","event_timestamp":%q}, {"device_id":"http-4","event_timestamp":%q,"temperature":1e1}]`, now, now)
	if code, r, raw := post(arr, "application/json"); code != http.StatusOK || r.Accepted != 2 || r.Rejected != 0 {
		t.Fatalf("array ingest = %d %s, want 200 accepted 2", code, raw)
	}
	if got := queryInt(t, conn, `SELECT count(*) FROM telemetry`); got != before+4 {
		t.Errorf("count(*) after ingest = %d, want %d", got, before+4)
	}
	if got := queryInt(t, conn, `SELECT count(*) FROM telemetry WHERE device_id LIKE 'http-%'`); got != 4 {
		t.Errorf("ingested rows visible = %d, want 4", got)
	}
	if got := queryInt(t, conn, `SELECT count(*) FROM lambda_rejected WHERE source = 'telemetry' AND payload LIKE '%hot%'`); got != 1 {
		t.Errorf("rejected rows = %d, want 1", got)
	}

	// A broken array is refused whole.
	if code, r, raw := post(`[{"device_id":"x"}, {"device_id":`, "application/json"); code != http.StatusBadRequest || r.Code != "22P02" || r.Error == "" {
		t.Errorf("broken array = %d %s, want 400 22P02", code, raw)
	}
	// An unknown source.
	code, _, raw = httpDo(t, "POST", base+"/ingest/nope", "", strings.NewReader(`{"a":1}`))
	if code != http.StatusNotFound || !strings.Contains(raw, `"42P01"`) {
		t.Errorf("unknown source = %d %s, want 404 42P01", code, raw)
	}
	// Wrong methods.
	code, hdr, _ := httpDo(t, "GET", base+"/ingest/telemetry", "", nil)
	if code != http.StatusMethodNotAllowed || !strings.Contains(hdr.Get("Allow"), "POST") {
		t.Errorf("GET /ingest = %d (Allow %q), want 405 allowing POST", code, hdr.Get("Allow"))
	}
	// A body past the limit is refused before decoding.
	big := io.MultiReader(strings.NewReader("{\"device_id\":\""), &repeatReader{b: 'x', n: maxIngestBodyBytes}, strings.NewReader("\"}\n"))
	code, _, raw = httpDo(t, "POST", base+"/ingest/telemetry", "", big)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(raw, "54000") {
		t.Errorf("oversized body = %d %.200s, want 413 54000", code, raw)
	}
	if got := queryInt(t, conn, `SELECT count(*) FROM telemetry`); got != before+4 {
		t.Errorf("count(*) after refused requests = %d, want %d", got, before+4)
	}

	m := scrape(t, base)
	if m[`lambdasql_http_ingest_events_total{result="accepted",source="telemetry"}`] != 4 ||
		m[`lambdasql_http_ingest_events_total{result="rejected",source="telemetry"}`] != 1 {
		t.Errorf("ingest counters: accepted %v rejected %v, want 4 and 1",
			m[`lambdasql_http_ingest_events_total{result="accepted",source="telemetry"}`],
			m[`lambdasql_http_ingest_events_total{result="rejected",source="telemetry"}`])
	}
}

// repeatReader yields n copies of b.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

func TestSplitEvents(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
		err        bool
	}{
		{"ndjson", "{\"a\":1}\n\n  {\"a\":2}\r\n{bad\n", []string{`{"a":1}`, `{"a":2}`, `{bad`}, false},
		{"array", ` [ {"a":1}, {"b":[1,2]} ] `, []string{`{"a":1}`, `{"b":[1,2]}`}, false},
		{"empty array", `[]`, nil, false},
		{"empty body", "", nil, false},
		{"truncated array", `[{"a":1},`, nil, true},
		{"trailing data", `[{"a":1}] {"b":2}`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitEvents([]byte(tc.body))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %q, want %q", len(got), got, tc.want)
			}
			for i := range got {
				if string(got[i]) != tc.want[i] {
					t.Errorf("event %d = %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestHTTPOffAndStop(t *testing.T) {
	srv, err := Open(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if srv.HTTPAddr() != "" {
		t.Errorf("HTTPAddr with HTTP off = %q", srv.HTTPAddr())
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	srv, err = Open(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", HTTP: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := srv.HTTPAddr()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if srv.HTTPAddr() != "" {
		t.Errorf("HTTPAddr after Close = %q", srv.HTTPAddr())
	}
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz"); err == nil {
		t.Errorf("the HTTP server still answers after Close")
	}
}
