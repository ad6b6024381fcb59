package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"lambdasql/sql/types"
)

// DistinctOn passes, in input order, the first row of each distinct value
// of the key columns (NULLs equal, as in GROUP BY): SELECT DISTINCT ON
// (keys) over input sorted by the query's ORDER BY. The keys seen so far
// are kept in a GroupTable, so the input need not have equal keys
// adjacent. Not safe for concurrent use.
type DistinctOn struct {
	Child Operator
	Keys  []int

	table  *GroupTable
	groups []uint32
	mem    *MemTracker
	held   int64
}

// Schema implements Operator.
func (d *DistinctOn) Schema() Schema { return d.Child.Schema() }

// Next implements Operator.
func (d *DistinctOn) Next(ctx context.Context) (arrow.Record, error) {
	if d.table == nil {
		in := d.Child.Schema()
		kt := make([]*types.T, len(d.Keys))
		for i, k := range d.Keys {
			kt[i] = in[k].Type
		}
		d.table = NewGroupTable(kt)
		d.mem = ExecCtx(ctx).Mem
	}
	for {
		rec, err := d.Child.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := int(rec.NumRows())
		if n == 0 {
			rec.Release()
			continue
		}
		if cap(d.groups) < n {
			d.groups = make([]uint32, n)
		}
		groups := d.groups[:n]
		cols := make([]arrow.Array, len(d.Keys))
		for i, k := range d.Keys {
			cols[i] = rec.Column(k)
		}
		before := d.table.Len()
		d.table.Insert(cols, n, groups)
		if size := d.table.Size(); size > d.held {
			if err := d.mem.Grow(size - d.held); err != nil {
				rec.Release()
				return nil, err
			}
			d.held = size
		}
		fresh := make([]bool, d.table.Len()-before)
		var idx []int
		for i, g := range groups {
			if j := int(g) - before; j >= 0 && !fresh[j] {
				fresh[j] = true
				idx = append(idx, i)
			}
		}
		switch len(idx) {
		case 0:
			rec.Release()
			continue
		case n:
			return rec, nil
		}
		out := TakeRecord(rec, idx)
		rec.Release()
		return out, nil
	}
}

// Close implements Operator.
func (d *DistinctOn) Close() error {
	if d.mem != nil {
		d.mem.Release(d.held)
		d.held = 0
	}
	d.table = nil
	return d.Child.Close()
}

// Children implements Operator.
func (d *DistinctOn) Children() []Operator { return []Operator{d.Child} }

func (d *DistinctOn) String() string {
	in := d.Child.Schema()
	keys := make([]string, len(d.Keys))
	for i, k := range d.Keys {
		keys[i] = in[k].Name
	}
	return fmt.Sprintf("DistinctOn: keys [%s]", strings.Join(keys, ", "))
}

var _ Operator = (*DistinctOn)(nil)
