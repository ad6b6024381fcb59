package lambdatest

import (
	"fmt"
	"testing"
	"time"
)

// TestGridAlignedB (property 2): B lies on the view's window grid (the hop
// for hopping windows) although the watermark does not, and every window
// is served whole by one layer (each row equals the model's value of the
// whole window, from the layer B assigns it to).
func TestGridAlignedB(t *testing.T) {
	for i, spec := range []windowSpec{
		{Size: minute, Hop: minute, Lateness: 90 * second},
		{Size: 3 * minute, Hop: minute, Lateness: 100 * second},
		{Size: 5 * minute, Hop: 5 * minute, Lateness: 70 * second},
	} {
		name := fmt.Sprintf("window %s hop %s lateness %s", time.Duration(spec.Size)*time.Microsecond,
			time.Duration(spec.Hop)*time.Microsecond, time.Duration(spec.Lateness)*time.Microsecond)
		t.Run(name, func(t *testing.T) {
			srv := openServer(t, t.TempDir())
			m := newModel(spec, 1)
			s := newScenario(t, connect(t, srv.addr()), "ev", "v", m, newGenerator(uint64(30+i), m, true))
			s.create(1, "")
			for round := 1; round <= 4; round++ {
				s.insert(5, 70*second)
				s.refresh(false) // checks B against the model and the grid
				s.check(fmt.Sprintf("round %d", round))
			}
		})
	}
}

// TestMonotonicB (property 4): B never moves backwards as clients see it:
// not when a batch run covers only older events, not on REFRESH … FULL,
// and not when an idle partition wakes up with old events (its
// watermark, computed alone, would be lower).
func TestMonotonicB(t *testing.T) {
	t.Run("older events and full runs", func(t *testing.T) {
		srv := openServer(t, t.TempDir())
		m := newModel(tumbling(minute, 2*minute), 1)
		s := newScenario(t, connect(t, srv.addr()), "ev", "v", m, newGenerator(40, m, true))
		s.create(1, "")
		s.insert(6, 60*second)
		s.refresh(false)
		s.check("first B")
		for i := 0; i < 3; i++ {
			// Only events far behind the watermark: B stays.
			old := []event{s.g.newEvent(m.wm - 10*minute - int64(i)*second), s.g.newEvent(t0 + int64(i)*second)}
			s.insertEvents(old)
			s.refresh(false)
			s.refresh(true)
			s.check(fmt.Sprintf("old events %d", i))
		}
		s.insert(3, 60*second)
		s.refresh(false)
		s.check("B advances again")
	})
	t.Run("idle partition wakes up", func(t *testing.T) {
		// Two partitions, statements alternate between them; a partition
		// without events for 1s stops holding the watermark back.
		srv := openServer(t, t.TempDir())
		conn := connect(t, srv.addr())
		mustExec(t, conn, sourceDDL("ev", time.Minute, 2, "idle_timeout = '1s'"))
		mustExec(t, conn, viewDDL("v", "ev", tumbling(minute, minute)))
		m := newModel(tumbling(minute, minute), 2)
		s := newScenario(t, conn, "ev", "v", m, newGenerator(41, m, false))
		ins := func(ts int64) { s.insertEvents([]event{s.g.newEvent(ts)}) } // statement i → partition i mod 2
		ins(t0 + 10*minute)                                                 // p0
		ins(t0 + 2*minute)                                                  // p1
		mustExec(t, conn, "REFRESH VIEW v")
		b1 := readStatus(t, conn, "v").B
		if b1 == nil || b1.UnixMicro() != t0+minute {
			t.Fatalf("B with both partitions active = %v, want %s", b1, fmtTS(t0+minute))
		}
		s.checkObservedB(b1)
		// The idle timeout is wall-clock time by definition: wait until
		// partition 1 has had no event for longer than it, then append to
		// partition 0 so that the capture commit sees partition 1 idle.
		idleSince := time.Now()
		for time.Since(idleSince) < 1200*time.Millisecond {
			time.Sleep(50 * time.Millisecond)
		}
		ins(t0 + 11*minute) // p0
		waitFor(t, "the speed layer to see partition 1 idle", 15*time.Second, func() (bool, string) {
			st := readStatus(t, conn, "v")
			return st.StreamWM != nil && st.StreamWM.UnixMicro() == t0+10*minute, fmt.Sprintf("stream_watermark %v", st.StreamWM)
		})
		mustExec(t, conn, "REFRESH VIEW v")
		b2 := readStatus(t, conn, "v").B
		s.checkObservedB(b2)
		if b2.UnixMicro() != t0+10*minute {
			t.Fatalf("B with partition 1 idle = %s, want %s", fmtTS(b2.UnixMicro()), fmtTS(t0+10*minute))
		}
		// Partition 1 wakes up with an old event: min over partitions −
		// lateness is t0+2m now, below both watermarks.
		late0 := readStatus(t, conn, "v").Late
		ins(t0 + 3*minute) // p1
		waitFor(t, "the speed layer to drop the old event as late", 15*time.Second, func() (bool, string) {
			st := readStatus(t, conn, "v")
			return st.Late == late0+1, fmt.Sprintf("late_events %d, was %d", st.Late, late0)
		})
		mustExec(t, conn, "REFRESH VIEW v")
		s.checkObservedB(readStatus(t, conn, "v").B)
		mustExec(t, conn, "REFRESH VIEW v FULL")
		st := readStatus(t, conn, "v")
		s.checkObservedB(st.B)
		if st.B.UnixMicro() != b2.UnixMicro() {
			t.Fatalf("B = %s after the idle partition woke up, want it to stay %s", fmtTS(st.B.UnixMicro()), fmtTS(b2.UnixMicro()))
		}
		if st.StreamWM == nil || st.StreamWM.UnixMicro() < t0+10*minute {
			t.Fatalf("stream_watermark moved backwards to %v", st.StreamWM)
		}
		// Every window is served once; below B the batch layer has every
		// event, the late one included.
		got, err := queryView(conn, "v")
		if err != nil {
			t.Fatal(err)
		}
		want := rowSet{}
		for k, r := range m.allEvents() {
			r.Layer = "speed"
			if r.WE <= b2.UnixMicro() {
				r.Layer = "batch"
			}
			want[k] = r
		}
		if d := diffRows(got, want, true); d != "" {
			t.Fatalf("after the idle partition woke up: %s", d)
		}
	})
}

// TestBatchSupersedesSpeed (property 5): at or below B the batch layer
// answers, duplicates and late events included, and the speed layer drops
// the windows B covers.
func TestBatchSupersedesSpeed(t *testing.T) {
	t.Run("hand-written", func(t *testing.T) {
		srv := openServer(t, t.TempDir())
		conn := connect(t, srv.addr())
		m := newModel(tumbling(minute, 2*minute), 1)
		s := newScenario(t, conn, "ev", "v", m, newGenerator(50, m, true))
		s.create(1, "")
		w := t0 + 10*minute // the window [w, w+1m)
		a, b := "a", "b"
		f := func(x float64) *float64 { return &x }
		u1, u2 := "u1", "u2"
		dup := event{K: &a, TS: w + 30*second, V: f(2.5), U: &u1}
		// Statement 1 (watermark w−1m after it): window edges, duplicates,
		// NULLs.
		stmt1 := []event{
			{K: &a, TS: w, V: f(1), U: &u1}, // at window_start
			dup,                             // and its duplicate:
			dup,                             // both count
			{K: &a, TS: w + minute - 1, V: nil, U: &u2}, // the last µs
			{K: &b, TS: w + 5*second, V: f(-4), U: nil}, // another key
			{K: nil, TS: w + 6*second, V: f(7), U: &u2}, // NULL key
			{K: &a, TS: w + minute, V: f(100), U: &u1},  // next window's start
			{K: &a, TS: w - 1, V: f(50), U: &u1},        // previous window's last µs
		}
		// Statement 2 pushes the watermark to w+2m.
		stmt2 := []event{
			{K: &b, TS: w + 4*minute, V: f(0.5), U: &u1},
			{K: &b, TS: w + 2*minute + 1, V: f(3), U: &u2},
			{K: &b, TS: w + 3*minute - 1, V: f(3.25), U: &u2},
		}
		// Statement 3: two late events and one exactly at the watermark.
		late := []event{
			{K: &a, TS: w + 15*second, V: f(1000), U: &u2},       // window [w, w+1m) closed
			{K: &b, TS: w + minute + 59*second, V: f(9), U: &u1}, // its window ends exactly at the watermark
			{K: &b, TS: w + 2*minute, V: f(11), U: &u1},          // at the watermark: on time
		}
		id := int64(1)
		for _, evs := range [][]event{stmt1, stmt2, late} {
			for i := range evs {
				evs[i].ID = id
				id++
			}
		}
		s.g.nextID = id
		s.insertEvents(stmt1)
		s.insertEvents(stmt2)
		st := s.insertEvents(late)
		if st.LateCount != 2 {
			t.Fatalf("model: %d late events, want 2", st.LateCount)
		}
		s.check("late events dropped by the speed layer")
		speedBefore := readStatus(t, conn, "v").SpeedWins
		r := s.refresh(false)
		if r.B != w+2*minute {
			t.Fatalf("model B = %s, want %s", fmtTS(r.B), fmtTS(w+2*minute))
		}
		s.check("after REFRESH: batch answers at or below B")
		st2 := readStatus(t, conn, "v")
		want := int64(len(m.expected(readSpeed)))
		if st2.SpeedWins != want {
			t.Fatalf("speed_windows = %d after REFRESH (was %d), want %d: the speed layer keeps windows B covers", st2.SpeedWins, speedBefore, want)
		}
	})
	t.Run("generated", func(t *testing.T) {
		srv := openServer(t, t.TempDir())
		m := newModel(windowSpec{Size: 2 * minute, Hop: minute, Lateness: 2 * minute}, 1)
		s := newScenario(t, connect(t, srv.addr()), "ev", "v", m, newGenerator(51, m, true))
		s.create(1, "")
		for round := 1; round <= 4; round++ {
			s.insert(6, 45*second)
			s.check(fmt.Sprintf("round %d before REFRESH", round))
			s.refresh(false)
			s.check(fmt.Sprintf("round %d after REFRESH", round))
		}
	})
}

// TestNoGapOnExpiry (property 6): speed state is dropped only after a
// published B covers it, never on wall-clock age: windows years older than
// the wall clock and closed long ago by the watermark stay in the speed
// layer until a REFRESH covers them, and queries racing with REFRESH never
// miss a window.
func TestNoGapOnExpiry(t *testing.T) {
	t.Run("closed windows stay until B covers them", func(t *testing.T) {
		srv := openServer(t, t.TempDir())
		conn := connect(t, srv.addr())
		m := newModel(tumbling(minute, 2*minute), 1)
		s := newScenario(t, conn, "ev", "v", m, newGenerator(60, m, true))
		s.create(1, "")
		s.insert(3, 30*second)
		s.refresh(false)
		s.insert(6, 40*second)
		s.check("windows above B")
		// Close every window: the watermark jumps three hours ahead.
		far := s.g.newEvent(m.events[len(m.events)-1].TS + 3*hour)
		s.insertEvents([]event{far})
		s.check("closed windows above B are still served by the speed layer")
		// The speed layer's idle loop runs meanwhile (the view is polled
		// until it matches, then read again): nothing expires on its own.
		s.check("still served")
		s.refresh(false)
		s.check("covered by B: served by the batch layer, no gap")
	})
	t.Run("concurrent REFRESH hopping", func(t *testing.T) {
		concurrentSplits(t, windowSpec{Size: 2 * minute, Hop: minute, Lateness: 2 * minute}, 61, 15)
	})
}

// TestLateEventsReachBatchOnly (property 8): a late event is counted in
// lambda_views.late_events and absent from the speed layer's window; it
// reaches that window with the next batch run, also when the window is
// already below B (the incremental run recomputes the partition it
// touches, even an older hour).
func TestLateEventsReachBatchOnly(t *testing.T) {
	t.Run("tumbling", lateEventsTumbling)
	t.Run("hopping, partly late events", func(t *testing.T) {
		// An event whose earlier hopping window closed but whose later one
		// is open is dropped from the closed window only, and counted once.
		srv := openServer(t, t.TempDir())
		conn := connect(t, srv.addr())
		m := newModel(windowSpec{Size: 2 * minute, Hop: minute, Lateness: 2 * minute}, 1)
		s := newScenario(t, conn, "ev", "v", m, newGenerator(71, m, true))
		s.create(1, "")
		s.insertEvents([]event{s.g.newEvent(t0 + 10*minute)}) // watermark t0+8m
		st := s.insertEvents([]event{s.g.newEvent(t0 + 7*minute + 30*second), s.g.newEvent(t0 + 7*minute + 10*second)})
		if st.LateCount != 2 || m.lateClass(t0+7*minute+30*second, true, t0+8*minute) != 1 {
			t.Fatalf("test setup: %d partly late events", st.LateCount)
		}
		s.lateTracked = false
		s.check("partly late events")
		s.refresh(false)
		s.check("after REFRESH")
		knownBug(t, bugHopLateCount)
		if got := readStatus(t, conn, "v").Late; got != m.lateEvents {
			t.Fatalf("lambda_views.late_events = %d, want %d (two events each dropped from one of its two windows)", got, m.lateEvents)
		}
	})
}

func lateEventsTumbling(t *testing.T) {
	srv := openServer(t, t.TempDir())
	conn := connect(t, srv.addr())
	m := newModel(tumbling(minute, 2*minute), 1)
	s := newScenario(t, conn, "ev", "v", m, newGenerator(70, m, true))
	s.create(1, "")
	s.insert(8, 40*second)
	s.refresh(false)
	s.insert(4, 40*second)
	// The watermark moves at least three windows past B.
	s.insertEvents([]event{s.g.newEvent(s.g.maxTS + 3*minute)})
	s.check("setup")
	B, _ := m.B()
	k := "late"
	v := 12.5
	mk := func(ts int64) event {
		e := s.g.newEvent(ts)
		e.K, e.V = &k, &v
		return e
	}
	// Below B (the window is served by the batch layer), between B and the
	// watermark (served by the speed layer, closed), and an hour before
	// everything (another time bucket and master partition).
	belowB := mk(B - 3*minute + 7*second)
	closed := mk(alignDown(m.wm, minute) - 30*second)
	oldHour := mk(t0 - 70*minute)
	if closed.TS+minute <= B {
		t.Fatalf("test setup: the closed window %s is not above B %s", fmtTS(closed.TS), fmtTS(B))
	}
	st := s.insertEvents([]event{belowB, closed, oldHour})
	if st.LateCount != 3 {
		t.Fatalf("model: %d late events, want 3", st.LateCount)
	}
	s.check("late events counted, absent from the speed layer and from the batch layer until the next run")
	for _, e := range []event{belowB, closed, oldHour} {
		if _, ok := m.expected(readMerged)[keyOf(alignDown(e.TS, minute), &k)]; ok {
			t.Fatalf("model: the late event at %s is served before a batch run", fmtTS(e.TS))
		}
	}
	s.refresh(false)
	s.check("after the next REFRESH the batch layer has them")
	for _, e := range []event{belowB, closed, oldHour} {
		if _, ok := m.expected(readBatch)[keyOf(alignDown(e.TS, minute), &k)]; !ok {
			t.Fatalf("model: the late event at %s is not served by the batch layer", fmtTS(e.TS))
		}
	}
	s.checkOracle("end")
}
