package lambdatest

import "testing"

// TestModel checks the oracle itself on cases worked out by hand, so that
// a wrong model cannot make the property tests pass or fail.
func TestModel(t *testing.T) {
	tum := tumbling(minute, 2*minute)
	hop := windowSpec{Size: 2 * minute, Hop: minute, Lateness: 2 * minute}
	for _, c := range []struct {
		spec windowSpec
		ts   int64
		want []int64
	}{
		{tum, t0, []int64{t0}},
		{tum, t0 + minute - 1, []int64{t0}},
		{tum, t0 + minute, []int64{t0 + minute}},
		{hop, t0, []int64{t0, t0 - minute}},
		{hop, t0 + minute - 1, []int64{t0, t0 - minute}},
		{tumbling(minute, 0), -1, []int64{-minute}},
	} {
		got := c.spec.windowsOf(c.ts)
		if len(got) != len(c.want) {
			t.Fatalf("windowsOf(%d) = %v, want %v", c.ts, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("windowsOf(%d) = %v, want %v", c.ts, got, c.want)
			}
		}
	}

	m := newModel(tum, 1)
	g := newGenerator(1, m, true)
	ev := func(ts int64) event { return g.newEvent(ts) }
	m.insert([]event{ev(t0 + 10*minute), ev(t0 + 9*minute)}) // no watermark before: nothing late
	if m.lateEvents != 0 || m.wm != t0+8*minute {
		t.Fatalf("late %d, watermark %s", m.lateEvents, fmtTS(m.wm))
	}
	// The window ending exactly at the watermark is closed; the one ending
	// 1µs after it is open.
	st := m.insert([]event{ev(t0 + 8*minute - 1), ev(t0 + 8*minute), ev(t0 + 30*minute)})
	if st.LateCount != 1 || m.wm != t0+28*minute {
		t.Fatalf("late %d, watermark %s", st.LateCount, fmtTS(m.wm))
	}
	r := m.refresh(false)
	if !r.HasB || r.B != t0+28*minute {
		t.Fatalf("B %s", fmtTS(r.B))
	}
	m.insert([]event{ev(t0)}) // late, below B
	if m.refresh(true).B != r.B {
		t.Fatal("B moved with an old event")
	}
	merged := m.expected(readMerged)
	if len(merged) == 0 {
		t.Fatal("no rows")
	}
	for k, row := range merged {
		if (row.WE <= r.B) != (row.Layer == "batch") {
			t.Fatalf("%s served by %s with B %s", k, row.Layer, fmtTS(r.B))
		}
	}
	// validSplit accepts the model's own answer and rejects a missing
	// window and a duplicated one.
	var rows []aggRow
	for _, row := range merged {
		rows = append(rows, *row)
	}
	b := r.B
	if d := m.validSplit(rows, &b, &b, 0, len(m.stmts)); d != "" {
		t.Fatalf("validSplit rejects the model's answer: %s", d)
	}
	n := len(m.stmts) // a speed layer that folded every statement
	// Drop a speed row: a batch window holding only the late event is
	// legitimately missing under the first refresh (same B, before the
	// event), so dropping it would not be an error.
	var missing []aggRow
	for i, row := range rows {
		if row.Layer == "speed" {
			missing = append(append(missing, rows[:i]...), rows[i+1:]...)
			break
		}
	}
	if missing == nil {
		t.Fatal("no speed rows")
	}
	if d := m.validSplit(missing, &b, &b, n, n); d == "" {
		t.Fatal("validSplit accepts a missing window")
	}
	if d := m.validSplit(append(rows, rows[0]), &b, &b, n, n); d == "" {
		t.Fatal("validSplit accepts a duplicated window")
	}

	// Sessions: half-open, an event at last + gap starts a new one.
	a := "a"
	evs := []event{{K: &a, TS: 0}, {K: &a, TS: 20}, {K: &a, TS: 49}, {K: &a, TS: 79}}
	ss := sessionsOf(evs, func(int) bool { return true }, 30, "speed")
	if len(ss) != 2 || ss[keyOf(0, &a)].WE != 79 || ss[keyOf(0, &a)].N != 3 || ss[keyOf(79, &a)].N != 1 {
		t.Fatalf("sessions %v", flatten(ss))
	}
}
