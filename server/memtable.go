package server

import (
	"context"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec"
	"lambdasql/stream"
)

// memTable is a TableSource over rows computed when the scan starts
// (system tables, table function results).
type memTable struct {
	name   string
	schema exec.Schema
	rows   func(ctx context.Context) ([][]any, error)
}

func (m *memTable) Schema() exec.Schema { return m.schema }
func (m *memTable) String() string      { return m.name }

func (m *memTable) Tasks(ctx context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	return []exec.ScanTask{&memTask{m: m, req: req}}, nil
}

type memTask struct {
	m   *memTable
	req exec.ScanRequest
}

func (t *memTask) Rows() int64 { return -1 }

func (t *memTask) Run(ctx context.Context, emit func(arrow.Record) error) error {
	rows, err := t.m.rows(ctx)
	if err != nil {
		return err
	}
	out := make(exec.Schema, len(t.req.Columns))
	for i, c := range t.req.Columns {
		out[i] = t.m.schema[c]
	}
	for start := 0; start < len(rows); start += exec.BatchSize {
		end := min(start+exec.BatchSize, len(rows))
		proj := make([][]any, end-start)
		for i, r := range rows[start:end] {
			p := make([]any, len(t.req.Columns))
			for j, c := range t.req.Columns {
				p[j] = r[c]
			}
			proj[i] = p
		}
		if err := emit(exec.RecordOf(out, proj)); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// recTable is a TableSource over records computed beforehand (a speed
// layer snapshot). It owns the records; Release frees them.
type recTable struct {
	name   string
	schema exec.Schema
	recs   []arrow.Record
}

func (t *recTable) Schema() exec.Schema { return t.schema }
func (t *recTable) String() string      { return t.name }

func (t *recTable) Tasks(ctx context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	return []exec.ScanTask{&recTask{t: t, req: req}}, nil
}

// Release frees the records.
func (t *recTable) Release() {
	for _, r := range t.recs {
		r.Release()
	}
	t.recs = nil
}

type recTask struct {
	t   *recTable
	req exec.ScanRequest
}

func (k *recTask) Rows() int64 {
	var n int64
	for _, r := range k.t.recs {
		n += r.NumRows()
	}
	return n
}

func (k *recTask) Run(ctx context.Context, emit func(arrow.Record) error) error {
	out := make(exec.Schema, len(k.req.Columns))
	for i, c := range k.req.Columns {
		out[i] = k.t.schema[c]
	}
	as := out.Arrow()
	for _, r := range k.t.recs {
		cols := make([]arrow.Array, len(k.req.Columns))
		for i, c := range k.req.Columns {
			cols[i] = r.Column(c)
		}
		if err := emit(array.NewRecord(as, cols, r.NumRows())); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// speedTable is a lambda view's speed layer above B as a table: the
// windows are finalized when the scan asks for them, selected by the
// scan's bounds on grouping keys.
type speedTable struct {
	recTable
	speed *stream.Speed
	b     int64
	hasB  bool
	once  sync.Once
	err   error
}

func (t *speedTable) Tasks(ctx context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	t.once.Do(func() {
		t.recs, t.err = t.speed.Snapshot(t.b, t.hasB, req.Bounds)
	})
	if t.err != nil {
		return nil, t.err
	}
	return t.recTable.Tasks(ctx, req)
}
