// Package lambdatest holds the correctness tests of lambda views and of
// ingest durability: one test per correctness property of DESIGN.md
// ("Correctness properties of the split"), each checked against an
// independent Go model of the semantics, plus the SIGKILL ingest crash
// test. The package has test files only; it starts lambdasql in process
// (server.Open) or as the built binary (lambdasql serve) on loopback.
//
// The model (this file) is written from DESIGN.md, not from the engine's
// code:
//
//   - windows are half-open [start, start+size), starts on multiples of the
//     hop (the size for tumbling windows), aligned to the Unix epoch;
//   - the speed layer processes one INSERT statement as one log entry; the
//     stream watermark is max event time seen − lateness (the minimum over
//     partitions), it only moves forward, and it advances after the entry;
//     a copy of an event for window w is late when w's end ≤ the watermark
//     before the entry, and is then dropped by the speed layer and counted;
//   - REFRESH captures every acknowledged event and publishes
//     B = align_down(min over partitions of max captured event time −
//     lateness, grid), never lower than the previous B;
//   - a query answers windows ending at or below B from the batch layer
//     (every captured event, late ones included) and windows ending after
//     B from the speed layer (every event that was not late for it).
//
// Set LAMBDATEST_VERBOSE=1 to see the server's logs.
package lambdatest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	usec   = int64(1)
	second = 1_000_000 * usec
	minute = 60 * second
	hour   = 60 * minute
)

// noTime marks an unknown event time.
const noTime = math.MinInt64

// t0 is the start of the generated event times: 2024-03-01 10:00:00 UTC,
// years before the wall clock, so no wall-clock effect can hide a bug.
var t0 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC).UnixMicro()

// event is one generated source row.
type event struct {
	ID int64
	K  *string // grouping key; NULL sometimes
	TS int64   // event time, µs since the epoch
	V  *float64
	U  *string // counted with count(DISTINCT u)
}

// windowSpec is a view's windowing in µs (Hop == Size for tumbling).
type windowSpec struct {
	Size, Hop, Lateness int64
}

func tumbling(size, lateness int64) windowSpec {
	return windowSpec{Size: size, Hop: size, Lateness: lateness}
}

func (w windowSpec) grid() int64 { return w.Hop }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func alignDown(ts, grid int64) int64 { return floorDiv(ts, grid) * grid }

func alignUp(ts, grid int64) int64 { return -floorDiv(-ts, grid) * grid }

// windowsOf returns the starts of the windows that contain ts: the
// multiples s of the hop with s ≤ ts < s + size.
func (w windowSpec) windowsOf(ts int64) []int64 {
	var out []int64
	for s := alignDown(ts, w.Hop); s > ts-w.Size; s -= w.Hop {
		out = append(out, s)
	}
	return out
}

// winKey identifies one served row: (window, key).
type winKey struct {
	WS    int64
	K     string
	KNull bool
}

func keyOf(ws int64, k *string) winKey {
	if k == nil {
		return winKey{WS: ws, KNull: true}
	}
	return winKey{WS: ws, K: *k}
}

func (k winKey) String() string {
	ks := strconv.Quote(k.K)
	if k.KNull {
		ks = "NULL"
	}
	return fmt.Sprintf("(%s, %s)", fmtTS(k.WS), ks)
}

func fmtTS(us int64) string {
	if us == noTime {
		return "-∞"
	}
	return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999")
}

// aggRow is one row of the test views: the window, the key, the
// aggregates and the layer that served it.
type aggRow struct {
	WS, WE    int64
	K         *string
	N, NV     int64 // count(*), count(v)
	S, A      *float64
	Mn, Mx    *float64
	DU        int64 // count(DISTINCT u)
	Layer     string
	distinctU map[string]bool
}

func (r aggRow) key() winKey { return keyOf(r.WS, r.K) }

func (r aggRow) String() string {
	f := func(p *float64) string {
		if p == nil {
			return "NULL"
		}
		return strconv.FormatFloat(*p, 'g', 15, 64)
	}
	return fmt.Sprintf("%s..%s n=%d nv=%d sum=%s avg=%s min=%s max=%s du=%d layer=%s",
		r.key(), fmtTS(r.WE)[11:], r.N, r.NV, f(r.S), f(r.A), f(r.Mn), f(r.Mx), r.DU, r.Layer)
}

// rowSet accumulates events into per-(window, key) aggregates.
type rowSet map[winKey]*aggRow

func (rs rowSet) add(ws, size int64, e event, layer string) {
	k := keyOf(ws, e.K)
	r := rs[k]
	if r == nil {
		r = &aggRow{WS: ws, WE: ws + size, K: e.K, Layer: layer, distinctU: map[string]bool{}}
		rs[k] = r
	}
	r.N++
	if e.V != nil {
		v := *e.V
		r.NV++
		if r.S == nil {
			s, mn, mx := v, v, v
			r.S, r.Mn, r.Mx = &s, &mn, &mx
		} else {
			*r.S += v
			*r.Mn = math.Min(*r.Mn, v)
			*r.Mx = math.Max(*r.Mx, v)
		}
		a := *r.S / float64(r.NV)
		r.A = &a
	}
	if e.U != nil {
		r.distinctU[*e.U] = true
		r.DU = int64(len(r.distinctU))
	}
}

// stmtInfo records one INSERT statement as the model processed it.
type stmtInfo struct {
	First, N  int // events[First : First+N]
	Part      int
	HasWM     bool // the speed watermark before the statement
	WMBefore  int64
	LateCount int64
}

// refreshInfo records one batch run.
type refreshInfo struct {
	Captured int // events captured (a prefix of the insertion order)
	HasB     bool
	B        int64
	Full     bool
}

// model is the oracle of one lambda view over one source.
type model struct {
	spec  windowSpec
	parts int

	events []event
	stmts  []stmtInfo
	late   map[[2]int64]bool // (event index, window start) dropped by the speed layer

	// The speed layer, simulated in statement order (exact for one
	// partition; with several the generators avoid late events).
	clk        []int64 // per-partition max event time
	hasWM      bool
	wm         int64
	lateEvents int64

	// rr is the round-robin partition counter of the running server
	// (statements since it started).
	rr int

	refreshes []refreshInfo
}

func newModel(spec windowSpec, parts int) *model {
	m := &model{spec: spec, parts: parts, late: map[[2]int64]bool{}, clk: make([]int64, parts)}
	for i := range m.clk {
		m.clk[i] = noTime
	}
	return m
}

// watermarkOf is min over partitions of clock − lateness, when every
// partition has seen an event.
func watermarkOf(clk []int64, lateness int64) (int64, bool) {
	wm := int64(math.MaxInt64)
	for _, c := range clk {
		if c == noTime {
			return 0, false
		}
		wm = min(wm, c-lateness)
	}
	return wm, true
}

// lateness class of an event against a watermark: 0 on time, 1 some of
// its windows are closed, 2 all of them.
func (m *model) lateClass(ts int64, hasWM bool, wm int64) int {
	if !hasWM {
		return 0
	}
	ws := m.spec.windowsOf(ts)
	n := 0
	for _, s := range ws {
		if s+m.spec.Size <= wm {
			n++
		}
	}
	switch {
	case n == 0:
		return 0
	case n == len(ws):
		return 2
	}
	return 1
}

// insert applies one statement (one log entry) to the model.
func (m *model) insert(evs []event) stmtInfo {
	st := stmtInfo{First: len(m.events), N: len(evs), Part: m.rr % m.parts, HasWM: m.hasWM, WMBefore: m.wm}
	m.rr++
	maxTS := int64(noTime)
	for i, e := range evs {
		idx := int64(len(m.events) + i)
		lateCopy := false
		for _, s := range m.spec.windowsOf(e.TS) {
			if m.hasWM && s+m.spec.Size <= m.wm {
				m.late[[2]int64{idx, s}] = true
				lateCopy = true
			}
		}
		if lateCopy {
			st.LateCount++
		}
		maxTS = max(maxTS, e.TS)
	}
	m.events = append(m.events, evs...)
	m.lateEvents += st.LateCount
	if maxTS > m.clk[st.Part] {
		m.clk[st.Part] = maxTS
	}
	if wm, ok := watermarkOf(m.clk, m.spec.Lateness); ok && (!m.hasWM || wm > m.wm) {
		m.wm, m.hasWM = wm, true
	}
	m.stmts = append(m.stmts, st)
	return st
}

// capturedClocks are the per-partition max event times of the first n
// events.
func (m *model) capturedClocks(n int) []int64 {
	clk := make([]int64, m.parts)
	for i := range clk {
		clk[i] = noTime
	}
	for _, st := range m.stmts {
		for i := st.First; i < st.First+st.N && i < n; i++ {
			clk[st.Part] = max(clk[st.Part], m.events[i].TS)
		}
	}
	return clk
}

// refresh applies a batch run that captured every event inserted so far.
func (m *model) refresh(full bool) refreshInfo {
	r := refreshInfo{Captured: len(m.events), Full: full}
	prev, hadPrev := m.lastRefresh()
	if wm, ok := watermarkOf(m.capturedClocks(r.Captured), m.spec.Lateness); ok {
		r.B, r.HasB = alignDown(wm, m.spec.grid()), true
	}
	if hadPrev && prev.HasB && (!r.HasB || prev.B > r.B) {
		r.B, r.HasB = prev.B, true // B never moves backwards
	}
	m.refreshes = append(m.refreshes, r)
	return r
}

func (m *model) lastRefresh() (refreshInfo, bool) {
	if len(m.refreshes) == 0 {
		return refreshInfo{}, false
	}
	return m.refreshes[len(m.refreshes)-1], true
}

// B is the batch watermark clients should see.
func (m *model) B() (int64, bool) {
	r, ok := m.lastRefresh()
	if !ok || !r.HasB {
		return 0, false
	}
	return r.B, true
}

// Read modes.
const (
	readMerged = "merged"
	readBatch  = "batch"
	readSpeed  = "speed"
)

// expected returns the rows a query over the view must return under a
// read mode, given the current B.
func (m *model) expected(mode string) rowSet {
	r, _ := m.lastRefresh()
	return m.expectedAt(mode, r, len(m.events))
}

// expectedAt is expected for a given batch run and a speed layer that
// processed the first speedEvents events.
func (m *model) expectedAt(mode string, r refreshInfo, speedEvents int) rowSet {
	out := rowSet{}
	if mode != readSpeed && r.HasB {
		for i := 0; i < r.Captured; i++ {
			e := m.events[i]
			for _, s := range m.spec.windowsOf(e.TS) {
				if s+m.spec.Size <= r.B {
					out.add(s, m.spec.Size, e, "batch")
				}
			}
		}
	}
	if mode != readBatch {
		for i := 0; i < speedEvents; i++ {
			e := m.events[i]
			for _, s := range m.spec.windowsOf(e.TS) {
				if r.HasB && s+m.spec.Size <= r.B {
					continue
				}
				if m.late[[2]int64{int64(i), s}] {
					continue
				}
				out.add(s, m.spec.Size, e, "speed")
			}
		}
	}
	return out
}

// allEvents aggregates every event into every window: the oracle of
// "batch over all events".
func (m *model) allEvents() rowSet {
	out := rowSet{}
	for _, e := range m.events {
		for _, s := range m.spec.windowsOf(e.TS) {
			out.add(s, m.spec.Size, e, "")
		}
	}
	return out
}

// floatsEqual compares to a relative 1e-9 (NaN equals NaN).
func floatsEqual(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	x, y := *a, *b
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	if x == y {
		return true
	}
	return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
}

// sameRow compares everything but the layer.
func sameRow(a, b aggRow) bool {
	if a.key() != b.key() || a.WE != b.WE || a.N != b.N || a.NV != b.NV || a.DU != b.DU {
		return false
	}
	return floatsEqual(a.S, b.S) && floatsEqual(a.A, b.A) && floatsEqual(a.Mn, b.Mn) && floatsEqual(a.Mx, b.Mx)
}

// diffRows compares served rows with the model: duplicates, missing and
// unexpected rows, wrong values and (when checkLayer) wrong layers. It
// returns "" when they agree.
func diffRows(got []aggRow, want rowSet, checkLayer bool) string {
	var problems []string
	seen := map[winKey]int{}
	for _, g := range got {
		seen[g.key()]++
	}
	for k, n := range seen {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("duplicate: %s served %d times", k, n))
		}
	}
	for _, g := range got {
		w, ok := want[g.key()]
		switch {
		case !ok:
			problems = append(problems, "unexpected: "+g.String())
		case !sameRow(g, *w):
			problems = append(problems, "wrong:      "+g.String()+"\n      want: "+w.String())
		case checkLayer && g.Layer != w.Layer:
			problems = append(problems, fmt.Sprintf("layer:      %s served by %s, want %s", g.key(), g.Layer, w.Layer))
		}
	}
	for k, w := range want {
		if seen[k] == 0 {
			problems = append(problems, "missing:    "+w.String())
		}
	}
	if len(problems) == 0 {
		return ""
	}
	sort.Strings(problems)
	const maxShown = 12
	if len(problems) > maxShown {
		problems = append(problems[:maxShown], fmt.Sprintf("… and %d more", len(problems)-maxShown))
	}
	return fmt.Sprintf("%d rows served, %d expected:\n  %s", len(got), len(want), strings.Join(problems, "\n  "))
}

// generator produces seeded statements of events: keys with duplicates,
// NULLs in the aggregated columns, out-of-order events within the
// lateness, events exactly on window boundaries and at B, and (when
// late is set) late events beyond the lateness.
type generator struct {
	rnd  *rand.Rand
	m    *model
	keys []string
	// late allows events beyond the lateness; otherwise every event is at
	// or after the highest event time inserted before it − lateness, so it
	// is on time whatever the interleaving of partitions.
	late bool
	// maxRows bounds a statement's size.
	maxRows int
	nextID  int64
	maxTS   int64 // highest event time generated so far
	users   []string
	prev    []event
}

func newGenerator(seed uint64, m *model, late bool) *generator {
	return &generator{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), m: m, late: late, maxRows: 12,
		keys: []string{"a", "b", "c", "d"}, users: []string{"u1", "u2", "u3", "u4", "u5"}, nextID: 1, maxTS: noTime}
}

func (g *generator) key() *string {
	if g.rnd.IntN(12) == 0 {
		return nil
	}
	k := g.keys[g.rnd.IntN(len(g.keys))]
	return &k
}

func (g *generator) value() *float64 {
	if g.rnd.IntN(6) == 0 {
		return nil
	}
	// Three decimals: sums differ by the order of addition, which the
	// comparison tolerates (relative 1e-9).
	v := float64(g.rnd.IntN(200_000)-50_000) / 1000
	return &v
}

func (g *generator) user() *string {
	if g.rnd.IntN(6) == 0 {
		return nil
	}
	u := g.users[g.rnd.IntN(len(g.users))]
	return &u
}

func (g *generator) newEvent(ts int64) event {
	e := event{ID: g.nextID, K: g.key(), TS: ts, V: g.value(), U: g.user()}
	g.nextID++
	return e
}

// onTimeFloor is the earliest event time that is on time for every
// interleaving: the highest event time so far − lateness.
func (g *generator) onTimeFloor() int64 {
	if g.maxTS == noTime {
		return t0
	}
	return g.maxTS - g.m.spec.Lateness
}

// statement generates the next statement's events; advance is how far the
// highest event time may move forward (0: not at all).
func (g *generator) statement(advance int64) []event {
	n := 1 + g.rnd.IntN(g.maxRows)
	floor := g.onTimeFloor()
	base := g.maxTS
	if base == noTime {
		base = t0 + 5*minute
	}
	grid := g.m.spec.grid()
	var evs []event
	for i := 0; i < n; i++ {
		var ts int64
		switch c := g.rnd.IntN(20); {
		case c < 9: // on time, out of order within the lateness
			ts = floor + g.rnd.Int64N(base-floor+1)
		case c < 12: // ahead of the highest event time
			ts = base + g.rnd.Int64N(advance+1)
		case c == 12: // exactly at a window start
			ts = alignUp(floor, grid) + grid*g.rnd.Int64N(2)
		case c == 13: // the last µs of a window
			ts = alignUp(floor, grid) + g.m.spec.Size - 1
		case c == 14: // exactly at B, when that is on time
			if b, ok := g.m.B(); ok && (g.late || b >= floor) {
				ts = b
			} else {
				ts = alignUp(floor, grid)
			}
		case c == 15: // a duplicate of an earlier event
			if len(g.prev) > 0 {
				d := g.prev[g.rnd.IntN(len(g.prev))]
				if g.late || d.TS >= floor {
					d.ID = g.nextID
					g.nextID++
					evs = append(evs, d)
					continue
				}
			}
			ts = floor
		default: // late beyond the lateness, or on time
			if !g.late || !g.m.hasWM {
				ts = floor + g.rnd.Int64N(base-floor+1)
				break
			}
			ts = g.lateEventTS()
		}
		evs = append(evs, g.newEvent(ts))
	}
	// Sometimes make the watermark land exactly on the grid: the highest
	// event time becomes a window boundary + lateness.
	if advance > 0 && g.rnd.IntN(3) == 0 {
		target := alignUp(base+g.rnd.Int64N(advance+1)-g.m.spec.Lateness, grid) + g.m.spec.Lateness
		if target > base {
			evs = append(evs, g.newEvent(target))
		}
	}
	g.limitPartlyLate(evs)
	for _, e := range evs {
		g.maxTS = max(g.maxTS, e.TS)
	}
	g.prev = append(g.prev, evs...)
	if len(g.prev) > 64 {
		g.prev = g.prev[len(g.prev)-64:]
	}
	return evs
}

// lateEventTS picks a late event time against the model's current speed
// watermark: in the window that ends exactly at the aligned watermark, at
// the watermark, just below it, or far behind.
func (g *generator) lateEventTS() int64 {
	wm, grid, size := g.m.wm, g.m.spec.grid(), g.m.spec.Size
	switch g.rnd.IntN(4) {
	case 0:
		return alignDown(wm, grid) - 1 - g.rnd.Int64N(grid)
	case 1:
		return wm
	case 2:
		return wm - 1
	}
	return wm - size - g.rnd.Int64N(10*minute)
}

// limitPartlyLate keeps at most one partly late event (some of its
// hopping windows closed, not all) per statement by moving the others
// fully behind the watermark: lambda_views counts late events of a log
// entry as dropped window copies ÷ windows per event, which equals the
// number of events with a dropped copy only under that condition (see
// bugHopLateCount).
func (g *generator) limitPartlyLate(evs []event) {
	if !g.m.hasWM || g.m.spec.Hop == g.m.spec.Size {
		return
	}
	partly := 0
	for i := range evs {
		if g.m.lateClass(evs[i].TS, true, g.m.wm) != 1 {
			continue
		}
		partly++
		if partly > 1 {
			evs[i].TS = g.m.wm - g.m.spec.Size - g.rnd.Int64N(minute)
		}
	}
}

// insertSQL renders events as one INSERT statement.
func insertSQL(source string, evs []event) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "INSERT INTO %s (id, k, ts, v, u) VALUES ", source)
	for i, e := range evs {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "(%d, %s, '%s+00', %s, %s)", e.ID, sqlText(e.K), fmtTS(e.TS), sqlFloat(e.V), sqlText(e.U))
	}
	return sb.String()
}

func sqlText(s *string) string {
	if s == nil {
		return "NULL"
	}
	return "'" + strings.ReplaceAll(*s, "'", "''") + "'"
}

func sqlFloat(f *float64) string {
	if f == nil {
		return "NULL"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// eventsThrough is the number of events in the first n statements.
func (m *model) eventsThrough(n int) int {
	if n <= 0 {
		return 0
	}
	st := m.stmts[n-1]
	return st.First + st.N
}

// validSplit reports ("" when valid) whether rows are the answer of one
// consistent split: the batch rows are exactly those of one published
// batch run whose B lies in [bLo, bHi] (nil: no B seen), and the speed
// rows exactly those of a speed layer that folded some prefix of the
// statements — at least minStmts, at most maxStmts — above that B. It is the check of a query
// that ran while B moved.
func (m *model) validSplit(rows []aggRow, bLo, bHi *int64, minStmts, maxStmts int) string {
	var batchRows, speedRows []aggRow
	for _, r := range rows {
		if r.Layer == "batch" {
			batchRows = append(batchRows, r)
		} else {
			speedRows = append(speedRows, r)
		}
	}
	cands := append([]refreshInfo{{}}, m.refreshes...)
	var why []string
	for _, r := range cands {
		if !r.HasB && bLo != nil {
			continue
		}
		if r.HasB && (bHi == nil || r.B > *bHi || (bLo != nil && r.B < *bLo)) {
			continue
		}
		if d := diffRows(batchRows, m.expectedAt(readBatch, r, 0), true); d != "" {
			why = append(why, fmt.Sprintf("B %s: batch rows: %s", fmtTS(r.B), d))
			continue
		}
		for q := maxStmts; q >= minStmts; q-- {
			if diffRows(speedRows, m.expectedAt(readSpeed, r, m.eventsThrough(q)), true) == "" {
				return ""
			}
		}
		why = append(why, fmt.Sprintf("B %s: the speed rows match no prefix of %d to %d statements; against all of them: %s",
			fmtTS(r.B), minStmts, maxStmts, diffRows(speedRows, m.expectedAt(readSpeed, r, m.eventsThrough(maxStmts)), true)))
	}
	if len(why) == 0 {
		return fmt.Sprintf("no published B lies between %v and %v", fmtTSp(bLo), fmtTSp(bHi))
	}
	return "not one consistent split:\n" + strings.Join(why, "\n")
}

func fmtTSp(p *int64) string {
	if p == nil {
		return "NULL"
	}
	return fmtTS(*p)
}

// minStmtsFor is the fewest statements the speed layer must have folded
// to show stream watermark wm: the watermark after n statements only
// grows with n.
func (m *model) minStmtsFor(wm *int64) int {
	if wm == nil {
		return 0
	}
	for n := 0; n < len(m.stmts); n++ {
		// stmts[n].WMBefore is the watermark after the first n statements.
		if m.stmts[n].HasWM && m.stmts[n].WMBefore >= *wm {
			return n
		}
	}
	return len(m.stmts)
}
