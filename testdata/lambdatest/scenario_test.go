package lambdatest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// viewSelect lists the columns every test view serves, in aggRow order.
const viewSelect = `window_start, window_end, k, n, nv, s, a, mn, mx, du, _layer`

// viewAggs is the select list of every test view.
const viewAggs = `k, count(*) AS n, count(v) AS nv, sum(v) AS s, avg(v) AS a, min(v) AS mn, max(v) AS mx, count(DISTINCT u) AS du`

// sourceDDL creates the test source. Capture commits only on REFRESH
// (capture_interval one hour) unless extra sets capture_interval.
func sourceDDL(name string, lateness time.Duration, partitions int, extra string) string {
	opts := fmt.Sprintf("event_time = 'ts', lateness = '%ds', partitions = %d", int64(lateness.Seconds()), partitions)
	if !strings.Contains(extra, "capture_interval") {
		opts += ", capture_interval = '1h'"
	}
	if extra != "" {
		opts += ", " + extra
	}
	return fmt.Sprintf(`CREATE SOURCE %s (id BIGINT NOT NULL, k TEXT, ts TIMESTAMPTZ NOT NULL, v DOUBLE PRECISION, u TEXT) WITH (%s)`, name, opts)
}

// viewDDL creates a test view; batch_interval is an hour so that only the
// test's REFRESH statements run the batch layer.
func viewDDL(name, source string, spec windowSpec) string {
	win := fmt.Sprintf("window = '%ds'", spec.Size/second)
	if spec.Hop != spec.Size {
		win += fmt.Sprintf(", hop = '%ds'", spec.Hop/second)
	}
	return fmt.Sprintf(`CREATE VIEW %s WITH (%s, batch_interval = '1h') AS SELECT %s FROM %s GROUP BY k`, name, win, viewAggs, source)
}

// queryView reads every row of a view (under the session's lambda.read).
func queryView(conn *pgx.Conn, view string) ([]aggRow, error) {
	ctx, cancel := qctx()
	defer cancel()
	rows, err := conn.Query(ctx, "SELECT "+viewSelect+" FROM "+view)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}

func scanRows(rows pgx.Rows) ([]aggRow, error) {
	defer rows.Close()
	var out []aggRow
	for rows.Next() {
		var r aggRow
		var ws, we time.Time
		if err := rows.Scan(&ws, &we, &r.K, &r.N, &r.NV, &r.S, &r.A, &r.Mn, &r.Mx, &r.DU, &r.Layer); err != nil {
			return nil, err
		}
		r.WS, r.WE = ws.UnixMicro(), we.UnixMicro()
		out = append(out, r)
	}
	return out, rows.Err()
}

// setRead sets lambda.read on a connection.
func setRead(t *testing.T, conn *pgx.Conn, mode string) {
	t.Helper()
	mustExec(t, conn, fmt.Sprintf("SET lambda.read = '%s'", mode))
}

// scenario drives one view over one source against the model.
type scenario struct {
	t      *testing.T
	source string
	view   string
	m      *model
	g      *generator
	conn   *pgx.Conn
	// observedB is the highest B a client saw so far (monotonic B).
	observedB    int64
	hasObservedB bool
	// lateTracked is false once a restart may legitimately have reset the
	// late-event counter.
	lateTracked bool
	lateBase    int64 // late events counted before the counter restarted
}

func newScenario(t *testing.T, conn *pgx.Conn, source, view string, m *model, g *generator) *scenario {
	return &scenario{t: t, source: source, view: view, m: m, g: g, conn: conn, lateTracked: true}
}

// create creates the source and the view (before any event, so the
// creation batch run covers nothing).
func (s *scenario) create(partitions int, extraSource string) {
	s.t.Helper()
	if s.m.parts != partitions {
		s.t.Fatalf("the model has %d partitions, the source %d", s.m.parts, partitions)
	}
	mustExec(s.t, s.conn, sourceDDL(s.source, time.Duration(s.m.spec.Lateness)*time.Microsecond, partitions, extraSource))
	mustExec(s.t, s.conn, viewDDL(s.view, s.source, s.m.spec))
}

// insert generates and inserts n statements.
func (s *scenario) insert(n int, advance int64) {
	s.t.Helper()
	for i := 0; i < n; i++ {
		evs := s.g.statement(advance)
		mustExec(s.t, s.conn, insertSQL(s.source, evs))
		s.m.insert(evs)
	}
}

// insertEvents inserts the given events as one statement.
func (s *scenario) insertEvents(evs []event) stmtInfo {
	s.t.Helper()
	mustExec(s.t, s.conn, insertSQL(s.source, evs))
	for _, e := range evs {
		s.g.maxTS = max(s.g.maxTS, e.TS)
	}
	return s.m.insert(evs)
}

// refresh runs REFRESH VIEW [FULL] and checks the published B.
func (s *scenario) refresh(full bool) refreshInfo {
	s.t.Helper()
	q := "REFRESH VIEW " + s.view
	if full {
		q += " FULL"
	}
	mustExec(s.t, s.conn, q)
	r := s.m.refresh(full)
	s.checkB()
	return r
}

// checkB compares lambda_views.batch_watermark with the model and checks
// that it lies on the grid and never moved backwards.
func (s *scenario) checkB() {
	s.t.Helper()
	st := readStatus(s.t, s.conn, s.view)
	s.checkObservedB(st.B)
	wantB, hasB := s.m.B()
	switch {
	case !hasB && st.B != nil:
		s.t.Fatalf("batch_watermark = %s, want NULL (no batch run covered an event yet)", fmtTS(st.B.UnixMicro()))
	case hasB && st.B == nil:
		s.t.Fatalf("batch_watermark is NULL, want %s", fmtTS(wantB))
	case hasB && st.B.UnixMicro() != wantB:
		s.t.Fatalf("batch_watermark = %s, want %s", fmtTS(st.B.UnixMicro()), fmtTS(wantB))
	}
}

// checkObservedB checks grid alignment and monotonicity of a B a client saw.
func (s *scenario) checkObservedB(b *time.Time) {
	s.t.Helper()
	if b == nil {
		if s.hasObservedB {
			s.t.Fatalf("batch_watermark went back to NULL after %s", fmtTS(s.observedB))
		}
		return
	}
	us := b.UnixMicro()
	if us%s.m.spec.grid() != 0 {
		s.t.Fatalf("batch_watermark %s is not on the window grid (%s)", fmtTS(us), time.Duration(s.m.spec.grid())*time.Microsecond)
	}
	if s.hasObservedB && us < s.observedB {
		s.t.Fatalf("batch_watermark moved backwards: %s after %s", fmtTS(us), fmtTS(s.observedB))
	}
	s.observedB, s.hasObservedB = us, true
}

// waitMerged polls the merged view until it equals the model (the speed
// layer processes the log asynchronously), then returns the rows.
func (s *scenario) waitMerged(label string) []aggRow {
	s.t.Helper()
	want := s.m.expected(readMerged)
	var got []aggRow
	waitFor(s.t, label+": merged view equals the model", 20*time.Second, func() (bool, string) {
		var err error
		got, err = queryView(s.conn, s.view)
		if err != nil {
			s.t.Fatalf("%s: query the view: %v", label, err)
		}
		d := diffRows(got, want, true)
		return d == "", d
	})
	return got
}

// check is one checkpoint: the merged view equals the model (each (key,
// window) once, from the layer the model says: batch iff window_end ≤
// B), 'batch' reads exactly the windows ≤ B, 'speed' exactly those > B,
// B and the late-event counter are the model's.
func (s *scenario) check(label string) {
	s.t.Helper()
	s.waitMerged(label)
	s.checkB()
	wantB, hasB := s.m.B()
	for _, mode := range []string{readBatch, readSpeed} {
		setRead(s.t, s.conn, mode)
		got, err := queryView(s.conn, s.view)
		setRead(s.t, s.conn, readMerged)
		if err != nil {
			s.t.Fatalf("%s: read %s: %v", label, mode, err)
		}
		if d := diffRows(got, s.m.expected(mode), true); d != "" {
			s.t.Fatalf("%s: SET lambda.read = '%s' (B %v %s): %s", label, mode, hasB, fmtTS(wantB), d)
		}
	}
	// Point queries by key (a bound parameter, as drivers send them) take
	// the speed state's equality index and the batch files' page index:
	// each returns exactly that key's rows of the merged view.
	want := s.m.expected(readMerged)
	keys := map[string]bool{}
	for _, r := range want {
		if r.K != nil && len(keys) < 3 {
			keys[*r.K] = true
		}
	}
	for k := range keys {
		ctx, cancel := qctx()
		rows, err := s.conn.Query(ctx, "SELECT "+viewSelect+" FROM "+s.view+" WHERE k = $1", k)
		if err != nil {
			cancel()
			s.t.Fatalf("%s: point query: %v", label, err)
		}
		got, err := scanRows(rows)
		cancel()
		if err != nil {
			s.t.Fatalf("%s: point query: %v", label, err)
		}
		only := rowSet{}
		for wk, r := range want {
			if r.K != nil && *r.K == k {
				only[wk] = r
			}
		}
		if d := diffRows(got, only, true); d != "" {
			s.t.Fatalf("%s: SELECT … WHERE k = '%s': %s", label, k, d)
		}
	}
	if s.lateTracked {
		st := readStatus(s.t, s.conn, s.view)
		if want := s.m.lateEvents - s.lateBase; st.Late != want {
			s.t.Fatalf("%s: lambda_views.late_events = %d, want %d", label, st.Late, want)
		}
	}
}

// checkOracle cross-checks the model against the engine's own aggregation
// of the source over all events (the "batch over all events" oracle).
func (s *scenario) checkOracle(label string) {
	s.t.Helper()
	got, err := queryOracle(s.conn, s.source, s.m.spec)
	if err != nil {
		s.t.Fatalf("%s: oracle query: %v", label, err)
	}
	if d := diffRows(got, s.m.allEvents(), false); d != "" {
		s.t.Fatalf("%s: the engine's aggregation over all events disagrees with the model: %s", label, d)
	}
}

// queryOracle aggregates a source directly with date_bin: one branch per
// window an event belongs to (size/hop branches for hopping windows).
func queryOracle(conn *pgx.Conn, source string, spec windowSpec) ([]aggRow, error) {
	var branches []string
	for i := int64(0); i < spec.Size/spec.Hop; i++ {
		branches = append(branches, fmt.Sprintf(
			`SELECT date_bin('%d seconds', ts, timestamptz '1970-01-01 00:00:00+00') - interval '%d seconds' AS ws, k, v, u FROM %s`,
			spec.Hop/second, i*spec.Hop/second, source))
	}
	q := fmt.Sprintf(`SELECT ws, ws + interval '%d seconds' AS we, k, count(*), count(v), sum(v), avg(v), min(v), max(v), count(DISTINCT u), '' AS layer
		FROM (%s) AS x GROUP BY ws, k`, spec.Size/second, strings.Join(branches, " UNION ALL "))
	ctx, cancel := qctx()
	defer cancel()
	rows, err := conn.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return scanRows(rows)
}
