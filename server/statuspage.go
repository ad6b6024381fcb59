package server

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

//go:embed web/status.html
var webFiles embed.FS

const (
	// chartWindows is how many of a view's most recent windows its chart
	// shows.
	chartWindows = 30
	// minChartSlots is the fewest slots a chart is divided into.
	minChartSlots = 12
	// chartTTL is how long a chart's query result is reused: the page
	// refreshes every 5 s, and several open tabs should not multiply the
	// queries.
	chartTTL = 4 * time.Second
	// chartQueryTimeout bounds one chart query.
	chartQueryTimeout = 3 * time.Second
	// runsShown is how many recent batch runs a view's card lists.
	runsShown = 5
)

// statusPage renders GET /: the state of every source and view, their
// recent batch runs and, per lambda view, a chart of its recent windows
// coloured by the layer that serves them.
type statusPage struct {
	srv  *Server
	tmpl *template.Template

	mu     sync.Mutex
	charts map[string]cachedChart // view → last chart
}

type cachedChart struct {
	at    time.Time
	gen   int64
	chart *viewChart
}

func newStatusPage(s *Server) *statusPage {
	tmpl := template.Must(template.New("status.html").Funcs(pageFuncs).ParseFS(webFiles, "web/status.html"))
	return &statusPage{srv: s, tmpl: tmpl, charts: map[string]cachedChart{}}
}

func (p *statusPage) serve(w http.ResponseWriter, r *http.Request) {
	data := p.build(r.Context())
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, data); err != nil {
		p.srv.log.Error("render the status page", "err", err)
		http.Error(w, "cannot render the status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// pageData is what web/status.html renders.
type pageData struct {
	Now         time.Time
	Version     string
	DataDir     string
	Listen      string
	Host, Port  string
	Uptime      time.Duration
	Problems    []HealthProblem
	Connections int64
	Sources     []SourceStatus
	Views       []viewCard
	Ordinary    []ViewStatus
}

// viewCard is one lambda view's section of the page.
type viewCard struct {
	ViewStatus
	OutOfOrderShare float64
	RecentRuns      []catalog.BatchRun // newest first
	Chart           *viewChart
}

func (p *statusPage) build(ctx context.Context) *pageData {
	s := p.srv
	d := &pageData{Now: time.Now().UTC(), Version: Version, DataDir: s.DataDir(), Listen: s.Addr(), Uptime: time.Since(s.started)}
	if host, port, err := splitHostPort(d.Listen); err == nil {
		d.Host, d.Port = host, port
	}
	if s.wire != nil {
		d.Connections = s.wire.Stats().ConnectionsActive
	}
	if err := s.probeCatalog(); err != nil {
		d.Problems = []HealthProblem{{Kind: "catalog", Status: err.Error()}}
		return d
	}
	var views []ViewStatus
	d.Sources, views = s.Status()
	d.Problems = s.healthOf(d.Sources, views)
	runs, _ := s.cat.Runs("")
	byView := map[string][]catalog.BatchRun{}
	for _, r := range runs {
		byView[r.View] = append(byView[r.View], r)
	}
	snap := s.cat.Snapshot()
	live := map[string]bool{}
	for _, v := range views {
		if !v.Lambda {
			d.Ordinary = append(d.Ordinary, v)
			continue
		}
		live[v.Name] = true
		card := viewCard{ViewStatus: v, OutOfOrderShare: outOfOrderShare(v)}
		rs := byView[v.Name]
		for i := len(rs) - 1; i >= 0 && len(card.RecentRuns) < runsShown; i-- {
			card.RecentRuns = append(card.RecentRuns, rs[i])
		}
		if cv := snap.Views[v.Name]; cv != nil {
			card.Chart = p.chart(ctx, cv, v)
		}
		d.Views = append(d.Views, card)
	}
	p.mu.Lock()
	for name := range p.charts {
		if !live[name] {
			delete(p.charts, name)
		}
	}
	p.mu.Unlock()
	return d
}

// chart returns the view's chart, from the cache when it is fresh.
func (p *statusPage) chart(ctx context.Context, cv *catalog.View, v ViewStatus) *viewChart {
	p.mu.Lock()
	c, ok := p.charts[cv.Name]
	p.mu.Unlock()
	if ok && c.gen == cv.Generation && time.Since(c.at) < chartTTL {
		return c.chart
	}
	qctx, cancel := context.WithTimeout(ctx, chartQueryTimeout)
	defer cancel()
	ch := p.srv.buildChart(qctx, cv, v)
	p.mu.Lock()
	p.charts[cv.Name] = cachedChart{at: time.Now(), gen: cv.Generation, chart: ch}
	p.mu.Unlock()
	return ch
}

// viewChart is a small bar chart of a view's recent windows: one bar per
// window_start, its height the measure summed over keys, its colour the
// layer that serves the window; a marker at B shows the split.
type viewChart struct {
	Measure  string // what a bar's height is, e.g. "sum(event_count)"
	Err      string // why there is no chart
	Width    int
	Height   int
	Bars     []chartBar
	BX       float64 // x of the B marker; -1 when B is not in the chart
	BLabel   string
	BAnchor  string // text-anchor of the B label: start, or end near the right edge
	BOffLeft bool   // B lies before the first window shown: everything shown is speed
	MaxLabel string
	Ticks    []chartTick
	Batch    int // windows served by the batch layer
	Speed    int // windows served by the speed layer
	PlotTop  int
	PlotBot  int
	PlotLeft int
}

type chartBar struct {
	X, Y, W, H float64
	Layer      string // batch or speed
	Title      string // tooltip
}

type chartTick struct {
	X     float64
	Label string
}

// chartWindow is one row of the chart query.
type chartWindow struct {
	start int64 // µs
	value float64
	layer string
}

// buildChart queries the view's last chartWindows windows through an
// internal session and lays out the chart.
func (s *Server) buildChart(ctx context.Context, cv *catalog.View, v ViewStatus) *viewChart {
	ch := &viewChart{Width: 640, Height: 170, PlotTop: 18, PlotBot: 140, PlotLeft: 44, BX: -1}
	step, err := windowStep(cv.Options)
	if err != nil {
		ch.Err = err.Error()
		return ch
	}
	measure, expr := chartMeasure(cv)
	ch.Measure = measure
	// Bound the scan: the chart needs the newest windows only.
	ref := time.Now()
	if v.HasWatermark && v.StreamWatermark.After(ref) {
		ref = v.StreamWatermark
	}
	lower := ref.Add(-time.Duration(chartWindows+1) * step).UTC()
	q := fmt.Sprintf(`SELECT window_start, min(_layer), %s FROM %s WHERE window_start >= '%s' GROUP BY window_start ORDER BY window_start DESC LIMIT %d`,
		expr, quoteIdent(cv.Name), lower.Format("2006-01-02 15:04:05.999999Z07:00"), chartWindows)
	_, rows, err := s.internalQuery(ctx, q, nil)
	if err != nil {
		ch.Err = "chart query failed: " + err.Error()
		return ch
	}
	var wins []chartWindow
	for _, r := range rows {
		ts, ok := r[0].(types.TimestampD)
		if !ok {
			continue
		}
		layer, _ := r[1].(string)
		wins = append(wins, chartWindow{start: int64(ts), value: toFloat(r[2]), layer: layer})
	}
	layoutChart(ch, wins, step, v)
	return ch
}

// layoutChart places the bars of wins (any order) on up to chartWindows
// slots ending at the newest window. A view with few windows yet gets
// minChartSlots slots, so its bars stay narrow.
func layoutChart(ch *viewChart, wins []chartWindow, step time.Duration, v ViewStatus) {
	if len(wins) == 0 {
		ch.Err = "no windows yet"
		return
	}
	sort.Slice(wins, func(i, j int) bool { return wins[i].start < wins[j].start })
	stepUS := step.Microseconds()
	newest := wins[len(wins)-1].start
	first := max(newest-int64(chartWindows-1)*stepUS, wins[0].start)
	slots := int((newest-first)/stepUS) + 1
	shown := max(slots, minChartSlots)
	maxV := 0.0
	for _, w := range wins {
		maxV = math.Max(maxV, w.value)
	}
	if maxV <= 0 {
		maxV = 1
	}
	plotW := float64(ch.Width - ch.PlotLeft - 8)
	slot := plotW / float64(shown)
	plotH := float64(ch.PlotBot - ch.PlotTop)
	xOf := func(us int64) float64 {
		return float64(ch.PlotLeft) + float64(us-first)/float64(stepUS)*slot
	}
	for _, w := range wins {
		if w.start < first {
			continue
		}
		h := w.value / maxV * plotH
		if w.value > 0 && h < 1 {
			h = 1
		}
		layer := "speed"
		if w.layer == "batch" {
			layer = "batch"
			ch.Batch++
		} else {
			ch.Speed++
		}
		start := time.UnixMicro(w.start).UTC()
		ch.Bars = append(ch.Bars, chartBar{
			X: round1(xOf(w.start) + 1), W: round1(math.Max(slot-2, 1)), Y: round1(float64(ch.PlotBot) - h), H: round1(h),
			Layer: layer,
			Title: fmt.Sprintf("%s  %s = %s (%s layer)", start.Format("2006-01-02 15:04 UTC"), ch.Measure, formatNumber(w.value), layer),
		})
	}
	ch.MaxLabel = formatCompact(maxV)
	// Labels at least 70 px apart, five or six of them at most.
	every := max(int(math.Ceil(70/slot)), (slots+5)/6, 1)
	for i := 0; i < slots; i += every {
		us := first + int64(i)*stepUS
		ch.Ticks = append(ch.Ticks, chartTick{X: round1(xOf(us)), Label: tickLabel(time.UnixMicro(us).UTC(), step, i == 0)})
	}
	if v.HasB {
		b := v.B.UnixMicro()
		ch.BLabel = "B " + tickLabel(v.B, step, false)
		switch {
		case b < first:
			ch.BOffLeft = true
			ch.BX = float64(ch.PlotLeft)
		case b <= newest+stepUS:
			ch.BX = round1(xOf(b))
		default:
			ch.BX = round1(xOf(newest + stepUS))
		}
		ch.BAnchor = "start"
		if ch.BX > float64(ch.Width)-110 {
			ch.BAnchor = "end"
		}
	}
}

// tickLabel names a window start on the time axis: the time of day, with
// the date on the first label of charts whose windows span hours.
func tickLabel(t time.Time, step time.Duration, first bool) string {
	switch {
	case step >= 24*time.Hour:
		return t.Format("Jan 2")
	case step >= time.Hour && first:
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// windowStep is the distance between consecutive window starts of a
// lambda view (the hop of hopping windows). Session windows have no grid
// and get no chart.
func windowStep(opts map[string]string) (time.Duration, error) {
	if opts["session_gap"] != "" {
		return 0, errors.New("session windows have no fixed grid: no chart")
	}
	key := "window"
	if opts["hop"] != "" {
		key = "hop"
	}
	d, err := sql.ParseDuration(opts[key])
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("cannot read the view's %s option %q", key, opts[key])
	}
	return d, nil
}

// chartMeasure picks what a bar shows: the sum of the first integer
// column whose name contains "count" (event counts add up across keys),
// else of the first numeric column, else the number of rows.
func chartMeasure(cv *catalog.View) (label, expr string) {
	var firstNum string
	for _, c := range cv.Columns {
		if c.Name == "window_start" || c.Name == "window_end" {
			continue
		}
		t := c.Type()
		if t.Family == types.FamInt && strings.Contains(strings.ToLower(c.Name), "count") {
			return "sum(" + c.Name + ")", "sum(" + quoteIdent(c.Name) + ")"
		}
		if firstNum == "" && (t.Family == types.FamInt || t.Family == types.FamFloat || t.Family == types.FamNumeric) {
			firstNum = c.Name
		}
	}
	if firstNum != "" {
		return "sum(" + firstNum + ")", "sum(" + quoteIdent(firstNum) + ")"
	}
	return "rows", "count(*)"
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case interface{ Float64() (float64, error) }:
		f, _ := x.Float64()
		return f
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// internalQuery runs SQL (one or more statements) on a fresh internal
// session and returns the columns and rows of the last statement as
// datums (see sql/types). notice receives NOTICEs (nil: dropped).
func (s *Server) internalQuery(ctx context.Context, query string, notice func(wire.Notice)) (exec.Schema, [][]any, error) {
	if notice == nil {
		notice = func(wire.Notice) {}
	}
	sess := s.systemSession()
	stmts, err := sess.Prepare(ctx, query, nil)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	var cols exec.Schema
	var rows [][]any
	for i, st := range stmts {
		res, err := st.Execute(ctx, nil, notice)
		if err != nil {
			return nil, nil, err
		}
		last := i == len(stmts)-1
		if last {
			cols = st.Columns()
		}
		for {
			rec, err := res.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				res.Close()
				return nil, nil, err
			}
			if last {
				rows = append(rows, exec.Rows(rec, cols)...)
			}
			rec.Release()
		}
		res.Close()
	}
	return cols, rows, nil
}

func splitHostPort(addr string) (string, string, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", "", fmt.Errorf("no port in %q", addr)
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:], nil
}

// Template helpers. Everything they return is plain text: html/template
// escapes it.
var pageFuncs = template.FuncMap{
	"ts": func(t time.Time, ok bool) string {
		if !ok || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"short": func(t time.Time, ok bool) string {
		if !ok || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("Jan 2 15:04:05")
	},
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("Jan 2 15:04:05")
	},
	"dur": formatDuration,
	"num": func(v any) string {
		switch n := v.(type) {
		case int:
			return formatNumber(float64(n))
		case int64:
			return formatNumber(float64(n))
		case float64:
			return formatNumber(n)
		}
		return fmt.Sprint(v)
	},
	"rate":  func(f float64) string { return formatNumber(math.Round(f*10) / 10) },
	"bytes": formatBytes,
	"pct":   func(f float64) string { return strconv.FormatFloat(f*100, 'f', 2, 64) + " %" },
	"offsets": func(v []int64) string {
		if len(v) == 0 {
			return "—"
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = formatNumber(float64(x))
		}
		return strings.Join(parts, " · ")
	},
	"runDur": func(r catalog.BatchRun) string {
		if r.Finished.IsZero() {
			return "running " + formatDuration(time.Since(r.Started))
		}
		return formatDuration(r.Finished.Sub(r.Started))
	},
	"statusClass": func(status string) string {
		switch {
		case status == "ok" || status == "succeeded" || strings.HasPrefix(status, "ok ("):
			return "ok"
		case status == "skipped" || status == "ordinary view":
			return "muted"
		case status == "starting" || status == "running" || strings.HasPrefix(status, "starting"):
			return "warn"
		}
		return "bad"
	},
	"connector": connectorName,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	"sub": func(a, b int) int { return a - b },
}

// formatDuration prints a duration for people: 850ms, 12.3s, 4m05s,
// 2h13m, 3d4h.
func formatDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Second:
		s = strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		s = strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		s = fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	}
	if neg {
		return "−" + s
	}
	return s
}

// formatNumber prints f with thousands separators (1,234,567.5).
func formatNumber(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	neg := f < 0
	if neg {
		f = -f
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i > 3 {
		s = strconv.FormatFloat(f, 'f', 2, 64)
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + frac
	if neg {
		return "-" + out
	}
	return out
}

// formatCompact prints f shortly: 950, 12.5k, 3.2M.
func formatCompact(f float64) string {
	switch a := math.Abs(f); {
	case a >= 1e9:
		return strconv.FormatFloat(f/1e9, 'f', 1, 64) + "G"
	case a >= 1e6:
		return strconv.FormatFloat(f/1e6, 'f', 1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(f/1e3, 'f', 1, 64) + "k"
	case a >= 100 || a == math.Trunc(a):
		return strconv.FormatFloat(math.Round(f), 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}
