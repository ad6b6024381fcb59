package agg

import (
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// dictOf builds a dictionary array with the given index type over dict
// entries (nil entries are NULL in the dictionary) and indices (-1 is a
// NULL row).
func dictOf(t *testing.T, mem memory.Allocator, idxType arrow.DataType, dict []any, idx []int) arrow.Array {
	t.Helper()
	d := build(t, mem, types.Text, dict)
	defer d.Release()
	ib := array.NewBuilder(mem, idxType)
	defer ib.Release()
	for _, j := range idx {
		if j < 0 {
			ib.AppendNull()
			continue
		}
		switch b := ib.(type) {
		case *array.Int8Builder:
			b.Append(int8(j))
		case *array.Uint8Builder:
			b.Append(uint8(j))
		case *array.Int16Builder:
			b.Append(int16(j))
		case *array.Uint16Builder:
			b.Append(uint16(j))
		case *array.Int32Builder:
			b.Append(int32(j))
		case *array.Uint32Builder:
			b.Append(uint32(j))
		case *array.Int64Builder:
			b.Append(int64(j))
		case *array.Uint64Builder:
			b.Append(uint64(j))
		}
	}
	ix := ib.NewArray()
	defer ix.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: idxType, ValueType: arrow.BinaryTypes.String}, ix, d)
}

func TestDictionaryInputs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	idxTypes := []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Uint16,
		arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint64,
	}
	// Entry 1 of the dictionary is NULL: rows pointing at it are NULL.
	dict := []any{"b", nil, "a", "c"}
	idx := []int{0, 1, 2, -1, 0, 3, 2}
	groups := []uint32{0, 0, 0, 0, 1, 1, 1}
	specs := []struct {
		spec Spec
		want []any
	}{
		{sp("count", types.Text), []any{int64(2), int64(3)}},
		{distinct(sp("count", types.Text)), []any{int64(2), int64(3)}},
		{sp("min", types.Text), []any{"a", "a"}},
		{sp("max", types.Text), []any{"b", "c"}},
		{withConst(sp("string_agg", types.Text), ","), []any{"b,a", "b,c,a"}},
		{sp("array_agg", types.Text), []any{[]any{"b", nil, "a", nil}, []any{"b", "c", "a"}}},
		{sp("approx_count_distinct", types.Text), []any{int64(2), int64(3)}},
	}
	for _, it := range idxTypes {
		for _, s := range specs {
			t.Run(it.String()+"/"+specName(s.spec), func(t *testing.T) {
				a := dictOf(t, mem, it, dict, idx)
				defer a.Release()
				for _, batch := range []int{1, 3, 8192} {
					acc := mustNew(t, s.spec)
					acc.Grow(2)
					feed(t, acc, groups, []arrow.Array{a}, batch)
					if got := finalize(t, acc); !sameValues(got, s.want, 0) {
						t.Fatalf("batch %d: got %v, want %v", batch, got, s.want)
					}
				}
			})
		}
	}
}

// TestDictionaryChanges feeds count(DISTINCT) batches that reuse one
// dictionary, then switch to another whose ids mean other strings.
func TestDictionaryChanges(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := mustNew(t, distinct(sp("count", types.Text)))
	acc.Grow(2)
	d1 := dictOf(t, mem, arrow.PrimitiveTypes.Int32, []any{"x", "y"}, []int{0, 0, 1})
	defer d1.Release()
	d2 := dictOf(t, mem, arrow.PrimitiveTypes.Int32, []any{"y", "z", "w"}, []int{0, 1, 2})
	defer d2.Release()
	plain := build(t, mem, types.Text, []any{"x", "q", "w"})
	defer plain.Release()
	feed(t, acc, []uint32{0, 0, 0}, []arrow.Array{d1}, 8192)
	feed(t, acc, []uint32{0, 1, 1}, []arrow.Array{d1}, 8192)
	feed(t, acc, []uint32{0, 0, 1}, []arrow.Array{d2}, 8192)
	feed(t, acc, []uint32{1, 1, 1}, []arrow.Array{plain}, 8192)
	// group 0: x, y, z; group 1: x, y, w, q
	if got, want := finalize(t, acc), []any{int64(3), int64(4)}; !sameValues(got, want, 0) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestNullTypedColumn covers count(NULL), whose argument arrives as an
// Arrow Null array.
func TestNullTypedColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a := array.NewNull(3)
	defer a.Release()
	for _, spec := range []Spec{sp("count", types.Null), distinct(sp("count", types.Null)), sp("max", types.Null)} {
		acc := mustNew(t, spec)
		acc.Grow(1)
		if err := acc.Update([]uint32{0, 0, 0}, []arrow.Array{a}); err != nil {
			t.Fatalf("%s: %v", specName(spec), err)
		}
		want := []any{int64(0)}
		if spec.Name == "max" {
			want = []any{nil}
		}
		if got := finalize(t, acc); !sameValues(got, want, 0) {
			t.Fatalf("%s: got %v, want %v", specName(spec), got, want)
		}
	}
	acc := mustNew(t, sp("array_agg", types.Null))
	acc.Grow(1)
	if err := acc.Update([]uint32{0, 0}, []arrow.Array{array.NewSlice(a, 0, 2)}); err != nil {
		t.Fatal(err)
	}
	if got, want := finalize(t, acc), []any{[]any{nil, nil}}; !sameValues(got, want, 0) {
		t.Fatalf("array_agg(NULL): got %v, want %v", got, want)
	}
}

func TestFractionConstants(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	a := build(t, mem, types.Int4, []any{1, 2, 3, 4})
	defer a.Release()
	half, _, _ := apd.NewFromString("0.5")
	for _, c := range []any{0.5, float32(0.5), half, "0.5"} {
		acc := mustNew(t, withConst(sp("percentile_cont", types.Int4), c))
		acc.Grow(1)
		feed(t, acc, []uint32{0, 0, 0, 0}, []arrow.Array{a}, 8192)
		if got := finalize(t, acc); !sameValues(got, []any{2.5}, 0) {
			t.Fatalf("fraction %T: got %v", c, got)
		}
	}
	for _, c := range []any{int64(1), 1} {
		acc := mustNew(t, withConst(sp("percentile_disc", types.Int4), c))
		acc.Grow(1)
		feed(t, acc, []uint32{0, 0, 0, 0}, []arrow.Array{a}, 8192)
		if got := finalize(t, acc); !sameValues(got, []any{int64(4)}, 0) {
			t.Fatalf("fraction %T: got %v", c, got)
		}
	}
	if _, err := New(withConst(sp("percentile_cont", types.Int4), struct{}{})); err == nil {
		t.Fatal("a fraction of an unknown Go type was accepted")
	}
}
