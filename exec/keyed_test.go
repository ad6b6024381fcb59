package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"

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
	text := func(recs []arrow.Record) string {
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
