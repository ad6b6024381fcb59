package exec

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"testing"

	"lambdasql/exec/agg"
	"lambdasql/sql/types"
)

// BenchmarkKeyedSave: checkpointing a speed state of 100k groups holding
// 4M distinct (group, user) pairs, as device_metrics after 4M events.
func BenchmarkKeyedSave(b *testing.B) {
	in := Schema{{Name: "k", Type: types.Text}, {Name: "u", Type: types.Text}, {Name: "v", Type: types.Float8}}
	aggs := []AggCall{
		{Name: "count", Filter: -1, Spec: agg.Spec{Name: "count", Result: types.Int8}},
		{Name: "avg", Filter: -1, Args: []int{2}, Spec: agg.Spec{Name: "avg", Args: []*types.T{types.Float8}, Result: types.Float8}},
		{Name: "count", Filter: -1, Args: []int{1}, Spec: agg.Spec{Name: "count", Distinct: true, Args: []*types.T{types.Text}, Result: types.Int8}},
	}
	st, err := NewKeyedState([]*types.T{types.Text}, aggs)
	if err != nil {
		b.Fatal(err)
	}
	const rows = 4_000_000
	for from := 0; from < rows; from += 100_000 {
		var rs [][]any
		for i := from; i < from+100_000; i++ {
			rs = append(rs, []any{fmt.Sprintf("device-%06d", i%100_000), fmt.Sprintf("user-%06d", (i*31+i/100_000*17)%100_000), float64(i % 100)})
		}
		rec := RecordOf(in, rs)
		if err := st.Update(rec, []int{0}); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	b.ResetTimer()
	for b.Loop() {
		if err := st.Save(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroupTableManyGroups: 2M distinct (text, timestamp) keys, the
// shape of Q2's device × minute groups.
func BenchmarkGroupTableManyGroups(b *testing.B) {
	in := Schema{{Name: "d", Type: types.Text}, {Name: "t", Type: types.TimestampTZ}}
	const n = 2_000_000
	var recs []arrow.Record
	for from := 0; from < n; from += BatchSize {
		var rs [][]any
		for i := from; i < min(from+BatchSize, n); i++ {
			rs = append(rs, []any{fmt.Sprintf("device-%05d", i%10_000), types.TimestampD(int64(i/10_000) * 60_000_000)})
		}
		recs = append(recs, RecordOf(in, rs))
	}
	groups := make([]uint32, BatchSize)
	b.ResetTimer()
	for b.Loop() {
		t := NewGroupTable([]*types.T{types.Text, types.TimestampTZ})
		for _, r := range recs {
			t.Insert(r.Columns(), int(r.NumRows()), groups)
		}
		if t.Len() != n {
			b.Fatalf("%d groups", t.Len())
		}
	}
}
