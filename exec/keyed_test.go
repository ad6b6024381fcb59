package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/exec/agg"
	"lambdasql/sql/types"
)

// TestKeyedFinalizeSubset: finalizing a few groups (merged into fresh
// accumulators) gives exactly the rows finalizing everything and then
// selecting gives.
func TestKeyedFinalizeSubset(t *testing.T) {
	in := Schema{{Name: "k", Type: types.Text}, {Name: "v", Type: types.Float8}}
	aggs := []AggCall{
		{Name: "count", Filter: -1, Spec: agg.Spec{Name: "count", Result: types.Int8}},
		{Name: "avg", Filter: -1, Args: []int{1}, Spec: agg.Spec{Name: "avg", Args: []*types.T{types.Float8}, Result: types.Float8}},
		{Name: "string_agg", Filter: -1, Args: []int{0}, Spec: agg.Spec{Name: "string_agg", Args: []*types.T{types.Text}, Const: []any{","}, Result: types.Text}},
		{Name: "count", Filter: -1, Args: []int{1}, Spec: agg.Spec{Name: "count", Distinct: true, Args: []*types.T{types.Float8}, Result: types.Int8}},
	}
	out := Schema{{Name: "k", Type: types.Text}, {Name: "count", Type: types.Int8}, {Name: "avg", Type: types.Float8}, {Name: "string_agg", Type: types.Text}, {Name: "count_distinct", Type: types.Int8}}
	st, err := NewKeyedState([]*types.T{types.Text}, aggs)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for i := 0; i < 1000; i++ {
		rows = append(rows, []any{fmt.Sprintf("k%03d", i%100), float64(i % 7)})
	}
	rec := RecordOf(in, rows)
	defer rec.Release()
	if err := st.Update(rec, []int{0}); err != nil {
		t.Fatal(err)
	}
	pick := func(keys []arrow.Array, g int) bool { return g%10 == 3 } // 10 of 100 groups
	text := func(recs []arrow.Record) string { return recordsText(recs, out) }
	sub, err := st.Finalize(out, pick)
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.Finalize(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []arrow.Record
	for _, r := range all {
		var idx []int
		for i := 0; i < int(r.NumRows()); i++ {
			if i%10 == 3 {
				idx = append(idx, i)
			}
		}
		want = append(want, TakeRecord(r, idx))
		r.Release()
	}
	got, exp := text(sub), text(want)
	if got != exp || got == "" {
		t.Fatalf("subset:\n%s\nwant:\n%s", got, exp)
	}
}

// TestKeyedFinalizeEq: the equality index finds a key's groups among
// many (per-group state copies), stays current as groups are added, and
// gives exactly what Finalize with the same filter gives.
func TestKeyedFinalizeEq(t *testing.T) {
	in := Schema{{Name: "k", Type: types.Text}, {Name: "w", Type: types.Int8}, {Name: "v", Type: types.Float8}}
	aggs := []AggCall{
		{Name: "count", Filter: -1, Spec: agg.Spec{Name: "count", Result: types.Int8}},
		{Name: "avg", Filter: -1, Args: []int{2}, Spec: agg.Spec{Name: "avg", Args: []*types.T{types.Float8}, Result: types.Float8}},
		{Name: "max", Filter: -1, Args: []int{2}, Spec: agg.Spec{Name: "max", Args: []*types.T{types.Float8}, Result: types.Float8}},
		{Name: "count", Filter: -1, Args: []int{2}, Spec: agg.Spec{Name: "count", Distinct: true, Args: []*types.T{types.Float8}, Result: types.Int8}},
		{Name: "sum", Filter: -1, Args: []int{2}, Spec: agg.Spec{Name: "sum", Distinct: true, Args: []*types.T{types.Float8}, Result: types.Float8}},
	}
	out := Schema{{Name: "k", Type: types.Text}, {Name: "w", Type: types.Int8}, {Name: "count", Type: types.Int8},
		{Name: "avg", Type: types.Float8}, {Name: "max", Type: types.Float8}, {Name: "cd", Type: types.Int8}, {Name: "sd", Type: types.Float8}}
	st, err := NewKeyedState([]*types.T{types.Text, types.Int8}, aggs)
	if err != nil {
		t.Fatal(err)
	}
	add := func(from, to int) {
		var rows [][]any
		for i := from; i < to; i++ {
			var k any = fmt.Sprintf("k%03d", i%300)
			if i%997 == 0 {
				k = nil
			}
			var w any = int64(i / 3000)
			if i%13 == 0 {
				w = nil // NULL in the other key column
			}
			rows = append(rows, []any{k, w, float64(i % 11)})
		}
		rec := RecordOf(in, rows)
		defer rec.Release()
		if err := st.Update(rec, []int{0, 1}); err != nil {
			t.Fatal(err)
		}
	}
	text := func(recs []arrow.Record) string { return recordsText(recs, out) }
	keep := func(keys []arrow.Array, g int) bool { return keys[1].IsNull(g) || keys[1].(*array.Int64).Value(g) >= 2 }
	check := func(key string) {
		t.Helper()
		got, ok, err := st.FinalizeEq(out, 0, key, keep)
		if err != nil || !ok {
			t.Fatalf("FinalizeEq: %v %v", ok, err)
		}
		want, err := st.Finalize(out, func(keys []arrow.Array, g int) bool {
			return !keys[0].IsNull(g) && keys[0].(*array.String).Value(g) == key && keep(keys, g)
		})
		if err != nil {
			t.Fatal(err)
		}
		g, w := text(got), text(want)
		if g != w || g == "" {
			t.Fatalf("key %s:\n%s\nwant:\n%s", key, g, w)
		}
	}
	add(0, 30000) // 300 keys × 10 windows: 3000 groups
	check("k042")
	add(30000, 45000) // 5 more windows: the index follows
	check("k042")
	check("k299")
	if recs, ok, err := st.FinalizeEq(out, 0, "nope", nil); err != nil || !ok || len(recs) != 0 {
		t.Fatalf("absent key: %d records, %v %v", len(recs), ok, err)
	}
	if _, ok, _ := st.FinalizeEq(out, 0, int64(1), nil); ok {
		t.Fatal("a text key looked up by an integer")
	}
	if _, ok, _ := st.FinalizeEq(out, 1, int64(1), nil); !ok {
		t.Fatal("integer keys are indexable")
	}
}

// recordsText prints recs (of schema out) one row a line, releasing them.
func recordsText(recs []arrow.Record, out Schema) string {
	s := ""
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			for c := 0; c < int(r.NumCols()); c++ {
				s += fmt.Sprint(Datum(r.Column(c), i, out[c].Type)) + " "
			}
			s += "\n"
		}
		r.Release()
	}
	return s
}
