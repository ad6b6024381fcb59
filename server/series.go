package server

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql/types"
)

// seriesTable is generate_series as a table source: it computes its
// values a batch at a time, straight into Arrow arrays, so a series of a
// billion rows streams in constant memory. Arithmetic series (integers,
// timestamps with a fixed step) are split into tasks a parallel scan runs
// side by side; a step in months or days (calendar arithmetic, time-zone
// dependent for timestamptz) runs as one task.
type seriesTable struct {
	schema exec.Schema
	// start, the step in units of the column (integer or microseconds) and
	// the number of values of an arithmetic series; calendar is set when
	// the step has months or days.
	start, step int64
	n           uint64
	calendar    bool
	ts0, stop   types.TimestampD
	iv          types.IntervalD
	loc         *time.Location
}

// seriesTaskRows is the size of one task of an arithmetic series.
const seriesTaskRows = 1 << 20

// arithmeticCount is the number of values start, start+step, … that do
// not pass stop (step ≠ 0), computed without overflowing.
func arithmeticCount(start, stop, step int64) uint64 {
	switch {
	case step > 0 && start <= stop:
		return (uint64(stop)-uint64(start))/uint64(step) + 1
	case step < 0 && start >= stop:
		return (uint64(start)-uint64(stop))/(uint64(-(step+1))+1) + 1
	}
	return 0
}

func seriesRelation(s *seriesTable) *planner.Relation {
	return &planner.Relation{Name: "generate_series", Kind: planner.RelFunction, Columns: s.schema,
		Table: func(context.Context) (exec.TableSource, error) { return s, nil }}
}

func newIntSeries(t *types.T, start, stop, step int64) *seriesTable {
	return &seriesTable{schema: exec.Schema{{Name: "generate_series", Type: t}}, start: start, step: step, n: arithmeticCount(start, stop, step)}
}

func newTimestampSeries(t *types.T, start, stop types.TimestampD, step types.IntervalD, loc *time.Location) *seriesTable {
	s := &seriesTable{schema: exec.Schema{{Name: "generate_series", Type: t}}, ts0: start, stop: stop, iv: step, loc: loc}
	if step.Months != 0 || step.Days != 0 {
		s.calendar = true
		return s
	}
	s.start, s.step = int64(start), step.Micros
	s.n = arithmeticCount(int64(start), int64(stop), step.Micros)
	return s
}

func (s *seriesTable) Schema() exec.Schema { return s.schema }
func (s *seriesTable) String() string      { return "generate_series" }

func (s *seriesTable) Tasks(_ context.Context, req exec.ScanRequest) ([]exec.ScanTask, error) {
	out := make(exec.Schema, len(req.Columns))
	for i, c := range req.Columns {
		out[i] = s.schema[c]
	}
	if s.calendar {
		return []exec.ScanTask{&seriesTask{s: s, out: out, n: -1}}, nil
	}
	var tasks []exec.ScanTask
	for off := uint64(0); off < s.n; off += seriesTaskRows {
		tasks = append(tasks, &seriesTask{s: s, out: out, first: off, n: int64(min(seriesTaskRows, s.n-off))})
	}
	return tasks, nil
}

// seriesTask produces values first … first+n−1 of an arithmetic series,
// or (n = −1) the whole calendar series.
type seriesTask struct {
	s     *seriesTable
	out   exec.Schema
	first uint64
	n     int64
}

func (t *seriesTask) Rows() int64 { return t.n }

func (t *seriesTask) Run(ctx context.Context, emit func(arrow.Record) error) error {
	if t.s.calendar {
		return t.runCalendar(ctx, emit)
	}
	v := t.s.start + int64(t.first)*t.s.step // wraps like the values themselves: exact in two's complement
	for left := t.n; left > 0; {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(left, int64(exec.BatchSize))
		vals := make([]int64, k)
		for i := range vals {
			vals[i] = v
			v += t.s.step
		}
		if err := emit(t.record(vals)); err != nil {
			return err
		}
		left -= k
	}
	return nil
}

func (t *seriesTask) runCalendar(ctx context.Context, emit func(arrow.Record) error) error {
	s := t.s
	tz := s.schema[0].Type == types.TimestampTZ
	up := s.iv.Months > 0 || s.iv.Months == 0 && (s.iv.Days > 0 || s.iv.Days == 0 && s.iv.Micros > 0)
	cur, more := s.ts0, true
	for more {
		if err := ctx.Err(); err != nil {
			return err
		}
		vals := make([]int64, 0, exec.BatchSize)
		for len(vals) < exec.BatchSize {
			if up && cur > s.stop || !up && cur < s.stop {
				more = false
				break
			}
			vals = append(vals, int64(cur))
			next, err := exec.AddInterval(cur, s.iv, s.loc, tz)
			if err != nil || next == cur {
				more = false // past the timestamp range
				break
			}
			cur = next
		}
		if len(vals) > 0 {
			if err := emit(t.record(vals)); err != nil {
				return err
			}
		}
	}
	return nil
}

// record builds the requested columns (the one value column, or none for
// count(*)) over vals.
func (t *seriesTask) record(vals []int64) arrow.Record {
	fields := make([]arrow.Field, len(t.out))
	cols := make([]arrow.Array, len(t.out))
	for i, c := range t.out {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type.Arrow(), Nullable: true}
		cols[i] = seriesArray(c.Type, vals)
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(len(vals)))
	for _, a := range cols {
		a.Release()
	}
	return rec
}

func seriesArray(t *types.T, vals []int64) arrow.Array {
	switch t.Arrow().ID() {
	case arrow.INT32:
		b := array.NewInt32Builder(memory.DefaultAllocator)
		defer b.Release()
		b.Reserve(len(vals))
		for _, v := range vals {
			b.UnsafeAppend(int32(v))
		}
		return b.NewArray()
	case arrow.INT64:
		b := array.NewInt64Builder(memory.DefaultAllocator)
		defer b.Release()
		b.AppendValues(vals, nil)
		return b.NewArray()
	case arrow.TIMESTAMP:
		b := array.NewTimestampBuilder(memory.DefaultAllocator, t.Arrow().(*arrow.TimestampType))
		defer b.Release()
		b.Reserve(len(vals))
		for _, v := range vals {
			b.UnsafeAppend(arrow.Timestamp(v))
		}
		return b.NewArray()
	}
	panic(fmt.Sprintf("generate_series of %s", t.Name))
}
