package exec

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"

	"lambdasql/exec/agg"
	"lambdasql/sql/types"
)

// AggCall is one aggregate of a HashAggregate: the accumulator spec, the
// input columns of its arguments and of its FILTER condition (-1: none).
type AggCall struct {
	Spec   agg.Spec
	Args   []int
	Filter int
	Name   string // for EXPLAIN, e.g. "avg(temperature)"
}

// HashAggregate groups its input by the key columns and folds every group's
// rows into the aggregates' accumulators. Over a parallel input each worker
// aggregates its own batches into its own table; the partial tables are
// then merged (accumulator states, never finalized values). Without keys it
// returns exactly one row, even for empty input.
type HashAggregate struct {
	Child Operator
	Keys  []int
	Aggs  []AggCall
	Out   Schema

	part    *aggPartial
	emitted int
	done    bool
	outArr  []arrow.Array // finalized aggregate arrays
	keysArr []arrow.Array
	mem     *MemTracker
	held    int64
}

// aggPartial is one worker's aggregation state.
type aggPartial struct {
	table  *GroupTable
	accs   []agg.Accumulator
	groups []uint32
	gsel   []uint32
	held   int64
}

// NewHashAggregate builds a hash aggregate. Out must list the key columns
// then one column per aggregate.
func NewHashAggregate(child Operator, keys []int, aggs []AggCall, out Schema) *HashAggregate {
	return &HashAggregate{Child: child, Keys: keys, Aggs: aggs, Out: out}
}

func (h *HashAggregate) newPartial() (*aggPartial, error) {
	in := h.Child.Schema()
	kt := make([]*types.T, len(h.Keys))
	for i, k := range h.Keys {
		kt[i] = in[k].Type
	}
	p := &aggPartial{table: NewGroupTable(kt)}
	for _, a := range h.Aggs {
		acc, err := agg.New(a.Spec)
		if err != nil {
			return nil, err
		}
		p.accs = append(p.accs, acc)
	}
	return p, nil
}

// update folds one record into p.
func (h *HashAggregate) update(p *aggPartial, rec arrow.Record) error {
	return foldRecord(p.table, p.accs, h.Keys, h.Aggs, rec, &p.groups, &p.gsel)
}

// foldRecord assigns each row of rec its group (by the key columns) and
// folds it into the aggregates' accumulators. groups and gsel are scratch
// buffers reused across calls. Without keys every row is group 0.
func foldRecord(table *GroupTable, accs []agg.Accumulator, keyCols []int, aggs []AggCall, rec arrow.Record, groupsBuf, gselBuf *[]uint32) error {
	n := int(rec.NumRows())
	if cap(*groupsBuf) < n {
		*groupsBuf = make([]uint32, n)
		*gselBuf = make([]uint32, n)
	}
	groups := (*groupsBuf)[:n]
	if len(keyCols) == 0 {
		for i := range groups {
			groups[i] = 0
		}
		if table.Len() == 0 {
			table.hashes = append(table.hashes, 0)
		}
	} else {
		keys := make([]arrow.Array, len(keyCols))
		for i, k := range keyCols {
			keys[i] = rec.Column(k)
		}
		table.Insert(keys, n, groups)
	}
	ng := table.Len()
	for i, a := range aggs {
		acc := accs[i]
		if acc.Len() < ng {
			acc.Grow(ng)
		}
		gs := groups
		if a.Filter >= 0 {
			gs = (*gselBuf)[:n]
			copy(gs, groups)
			f := rec.Column(a.Filter).(*array.Boolean)
			for r := 0; r < n; r++ {
				if f.IsNull(r) || !f.Value(r) {
					gs[r] = agg.NoGroup
				}
			}
		}
		args := make([]arrow.Array, len(a.Args))
		for j, c := range a.Args {
			args[j] = rec.Column(c)
		}
		if err := acc.Update(gs, args); err != nil {
			return err
		}
	}
	return nil
}

// account charges the growth of p's state to the statement's tracker.
func (h *HashAggregate) account(p *aggPartial) error {
	size := p.table.Size()
	for _, a := range p.accs {
		size += a.Size()
	}
	if d := size - p.held; d != 0 {
		if err := h.mem.Grow(d); err != nil {
			return err
		}
		p.held = size
	}
	return nil
}

func (h *HashAggregate) build(ctx context.Context) error {
	final, err := h.fold(ctx)
	if err != nil {
		return err
	}
	if len(h.Keys) == 0 && final.table.Len() == 0 {
		final.table.hashes = append(final.table.hashes, 0) // one row for empty input
	}
	ng := final.table.Len()
	for _, acc := range final.accs {
		if acc.Len() < ng {
			acc.Grow(ng)
		}
		arr, err := acc.Finalize(Alloc)
		if err != nil {
			h.releaseParts([]*aggPartial{final})
			return err
		}
		h.outArr = append(h.outArr, arr)
	}
	if len(h.Keys) > 0 {
		h.keysArr = final.table.KeyArrays(0, ng)
	}
	h.part = final
	return nil
}

// fold reads the whole input into one partial state (in parallel workers
// when the input is parallel, then merged) and returns it; its memory stays
// charged to the statement until released.
func (h *HashAggregate) fold(ctx context.Context) (*aggPartial, error) {
	h.mem = ExecCtx(ctx).Mem
	var parts []*aggPartial
	if p, ok := h.Child.(Parallel); ok && p.CanParallel() && p.Workers() > 1 {
		parts = make([]*aggPartial, p.Workers())
		for i := range parts {
			part, err := h.newPartial()
			if err != nil {
				return nil, err
			}
			parts[i] = part
		}
		var mu sync.Mutex // guards the memory accounting order only
		err := p.ForEach(ctx, func(w int, rec arrow.Record) error {
			defer rec.Release()
			if err := h.update(parts[w], rec); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			return h.account(parts[w])
		})
		if err != nil {
			h.releaseParts(parts)
			return nil, err
		}
	} else {
		part, err := h.newPartial()
		if err != nil {
			return nil, err
		}
		parts = []*aggPartial{part}
		for {
			rec, err := h.Child.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				h.releaseParts(parts)
				return nil, err
			}
			err = h.update(part, rec)
			rec.Release()
			if err == nil {
				err = h.account(part)
			}
			if err != nil {
				h.releaseParts(parts)
				return nil, err
			}
		}
	}
	// Merge the partial states into the first.
	final := parts[0]
	for _, p := range parts[1:] {
		if p.table.Len() == 0 {
			continue
		}
		dst := make([]uint32, p.table.Len())
		if len(h.Keys) == 0 {
			if final.table.Len() == 0 {
				final.table.hashes = append(final.table.hashes, 0)
			}
		} else {
			final.table.MergeFrom(p.table, dst)
		}
		for i, acc := range final.accs {
			if acc.Len() < final.table.Len() {
				acc.Grow(final.table.Len())
			}
			if err := acc.Merge(p.accs[i], dst); err != nil {
				h.releaseParts(parts)
				return nil, err
			}
		}
		if err := h.account(final); err != nil {
			h.releaseParts(parts)
			return nil, err
		}
	}
	for _, p := range parts[1:] {
		h.mem.Release(p.held)
		p.held = 0
	}
	return final, nil
}

func (h *HashAggregate) releaseParts(parts []*aggPartial) {
	for _, p := range parts {
		h.mem.Release(p.held)
		p.held = 0
	}
}

// Schema implements Operator.
func (h *HashAggregate) Schema() Schema { return h.Out }

// Next implements Operator.
func (h *HashAggregate) Next(ctx context.Context) (arrow.Record, error) {
	if h.done {
		return nil, io.EOF
	}
	if h.part == nil {
		if err := h.build(ctx); err != nil {
			h.done = true
			return nil, err
		}
	}
	ng := h.part.table.Len()
	if h.emitted >= ng {
		h.done = true
		return nil, io.EOF
	}
	from := h.emitted
	to := min(ng, from+BatchSize)
	h.emitted = to
	cols := make([]arrow.Array, 0, len(h.Out))
	for _, k := range h.keysArr {
		cols = append(cols, array.NewSlice(k, int64(from), int64(to)))
	}
	for _, a := range h.outArr {
		cols = append(cols, array.NewSlice(a, int64(from), int64(to)))
	}
	rec := array.NewRecord(h.Out.Arrow(), cols, int64(to-from))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

// Close implements Operator.
func (h *HashAggregate) Close() error {
	for _, a := range h.outArr {
		a.Release()
	}
	for _, a := range h.keysArr {
		a.Release()
	}
	h.outArr, h.keysArr = nil, nil
	if h.part != nil {
		h.mem.Release(h.part.held)
		h.part = nil
		h.done = true
	}
	return h.Child.Close()
}

// Children implements Operator.
func (h *HashAggregate) Children() []Operator { return []Operator{h.Child} }

func (h *HashAggregate) String() string {
	in := h.Child.Schema()
	keys := make([]string, len(h.Keys))
	for i, k := range h.Keys {
		keys[i] = in[k].Name
	}
	aggs := make([]string, len(h.Aggs))
	for i, a := range h.Aggs {
		aggs[i] = a.Name
	}
	kind := "HashAggregate"
	if len(h.Aggs) == 0 {
		kind = "HashDistinct"
	}
	switch {
	case len(keys) == 0:
		return fmt.Sprintf("%s: %s", kind, strings.Join(aggs, ", "))
	case len(aggs) == 0:
		return fmt.Sprintf("%s: keys [%s]", kind, strings.Join(keys, ", "))
	}
	return fmt.Sprintf("%s: keys [%s] aggs [%s]", kind, strings.Join(keys, ", "), strings.Join(aggs, ", "))
}

// filterBits returns the TRUE bits of a boolean column (NULL → false).
func filterBits(a arrow.Array) []byte {
	vals := boolBits(a)
	if vb := validBits(a); vb != nil {
		for i := range vals {
			vals[i] &= vb[i]
		}
	}
	return vals
}

var _ = bitutil.BytesForBits
