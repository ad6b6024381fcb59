package exec

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// fxArg is an argument of a test call: a column of values or a constant.
type fxArg struct {
	t     *types.T
	vals  []any
	konst bool
	dict  bool // build the column dictionary-encoded (text only)
}

// fcol is a column argument; fconst a constant; fdict a dictionary column.
func fcol(t *types.T, vals ...any) fxArg { return fxArg{t: t, vals: fxNorm(t, vals)} }
func fconst(t *types.T, v any) fxArg     { return fxArg{t: t, vals: fxNorm(t, []any{v}), konst: true} }
func fdict(vals ...any) fxArg            { return fxArg{t: types.Text, vals: vals, dict: true} }
func ftext(vals ...any) fxArg            { return fcol(types.Text, vals...) }
func fstr(s string) fxArg                { return fconst(types.Text, s) }
func fint(v int64) fxArg                 { return fconst(types.Int4, v) }
func ffloat(v float64) fxArg             { return fconst(types.Float8, v) }
func fnull(t *types.T) fxArg             { return fconst(t, nil) }

// fxNorm converts untyped Go constants in test tables to the datum type
// of t (int → float64 for floats, int → int64 for integers).
func fxNorm(t *types.T, vals []any) []any {
	for i, v := range vals {
		if x, ok := v.(int); ok {
			switch t.Family {
			case types.FamFloat:
				vals[i] = float64(x)
			case types.FamInt:
				vals[i] = int64(x)
			}
		}
	}
	return vals
}

// fxBuild builds an Arrow column for a.
func fxBuild(a fxArg, rows []int) arrow.Array {
	if a.dict {
		b := array.NewDictionaryBuilder(Alloc, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
		defer b.Release()
		for _, r := range rows {
			if a.vals[r] == nil {
				b.AppendNull()
			} else if err := b.AppendString(a.vals[r].(string)); err != nil {
				panic(err)
			}
		}
		return b.NewArray()
	}
	b := NewBuilder(a.t)
	defer b.Release()
	for _, r := range rows {
		AppendDatum(b, a.t, a.vals[r])
	}
	return b.NewArray()
}

// fxCall resolves name over the argument types and returns the call over
// a record whose columns are the column arguments (in order) and the
// record's row count.
func fxCall(name string, args []fxArg, rows []int) (*Call, arrow.Record, error) {
	ts := make([]*types.T, len(args))
	for i, a := range args {
		ts[i] = a.t
	}
	fn, targets, err := Resolve(name, ts)
	if err != nil {
		return nil, nil, err
	}
	var fields []arrow.Field
	var cols []arrow.Array
	exprs := make([]Expr, len(args))
	for i, a := range args {
		var e Expr
		if a.konst {
			e = &Const{Value: a.vals[0], T: a.t}
		} else {
			c := fxBuild(a, rows)
			defer c.Release()
			e = &ColRef{Idx: len(cols), T: a.t}
			fields = append(fields, arrow.Field{Name: "c", Type: c.DataType(), Nullable: true})
			cols = append(cols, c)
		}
		if tt := targets[i]; tt != Any && tt != AnyArray && !types.Equal(tt, a.t) && a.t.Family != types.FamUnknown {
			ce, err := NewCast(e, tt)
			if err != nil {
				return nil, nil, err
			}
			e = ce
		}
		exprs[i] = e
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(len(rows)))
	return NewCall(fn, exprs), rec, nil
}

// fxRender renders a result datum as PostgreSQL prints it, "NULL" for NULL.
func fxRender(ctx *Ctx, t *types.T, v any) string {
	if v == nil {
		return "NULL"
	}
	kc := &KernelCtx{Ctx: ctx}
	return string(appendDatumText(kc, nil, t, v))
}

// fxEval evaluates name over the rows of the column arguments, in
// batches of BatchSize rows (the tests set 3; sliced records, so arrays
// carry offsets), and
// returns each row rendered. With no column arguments it returns the one
// scalar result.
func fxEval(ctx *Ctx, name string, args ...fxArg) ([]string, error) {
	n := -1
	for _, a := range args {
		if !a.konst {
			n = len(a.vals)
		}
	}
	if n < 0 {
		call, rec, err := fxCall(name, args, []int{0})
		if err != nil {
			return nil, err
		}
		defer rec.Release()
		v, err := call.Eval(ctx, rec)
		if err != nil {
			return nil, err
		}
		defer v.Release()
		if v.Arr != nil {
			return []string{fxRender(ctx, call.Ret, Datum(v.Arr, 0, call.Ret))}, nil
		}
		return []string{fxRender(ctx, call.Ret, v.Scalar)}, nil
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	call, rec, err := fxCall(name, args, all)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	var out []string
	step := int64(max(BatchSize, 1))
	for lo := int64(0); lo < int64(n) || (n == 0 && lo == 0); lo += step {
		hi := min(lo+step, int64(n))
		slice := rec.NewSlice(lo, hi)
		v, err := call.Eval(ctx, slice)
		slice.Release()
		if err != nil {
			return nil, err
		}
		for i := 0; i < int(hi-lo); i++ {
			var d any
			if v.Arr != nil {
				if v.Arr.Len() != int(hi-lo) {
					v.Release()
					return nil, errorf("result has %d rows, want %d", v.Arr.Len(), hi-lo)
				}
				d = Datum(v.Arr, i, call.Ret)
			} else {
				d = v.Scalar
			}
			out = append(out, fxRender(ctx, call.Ret, d))
		}
		v.Release()
		if n == 0 {
			break
		}
	}
	return out, nil
}

// fxCase is one table-driven check: fn over args gives want (one string
// per row of the column arguments; one string when all are constants).
type fxCase struct {
	fn   string
	args []fxArg
	want []string
}

// fxRows checks each case as columns (batches of 3 rows), then each row
// again with every argument a constant (the scalar path), which must
// agree.
func fxRows(t *testing.T, ctx *Ctx, cases []fxCase) {
	t.Helper()
	defer SetBatchSize(3)()
	for _, c := range cases {
		got, err := fxEval(ctx, c.fn, c.args...)
		if err != nil {
			t.Errorf("%s%s: %v", c.fn, fxSig(c.args), err)
			continue
		}
		if strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
			t.Errorf("%s%s = %q, want %q", c.fn, fxSig(c.args), got, c.want)
			continue
		}
		for r := range got {
			sc := make([]fxArg, len(c.args))
			for i, a := range c.args {
				v := a.vals[0]
				if !a.konst {
					v = a.vals[r]
				}
				sc[i] = fconst(a.t, v)
			}
			one, err := fxEval(ctx, c.fn, sc...)
			if err != nil {
				t.Errorf("%s%s row %d as constants: %v", c.fn, fxSig(c.args), r, err)
				continue
			}
			if one[0] != got[r] {
				t.Errorf("%s%s row %d: scalar path %q, array path %q", c.fn, fxSig(c.args), r, one[0], got[r])
			}
		}
	}
}

func fxSig(args []fxArg) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if a.konst {
			parts[i] = fxRender(nil, a.t, a.vals[0])
		} else {
			parts[i] = a.t.Name + " column"
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// fxOne evaluates a call over constants and returns its one result.
func fxOne(t *testing.T, ctx *Ctx, fn string, args ...fxArg) string {
	t.Helper()
	got, err := fxEval(ctx, fn, args...)
	if err != nil {
		t.Fatalf("%s%s: %v", fn, fxSig(args), err)
	}
	return got[0]
}

// fxCode evaluates a call that must fail and returns its SQLSTATE.
func fxCode(t *testing.T, ctx *Ctx, fn string, args ...fxArg) string {
	t.Helper()
	_, err := fxEval(ctx, fn, args...)
	if err == nil {
		t.Fatalf("%s%s: no error", fn, fxSig(args))
	}
	return sqlstate.CodeOf(err)
}

// fxCtx is a statement context with a fixed now() and a session zone.
func fxCtx(t *testing.T, zone string) *Ctx {
	t.Helper()
	ctx := NewCtx()
	ctx.Now = fxTS(t, "2024-03-15 12:34:56.789012+00")
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Skipf("time zone %s not available: %v", zone, err)
		}
		ctx.Loc = loc
	}
	return ctx
}

func fxTS(t testing.TB, s string) types.TimestampD {
	t.Helper()
	v, err := types.ParseTimestamp(s, time.UTC, true)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fxTSNoTZ(t testing.TB, s string) types.TimestampD {
	t.Helper()
	v, err := types.ParseTimestamp(s, time.UTC, false)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fxIv(t testing.TB, s string) types.IntervalD {
	t.Helper()
	v, err := types.ParseInterval(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func fxDate(t testing.TB, s string) types.DateD {
	t.Helper()
	v, err := types.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFuncHarnessEmptyAndOneRow(t *testing.T) {
	ctx := fxCtx(t, "")
	// Zero rows: the kernels return zero-row arrays.
	for _, fn := range []string{"lower", "upper", "length", "md5", "reverse"} {
		got, err := fxEval(ctx, fn, ftext())
		if err != nil || len(got) != 0 {
			t.Errorf("%s over zero rows = %q, %v", fn, got, err)
		}
	}
	got, err := fxEval(ctx, "date_bin", fconst(types.Interval, fxIv(t, "1 minute")), fcol(types.TimestampTZ), fconst(types.TimestampTZ, types.TimestampD(0)))
	if err != nil || len(got) != 0 {
		t.Errorf("date_bin over zero rows = %q, %v", got, err)
	}
	got, err = fxEval(ctx, "like", ftext(), fstr("a%"), fstr(`\`))
	if err != nil || len(got) != 0 {
		t.Errorf("like over zero rows = %q, %v", got, err)
	}
	// One row, and an all-NULL column.
	fxRows(t, ctx, []fxCase{
		{"upper", []fxArg{ftext("x")}, []string{"X"}},
		{"upper", []fxArg{ftext(nil, nil, nil, nil)}, []string{"NULL", "NULL", "NULL", "NULL"}},
		{"length", []fxArg{fdict(nil, "ab", nil, "ab", "c")}, []string{"NULL", "2", "NULL", "2", "1"}},
	})
}
