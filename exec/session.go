package exec

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// SessionAssign computes session windows: per key, events closer than Gap
// to the previous one (t < last + Gap) belong to one session
// [first event, last event + Gap). Its input carries each row's event time
// in the StartCol column (window assignment for session views writes the
// event time there as a placeholder); it rewrites StartCol and EndCol with
// the session bounds. It is blocking: it reads all its input.
type SessionAssign struct {
	Child    Operator
	KeyCols  []int // the grouping keys besides the window
	StartCol int
	EndCol   int
	Gap      int64 // µs

	out     arrow.Record
	emitted int64
	done    bool
	held    int64
	mem     *MemTracker
}

// Schema implements Operator.
func (s *SessionAssign) Schema() Schema { return s.Child.Schema() }

// Children implements Operator.
func (s *SessionAssign) Children() []Operator { return []Operator{s.Child} }

func (s *SessionAssign) String() string {
	return fmt.Sprintf("SessionAssign: gap %s", time.Duration(s.Gap)*time.Microsecond)
}

// Close implements Operator.
func (s *SessionAssign) Close() error {
	if s.out != nil {
		s.out.Release()
		s.out = nil
	}
	s.mem.Release(s.held)
	s.held = 0
	return s.Child.Close()
}

// Next implements Operator.
func (s *SessionAssign) Next(ctx context.Context) (arrow.Record, error) {
	if s.done {
		return nil, io.EOF
	}
	if s.out == nil {
		s.mem = ExecCtx(ctx).Mem
		recs, err := Drain(ctx, s.Child)
		if err != nil {
			return nil, err
		}
		var size int64
		for _, r := range recs {
			size += RecordSize(r)
		}
		if err := s.mem.Grow(size); err != nil {
			for _, r := range recs {
				r.Release()
			}
			return nil, err
		}
		s.held = size
		out, err := AssignSessions(s.Child.Schema(), recs, s.KeyCols, s.StartCol, s.EndCol, s.Gap)
		for _, r := range recs {
			r.Release()
		}
		if err != nil {
			return nil, err
		}
		s.out = out
	}
	n := s.out.NumRows()
	if s.emitted >= n {
		s.done = true
		return nil, io.EOF
	}
	to := min(n, s.emitted+int64(BatchSize))
	rec := s.out.NewSlice(s.emitted, to)
	s.emitted = to
	return rec, nil
}

// AssignSessions rewrites the start and end columns of the rows with
// their session bounds (see SessionAssign). Rows keep their order.
func AssignSessions(schema Schema, recs []arrow.Record, keyCols []int, startCol, endCol int, gap int64) (arrow.Record, error) {
	if len(recs) == 0 {
		return RecordOf(schema, nil), nil
	}
	all, err := concatRecords(schema, recs)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	starts, ends := sessionBounds(schema, all, keyCols, startCol, gap)
	cols := make([]arrow.Array, all.NumCols())
	for c := range cols {
		switch c {
		case startCol:
			cols[c] = newFixedArray(all.Column(c).DataType(), starts, nil)
		case endCol:
			cols[c] = newFixedArray(all.Column(c).DataType(), ends, nil)
		default:
			cols[c] = all.Column(c)
			cols[c].Retain()
		}
	}
	out := array.NewRecord(all.Schema(), cols, all.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// SessionEnds returns each row's session end (rows in the order of recs).
func SessionEnds(schema Schema, recs []arrow.Record, keyCols []int, tsCol int, gap int64) ([]int64, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	all, err := concatRecords(schema, recs)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	_, ends := sessionBounds(schema, all, keyCols, tsCol, gap)
	return ends, nil
}

// sessionBounds computes each row's session [start, end) by key and time.
func sessionBounds(schema Schema, all arrow.Record, keyCols []int, tsCol int, gap int64) ([]int64, []int64) {
	n := int(all.NumRows())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	keyCmps := make([]func(i, j int) int, len(keyCols))
	for x, k := range keyCols {
		keyCmps[x] = columnComparator(all.Column(k), schema[k].Type, SortKey{Col: k})
	}
	ts := valuesOf[int64](all.Column(tsCol))
	sort.SliceStable(idx, func(a, b int) bool {
		for _, c := range keyCmps {
			if r := c(idx[a], idx[b]); r != 0 {
				return r < 0
			}
		}
		return ts[idx[a]] < ts[idx[b]]
	})
	sameKey := func(i, j int) bool {
		for _, c := range keyCmps {
			if c(i, j) != 0 {
				return false
			}
		}
		return true
	}
	starts := make([]int64, n)
	ends := make([]int64, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && sameKey(idx[i], idx[j]) {
			j++
		}
		for a := i; a < j; {
			b := a + 1
			last := ts[idx[a]]
			for b < j && ts[idx[b]] < last+gap {
				last = max(last, ts[idx[b]])
				b++
			}
			for r := a; r < b; r++ {
				starts[idx[r]], ends[idx[r]] = ts[idx[a]], last+gap
			}
			a = b
		}
		i = j
	}
	return starts, ends
}

// SessionPlaceholder is the window assignment of session views: it copies
// the event time into window_start and window_end; SessionAssign replaces
// them with the session bounds once the keys are computed.
type SessionPlaceholder struct {
	EventTime int
	In, Out   Schema
}

// Apply implements Step.
func (w *SessionPlaceholder) Apply(_ *Ctx, rec arrow.Record) (arrow.Record, error) {
	et := rec.Column(w.EventTime)
	if et.NullN() > 0 {
		var keep []int
		for i := 0; i < et.Len(); i++ {
			if et.IsValid(i) {
				keep = append(keep, i)
			}
		}
		if len(keep) == 0 {
			return nil, nil
		}
		sub := TakeRecord(rec, keep)
		defer sub.Release()
		rec = sub
		et = rec.Column(w.EventTime)
	}
	cols := append(append([]arrow.Array{}, rec.Columns()...), et, et)
	return array.NewRecord(w.Out.Arrow(), cols, rec.NumRows()), nil
}

// Schema implements Step.
func (w *SessionPlaceholder) Schema() Schema { return w.Out }

func (w *SessionPlaceholder) String() string {
	return "SessionWindow: on " + w.In[w.EventTime].Name
}
