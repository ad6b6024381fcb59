package exec

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// joinRows runs op to the end and renders its rows sorted, one string per
// row ("1 a NULL").
func joinRows(t *testing.T, op Operator) []string {
	t.Helper()
	rows, _ := drainRows(t, op)
	sort.Strings(rows)
	return rows
}

// drainRows runs op to the end under a fresh memory tracker, closes it and
// renders its rows in output order, one string per row ("1 a NULL").
func drainRows(t *testing.T, op Operator) ([]string, *MemTracker) {
	t.Helper()
	mt := NewMemTracker(0)
	ctx := WithExecCtx(context.Background(), &Ctx{Mem: mt})
	var rows []string
	schema := op.Schema()
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if int(rec.NumCols()) != len(schema) {
			t.Fatalf("record has %d columns, schema %d", rec.NumCols(), len(schema))
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			parts := make([]string, len(schema))
			for c := range schema {
				v := Datum(rec.Column(c), i, schema[c].Type)
				if v == nil {
					parts[c] = "NULL"
				} else {
					parts[c] = types.FormatText(schema[c].Type, v, nil)
				}
			}
			rows = append(rows, strings.Join(parts, " "))
		}
		rec.Release()
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	return rows, mt
}

func intCmp(t *testing.T, op string, l, r Expr) Expr {
	t.Helper()
	fn, _, err := Resolve(op, []*types.T{types.Int4, types.Int4})
	if err != nil {
		t.Fatal(err)
	}
	return NewCall(fn, []Expr{l, r})
}

func TestHashJoinFull(t *testing.T) {
	ls := Schema{{Name: "k", Type: types.Int4}, {Name: "x", Type: types.Int4}}
	rs := Schema{{Name: "k", Type: types.Int4}, {Name: "y", Type: types.Int4}}
	left := [][]any{{int64(1), int64(10)}, {int64(1), int64(11)}, {int64(2), int64(20)}, {nil, int64(30)}, {int64(4), int64(40)}}
	right := [][]any{{int64(1), int64(100)}, {int64(2), int64(200)}, {int64(2), int64(201)}, {nil, int64(300)}, {int64(5), int64(500)}}
	lk := &ColRef{Idx: 0, T: types.Int4, Name: "k"}
	lx := &ColRef{Idx: 1, T: types.Int4, Name: "x"}
	rk := &ColRef{Idx: 2, T: types.Int4, Name: "k"}
	ry := &ColRef{Idx: 3, T: types.Int4, Name: "y"}
	cases := []struct {
		name         string
		lrows, rrows [][]any
		keys         bool // hash on k = k (else the condition is all residual)
		residual     Expr
		want         []string
	}{
		{name: "keys", lrows: left, rrows: right, keys: true, want: []string{
			"1 10 1 100", "1 11 1 100", "2 20 2 200", "2 20 2 201",
			"4 40 NULL NULL", "NULL 30 NULL NULL", "NULL NULL 5 500", "NULL NULL NULL 300"}},
		// A pair matches only if the whole condition holds: build row
		// (2, 201) has an equal key but fails y < 201, so it comes out
		// unmatched too.
		{name: "keys and residual", lrows: left, rrows: right, keys: true,
			residual: intCmp(t, "<", ry, &Const{Value: int64(201), T: types.Int4}),
			want: []string{
				"1 10 1 100", "1 11 1 100", "2 20 2 200",
				"4 40 NULL NULL", "NULL 30 NULL NULL", "NULL NULL 2 201", "NULL NULL 5 500", "NULL NULL NULL 300"}},
		{name: "residual only", lrows: left, rrows: right,
			residual: intCmp(t, ">", intCmp(t, "*", lx, &Const{Value: int64(10), T: types.Int4}), ry),
			want: []string{
				"1 10 NULL NULL", "1 11 1 100", "2 20 1 100",
				"4 40 1 100", "4 40 2 200", "4 40 2 201", "4 40 NULL 300",
				"NULL 30 1 100", "NULL 30 2 200", "NULL 30 2 201",
				"NULL NULL 5 500"}},
		{name: "residual on equal keys only", lrows: left, rrows: right,
			residual: intCmp(t, "=", lk, rk),
			want: []string{
				"1 10 1 100", "1 11 1 100", "2 20 2 200", "2 20 2 201",
				"4 40 NULL NULL", "NULL 30 NULL NULL", "NULL NULL 5 500", "NULL NULL NULL 300"}},
		{name: "empty left", rrows: right, keys: true, want: []string{
			"NULL NULL 1 100", "NULL NULL 2 200", "NULL NULL 2 201", "NULL NULL 5 500", "NULL NULL NULL 300"}},
		{name: "empty right", lrows: left, keys: true, want: []string{
			"1 10 NULL NULL", "1 11 NULL NULL", "2 20 NULL NULL", "4 40 NULL NULL", "NULL 30 NULL NULL"}},
		{name: "both empty", keys: true},
		{name: "false", lrows: left[:1], rrows: right[:1], residual: &Const{Value: false, T: types.Bool},
			want: []string{"1 10 NULL NULL", "NULL NULL 1 100"}},
	}
	for _, batch := range []int{3, 8192} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/batch %d", c.name, batch), func(t *testing.T) {
				defer SetBatchSize(batch)()
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				saved := Alloc
				Alloc = mem
				defer func() { Alloc = saved }()
				j := &HashJoin{
					Left:     &Records{Out: ls, Recs: batches(ls, c.lrows, batch)},
					Right:    &Records{Out: rs, Recs: batches(rs, c.rrows, batch)},
					Kind:     FullJoin,
					Residual: c.residual,
					Out:      append(append(Schema{}, ls...), rs...),
				}
				if c.keys {
					j.LeftKeys, j.RightKeys = []int{0}, []int{0}
				}
				got := joinRows(t, j)
				if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
				}
				mem.AssertSize(t, 0)
			})
		}
	}
}

// batches splits rows into records of at most n rows.
func batches(s Schema, rows [][]any, n int) []arrow.Record {
	var out []arrow.Record
	for len(rows) > 0 {
		m := min(n, len(rows))
		out = append(out, RecordOf(s, rows[:m]))
		rows = rows[m:]
	}
	return out
}

func TestHashJoinFullString(t *testing.T) {
	s := Schema{{Name: "a", Type: types.Int4}}
	j := &HashJoin{Left: &Records{Out: s}, Right: &Records{Out: s}, LeftKeys: []int{0}, RightKeys: []int{0}, Kind: FullJoin}
	if got := j.String(); got != "HashFullJoin: a = a" {
		t.Errorf("String() = %q", got)
	}
	j.LeftKeys, j.RightKeys = nil, nil
	if got := j.String(); got != "NestedLoopFullJoin" {
		t.Errorf("String() = %q", got)
	}
}

// TestHashJoinFullManyBuildRows crosses the 64-row words of the matched
// bitmap: build keys 100..299 against probe keys 0..149.
func TestHashJoinFullManyBuildRows(t *testing.T) {
	s := Schema{{Name: "k", Type: types.Int4}}
	var lrows, rrows [][]any
	for k := 0; k < 150; k++ {
		lrows = append(lrows, []any{int64(k)})
	}
	for k := 299; k >= 100; k-- {
		rrows = append(rrows, []any{int64(k)})
	}
	for _, batch := range []int{7, 64, 8192} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			defer SetBatchSize(batch)()
			j := &HashJoin{Left: &Records{Out: s, Recs: batches(s, lrows, batch)}, Right: &Records{Out: s, Recs: batches(s, rrows, batch)},
				LeftKeys: []int{0}, RightKeys: []int{0}, Kind: FullJoin, Out: Schema{s[0], s[0]}}
			var leftOnly, both, rightOnly int
			for _, r := range joinRows(t, j) {
				var a, b string
				fmt.Sscan(r, &a, &b)
				switch {
				case b == "NULL":
					leftOnly++
				case a == "NULL":
					rightOnly++
				case a == b:
					both++
				default:
					t.Errorf("row %q", r)
				}
			}
			if leftOnly != 100 || both != 50 || rightOnly != 150 {
				t.Errorf("left only %d, both %d, right only %d; want 100, 50, 150", leftOnly, both, rightOnly)
			}
		})
	}
}
