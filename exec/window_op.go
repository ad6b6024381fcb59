package exec

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec/agg"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// WindowCall is one window function: row_number, rank, dense_rank, lag,
// lead, first_value, last_value, or an aggregate over the window.
type WindowCall struct {
	Name        string
	Args        []int // input columns
	PartitionBy []int
	OrderBy     []SortKey
	Agg         *agg.Spec // aggregates over the window
	Offset      int64     // lag/lead offset
	Ret         *types.T
	Label       string
}

// Window computes window functions over all of its input (it is
// blocking): rows are sorted by each call's partition and order keys; the
// output is the input columns followed by one column per call. Aggregates
// with ORDER BY use PostgreSQL's default frame (from the partition start
// to the current row's last peer); without ORDER BY the whole partition.
type Window struct {
	Child Operator
	Calls []WindowCall
	Out   Schema

	materialized
	held int64
	mem  *MemTracker
}

// Schema implements Operator.
func (w *Window) Schema() Schema { return w.Out }

// Children implements Operator.
func (w *Window) Children() []Operator { return []Operator{w.Child} }

func (w *Window) String() string {
	parts := make([]string, len(w.Calls))
	for i, c := range w.Calls {
		parts[i] = c.Label
	}
	return "WindowAgg: " + strings.Join(parts, ", ")
}

// Close implements Operator.
func (w *Window) Close() error {
	if w.out != nil {
		w.out.Release()
		w.out = nil
	}
	w.mem.Release(w.held)
	w.held = 0
	return w.Child.Close()
}

// Next implements Operator.
func (w *Window) Next(ctx context.Context) (arrow.Record, error) {
	return w.materialized.next(ctx, w.compute)
}

func (w *Window) compute(ctx context.Context) error {
	w.mem = ExecCtx(ctx).Mem
	recs, err := Drain(ctx, w.Child)
	if err != nil {
		return err
	}
	in := w.Child.Schema()
	all, err := concatRecords(in, recs)
	for _, r := range recs {
		r.Release()
	}
	if err != nil {
		return err
	}
	if recs == nil {
		all.Release()
		all = RecordOf(in, nil)
	}
	defer all.Release()
	size := RecordSize(all)
	if err := w.mem.Grow(size); err != nil {
		return err
	}
	w.held = size
	n := int(all.NumRows())
	cols := append([]arrow.Array{}, all.Columns()...)
	for _, c := range cols {
		c.Retain()
	}
	for _, call := range w.Calls {
		vals, err := w.evalCall(all, in, call, n)
		if err != nil {
			for _, c := range cols {
				c.Release()
			}
			return err
		}
		b := NewBuilder(call.Ret)
		for _, v := range vals {
			AppendDatum(b, call.Ret, v)
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	w.out = array.NewRecord(w.Out.Arrow(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return nil
}

// evalCall returns the call's value for every input row (in input order).
func (w *Window) evalCall(all arrow.Record, in Schema, call WindowCall, n int) ([]any, error) {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	var partCmps, orderCmps []func(i, j int) int
	for _, p := range call.PartitionBy {
		partCmps = append(partCmps, columnComparator(all.Column(p), in[p].Type, SortKey{Col: p}))
	}
	for _, k := range call.OrderBy {
		orderCmps = append(orderCmps, columnComparator(all.Column(k.Col), in[k.Col].Type, k))
	}
	cmpAll := func(cmps []func(i, j int) int, i, j int) int {
		for _, c := range cmps {
			if r := c(i, j); r != 0 {
				return r
			}
		}
		return 0
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if r := cmpAll(partCmps, idx[a], idx[b]); r != 0 {
			return r < 0
		}
		return cmpAll(orderCmps, idx[a], idx[b]) < 0
	})
	out := make([]any, n)
	arg := func(k, row int) any {
		if k >= len(call.Args) {
			return nil
		}
		c := call.Args[k]
		return Datum(all.Column(c), row, in[c].Type)
	}
	for start := 0; start < n; {
		end := start + 1
		for end < n && cmpAll(partCmps, idx[start], idx[end]) == 0 {
			end++
		}
		part := idx[start:end]
		switch call.Name {
		case "row_number":
			for i, r := range part {
				out[r] = int64(i + 1)
			}
		case "rank", "dense_rank":
			rank, dense := int64(1), int64(1)
			for i, r := range part {
				if i > 0 && cmpAll(orderCmps, part[i-1], r) != 0 {
					rank = int64(i + 1)
					dense++
				}
				if call.Name == "rank" {
					out[r] = rank
				} else {
					out[r] = dense
				}
			}
		case "lag", "lead":
			for i, r := range part {
				j := i - int(call.Offset)
				if call.Name == "lead" {
					j = i + int(call.Offset)
				}
				if j >= 0 && j < len(part) {
					out[r] = arg(0, part[j])
				} else {
					out[r] = arg(2, r)
				}
			}
		case "first_value":
			for _, r := range part {
				out[r] = arg(0, part[0])
			}
		case "last_value":
			// Default frame: up to the current row's last peer.
			for i := 0; i < len(part); {
				j := i + 1
				for j < len(part) && len(orderCmps) > 0 && cmpAll(orderCmps, part[i], part[j]) == 0 {
					j++
				}
				if len(orderCmps) == 0 {
					j = len(part)
				}
				for _, r := range part[i:j] {
					out[r] = arg(0, part[j-1])
				}
				i = j
			}
		default:
			if call.Agg == nil {
				return nil, sqlstate.New(sqlstate.FeatureNotSupported, "window function %s is not supported", call.Name)
			}
			if err := w.aggOver(all, call, part, orderCmps, out); err != nil {
				return nil, err
			}
		}
		start = end
	}
	return out, nil
}

// aggOver computes an aggregate over one partition: running by peer group
// with ORDER BY, whole partition without.
func (w *Window) aggOver(all arrow.Record, call WindowCall, part []int, orderCmps []func(i, j int) int, out []any) error {
	acc, err := agg.New(*call.Agg)
	if err != nil {
		return err
	}
	acc.Grow(1)
	args := make([]arrow.Array, len(call.Args))
	for i := 0; i < len(part); {
		j := i + 1
		if len(orderCmps) == 0 {
			j = len(part)
		} else {
			for j < len(part) && func() bool {
				for _, c := range orderCmps {
					if c(part[i], part[j]) != 0 {
						return false
					}
				}
				return true
			}() {
				j++
			}
		}
		rows := part[i:j]
		for k, c := range call.Args {
			args[k] = TakeArray(all.Column(c), rows)
		}
		groups := make([]uint32, len(rows))
		err := acc.Update(groups, args)
		for k := range args {
			args[k].Release()
		}
		if err != nil {
			return err
		}
		res, err := acc.Finalize(Alloc)
		if err != nil {
			return err
		}
		v := Datum(res, 0, call.Ret)
		res.Release()
		for _, r := range rows {
			out[r] = v
		}
		i = j
	}
	return nil
}

var _ = fmt.Sprintf
