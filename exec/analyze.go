package exec

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// Analyzed wraps an operator to count its output rows and the time spent
// in it (children included), for EXPLAIN ANALYZE.
type Analyzed struct {
	Op      Operator
	rows    atomic.Int64
	batches atomic.Int64
	nanos   atomic.Int64
}

// Schema implements Operator.
func (a *Analyzed) Schema() Schema { return a.Op.Schema() }

// Next implements Operator.
func (a *Analyzed) Next(ctx context.Context) (arrow.Record, error) {
	start := time.Now()
	rec, err := a.Op.Next(ctx)
	a.nanos.Add(int64(time.Since(start)))
	if err == nil {
		a.rows.Add(rec.NumRows())
		a.batches.Add(1)
	}
	return rec, err
}

// Close implements Operator.
func (a *Analyzed) Close() error { return a.Op.Close() }

// Children implements Operator.
func (a *Analyzed) Children() []Operator { return a.Op.Children() }

// String implements Operator.
func (a *Analyzed) String() string {
	s := fmt.Sprintf("%s (actual rows=%d batches=%d time=%.3f ms)", a.Op.String(), a.rows.Load(), a.batches.Load(), float64(a.nanos.Load())/1e6)
	if sc, ok := a.Op.(*Scan); ok {
		if st, ok := sc.Stats(); ok {
			s += fmt.Sprintf(" files=%d/%d row_groups=%d/%d", st.FilesScanned, st.FilesTotal, st.RowGroupsScanned, st.RowGroupsTotal)
			if st.RowsTotal > 0 && st.RowsScanned < st.RowsTotal {
				// Pages skipped by the page index.
				s += fmt.Sprintf(" rows_read=%d/%d", st.RowsScanned, st.RowsTotal)
			}
		}
	}
	return s
}

// CanParallel implements Parallel by forwarding.
func (a *Analyzed) CanParallel() bool {
	p, ok := a.Op.(Parallel)
	return ok && p.CanParallel()
}

// Workers implements Parallel.
func (a *Analyzed) Workers() int {
	if p, ok := a.Op.(Parallel); ok {
		return p.Workers()
	}
	return 1
}

// ForEach implements Parallel, counting rows as they pass.
func (a *Analyzed) ForEach(ctx context.Context, fn func(worker int, rec arrow.Record) error) error {
	p := a.Op.(Parallel)
	start := time.Now()
	defer func() { a.nanos.Add(int64(time.Since(start))) }()
	return p.ForEach(ctx, func(w int, rec arrow.Record) error {
		a.rows.Add(rec.NumRows())
		a.batches.Add(1)
		return fn(w, rec)
	})
}
