package exec

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec/agg"
	"lambdasql/sql/types"
)

// GroupingSetsAggregate computes the aggregates once per grouping set
// (GROUP BY ROLLUP, CUBE, GROUPING SETS). Its output is every key column,
// NULL where the row's set does not group by it, then one column per
// aggregate, then one int4 column per GROUPING(…) call; the rows of a set
// follow those of the set before it. A set without keys gives one row even
// for an empty input, as GROUP BY () does.
//
// The input is folded once into the finest groups (by all the keys, in
// parallel workers when the input is parallel), and each set's groups are
// merged from those: Accumulator.Merge is exact, so a rollup from the
// finest groups equals aggregating the input again, and the input is read
// once however many sets there are. With Ordered (the aggregates read their
// input in a given order: ORDER BY inside the call) merging would
// interleave the finest groups' rows, so every input row is folded into
// each set's groups instead.
type GroupingSetsAggregate struct {
	Child Operator
	Keys  []int   // input columns of all the grouping keys
	Sets  [][]int // each set: positions in Keys, without repeats
	Aggs  []AggCall
	// Grouping lists the GROUPING(…) calls: positions in Keys of their
	// arguments; the first argument is the most significant bit.
	Grouping [][]int
	Ordered  bool
	Out      Schema

	built   bool
	done    bool
	results [][]arrow.Array // per set: the output columns
	lens    []int
	set     int // set being emitted
	emitted int // rows of results[set] emitted
	mem     *MemTracker
	held    int64
}

// setState is the groups and accumulators of one grouping set.
type setState struct {
	table  *GroupTable
	accs   []agg.Accumulator
	cols   []int // input columns of the set's keys
	groups []uint32
	gsel   []uint32
}

func (g *GroupingSetsAggregate) newSet(set []int) (*setState, error) {
	in := g.Child.Schema()
	st := &setState{}
	kt := make([]*types.T, len(set))
	for i, k := range set {
		kt[i] = in[g.Keys[k]].Type
		st.cols = append(st.cols, g.Keys[k])
	}
	st.table = NewGroupTable(kt)
	for _, a := range g.Aggs {
		acc, err := agg.New(a.Spec)
		if err != nil {
			return nil, err
		}
		st.accs = append(st.accs, acc)
	}
	return st, nil
}

func (s *setState) size() int64 {
	n := s.table.Size()
	for _, a := range s.accs {
		n += a.Size()
	}
	return n
}

// charge sets the bytes held by the operator's set states to size.
func (g *GroupingSetsAggregate) charge(size int64) error {
	if d := size - g.held; d > 0 {
		if err := g.mem.Grow(d); err != nil {
			return err
		}
		g.held = size
	} else if d < 0 {
		g.mem.Release(-d)
		g.held = size
	}
	return nil
}

func (g *GroupingSetsAggregate) build(ctx context.Context) error {
	g.mem = ExecCtx(ctx).Mem
	states := make([]*setState, len(g.Sets))
	for i, set := range g.Sets {
		st, err := g.newSet(set)
		if err != nil {
			return err
		}
		states[i] = st
	}
	if g.Ordered {
		if err := g.foldEach(ctx, states); err != nil {
			return err
		}
	} else if err := g.rollUp(ctx, states); err != nil {
		return err
	}
	for i, st := range states {
		if err := g.finish(i, st); err != nil {
			return err
		}
	}
	return g.charge(0)
}

// foldEach folds every input row into every set's groups, in input order.
func (g *GroupingSetsAggregate) foldEach(ctx context.Context, states []*setState) error {
	for {
		rec, err := g.Child.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var size int64
		for _, st := range states {
			if err = foldRecord(st.table, st.accs, st.cols, g.Aggs, rec, &st.groups, &st.gsel); err != nil {
				break
			}
			size += st.size()
		}
		rec.Release()
		if err == nil {
			err = g.charge(size)
		}
		if err != nil {
			return err
		}
	}
}

// rollUp folds the input into the finest groups once and merges each
// set's groups from them.
func (g *GroupingSetsAggregate) rollUp(ctx context.Context, states []*setState) error {
	finest := &HashAggregate{Child: g.Child, Keys: g.Keys, Aggs: g.Aggs}
	part, err := finest.fold(ctx)
	if err != nil {
		return err
	}
	defer finest.releaseParts([]*aggPartial{part})
	ng := part.table.Len()
	for _, acc := range part.accs {
		if acc.Len() < ng {
			acc.Grow(ng)
		}
	}
	keys := part.table.KeyArrays(0, ng)
	defer func() {
		for _, k := range keys {
			k.Release()
		}
	}()
	dst := make([]uint32, ng)
	var size int64
	for i, st := range states {
		set := g.Sets[i]
		if len(set) == 0 {
			clear(dst)
		} else {
			cols := make([]arrow.Array, len(set))
			for j, k := range set {
				cols[j] = keys[k]
			}
			st.table.Insert(cols, ng, dst)
		}
		n := st.table.Len()
		if len(set) == 0 {
			n = 1
		}
		for j, acc := range st.accs {
			acc.Grow(n)
			if err := acc.Merge(part.accs[j], dst); err != nil {
				return err
			}
		}
		size += st.size()
		if err := g.charge(size); err != nil {
			return err
		}
	}
	return nil
}

// finish finalizes set i into its output columns.
func (g *GroupingSetsAggregate) finish(i int, st *setState) error {
	set := g.Sets[i]
	n := st.table.Len()
	if len(set) == 0 {
		n = 1 // GROUP BY (): one row, even for no input
	}
	cols := make([]arrow.Array, 0, len(g.Out))
	fail := func(err error) error {
		for _, c := range cols {
			c.Release()
		}
		return err
	}
	var keys []arrow.Array
	if len(set) > 0 {
		keys = st.table.KeyArrays(0, n)
	}
	pos := make(map[int]int, len(set))
	for j, k := range set {
		pos[k] = j
	}
	for k := range g.Keys {
		if j, ok := pos[k]; ok {
			cols = append(cols, keys[j])
			continue
		}
		cols = append(cols, array.MakeArrayOfNull(Alloc, g.Out[k].Type.Arrow(), n))
	}
	for _, acc := range st.accs {
		if acc.Len() < n {
			acc.Grow(n)
		}
		arr, err := acc.Finalize(Alloc)
		if err != nil {
			return fail(err)
		}
		cols = append(cols, arr)
	}
	for _, call := range g.Grouping {
		v := int32(0)
		for _, k := range call {
			v <<= 1
			if _, ok := pos[k]; !ok {
				v |= 1
			}
		}
		b := array.NewInt32Builder(Alloc)
		b.Reserve(n)
		for r := 0; r < n; r++ {
			b.UnsafeAppend(v)
		}
		cols = append(cols, b.NewArray())
		b.Release()
	}
	g.results = append(g.results, cols)
	g.lens = append(g.lens, n)
	return nil
}

// Schema implements Operator.
func (g *GroupingSetsAggregate) Schema() Schema { return g.Out }

// Next implements Operator.
func (g *GroupingSetsAggregate) Next(ctx context.Context) (arrow.Record, error) {
	if g.done {
		return nil, io.EOF
	}
	if !g.built {
		g.built = true
		if err := g.build(ctx); err != nil {
			g.done = true
			g.charge(0)
			return nil, err
		}
	}
	for g.set < len(g.results) && g.emitted >= g.lens[g.set] {
		g.set++
		g.emitted = 0
	}
	if g.set >= len(g.results) {
		g.done = true
		return nil, io.EOF
	}
	from := g.emitted
	to := min(g.lens[g.set], from+BatchSize)
	g.emitted = to
	cols := make([]arrow.Array, len(g.Out))
	for i, c := range g.results[g.set] {
		cols[i] = array.NewSlice(c, int64(from), int64(to))
	}
	rec := array.NewRecord(g.Out.Arrow(), cols, int64(to-from))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

// Close implements Operator.
func (g *GroupingSetsAggregate) Close() error {
	for _, cols := range g.results {
		for _, c := range cols {
			c.Release()
		}
	}
	g.results = nil
	g.done = true
	if g.mem != nil {
		g.charge(0)
	}
	return g.Child.Close()
}

// Children implements Operator.
func (g *GroupingSetsAggregate) Children() []Operator { return []Operator{g.Child} }

func (g *GroupingSetsAggregate) String() string {
	return "GroupingSetsAggregate: " + DescribeGroupingSets(g.Child.Schema(), g.Keys, g.Sets, g.Aggs)
}

// DescribeGroupingSets renders grouping sets over input in for EXPLAIN:
// "sets [(a, b), (a), ()] aggs [count, sum]".
func DescribeGroupingSets(in Schema, keys []int, sets [][]int, aggs []AggCall) string {
	ss := make([]string, len(sets))
	for i, set := range sets {
		names := make([]string, len(set))
		for j, k := range set {
			names[j] = in[keys[k]].Name
		}
		ss[i] = "(" + strings.Join(names, ", ") + ")"
	}
	as := make([]string, len(aggs))
	for i, a := range aggs {
		as[i] = a.Name
	}
	return fmt.Sprintf("sets [%s] aggs [%s]", strings.Join(ss, ", "), strings.Join(as, ", "))
}

var _ Operator = (*GroupingSetsAggregate)(nil)
