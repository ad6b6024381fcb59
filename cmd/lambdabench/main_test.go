package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lambdasql/batch"
	"lambdasql/exec"
	"lambdasql/sql/types"
)

func TestMedianPercentile(t *testing.T) {
	if got := median(nil); got != 0 {
		t.Errorf("median(nil) = %v", got)
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median even = %v", got)
	}
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(ds, c.p); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("percentile sorted its input in place")
	}
}

func TestMakeEventDeterministic(t *testing.T) {
	const n = 200_000
	hot, revenue, session := 0, 0, 0
	devices := map[int]bool{}
	for i := range int64(n) {
		a, b := makeEvent(7, i, i), makeEvent(7, i, i)
		if a != b {
			t.Fatalf("event %d differs between calls: %+v vs %+v", i, a, b)
		}
		if a.temperature > 85 {
			hot++
		}
		if a.hasRevenue != (eventTypes[a.typ] == "transaction") || a.hasSession != (eventTypes[a.typ] == "logout") {
			t.Fatalf("event %d: nullable columns do not follow the event type: %+v", i, a)
		}
		if a.hasRevenue {
			revenue++
		}
		if a.hasSession {
			session++
			if a.session < 5 || a.session > 3605 {
				t.Fatalf("session_duration %d out of range", a.session)
			}
		}
		if a.device < 0 || a.device >= numDevices || a.user < 0 || a.user >= numUsers {
			t.Fatalf("event %d: device %d user %d out of range", i, a.device, a.user)
		}
		devices[a.device] = true
	}
	if share := float64(hot) / n; math.Abs(share-hotShare) > 0.005 {
		t.Errorf("share above 85 °C = %.4f, want about %.2f", share, hotShare)
	}
	if share := float64(revenue) / n; math.Abs(share-0.2) > 0.01 {
		t.Errorf("transaction share = %.3f", share)
	}
	if share := float64(session) / n; math.Abs(share-0.1) > 0.01 {
		t.Errorf("logout share = %.3f", share)
	}
	if len(devices) != numDevices {
		t.Errorf("%d devices seen, want %d", len(devices), numDevices)
	}
	if makeEvent(8, 1, 0) == makeEvent(7, 1, 0) {
		t.Error("the seed does not change events")
	}
}

func TestCSVAndJSON(t *testing.T) {
	ev := event{device: 42, tsMicros: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC).UnixMicro(), temperature: 21.5,
		energy: 1.25, user: 7, typ: 1, revenue: 9.99, hasRevenue: true}
	got := string(appendCSV(nil, &ev))
	want := "device-00042,2024-01-02T03:04:05.000006Z,21.5,1.25,user-000007,transaction,,9.99\n"
	if got != want {
		t.Errorf("CSV\n got %q\nwant %q", got, want)
	}
	var m map[string]any
	js := appendJSON(nil, &ev)
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatalf("JSON %s: %v", js, err)
	}
	if m["device_id"] != "device-00042" || m["session_duration"] != nil || m["revenue"] != 9.99 || m["event_timestamp"] != "2024-01-02T03:04:05.000006Z" {
		t.Errorf("JSON fields: %v", m)
	}
	for _, c := range sourceColumnNames {
		if _, ok := m[c]; !ok {
			t.Errorf("JSON lacks column %s", c)
		}
	}
	// PERF-NOTES measured events of about 235 bytes.
	total := 0
	for _, p := range telemetryJSON(1000) {
		total += len(p)
	}
	if avg := total / 1000; avg < 220 || avg > 250 {
		t.Errorf("average JSON event is %d bytes, want about 235", avg)
	}
	if got := strings.Count(string(telemetryCSV(10, 0, time.Second)), "\n"); got != 10 {
		t.Errorf("telemetryCSV made %d lines", got)
	}
}

func TestSplitCSV(t *testing.T) {
	csv := []byte("a\nb\nc\nd\ne\n")
	chunks := splitCSV(csv, 2)
	if len(chunks) != 3 || string(chunks[0]) != "a\nb\n" || string(chunks[2]) != "e\n" {
		t.Errorf("chunks = %q", chunks)
	}
	if got := bytes.Join(splitCSV(csv, 100), nil); !bytes.Equal(got, csv) {
		t.Errorf("one chunk = %q", got)
	}
	if splitCSV(nil, 3) != nil {
		t.Error("empty input gave chunks")
	}
}

func TestFileRows(t *testing.T) {
	var next int64
	for k := range genFiles {
		first, n := fileRows(k, 1003)
		if first != next {
			t.Fatalf("file %d starts at %d, want %d", k, first, next)
		}
		next += n
	}
	if next != 1003 {
		t.Errorf("files cover %d rows", next)
	}
	// Timestamps ascend within a file and stay inside its days.
	n := int64(1000)
	prev := int64(math.MinInt64)
	for i := range n {
		ts := genTimestamp(3, i, n)
		day := (ts - epoch.UnixMicro()) / (86400 * 1e6)
		if ts < prev || day < 9 || day > 11 {
			t.Fatalf("row %d: timestamp %d (day %d) out of order or outside days 9–11", i, ts, day)
		}
		prev = ts
	}
}

func TestGenDataset(t *testing.T) {
	dir := t.TempDir()
	made, err := ensureDataset(dir, 3000, false)
	if err != nil || !made {
		t.Fatalf("ensureDataset = %v, %v", made, err)
	}
	made, err = ensureDataset(dir, 3000, false)
	if err != nil || made {
		t.Fatalf("second ensureDataset regenerated: %v, %v", made, err)
	}
	if ok, _ := datasetValid(dir, 3001); ok {
		t.Error("a data set of 3000 rows passes for 3001")
	}
	// A damaged file invalidates the cache.
	if err := os.WriteFile(genPaths(dir)[4], []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, _ := datasetValid(dir, 3000); ok {
		t.Error("a damaged data set passes")
	}
	if made, err := ensureDataset(dir, 3000, false); err != nil || !made {
		t.Fatalf("regeneration = %v, %v", made, err)
	}
	tbl, err := batch.OpenParquet(genPaths(dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range tbl.Schema() {
		names = append(names, c.Name+" "+c.Type.Name)
	}
	want := []string{"device_id text", "event_timestamp timestamp with time zone", "temperature double precision",
		"energy_consumed double precision", "user_id text", "event_type text", "session_duration integer",
		"revenue double precision", "event_date date"}
	if !slices.Equal(names, want) {
		t.Errorf("schema\n got %v\nwant %v", names, want)
	}
	tasks, err := tbl.Tasks(context.Background(), exec.ScanRequest{Columns: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != genFiles {
		t.Errorf("%d row groups, want one per file", len(tasks))
	}
	// File 1 alone holds day 4: statistics prune every other file.
	day4 := epoch.Add(4 * 24 * time.Hour)
	files, err := tbl.PruneFiles([]exec.Bound{{Col: 1, Op: exec.OpGE, Value: types.TimestampOf(day4)}, {Col: 1, Op: exec.OpLT, Value: types.TimestampOf(day4.Add(24 * time.Hour))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || filepath.Base(files[0]) != "telemetry-01.parquet" {
		t.Errorf("day 4 prunes to %v, want telemetry-01.parquet", files)
	}
}

func TestCompareAnswers(t *testing.T) {
	a, b := newAnswer(2, true), newAnswer(2, true)
	for _, r := range [][]any{{"d1", "2024-01-01", int64(3), 1.0, nil}, {"d2", "2024-01-01", int32(1), 2.5, 0.1}} {
		if err := a.add(slices.Clone(r)); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range [][]any{{"d2", "2024-01-01", int64(1), 2.5 * (1 + 1e-12), 0.1}, {"d1", "2024-01-01", int64(3), 1.0, nil}} {
		if err := b.add(slices.Clone(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := compareAnswers(a, b); err != nil {
		t.Errorf("equal answers differ: %v", err)
	}
	c := newAnswer(2, true)
	c.add([]any{"d1", "2024-01-01", int64(3), 1.0, 0.0})
	c.add([]any{"d2", "2024-01-01", int64(1), 2.5, 0.1})
	if err := compareAnswers(a, c); err == nil {
		t.Error("NULL compared equal to 0")
	}
	d := newAnswer(2, true)
	d.add([]any{"d1", "2024-01-01", int64(3), 1.0 + 1e-6, nil})
	d.add([]any{"d2", "2024-01-01", int64(1), 2.5, 0.1})
	if err := compareAnswers(a, d); err == nil {
		t.Error("floats 1e-6 apart compared equal")
	}
	e := newAnswer(2, false)
	e.add([]any{"d1", "x", int64(5)})
	e.add([]any{"d9", "x", int64(0)})
	if err := compareAnswers(a, e); err == nil || !strings.Contains(err.Error(), "add up") {
		t.Errorf("different count sums: %v", err)
	}
	if err := a.add([]any{"d1", "2024-01-01", int64(1), 1.0, nil}); err == nil {
		t.Error("a duplicate group was accepted")
	}
	if !floatsClose(math.NaN(), math.NaN()) || floatsClose(math.NaN(), 1) {
		t.Error("NaN handling")
	}
}

// TestEndToEnd runs each benchmark at a tiny size against the in-process
// server, DuckDB and (when installed) PostgreSQL: the answer checks must
// pass.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end benchmarks in -short mode")
	}
	dir := t.TempDir()
	if _, err := ensureDataset(dir, 20_000, false); err != nil {
		t.Fatal(err)
	}
	t.Run("engine", func(t *testing.T) {
		if err := cmdEngine([]string{"--data", dir, "--runs", "1"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ingest", func(t *testing.T) {
		if err := cmdIngest([]string{"--rows", "5000", "--runs", "1", "--kafka-events", "2000", "--no-postgres"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("lambda", func(t *testing.T) {
		args := []string{"--only", "freshness,sustained,point", "--samples", "20", "--rate", "100",
			"--sustained-rows", "20000", "--copy-batch", "1000", "--point-duration", "200ms"}
		if _, err := pgBindir(); err != nil {
			args = append(args, "--no-postgres")
		}
		if err := cmdLambda(args); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDuckEngineCountsRows(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n, err := duckEngine(context.Background(), conn, "SELECT range AS x FROM range(5000)")
	if err != nil || n != 5000 {
		t.Fatalf("duckEngine = %d, %v", n, err)
	}
	if _, err := duckEngine(context.Background(), conn, "SELECT * FROM no_such_table"); err == nil {
		t.Error("a bad query succeeded")
	}
}

func TestIsCheck(t *testing.T) {
	if !isCheck(errors.Join(errors.New("x"), errCheck)) || isCheck(errors.New("x")) {
		t.Error("isCheck")
	}
}
