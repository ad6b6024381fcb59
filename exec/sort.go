package exec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/types"
)

// SortKey orders by one input column.
type SortKey struct {
	Col        int
	Desc       bool
	NullsFirst bool // PostgreSQL's default: NULLS LAST for ASC, FIRST for DESC
}

// Sort orders its input by Keys. With Limit >= 0 it keeps only the first
// Limit+Offset rows while reading (top-N), so memory stays bounded by N.
type Sort struct {
	Child  Operator
	Keys   []SortKey
	Limit  int64 // -1: all rows
	Offset int64 // rows the Limit above will skip; kept so top-N keeps enough

	materialized
	held int64
	mem  *MemTracker
}

// Schema implements Operator.
func (s *Sort) Schema() Schema { return s.Child.Schema() }

// RecordSize estimates the bytes a record holds.
func RecordSize(rec arrow.Record) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += arraySize(c.Data())
	}
	return n
}

func arraySize(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += arraySize(c)
	}
	return n
}

func (s *Sort) collect(ctx context.Context) error {
	s.mem = ExecCtx(ctx).Mem
	var recs []arrow.Record
	var rows int64
	keep := int64(-1)
	if s.Limit >= 0 {
		keep = s.Limit + s.Offset
	}
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	for {
		rec, err := s.Child.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			release()
			return err
		}
		size := RecordSize(rec)
		if err := s.mem.Grow(size); err != nil {
			rec.Release()
			release()
			return err
		}
		s.held += size
		recs = append(recs, rec)
		rows += rec.NumRows()
		if keep >= 0 && rows > max(4*keep, int64(4*BatchSize)) {
			// Top-N: sort what we have and keep the first keep rows.
			merged, err := s.sortRecords(recs, keep)
			release()
			if err != nil {
				return err
			}
			recs = []arrow.Record{merged}
			rows = merged.NumRows()
			s.mem.Release(s.held)
			s.held = RecordSize(merged)
			_ = s.mem.Grow(s.held)
		}
	}
	out, err := s.sortRecords(recs, keep)
	release()
	if err != nil {
		return err
	}
	s.out = out
	return nil
}

// sortRecords concatenates recs, sorts the rows and returns the first
// limit rows (all when limit < 0).
func (s *Sort) sortRecords(recs []arrow.Record, limit int64) (arrow.Record, error) {
	schema := s.Child.Schema()
	if len(recs) == 0 {
		return RecordOf(schema, nil), nil
	}
	all, err := concatRecords(schema, recs)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	n := int(all.NumRows())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	cmps := make([]func(i, j int) int, len(s.Keys))
	for k, key := range s.Keys {
		cmps[k] = columnComparator(all.Column(key.Col), schema[key.Col].Type, key)
	}
	less := func(a, b int) bool {
		i, j := idx[a], idx[b]
		for _, c := range cmps {
			if r := c(i, j); r != 0 {
				return r < 0
			}
		}
		return i < j // stable
	}
	sort.Slice(idx, less)
	if limit >= 0 && int64(len(idx)) > limit {
		idx = idx[:limit]
	}
	return TakeRecord(all, idx), nil
}

// concatRecords concatenates records of one schema.
func concatRecords(schema Schema, recs []arrow.Record) (arrow.Record, error) {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	cols := make([]arrow.Array, len(schema))
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for c := range schema {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, Alloc)
		if err != nil {
			for _, x := range cols[:c] {
				x.Release()
			}
			return nil, err
		}
		cols[c] = a
	}
	out := array.NewRecord(schema.Arrow(), cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// columnComparator returns a three-way comparison of rows i and j of a
// with the key's direction and NULL placement.
func columnComparator(a arrow.Array, t *types.T, key SortKey) func(i, j int) int {
	var base func(i, j int) int
	switch x := a.(type) {
	case *array.Int64:
		v := x.Int64Values()
		base = func(i, j int) int { return cmpOrdered(v[i], v[j], false) }
	case *array.Int32:
		v := x.Int32Values()
		base = func(i, j int) int { return cmpOrdered(v[i], v[j], false) }
	case *array.Int16:
		v := x.Int16Values()
		base = func(i, j int) int { return cmpOrdered(v[i], v[j], false) }
	case *array.Uint32:
		v := x.Uint32Values()
		base = func(i, j int) int { return cmpOrdered(v[i], v[j], false) }
	case *array.Float64:
		v := x.Float64Values()
		base = func(i, j int) int { return floatCmp(v[i], v[j]) }
	case *array.Float32:
		v := x.Float32Values()
		base = func(i, j int) int { return floatCmp(float64(v[i]), float64(v[j])) }
	case *array.Date32:
		v := valuesOf[int32](a)
		base = func(i, j int) int { return cmpOrdered(v[i], v[j], false) }
	case *array.Timestamp, *array.Time64:
		v := valuesOf[int64](a)
		base = func(i, j int) int { return cmpOrdered(v[i], v[j], false) }
	case *array.String:
		if t.Family == types.FamNumeric {
			base = func(i, j int) int { return CompareDatums(t, Datum(a, i, t), Datum(a, j, t)) }
		} else {
			base = func(i, j int) int { return strings.Compare(x.Value(i), x.Value(j)) }
		}
	case *array.Binary:
		base = func(i, j int) int { return bytes.Compare(x.Value(i), x.Value(j)) }
	case *array.Boolean:
		base = func(i, j int) int {
			a, b := x.Value(i), x.Value(j)
			switch {
			case a == b:
				return 0
			case !a:
				return -1
			}
			return 1
		}
	default:
		base = func(i, j int) int { return CompareDatums(t, Datum(a, i, t), Datum(a, j, t)) }
	}
	desc := key.Desc
	nullsFirst := key.NullsFirst
	if a.NullN() == 0 {
		if desc {
			return func(i, j int) int { return -base(i, j) }
		}
		return base
	}
	return func(i, j int) int {
		ni, nj := a.IsNull(i), a.IsNull(j)
		switch {
		case ni && nj:
			return 0
		case ni:
			if nullsFirst {
				return -1
			}
			return 1
		case nj:
			if nullsFirst {
				return 1
			}
			return -1
		}
		if desc {
			return -base(i, j)
		}
		return base(i, j)
	}
}

// materialized is the output side of an operator that computes its whole
// result as one record (Sort, Window) and hands it out BatchSize rows at a
// time.
type materialized struct {
	out     arrow.Record
	emitted int64
	done    bool
}

// next returns the next slice of out, running build first to set it.
func (m *materialized) next(ctx context.Context, build func(context.Context) error) (arrow.Record, error) {
	if m.done {
		return nil, io.EOF
	}
	if m.out == nil {
		if err := build(ctx); err != nil {
			m.done = true
			return nil, err
		}
	}
	n := m.out.NumRows()
	if m.emitted >= n {
		m.done = true
		return nil, io.EOF
	}
	to := min(n, m.emitted+int64(BatchSize))
	rec := m.out.NewSlice(m.emitted, to)
	m.emitted = to
	return rec, nil
}

// Next implements Operator.
func (s *Sort) Next(ctx context.Context) (arrow.Record, error) {
	return s.materialized.next(ctx, s.collect)
}

// Close implements Operator.
func (s *Sort) Close() error {
	if s.out != nil {
		s.out.Release()
		s.out = nil
	}
	s.mem.Release(s.held)
	s.held = 0
	s.done = true
	return s.Child.Close()
}

// Children implements Operator.
func (s *Sort) Children() []Operator { return []Operator{s.Child} }

func (s *Sort) String() string {
	in := s.Child.Schema()
	parts := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		p := in[k.Col].Name
		if k.Desc {
			p += " DESC"
		}
		if k.NullsFirst != k.Desc {
			if k.NullsFirst {
				p += " NULLS FIRST"
			} else {
				p += " NULLS LAST"
			}
		}
		parts[i] = p
	}
	if s.Limit >= 0 {
		return fmt.Sprintf("TopN: %d by %s", s.Limit+s.Offset, strings.Join(parts, ", "))
	}
	return "Sort: " + strings.Join(parts, ", ")
}
