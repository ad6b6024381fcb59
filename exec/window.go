package exec

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/types"
)

// Window arithmetic shared by the batch and speed layers: both assign
// events to windows with this code, so their window bounds agree by
// construction. Windows are half-open [start, end), aligned to the Unix
// epoch in UTC.

// AlignDown returns the largest multiple of grid (µs) at or below ts.
func AlignDown(ts, grid int64) int64 {
	if grid <= 0 {
		return ts
	}
	return floorDiv(ts, grid) * grid
}

// WindowAssign appends window_start and window_end to each row, by the
// event-time column EventTime: one window per row for tumbling windows
// (Hop = Size), Size/Hop windows per row for hopping windows.
type WindowAssign struct {
	EventTime int
	Size, Hop int64 // µs
	In, Out   Schema
}

// NewWindowAssign builds the step for input schema in.
func NewWindowAssign(in Schema, eventTime int, size, hop time.Duration) *WindowAssign {
	if hop <= 0 {
		hop = size
	}
	wt := types.TimestampTZ
	if in[eventTime].Type.Family == types.FamTimestamp {
		wt = types.Timestamp
	}
	out := append(append(Schema{}, in...), Column{Name: "window_start", Type: wt}, Column{Name: "window_end", Type: wt})
	return &WindowAssign{EventTime: eventTime, Size: size.Microseconds(), Hop: hop.Microseconds(), In: in, Out: out}
}

// Apply implements Step. Rows with a NULL event time are dropped (sources
// reject them on ingest; this guards hand-written inputs).
func (w *WindowAssign) Apply(_ *Ctx, rec arrow.Record) (arrow.Record, error) {
	n := int(rec.NumRows())
	et := rec.Column(w.EventTime)
	ts := valuesOf[int64](et)
	per := int(w.Size / w.Hop)
	idx := make([]int, 0, n*per)
	starts := make([]int64, 0, n*per)
	for i := 0; i < n; i++ {
		if et.IsNull(i) {
			continue
		}
		last := AlignDown(ts[i], w.Hop) // the latest window containing ts
		for k := 0; k < per; k++ {
			s := last - int64(k)*w.Hop
			if s+w.Size <= ts[i] {
				break
			}
			idx = append(idx, i)
			starts = append(starts, s)
		}
	}
	if len(idx) == 0 {
		return nil, nil
	}
	var base arrow.Record
	if per == 1 && len(idx) == n {
		rec.Retain()
		base = rec
	} else {
		base = TakeRecord(rec, idx)
	}
	defer base.Release()
	ends := make([]int64, len(starts))
	for i, s := range starts {
		ends[i] = s + w.Size
	}
	dt := w.Out[len(w.Out)-1].Type.Arrow()
	ws := newFixedArray(dt, starts, nil)
	we := newFixedArray(dt, ends, nil)
	cols := append(append([]arrow.Array{}, base.Columns()...), ws, we)
	out := array.NewRecord(w.Out.Arrow(), cols, int64(len(idx)))
	ws.Release()
	we.Release()
	return out, nil
}

// Schema implements Step.
func (w *WindowAssign) Schema() Schema { return w.Out }

func (w *WindowAssign) String() string {
	if w.Hop != w.Size {
		return fmt.Sprintf("WindowAssign: hop(size %s, every %s) on %s", time.Duration(w.Size)*time.Microsecond, time.Duration(w.Hop)*time.Microsecond, w.In[w.EventTime].Name)
	}
	return fmt.Sprintf("WindowAssign: tumble(%s) on %s", time.Duration(w.Size)*time.Microsecond, w.In[w.EventTime].Name)
}

// PartitionClock is what the stream watermark needs of one partition.
type PartitionClock struct {
	MaxTime int64 // highest event time seen (µs); math.MinInt64 when none
	LastAt  int64 // wall clock (µs) of the last event; 0 when none
	// Behind is set while the reader has entries of the partition still
	// to read: a partition with a backlog is never idle, whatever its
	// clock says (the reader is late, not the partition).
	Behind bool `json:"-"`
}

// NoTime marks an unknown event time.
const NoTime = math.MinInt64

// Watermark computes a source's stream watermark: the minimum over
// partitions of (highest event time seen − lateness). A partition with no
// event for idleTimeout (when > 0) stops holding the watermark back unless
// its reader is behind on it; a partition that never saw an event holds it
// back unless it is idle too.
// ok is false when no partition has defined it yet.
func Watermark(parts []PartitionClock, lateness, idleTimeout time.Duration, nowMicros int64) (int64, bool) {
	wm := int64(math.MaxInt64)
	any := false
	for _, p := range parts {
		idle := idleTimeout > 0 && !p.Behind && (p.LastAt == 0 || nowMicros-p.LastAt >= idleTimeout.Microseconds())
		if idle {
			continue
		}
		if p.MaxTime == NoTime {
			return 0, false
		}
		any = true
		if v := p.MaxTime - lateness.Microseconds(); v < wm {
			wm = v
		}
	}
	if !any {
		// Every partition idle: the highest event time seen anywhere.
		best := int64(NoTime)
		for _, p := range parts {
			if p.MaxTime != NoTime && p.MaxTime-lateness.Microseconds() > best {
				best = p.MaxTime - lateness.Microseconds()
			}
		}
		if best == NoTime {
			return 0, false
		}
		return best, true
	}
	return wm, true
}

// MaxTimeOf returns the highest non-NULL value of a timestamp column.
func MaxTimeOf(a arrow.Array) int64 {
	vs := valuesOf[int64](a)
	m := int64(NoTime)
	if a.NullN() == 0 {
		for _, v := range vs {
			if v > m {
				m = v
			}
		}
		return m
	}
	for i, v := range vs {
		if a.IsValid(i) && v > m {
			m = v
		}
	}
	return m
}

// MinTimeOf returns the lowest non-NULL value of a timestamp column.
func MinTimeOf(a arrow.Array) int64 {
	vs := valuesOf[int64](a)
	m := int64(math.MaxInt64)
	for i, v := range vs {
		if (a.NullN() == 0 || a.IsValid(i)) && v < m {
			m = v
		}
	}
	return m
}
