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
	// bugLogOffsetsReset: stream/embedded.go, LogStore.Log derives a
	// partition's next offset from its last stored entry. Capture
	// (server/engine.go, engine.captured → EmbeddedLog.Truncate) deletes
	// every entry once it is captured and folded by the speed layers, so
	// after any restart that follows a full capture (a clean shutdown
	// flushes capture) the partition starts again at offset 0, below the
	// capture marks and the speed positions. Events acknowledged after the
	// restart are then invisible to capture, to the speed layer and to
	// SELECT … FROM source, and those below the old mark are never
	// captured: silent loss of acknowledged events. The next offset must
	// survive truncation (persist it, or start at least at the manifest
	// marks and checkpoint positions).
	bugLogOffsetsReset = "BUG: stream/embedded.go LogStore.Log restarts a fully truncated partition at offset 0 (below the capture marks): events acknowledged after a restart are lost"

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
