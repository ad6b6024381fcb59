package exec

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v15/arrow"
)

// DefaultWorkers is the number of scan workers: one per core.
var DefaultWorkers = runtime.GOMAXPROCS(0)

// Scan reads a TableSource with several workers, one task at a time each.
// Used as an operator it returns batches in no particular order; an
// aggregate above it consumes it through ForEach so partial aggregation
// runs in the workers.
type Scan struct {
	Source  TableSource
	Req     ScanRequest
	Out     Schema
	Label   string // extra EXPLAIN detail (pushed filters, bounds)
	workers int

	started bool
	cancel  context.CancelFunc
	ch      chan scanItem
	wg      sync.WaitGroup
	rows    atomic.Int64
	stats   ScanStats
	hasStat bool
}

type scanItem struct {
	rec arrow.Record
	err error
}

// NewScan returns a scan of the requested columns of src.
func NewScan(src TableSource, req ScanRequest) *Scan {
	full := src.Schema()
	out := make(Schema, len(req.Columns))
	for i, c := range req.Columns {
		out[i] = full[c]
	}
	return &Scan{Source: src, Req: req, Out: out, workers: DefaultWorkers}
}

// SetWorkers sets the number of workers (at least 1).
func (s *Scan) SetWorkers(n int) { s.workers = max(n, 1) }

// Schema implements Operator.
func (s *Scan) Schema() Schema { return s.Out }

// CanParallel implements Parallel.
func (s *Scan) CanParallel() bool { return !s.started }

// Workers implements Parallel.
func (s *Scan) Workers() int { return s.workers }

// ForEach implements Parallel.
func (s *Scan) ForEach(ctx context.Context, fn func(worker int, rec arrow.Record) error) error {
	if s.started {
		return errorf("BUG: scan consumed twice")
	}
	s.started = true
	tasks, err := s.Source.Tasks(ctx, s.Req)
	if err != nil {
		return err
	}
	if r, ok := s.Source.(StatsReporter); ok {
		s.stats, s.hasStat = r.LastScanStats(), true
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	var wg sync.WaitGroup
	workers := min(s.workers, max(len(tasks), 1))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					fail(fmt.Errorf("BUG: panic in scan worker: %v", r))
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(tasks) || ctx.Err() != nil {
					return
				}
				err := tasks[i].Run(ctx, func(rec arrow.Record) error {
					if rec.NumRows() == 0 {
						rec.Release()
						return nil
					}
					s.rows.Add(rec.NumRows())
					return fn(w, rec)
				})
				if err != nil {
					fail(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if firstErr != nil {
		if pe := context.Cause(ctx); firstErr == context.Canceled && pe != nil {
			return pe
		}
		return firstErr
	}
	return ctx.Err()
}

// Next implements Operator: batches from all workers, in arrival order.
func (s *Scan) Next(ctx context.Context) (arrow.Record, error) {
	if s.ch == nil {
		s.ch = make(chan scanItem, s.workers*2)
		wctx, cancel := context.WithCancel(ctx)
		s.cancel = cancel
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := s.ForEach(wctx, func(_ int, rec arrow.Record) error {
				select {
				case s.ch <- scanItem{rec: rec}:
					return nil
				case <-wctx.Done():
					rec.Release()
					return wctx.Err()
				}
			})
			if err != nil && wctx.Err() == nil {
				s.ch <- scanItem{err: err}
			} else if err != nil && ctx.Err() != nil {
				s.ch <- scanItem{err: ctx.Err()}
			}
			close(s.ch)
		}()
	}
	select {
	case it, ok := <-s.ch:
		if !ok {
			return nil, io.EOF
		}
		return it.rec, it.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close implements Operator. It stops the workers and waits for them.
func (s *Scan) Close() error {
	if s.cancel != nil {
		s.cancel()
		go func() {
			for it := range s.ch {
				if it.rec != nil {
					it.rec.Release()
				}
			}
		}()
		s.wg.Wait()
		s.cancel = nil
	}
	return nil
}

// Children implements Operator.
func (s *Scan) Children() []Operator { return nil }

// RowsRead returns the rows the scan produced so far.
func (s *Scan) RowsRead() int64 { return s.rows.Load() }

// Stats returns pruning statistics of the scan, if the source reports them.
func (s *Scan) Stats() (ScanStats, bool) { return s.stats, s.hasStat }

func (s *Scan) String() string {
	var sb strings.Builder
	sb.WriteString("Scan: " + s.Source.String())
	cols := make([]string, len(s.Out))
	for i, c := range s.Out {
		cols[i] = c.Name
	}
	sb.WriteString(" [" + strings.Join(cols, ", ") + "]")
	if len(s.Req.Bounds) > 0 {
		full := s.Source.Schema()
		bs := make([]string, len(s.Req.Bounds))
		for i, b := range s.Req.Bounds {
			bs[i] = full[b.Col].Name + " " + b.Op.String() + " " + (&Const{Value: b.Value, T: full[b.Col].Type}).String()
		}
		sb.WriteString(" prune(" + strings.Join(bs, " AND ") + ")")
	}
	if s.Label != "" {
		sb.WriteString(" " + s.Label)
	}
	return sb.String()
}
