package lambdatest

import (
	"os"
	"testing"
)

// Engine bugs this package found. A test that reaches one skips there
// with the description, so the lead can fix it and delete the knownBug
// call; LAMBDATEST_BUGS=1 runs past every knownBug call to show the
// failures.
const (
	// bugTruncatePastCheckpoint: server/engine.go, engine.captured
	// truncates the embedded log below the speed layer's in-memory
	// positions (Speed.Positions), not the positions of its last durable
	// checkpoint. After a SIGKILL the speed layer restores the older
	// checkpoint, finds its offsets deleted and the view fails for good
	// with 55000 "lost data" (stream/speed.go: gone is never reset, not
	// even by REFRESH … FULL), although the master dataset holds every
	// one of those events: truncation should keep what the checkpoint
	// needs, or a restart should rebuild the speed layer from B (master
	// dataset above B, then the log from the capture marks).
	bugTruncatePastCheckpoint = "BUG: server/engine.go engine.captured truncates the log past the speed checkpoint; after SIGKILL the view fails with 55000 lost data"
)

// bugNondeterministicBatch: exec/scan.go, Scan hands batches to its
// workers' consumers in arrival order and the parallel hash aggregate
// merges per-worker partial states formed by timing, so the float
// aggregates (sum, avg, stddev) of a batch run depend on scheduling: two
// REFRESH … FULL over the same master dataset, or an incremental run and a
// full one, can differ in the last bits. Property 9 promises identical
// results whatever the file order or parallelism: fold each scan task
// into its own partial state and merge them in task order (or sum
// exactly).
const bugNondeterministicBatch = "BUG: batch runs are not bit-for-bit deterministic: exec.Scan parallel workers fold float aggregates in arrival order"

// bugSessionClosedAtB: batch/job.go publishes B = the watermark for
// session views (AlignDown with grid 0), and the speed layer treats a
// session ending at or below B as closed. But an event is on time while
// its own session [ts, ts+gap) ends after the watermark, so an on-time
// event can still extend a session that ended in (B − gap, B]: the batch
// layer keeps serving the cut session and the speed layer serves a
// second, overlapping one, where the definition has one session. A
// session is final only once last event + gap ≤ watermark − gap: publish
// B = watermark − gap for session views (property 13).
const bugSessionClosedAtB = "BUG: session views publish B = watermark, but an on-time event can still extend a session ending in (B − gap, B]: served as two overlapping sessions"

// bugRebuildIncludesLate: server/engine.go, startView → seedSpeed folds
// every master row of the windows above B into a rebuilt speed layer with
// Speed.Seed, which skips the lateness check. Events the uninterrupted
// speed layer dropped as late (and capture committed meanwhile, e.g. on
// capture_interval) reappear in speed windows above B after a restart
// without a usable checkpoint, so the view differs from an uninterrupted
// run until a batch run covers those windows (property 7). The rebuild
// must replay lateness: e.g. fold the master rows in capture order with
// the watermark each mark recorded, or drop rows whose window ended at or
// below the watermark of the capture that brought them.
const bugRebuildIncludesLate = "BUG: a speed layer rebuilt from B (server/engine.go seedSpeed) includes events the uninterrupted run dropped as late"

// bugHopLateCount: stream/speed.go, Speed.process counts the late events
// of a log entry as ceil(dropped window copies ÷ windows per event) for
// hopping windows. Events dropped from some of their windows only are then
// undercounted when an entry holds several: two events each dropped from
// one of their two windows count as one late event. Count the events with
// at least one dropped copy.
const bugHopLateCount = "BUG: stream/speed.go counts hopping late events as dropped copies ÷ windows per event: partly late events are undercounted"

// bugCursorContext: server/cursor.go runs a cursor's operators under the
// context of the FETCH that first pulls from them, and exec.Scan (exec/
// scan.go, Next) starts its workers with that context. The context ends
// with that FETCH, so the next FETCH on a cursor over a multi-file scan
// fails with 57014 "canceling statement due to user request". A cursor
// needs its own context, cancelled by CLOSE or the end of the
// transaction.
const bugCursorContext = "BUG: a second FETCH from a cursor fails with 57014: exec.Scan workers run under the first FETCH's context (server/cursor.go)"

var runBugs = os.Getenv("LAMBDATEST_BUGS") != ""

// knownBug skips the rest of the test because of an engine bug, unless
// LAMBDATEST_BUGS is set.
func knownBug(t *testing.T, bug string) {
	t.Helper()
	if !runBugs {
		t.Skip(bug)
	}
	t.Logf("running past known bug: %s", bug)
}
