package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lambdasql/catalog"
)

func TestStatusPage(t *testing.T) {
	srv, conn, base := httpServer(t)
	first := httpFixture(t, conn)

	code, hdr, body := httpDo(t, "GET", base+"/", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET / = %d\n%s", code, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="5">`,
		`<span class="pill ok health">healthy</span>`,
		srv.Addr(),
		`<td><b>telemetry</b></td>`,
		`<span class="name">device_minutes</span>`,
		`tumble 1m over <b>telemetry</b>`,
		`sum(event_count) per window`,
		`class="bmark"`,
		`>succeeded</span>`,
		`<td>full</td>`,
		`psql -h 127.0.0.1 -p `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("the page has a script: it must work without JavaScript")
	}
	// One bar per window: minutes 0–14 and 16–19 of the fixture. Windows
	// ending at or before B (published by REFRESH) are batch, the rest speed.
	_, views := srv.Status()
	var B time.Time
	for _, v := range views {
		if v.Name == "device_minutes" {
			B = v.B
		}
	}
	if B.IsZero() {
		t.Fatal("device_minutes has no B")
	}
	wantBatch := int(B.Sub(first) / time.Minute)
	batch := strings.Count(body, `<rect class="bar batch"`)
	speed := strings.Count(body, `<rect class="bar speed"`)
	if batch != wantBatch || batch+speed != 19 {
		t.Errorf("bars: %d batch + %d speed, want %d batch of 19 (B %s, first window %s)", batch, speed, wantBatch, B, first)
	}
	if !strings.Contains(body, "B "+B.Format("15:04")) {
		t.Errorf("the chart does not mark B at %s", B.Format("15:04"))
	}

	// The handler also answers through httptest, and unknown paths are 404.
	st, _ := httpStates.Load(srv)
	h := srv.httpHandler(st.(*httpState))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "device_minutes") {
		t.Errorf("httptest GET / = %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", rec.Code)
	}
}

// TestStatusPageEscapes renders names, statuses and errors carrying
// markup: the page must show them as text.
func TestStatusPageEscapes(t *testing.T) {
	p := newStatusPage(nil)
	evil := `<script>alert("x")</script>`
	ch := &viewChart{Width: 640, Height: 170, PlotTop: 18, PlotBot: 140, PlotLeft: 44, BX: -1, Measure: "sum(" + evil + ")"}
	layoutChart(ch, []chartWindow{{start: 60e6, value: 3, layer: "batch"}, {start: 120e6, value: 5, layer: evil}}, time.Minute,
		ViewStatus{HasB: true, B: time.UnixMicro(120e6)})
	d := &pageData{
		Now: time.Now(), Version: evil, DataDir: evil, Listen: "127.0.0.1:5433", Host: "127.0.0.1", Port: "5433",
		Problems: []HealthProblem{{Kind: "view", Name: evil, Status: evil}},
		Sources:  []SourceStatus{{Name: evil, Connector: evil, Status: evil, HighWater: []int64{1, 2}}},
		Views: []viewCard{{ViewStatus: ViewStatus{Name: evil, Source: evil, Lambda: true, Window: evil, Status: evil},
			RecentRuns: []catalog.BatchRun{{View: evil, RunID: 1, Kind: evil, Status: "failed", Error: evil, Started: time.Now()}},
			Chart:      ch}},
		Ordinary: []ViewStatus{{Name: evil, Status: evil}},
	}
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, d); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script") {
		t.Fatalf("unescaped markup in the page:\n%s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Error("the escaped text is missing")
	}
	if got := strings.Count(out, `class="bar speed"`); got != 1 {
		t.Errorf("a window with an unknown layer is drawn as speed: got %d speed bars", got)
	}
}

func TestLayoutChart(t *testing.T) {
	min := int64(time.Minute / time.Microsecond)
	v := ViewStatus{HasB: true, B: time.UnixMicro(40 * min)}
	var wins []chartWindow
	for i := int64(0); i < 45; i++ { // 45 windows: only the newest 30 are drawn
		layer := "speed"
		if i < 40 {
			layer = "batch"
		}
		wins = append(wins, chartWindow{start: i * min, value: float64(i + 1), layer: layer})
	}
	ch := &viewChart{Width: 640, Height: 170, PlotTop: 18, PlotBot: 140, PlotLeft: 44, BX: -1}
	layoutChart(ch, wins, time.Minute, v)
	if len(ch.Bars) != chartWindows || ch.Batch != 25 || ch.Speed != 5 {
		t.Fatalf("bars %d (batch %d, speed %d), want 30 (25, 5)", len(ch.Bars), ch.Batch, ch.Speed)
	}
	tallest := ch.Bars[len(ch.Bars)-1]
	if tallest.H != float64(ch.PlotBot-ch.PlotTop) || tallest.Y != float64(ch.PlotTop) {
		t.Errorf("the largest window's bar is %+v, want full height", tallest)
	}
	for i := 1; i < len(ch.Bars); i++ {
		if ch.Bars[i].X <= ch.Bars[i-1].X {
			t.Fatalf("bars are not in time order: %+v", ch.Bars)
		}
		if ch.Bars[i-1].Layer == "speed" && ch.Bars[i].Layer == "batch" {
			t.Fatalf("a batch window after a speed window: %+v", ch.Bars)
		}
	}
	// The B marker sits between the last batch bar and the first speed bar.
	lastBatch, firstSpeed := ch.Bars[24], ch.Bars[25]
	if ch.BX < lastBatch.X+lastBatch.W || ch.BX > firstSpeed.X {
		t.Errorf("B marker at %v, want between %v and %v", ch.BX, lastBatch.X+lastBatch.W, firstSpeed.X)
	}
	if ch.BLabel != "B 00:40" {
		t.Errorf("B label %q", ch.BLabel)
	}
	if len(ch.Ticks) == 0 || len(ch.Ticks) > 6 {
		t.Errorf("%d axis labels", len(ch.Ticks))
	}

	// B before every window shown: marker at the left edge, all speed.
	ch = &viewChart{Width: 640, Height: 170, PlotTop: 18, PlotBot: 140, PlotLeft: 44, BX: -1}
	layoutChart(ch, wins[40:], time.Minute, ViewStatus{HasB: true, B: time.UnixMicro(10 * min)})
	if !ch.BOffLeft || ch.BX != float64(ch.PlotLeft) || ch.Speed != 5 {
		t.Errorf("B off the left: %+v", ch)
	}
	// No windows.
	ch = &viewChart{BX: -1}
	layoutChart(ch, nil, time.Minute, v)
	if ch.Err == "" || len(ch.Bars) != 0 {
		t.Errorf("no windows: %+v", ch)
	}
}

func TestChartMeasureAndStep(t *testing.T) {
	col := func(name string, oid uint32) catalog.Column {
		return catalog.Column{Name: name, TypeOID: oid, TypeMod: -1}
	}
	for _, tc := range []struct {
		cols        []catalog.Column
		label, expr string
	}{
		{[]catalog.Column{col("window_start", 1184), col("device_id", 25), col("avg_t", 701), col("event_count", 20)}, "sum(event_count)", `sum("event_count")`},
		{[]catalog.Column{col("window_start", 1184), col("user_id", 25), col("logins", 20)}, "sum(logins)", `sum("logins")`},
		{[]catalog.Column{col("window_start", 1184), col("k", 25)}, "rows", "count(*)"},
		{[]catalog.Column{col(`we"ird count`, 20)}, `sum(we"ird count)`, `sum("we""ird count")`},
	} {
		label, expr := chartMeasure(&catalog.View{Columns: tc.cols})
		if label != tc.label || expr != tc.expr {
			t.Errorf("chartMeasure = %q, %q; want %q, %q", label, expr, tc.label, tc.expr)
		}
	}
	for opts, want := range map[string]time.Duration{"window=1m": time.Minute, "window=1h,hop=10m": 10 * time.Minute} {
		m := map[string]string{}
		for _, kv := range strings.Split(opts, ",") {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		if got, err := windowStep(m); err != nil || got != want {
			t.Errorf("windowStep(%s) = %v, %v; want %v", opts, got, err, want)
		}
	}
	if _, err := windowStep(map[string]string{"session_gap": "5m"}); err == nil {
		t.Error("session windows got a chart step")
	}
}

func TestFormatters(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1234: "1,234", 1234567.5: "1,234,567.5", -12345: "-12,345", 1.23456: "1.23"} {
		if got := formatNumber(in); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{850 * time.Millisecond: "850ms", 12300 * time.Millisecond: "12.3s",
		245 * time.Second: "4m05s", 133 * time.Minute: "2h13m", 76 * time.Hour: "3d4h", -2 * time.Second: "−2.0s"} {
		if got := formatDuration(in); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{512: "512 B", 2048: "2.0 KiB", 5 << 20: "5.0 MiB"} {
		if got := formatBytes(in); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{950: "950", 12500: "12.5k", 3.2e6: "3.2M", 2.5: "2.50"} {
		if got := formatCompact(in); got != want {
			t.Errorf("formatCompact(%v) = %q, want %q", in, got, want)
		}
	}
}
