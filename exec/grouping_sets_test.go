package exec

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/exec/agg"
	"lambdasql/sql/types"
)

// gsRows drains op and renders its rows ("1 a NULL"), in output order,
// checking that the statement's memory is given back on Close.
func gsRows(t *testing.T, op Operator) []string {
	t.Helper()
	rows, mt := drainRows(t, op)
	if u := mt.Used(); u != 0 {
		t.Errorf("%d bytes still charged after Close", u)
	}
	return rows
}

func gsAgg(t *testing.T, name string, distinct bool, args ...*types.T) agg.Spec {
	t.Helper()
	rt, err := types.AggregateResult(name, args, distinct)
	if err != nil {
		t.Fatal(err)
	}
	return agg.Spec{Name: name, Args: args, Distinct: distinct, Result: rt}
}

func TestGroupingSetsAggregate(t *testing.T) {
	in := Schema{{Name: "a", Type: types.Text}, {Name: "b", Type: types.Int4}, {Name: "v", Type: types.Int4}, {Name: "f", Type: types.Bool}}
	rows := [][]any{
		{"x", int64(1), int64(10), true},
		{"x", int64(2), int64(20), false},
		{"y", int64(1), int64(10), true},
		{nil, int64(1), nil, true}, // a NULL key in the data
		{"x", int64(1), int64(5), nil},
		{"y", nil, int64(7), true},
	}
	aggs := []AggCall{
		{Spec: gsAgg(t, "count", false), Filter: -1, Name: "count(*)"},
		{Spec: gsAgg(t, "sum", false, types.Int4), Args: []int{2}, Filter: -1, Name: "sum(v)"},
		{Spec: gsAgg(t, "count", true, types.Int4), Args: []int{2}, Filter: -1, Name: "count(DISTINCT v)"},
		{Spec: gsAgg(t, "count", false), Filter: 3, Name: "count(*) FILTER (WHERE f)"},
	}
	out := Schema{{Name: "a", Type: types.Text}, {Name: "b", Type: types.Int4},
		{Name: "count", Type: types.Int8}, {Name: "sum", Type: types.Int8}, {Name: "count", Type: types.Int8}, {Name: "count", Type: types.Int8},
		{Name: "grouping", Type: types.Int4}, {Name: "grouping", Type: types.Int4}}
	// ROLLUP (a, b), then GROUPING SETS ((b)); GROUPING(a, b) and GROUPING(b).
	sets := [][]int{{0, 1}, {0}, {}, {1}}
	want := []string{
		// (a, b)
		"NULL 1 1 NULL 0 1 0 0", "x 1 2 15 2 1 0 0", "x 2 1 20 1 0 0 0", "y 1 1 10 1 1 0 0", "y NULL 1 7 1 1 0 0",
		// (a)
		"NULL NULL 1 NULL 0 1 1 1", "x NULL 3 35 3 1 1 1", "y NULL 2 17 2 2 1 1",
		// ()
		"NULL NULL 6 52 4 4 3 1",
		// (b)
		"NULL 1 4 25 2 3 2 0", "NULL 2 1 20 1 0 2 0", "NULL NULL 1 7 1 1 2 0",
	}
	for _, batch := range []int{3, 8192} {
		for _, ordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("batch %d ordered %v", batch, ordered), func(t *testing.T) {
				defer SetBatchSize(batch)()
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				saved := Alloc
				Alloc = mem
				defer func() { Alloc = saved }()
				g := &GroupingSetsAggregate{
					Child: &Records{Out: in, Recs: batches(in, rows, batch)},
					Keys:  []int{0, 1}, Sets: sets, Aggs: aggs,
					Grouping: [][]int{{0, 1}, {1}}, Ordered: ordered, Out: out,
				}
				got := gsRows(t, g)
				// Rows of one set come together, sets in order; within a
				// set the order is the hash table's.
				var bySet []string
				n := []int{5, 3, 1, 3}
				for _, k := range n {
					if len(got) < k {
						t.Fatalf("got %d rows, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
					}
					part := append([]string{}, got[:k]...)
					sort.Strings(part)
					bySet = append(bySet, part...)
					got = got[k:]
				}
				if len(got) > 0 {
					t.Fatalf("extra rows: %v", got)
				}
				if strings.Join(bySet, "\n") != strings.Join(want, "\n") {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(bySet, "\n"), strings.Join(want, "\n"))
				}
				mem.AssertSize(t, 0)
			})
		}
	}
	t.Run("empty input", func(t *testing.T) {
		for _, ordered := range []bool{false, true} {
			g := &GroupingSetsAggregate{
				Child: &Records{Out: in}, Keys: []int{0, 1}, Sets: sets, Aggs: aggs,
				Grouping: [][]int{{0, 1}, {1}}, Ordered: ordered, Out: out,
			}
			got := gsRows(t, g)
			if w := "NULL NULL 0 NULL 0 0 3 1"; len(got) != 1 || got[0] != w {
				t.Errorf("ordered %v: got %v, want [%s]", ordered, got, w)
			}
		}
	})
}

func TestDistinctOn(t *testing.T) {
	in := Schema{{Name: "k", Type: types.Text}, {Name: "id", Type: types.Int4}}
	rows := [][]any{
		{"a", int64(1)}, {nil, int64(2)}, {"a", int64(3)}, {"b", int64(4)},
		{nil, int64(5)}, {"b", int64(6)}, {"c", int64(7)}, {"a", int64(8)},
	}
	for _, batch := range []int{1, 3, 8192} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			defer SetBatchSize(batch)()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			saved := Alloc
			Alloc = mem
			defer func() { Alloc = saved }()
			d := &DistinctOn{Child: &Records{Out: in, Recs: batches(in, rows, batch)}, Keys: []int{0}}
			got := strings.Join(gsRows(t, d), ", ")
			if want := "a 1, NULL 2, b 4, c 7"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			mem.AssertSize(t, 0)
		})
	}
}
