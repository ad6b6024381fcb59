package lambdatest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ingestLedger records what clients sent and what the server
// acknowledged.
type ingestLedger struct {
	mu    sync.Mutex
	acked map[int64]bool
	// inFlight are statements sent without an answer when the server
	// died: each must be entirely present or entirely absent.
	inFlight [][]int64
}

func (l *ingestLedger) ack(ids []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		l.acked[id] = true
	}
}

func (l *ingestLedger) unknown(ids []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inFlight = append(l.inFlight, ids)
}

// TestIngestCrash: lambdasql serve ingests concurrent INSERT and COPY FROM
// STDIN batches of rows with unique ids while capture commits every
// 200ms and REFRESH runs, and is SIGKILLed at seeded random moments, five
// times. Every acknowledged row must survive exactly once — in SELECT …
// FROM source, in the master Parquet files after a final REFRESH (which
// flushes capture) and in a view over the source — statements in flight at
// a kill are entirely present or entirely absent, and no row is ever
// duplicated.
func TestIngestCrash(t *testing.T) {
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(140, 141))
	led := &ingestLedger{acked: map[int64]bool{}}
	var nextID atomic.Int64
	const rounds = 5
	for round := 0; round < rounds; round++ {
		p := startProc(t, dir)
		admin := connect(t, p.addr)
		if round == 0 {
			mustExec(t, admin, `CREATE SOURCE ing (id BIGINT NOT NULL, ts TIMESTAMPTZ NOT NULL, w INT)
				WITH (event_time = 'ts', lateness = '1h', partitions = 2, capture_interval = '200ms')`)
			mustExec(t, admin, `CREATE VIEW iv WITH (window = '1m', batch_interval = '1h') AS SELECT count(*) AS n, count(DISTINCT id) AS d FROM ing`)
			checkBinaryCopy(t, admin)
		} else if r := logBelowMarks(t, admin); r != "" {
			t.Errorf("round %d: the log restarted below the capture marks (%s): events acknowledged now would be lost", round, r)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var sent atomic.Int64
		for w := 0; w < 4; w++ {
			conn := connect(t, p.addr)
			seed := rnd.Uint64()
			wg.Add(1)
			go func() {
				defer wg.Done()
				ingestWorker(ctx, t, w, conn, rand.New(rand.NewPCG(seed, uint64(w))), &nextID, led, p, &sent)
			}()
		}
		// Kill at a seeded moment once ingest is under way.
		delay := time.Duration(300+rnd.IntN(1200)) * time.Millisecond
		waitFor(t, "ingest to start", 30*time.Second, func() (bool, string) { return sent.Load() > 0, "no statement sent yet" })
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-p.done:
			t.Fatalf("round %d: lambdasql exited by itself: %v\n%s", round, p.err, p.log())
		}
		p.kill()
		cancel()
		wg.Wait()
		if t.Failed() {
			return
		}
		t.Logf("round %d: killed after %s; %d ids acknowledged, %d statements in flight so far", round, delay, len(led.acked), len(led.inFlight))
	}

	// Restart in process, flush capture with REFRESH, then check.
	srv := openServer(t, dir)
	conn := connect(t, srv.addr())
	if r := logBelowMarks(t, conn); r != "" {
		t.Errorf("final restart: the log restarted below the capture marks (%s)", r)
	}
	mustExec(t, conn, "REFRESH VIEW iv")
	source := queryIDs(t, conn, "SELECT id FROM ing")
	master := queryIDs(t, conn, fmt.Sprintf("SELECT id FROM read_parquet('%s/master/ing/**/*.parquet')", dir))
	var viewN, viewD int64
	ctx, cancel := qctx()
	err := conn.QueryRow(ctx, "SELECT coalesce(sum(n), 0), coalesce(sum(d), 0) FROM iv").Scan(&viewN, &viewD)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	// Never a duplicate.
	for name, ids := range map[string][]int64{"SELECT FROM ing": source, "the master dataset": master} {
		if d := duplicates(ids); len(d) > 0 {
			t.Errorf("%s holds %d rows with duplicated ids, e.g. %v", name, len(d), head(d))
		}
	}
	if viewN != viewD {
		t.Errorf("view iv counts %d rows but %d distinct ids", viewN, viewD)
	}
	if t.Failed() {
		return
	}
	// Every acknowledged row, whole in-flight statements, nothing else.
	want, err := expectedIDs(led, source)
	if err != nil {
		t.Fatal(err)
	}
	for name, ids := range map[string][]int64{"SELECT FROM ing": source, "the master dataset": master} {
		if d := diffIDs(ids, want); d != "" {
			t.Errorf("%s: %s", name, d)
		}
	}
	if viewN != int64(len(want)) {
		t.Errorf("view iv counts %d rows, want %d", viewN, len(want))
	}
	t.Logf("%d ids acknowledged, %d in-flight statements, %d rows kept", len(led.acked), len(led.inFlight), len(want))
}

// ingestWorker sends INSERT (workers 0, 1), COPY FROM STDIN (worker 2) or
// REFRESH (worker 3) until ctx ends or the server dies.
func ingestWorker(ctx context.Context, t *testing.T, w int, conn *pgx.Conn, rnd *rand.Rand, nextID *atomic.Int64, led *ingestLedger, p *proc, sent *atomic.Int64) {
	for ctx.Err() == nil {
		if w == 3 {
			time.Sleep(time.Duration(50+rnd.IntN(200)) * time.Millisecond)
			if _, err := conn.Exec(ctx, "REFRESH VIEW iv"); err != nil && !dead(ctx, p) {
				t.Errorf("REFRESH while the server runs: %v", err)
				return
			} else if err != nil {
				return
			}
			continue
		}
		n := 1 + rnd.IntN(60)
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = nextID.Add(1)
		}
		var err error
		sent.Add(1)
		if w == 2 {
			var sb strings.Builder
			for _, id := range ids {
				fmt.Fprintf(&sb, "%d,%s+00,%d\n", id, fmtTS(t0+id*second), w)
			}
			_, err = conn.PgConn().CopyFrom(ctx, strings.NewReader(sb.String()), "COPY ing (id, ts, w) FROM STDIN WITH (FORMAT csv)")
		} else {
			var sb strings.Builder
			sb.WriteString("INSERT INTO ing (id, ts, w) VALUES ")
			for i, id := range ids {
				if i > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "(%d, '%s+00', %d)", id, fmtTS(t0+id*second), w)
			}
			_, err = conn.Exec(ctx, sb.String())
		}
		switch {
		case err == nil:
			led.ack(ids)
		case dead(ctx, p):
			led.unknown(ids) // no answer before the kill: atomic either way
			return
		default:
			t.Errorf("worker %d: a statement failed while the server runs: %v", w, err)
			return
		}
	}
}

// dead reports whether the server was killed (or the round ended): a
// failure then is the crash, not an error.
func dead(ctx context.Context, p *proc) bool {
	if ctx.Err() != nil {
		return true
	}
	select {
	case <-p.done:
		return true
	case <-time.After(2 * time.Second):
		// A statement failed while the process still runs: give the kill a
		// moment to be observed before calling it an error.
		select {
		case <-p.done:
			return true
		default:
			return ctx.Err() != nil
		}
	}
}

// checkBinaryCopy notes whether pgx's CopyFrom (binary COPY) works; the
// test sends COPY … WITH (FORMAT csv) through PgConn.CopyFrom either way.
func checkBinaryCopy(t *testing.T, conn *pgx.Conn) {
	ctx, cancel := qctx()
	defer cancel()
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"ing"}, []string{"id", "ts", "w"}, pgx.CopyFromRows(nil))
	if err != nil {
		t.Logf("pgx CopyFrom (binary COPY) is refused (%v, SQLSTATE %s): COPY batches use FORMAT csv", err, sqlState(err))
	}
}

// logBelowMarks reports a partition whose log offset is below its
// capture mark: offsets would be reused and new events never captured.
func logBelowMarks(t *testing.T, conn *pgx.Conn) string {
	t.Helper()
	ctx, cancel := qctx()
	defer cancel()
	var offsets, captured []int64
	if err := conn.QueryRow(ctx, `SELECT offsets, captured_offsets FROM lambda_sources WHERE name = 'ing'`).Scan(&offsets, &captured); err != nil {
		t.Fatal(err)
	}
	for p := range offsets {
		if p < len(captured) && offsets[p] < captured[p] {
			return fmt.Sprintf("partition %d: log offset %d, capture mark %d", p, offsets[p], captured[p])
		}
	}
	return ""
}

func duplicates(ids []int64) []int64 {
	seen := map[int64]int{}
	var out []int64
	for _, id := range ids {
		seen[id]++
		if seen[id] == 2 {
			out = append(out, id)
		}
	}
	return out
}

// expectedIDs is the acknowledged ids plus the in-flight statements the
// source holds, each statement whole or not at all.
func expectedIDs(led *ingestLedger, source []int64) (map[int64]bool, error) {
	have := map[int64]bool{}
	for _, id := range source {
		have[id] = true
	}
	want := map[int64]bool{}
	for id := range led.acked {
		want[id] = true
	}
	for _, st := range led.inFlight {
		n := 0
		for _, id := range st {
			if have[id] {
				n++
			}
		}
		if n != 0 && n != len(st) {
			return nil, fmt.Errorf("a statement of %d rows in flight at a kill is partly present (%d rows): statements must be atomic", len(st), n)
		}
		if n == len(st) {
			for _, id := range st {
				want[id] = true
			}
		}
	}
	return want, nil
}

func diffIDs(ids []int64, want map[int64]bool) string {
	seen := map[int64]bool{}
	var extra, missing []int64
	for _, id := range ids {
		seen[id] = true
		if !want[id] {
			extra = append(extra, id)
		}
	}
	for id := range want {
		if !seen[id] {
			missing = append(missing, id)
		}
	}
	if len(extra)+len(missing) == 0 {
		return ""
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
	return fmt.Sprintf("%d rows, want %d: %d acknowledged ids missing (e.g. %v), %d ids never sent or from a rolled-back statement (e.g. %v)",
		len(ids), len(want), len(missing), head(missing), len(extra), head(extra))
}
