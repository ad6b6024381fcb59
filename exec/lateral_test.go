package exec

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/types"
)

// TestLateralJoin runs the right side once per left row: for a row (k) it
// returns k rows 1..k (none for k <= 0 or NULL), in batches of BatchSize.
func TestLateralJoin(t *testing.T) {
	ls := Schema{{Name: "k", Type: types.Int4}}
	rs := Schema{{Name: "g", Type: types.Int4}}
	left := [][]any{{int64(2)}, {int64(0)}, {nil}, {int64(3)}, {int64(1)}}
	g := &ColRef{Idx: 1, T: types.Int4, Name: "g"}
	cases := []struct {
		name     string
		kind     JoinKind
		residual Expr
		want     []string
	}{
		{name: "inner", kind: InnerJoin, want: []string{"1 1", "2 1", "2 2", "3 1", "3 2", "3 3"}},
		{name: "left", kind: LeftJoin, want: []string{"0 NULL", "1 1", "2 1", "2 2", "3 1", "3 2", "3 3", "NULL NULL"}},
		{name: "left with ON", kind: LeftJoin, residual: intCmp(t, ">", g, &Const{Value: int64(1), T: types.Int4}),
			want: []string{"0 NULL", "1 NULL", "2 2", "3 2", "3 3", "NULL NULL"}},
		// Row 3's pairs span two right batches at batch size 2: the match
		// is in the second, then in the first.
		{name: "left with ON g = k", kind: LeftJoin, residual: intCmp(t, "=", g, &ColRef{Idx: 0, T: types.Int4, Name: "k"}),
			want: []string{"0 NULL", "1 1", "2 2", "3 3", "NULL NULL"}},
		{name: "left with ON g = 1", kind: LeftJoin, residual: intCmp(t, "=", g, &Const{Value: int64(1), T: types.Int4}),
			want: []string{"0 NULL", "1 1", "2 1", "3 1", "NULL NULL"}},
		{name: "inner with ON", kind: InnerJoin, residual: intCmp(t, "=", g, &ColRef{Idx: 0, T: types.Int4, Name: "k"}),
			want: []string{"1 1", "2 2", "3 3"}},
	}
	for _, batch := range []int{2, 8192} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/batch %d", c.name, batch), func(t *testing.T) {
				defer SetBatchSize(batch)()
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				saved := Alloc
				Alloc = mem
				defer func() { Alloc = saved }()
				runs := 0
				j := &LateralJoin{
					Left: &Records{Out: ls, Recs: batches(ls, left, batch)},
					Args: []Expr{&ColRef{Idx: 0, T: types.Int4, Name: "k"}},
					Right: func(_ context.Context, args []any) (Operator, error) {
						runs++
						var rows [][]any
						if k, ok := args[0].(int64); ok {
							for i := int64(1); i <= k; i++ {
								rows = append(rows, []any{i})
							}
						}
						return &Records{Out: rs, Recs: batches(rs, rows, batch)}, nil
					},
					Kind:     c.kind,
					Residual: c.residual,
					Out:      append(append(Schema{}, ls...), rs...),
				}
				got := joinRows(t, j)
				if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
					t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
				}
				if runs != len(left) {
					t.Errorf("right side ran %d times, want %d", runs, len(left))
				}
				mem.AssertSize(t, 0)
			})
		}
	}
}
