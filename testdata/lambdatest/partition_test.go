package lambdatest

import (
	"fmt"
	"testing"
)

// TestExactPartition (property 1): each (key, window) appears once in the
// served result, from one layer only — batch iff window_end ≤ B — and the
// result equals the model at every checkpoint of one long scenario:
// before any batch run, after each REFRESH while B advances, after a
// clean restart, after a crash restart (SIGKILL of lambdasql serve) and
// after REFRESH … FULL. 'batch' reads exactly the windows ≤ B, 'speed'
// exactly those > B.
func TestExactPartition(t *testing.T) {
	t.Run("tumbling", func(t *testing.T) {
		longScenario(t, tumbling(minute, 2*minute), 11)
	})
	t.Run("hopping", func(t *testing.T) {
		longScenario(t, windowSpec{Size: 2 * minute, Hop: minute, Lateness: 2 * minute}, 12)
	})
	t.Run("three partitions", func(t *testing.T) {
		partitionedScenario(t, tumbling(minute, 2*minute), 3, 13)
	})
	t.Run("three partitions hopping", func(t *testing.T) {
		partitionedScenario(t, windowSpec{Size: 2 * minute, Hop: minute, Lateness: 2 * minute}, 3, 14)
	})
}

// longScenario runs one view over a one-partition source (exact lateness)
// through every checkpoint.
func longScenario(t *testing.T, spec windowSpec, seed uint64) {
	dir := t.TempDir()
	srv := openServer(t, dir)
	conn := connect(t, srv.addr())
	m := newModel(spec, 1)
	g := newGenerator(seed, m, true)
	s := newScenario(t, conn, "ev", "v", m, g)
	if !t.Run("checkpoints", func(t *testing.T) {
		s.t = t
		singlePartitionCheckpoints(s)
	}) {
		return
	}
	t.Run("restarts", func(t *testing.T) {
		s.t = t
		restartCheckpoints(t, s, dir, srv)
	})
}

// singlePartitionCheckpoints: before any batch run beyond creation, after
// each REFRESH while B advances, after REFRESH … FULL.
func singlePartitionCheckpoints(s *scenario) {
	s.create(1, "")
	s.check("created, no event")

	s.insert(8, 40*second)
	s.check("before any batch run beyond creation")
	s.checkOracle("before any batch run")

	for round := 1; round <= 3; round++ {
		s.refresh(false)
		s.check(fmt.Sprintf("after REFRESH %d", round))
		s.insert(6, 50*second)
		s.check(fmt.Sprintf("inserts after REFRESH %d", round))
	}
	s.refresh(false)
	s.check("B advanced")
	s.insert(4, 30*second)
	s.refresh(true)
	s.check("after REFRESH FULL")
	s.checkOracle("after REFRESH FULL")
	s.insert(4, 30*second)
	s.check("inserts after REFRESH FULL")
}

// restartCheckpoints: after a clean restart, after a crash restart, then
// after REFRESH … FULL; srv is the running in-process server on dir.
func restartCheckpoints(t *testing.T, s *scenario, dir string, srv *testServer) {
	m := s.m
	// A clean restart: Close, then Open on the same directory.
	srv.close()
	srv = openServer(t, dir)
	s.conn = connect(t, srv.addr())
	m.rr = 0
	s.check("after a clean restart")
	s.insert(5, 40*second)
	s.check("inserts after the clean restart")
	s.refresh(false)
	s.check("REFRESH after the clean restart")
	s.checkOracle("after the clean restart")

	// A crash: the same directory under lambdasql serve, SIGKILL while it
	// holds unrefreshed events, then Open again. No REFRESH under serve:
	// the capture commit would truncate the log past the checkpoint the
	// speed layer restores (TestSpeedRebuildsFromB covers that case).
	srv.close()
	p := startProc(t, dir)
	s.conn = connect(t, p.addr)
	m.rr = 0
	s.check("under lambdasql serve")
	s.insert(8, 40*second)
	s.waitMerged("before SIGKILL")
	p.kill()
	srv = openServer(t, dir)
	s.conn = connect(t, srv.addr())
	m.rr = 0
	s.check("after a crash restart")
	s.insert(4, 40*second)
	s.check("inserts after the crash restart")

	s.refresh(true)
	s.check("REFRESH FULL after the restarts")
	s.checkOracle("REFRESH FULL after the restarts")
	s.refresh(false)
	s.check("REFRESH with nothing new")
}

// partitionedScenario checks the structural properties over several
// partitions: every event is on time whatever the interleaving of the
// partitions, so the model is exact.
func partitionedScenario(t *testing.T, spec windowSpec, parts int, seed uint64) {
	dir := t.TempDir()
	srv := openServer(t, dir)
	conn := connect(t, srv.addr())
	m := newModel(spec, parts)
	g := newGenerator(seed, m, false)
	s := newScenario(t, conn, "ev", "v", m, g)
	if !t.Run("checkpoints", func(t *testing.T) {
		s.t = t
		partitionedCheckpoints(s, parts)
	}) {
		return
	}
	t.Run("restarts", func(t *testing.T) {
		s.t = t
		s.insert(3, 40*second)
		srv.close()
		srv = openServer(t, dir)
		s.conn = connect(t, srv.addr())
		m.rr = 0
		s.check("after a clean restart")
		s.insert(5, 40*second)
		s.refresh(false)
		s.check("REFRESH after the clean restart")
		s.checkOracle("end")
	})
}

func partitionedCheckpoints(s *scenario, parts int) {
	m := s.m
	s.create(parts, "")
	s.insert(parts-1, 0) // a partition without events: no watermark, no B
	s.refresh(false)
	s.check("a partition without events")
	s.insert(7, 40*second)
	s.check("before any batch run")
	for round := 1; round <= 3; round++ {
		s.refresh(false)
		s.check(fmt.Sprintf("after REFRESH %d", round))
		s.insert(7, 45*second)
		s.check(fmt.Sprintf("inserts after REFRESH %d", round))
	}
	s.refresh(true)
	s.check("after REFRESH FULL")
	s.checkOracle("after REFRESH FULL")
	if m.lateEvents != 0 {
		s.t.Fatalf("the generator made %d late events; the partitioned model needs none", m.lateEvents)
	}
}
