package exec

import (
	"fmt"
	"sync/atomic"

	"lambdasql/sql/sqlstate"
)

// MemTracker accounts the memory a statement holds in operator state (hash
// tables, sort buffers, join build sides, accumulator state). Operators that
// only pass batches along do not account: they hold one batch at a time.
// Past the limit Grow fails with SQLSTATE 53200 and the statement ends;
// the server and the other sessions are unaffected.
//
// A MemTracker is safe for concurrent use.
type MemTracker struct {
	limit int64 // bytes; 0 means unlimited
	used  atomic.Int64
	peak  atomic.Int64
}

// NewMemTracker returns a tracker with the given limit in bytes (0 =
// unlimited).
func NewMemTracker(limitBytes int64) *MemTracker { return &MemTracker{limit: limitBytes} }

// Grow accounts n more bytes (n may be negative to release).
func (m *MemTracker) Grow(n int64) error {
	if m == nil {
		return nil
	}
	u := m.used.Add(n)
	if n > 0 && m.limit > 0 && u > m.limit {
		m.used.Add(-n)
		return sqlstate.New(sqlstate.OutOfMemory, "out of memory").
			WithDetail("Failed on request of size %d: the query holds %s, its memory limit is %s.", n, humanBytes(u-n), humanBytes(m.limit)).
			WithHint("Raise the per-query memory limit (--query-memory) or narrow the query.")
	}
	for {
		p := m.peak.Load()
		if u <= p || m.peak.CompareAndSwap(p, u) {
			break
		}
	}
	return nil
}

// Release returns n bytes.
func (m *MemTracker) Release(n int64) {
	if m != nil {
		m.used.Add(-n)
	}
}

// Used returns the bytes currently accounted.
func (m *MemTracker) Used() int64 {
	if m == nil {
		return 0
	}
	return m.used.Load()
}

// Peak returns the highest Used seen.
func (m *MemTracker) Peak() int64 {
	if m == nil {
		return 0
	}
	return m.peak.Load()
}

// Limit returns the limit in bytes, 0 when unlimited.
func (m *MemTracker) Limit() int64 {
	if m == nil {
		return 0
	}
	return m.limit
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
