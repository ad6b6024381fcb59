package lambdatest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestSnapshotAtomicB (property 3): a query reads B once, together with
// the batch files that cover it. A cursor opened before a REFRESH and
// read slowly returns the split of its own snapshot although B advanced
// meanwhile; queries running while another connection inserts and
// refreshes each return one consistent split, and B never moves backwards.
func TestSnapshotAtomicB(t *testing.T) {
	t.Run("cursor across REFRESH", func(t *testing.T) {
		srv := openServer(t, t.TempDir())
		conn := connect(t, srv.addr())
		m := newModel(tumbling(minute, 2*minute), 1)
		s := newScenario(t, conn, "ev", "v", m, newGenerator(21, m, true))
		s.create(1, "")
		s.insert(6, 40*second)
		s.refresh(false)
		s.insert(6, 40*second)
		s.check("before the cursor")
		oldB, _ := m.B()
		want := m.expected(readMerged)

		reader := connect(t, srv.addr())
		mustExec(t, reader, "BEGIN")
		mustExec(t, reader, "DECLARE c CURSOR FOR SELECT "+viewSelect+" FROM v")
		first := fetch(t, reader, "FETCH 1 FROM c")
		if len(first) != 1 {
			t.Fatalf("FETCH 1 returned %d rows", len(first))
		}

		// Another connection moves B, with late events for windows the
		// cursor's snapshot serves from the speed layer.
		s.insert(6, 60*second)
		s.refresh(false)
		if newB, _ := m.B(); newB <= oldB {
			t.Fatalf("the test needs B to advance: %s, then %s", fmtTS(oldB), fmtTS(newB))
		}
		s.check("fresh queries while the cursor is open")

		knownBug(t, bugCursorContext)
		rest := fetch(t, reader, "FETCH ALL FROM c")
		mustExec(t, reader, "COMMIT")
		if d := diffRows(append(first, rest...), want, true); d != "" {
			t.Fatalf("the cursor opened at B = %s read across a REFRESH: %s", fmtTS(oldB), d)
		}
		s.check("after the cursor closed")
	})
	t.Run("concurrent REFRESH", func(t *testing.T) {
		concurrentSplits(t, tumbling(minute, 2*minute), 22, 20)
	})
}

// fetch runs a FETCH and returns its rows.
func fetch(t *testing.T, conn *pgx.Conn, q string) []aggRow {
	t.Helper()
	ctx, cancel := qctx()
	defer cancel()
	rows, err := conn.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out, err := scanRows(rows)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// concurrentSplits: one goroutine inserts and refreshes for a bounded
// number of rounds while two goroutines query the view in a loop. Every
// result must be one consistent split (validSplit): each (key, window) at
// most once, batch rows exactly those of one published B between the B
// seen before and after the query, speed rows exactly those of a prefix
// of the statements no shorter than the stream watermark seen before the
// query implies (so a window the speed layer had finished cannot be
// missing: no gap), and B never decreases. The events are on time, so a
// window's rows are final once the watermark passed its end.
func concurrentSplits(t *testing.T, spec windowSpec, seed uint64, rounds int) {
	srv := openServer(t, t.TempDir())
	conn := connect(t, srv.addr())
	m := newModel(spec, 1)
	g := newGenerator(seed, m, false)
	s := newScenario(t, conn, "ev", "v", m, g)
	s.create(1, "")
	s.insert(4, 40*second)
	s.refresh(false)
	s.check("before the concurrent loop")

	var mu sync.Mutex // guards m and g
	var done atomic.Bool
	var queries atomic.Int64
	errs := make(chan string, 64)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Sprintf(format, args...):
		default:
		}
	}
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		rc := connect(t, srv.addr())
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lastB *int64
			for i := 0; i < 400 && !done.Load(); i++ {
				bLo, wm, err := statusErr(rc, "v")
				if err != nil {
					report("reader %d: lambda_views: %v", r, err)
					return
				}
				rows, err := queryView(rc, "v")
				if err != nil {
					report("reader %d: query: %v", r, err)
					return
				}
				bHi, _, err := statusErr(rc, "v")
				if err != nil {
					report("reader %d: lambda_views: %v", r, err)
					return
				}
				if lastB != nil && (bLo == nil || *bLo < *lastB) {
					report("reader %d: B moved backwards: %s after %s", r, fmtTSp(bLo), fmtTS(*lastB))
					return
				}
				lastB = bHi
				mu.Lock()
				d := m.validSplit(rows, bLo, bHi, m.minStmtsFor(wm), len(m.stmts))
				mu.Unlock()
				queries.Add(1)
				if d != "" {
					report("reader %d, query %d (B between %s and %s, stream watermark %s): %s", r, i, fmtTSp(bLo), fmtTSp(bHi), fmtTSp(wm), d)
					return
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	func() {
		defer done.Store(true)
		for round := 0; round < rounds && ctx.Err() == nil; round++ {
			for i := 0; i < 1+round%2; i++ {
				mu.Lock()
				evs := g.statement(50 * second)
				m.insert(evs)
				mu.Unlock()
				if _, err := conn.Exec(ctx, insertSQL("ev", evs)); err != nil {
					t.Errorf("round %d: insert: %v", round, err)
					return
				}
			}
			mu.Lock()
			m.refresh(false)
			mu.Unlock()
			if _, err := conn.Exec(ctx, "REFRESH VIEW v"); err != nil {
				t.Errorf("round %d: REFRESH: %v", round, err)
				return
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if t.Failed() {
		return
	}
	t.Logf("%d queries checked during %d rounds of INSERT and REFRESH", queries.Load(), rounds)
	s.check("after the concurrent loop")
	if m.lateEvents != 0 {
		t.Fatalf("the generator made %d late events; this test needs none", m.lateEvents)
	}
}
