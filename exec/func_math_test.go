package exec

import (
	"math"
	"testing"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// Expected values were produced by PostgreSQL 15.

func fxNum(s string) any {
	d, _, err := apd.NewFromString(s)
	if err != nil {
		panic(err)
	}
	return d
}

func fnumc(vals ...string) fxArg {
	vs := make([]any, len(vals))
	for i, v := range vals {
		if v == "NULL" {
			continue
		}
		vs[i] = fxNum(v)
	}
	return fcol(types.Numeric, vs...)
}

func TestMathFunctions(t *testing.T) {
	ctx := fxCtx(t, "")
	F8, I2, I4, I8 := types.Float8, types.Int2, types.Int4, types.Int8
	fxRows(t, ctx, []fxCase{
		{"abs", []fxArg{fcol(I4, int64(-5), nil, int64(7))}, []string{"5", "NULL", "7"}},
		{"abs", []fxArg{fnumc("-5.5", "0")}, []string{"5.5", "0"}},
		{"abs", []fxArg{fcol(F8, -2.5)}, []string{"2.5"}},
		{"abs", []fxArg{fcol(types.Float4, -1.5)}, []string{"1.5"}},
		// numeric rounds half away from zero, float8 half to even.
		{"round", []fxArg{fnumc("2.5", "-2.5", "-0.4", "0.5")}, []string{"3", "-3", "0", "1"}},
		{"round", []fxArg{fcol(F8, 2.5, 3.5, -2.5, 0.5)}, []string{"2", "4", "-2", "0"}},
		{"round", []fxArg{fnumc("1234.5678", "1234.5", "1.5", "-1234.5"), fcol(I4, int64(2), int64(-2), int64(3), int64(-1))}, []string{"1234.57", "1200", "1.500", "-1230"}},
		{"round", []fxArg{fcol(I4, int64(7))}, []string{"7"}},
		{"trunc", []fxArg{fcol(F8, -1.57)}, []string{"-1"}},
		{"trunc", []fxArg{fnumc("1.579", "-1.579"), fint(2)}, []string{"1.57", "-1.57"}},
		{"trunc", []fxArg{fnumc("-1.5")}, []string{"-1"}},
		{"floor", []fxArg{fcol(F8, -1.5, 1.5)}, []string{"-2", "1"}},
		{"floor", []fxArg{fnumc("-0.5", "2.7")}, []string{"-1", "2"}},
		{"ceil", []fxArg{fcol(F8, -1.5)}, []string{"-1"}},
		{"ceil", []fxArg{fnumc("-0.5")}, []string{"0"}},
		{"ceiling", []fxArg{fnumc("1.2")}, []string{"2"}},
		{"sign", []fxArg{fcol(F8, -3, 0, 2)}, []string{"-1", "0", "1"}},
		{"sign", []fxArg{fnumc("0", "-2.5")}, []string{"0", "-1"}},
		{"sqrt", []fxArg{fcol(F8, 16, 2)}, []string{"4", "1.4142135623730951"}},
		{"sqrt", []fxArg{fnumc("2", "0.5", "0", "16")}, []string{"1.414213562373095", "0.70710678118654752", "0.000000000000000", "4.000000000000000"}},
		{"sqrt", []fxArg{fcol(I4, int64(2))}, []string{"1.4142135623730951"}},
		{"cbrt", []fxArg{fcol(F8, -8)}, []string{"-2"}},
		{"exp", []fxArg{fcol(F8, 0)}, []string{"1"}},
		{"exp", []fxArg{fnumc("1")}, []string{"2.7182818284590452"}},
		{"ln", []fxArg{fcol(F8, 1)}, []string{"0"}},
		{"ln", []fxArg{fnumc("10")}, []string{"2.3025850929940457"}},
		{"log", []fxArg{fcol(F8, 1000, 1e15, 2)}, []string{"3", "15", "0.3010299956639812"}},
		{"log", []fxArg{fnumc("100")}, []string{"2.0000000000000000"}},
		{"log10", []fxArg{fcol(F8, 0.001)}, []string{"-3"}},
		{"log", []fxArg{fnumc("2"), fnumc("8")}, []string{"3.0000000000000000"}},
		{"power", []fxArg{fcol(F8, 2), fcol(F8, 10)}, []string{"1024"}},
		{"^", []fxArg{fcol(I4, int64(2)), fcol(I4, int64(3))}, []string{"8"}},
		{"^", []fxArg{fnumc("2", "2", "2"), fnumc("10", "3", "0.5")}, []string{"1024.0000000000000000", "8.0000000000000000", "1.4142135623730950"}},
		{"pow", []fxArg{fcol(F8, -8), fcol(F8, 3)}, []string{"-512"}},
		{"mod", []fxArg{fcol(I4, int64(-7)), fcol(I4, int64(3))}, []string{"-1"}},
		{"mod", []fxArg{fnumc("7.5"), fnumc("2")}, []string{"1.5"}},
		{"div", []fxArg{fnumc("-7.5", "9"), fnumc("2", "4")}, []string{"-3", "2"}},
		{"pi", nil, []string{"3.141592653589793"}},
		{"degrees", []fxArg{fcol(F8, 3.141592653589793)}, []string{"180"}},
		{"radians", []fxArg{fcol(F8, 180)}, []string{"3.141592653589793"}},
		{"atan2", []fxArg{fcol(F8, 1), fcol(F8, 1)}, []string{"0.7853981633974483"}},
		{"sin", []fxArg{fcol(F8, 0)}, []string{"0"}},
		{"acos", []fxArg{fcol(F8, 1)}, []string{"0"}},
		{"width_bucket", []fxArg{fcol(F8, 5.35, -1, 10), ffloat(0.024), ffloat(10.06), fint(5)}, []string{"3", "0", "5"}},
		{"width_bucket", []fxArg{fcol(F8, -1, 10), ffloat(0), ffloat(10), fint(5)}, []string{"0", "6"}},
		{"width_bucket", []fxArg{fnumc("5"), fnumc("10"), fnumc("0"), fint(5)}, []string{"3"}},
		{"gcd", []fxArg{fcol(I4, int64(12)), fcol(I4, int64(18))}, []string{"6"}},
		{"gcd", []fxArg{fcol(I8, int64(-12)), fcol(I8, int64(18))}, []string{"6"}},
		{"lcm", []fxArg{fcol(I4, int64(4), int64(0)), fint(6)}, []string{"12", "0"}},
		{"factorial", []fxArg{fcol(I8, int64(5), int64(0))}, []string{"120", "1"}},
		{"&", []fxArg{fcol(I4, int64(5)), fcol(I4, int64(3))}, []string{"1"}},
		{"|", []fxArg{fcol(I4, int64(5)), fcol(I4, int64(3))}, []string{"7"}},
		{"#", []fxArg{fcol(I4, int64(5)), fcol(I4, int64(3))}, []string{"6"}},
		{"~", []fxArg{fcol(I4, int64(5))}, []string{"-6"}},
		{"<<", []fxArg{fcol(I4, int64(1)), fint(4)}, []string{"16"}},
		{">>", []fxArg{fcol(I4, int64(-16)), fint(2)}, []string{"-4"}},
		{"<<", []fxArg{fcol(I2, int64(1)), fint(15)}, []string{"-32768"}},
		{"<<", []fxArg{fcol(I8, int64(1)), fint(40)}, []string{"1099511627776"}},
		{"scale", []fxArg{fnumc("1.250")}, []string{"3"}},
	})
	if got := fxOne(t, ctx, "round", fconst(types.Int4, int64(1))); got != "1" {
		t.Errorf("round(1) = %s", got)
	}
	fn, targets, err := Resolve("round", []*types.T{types.Int4})
	if err != nil || fn.ResultType(targets) != types.Float8 {
		t.Errorf("round(int4) should resolve to the double precision version (as PostgreSQL), got %v %v", fn, err)
	}
}

func TestMathErrors(t *testing.T) {
	ctx := fxCtx(t, "")
	F8, I2, I4, I8 := types.Float8, types.Int2, types.Int4, types.Int8
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"abs", []fxArg{fcol(I4, int64(-2147483648))}, "22003"},
		{"abs", []fxArg{fcol(I2, int64(-32768))}, "22003"},
		{"sqrt", []fxArg{fcol(F8, -1.0)}, "2201F"},
		{"sqrt", []fxArg{fnumc("-1")}, "2201F"},
		{"ln", []fxArg{fcol(F8, 0.0)}, "2201E"},
		{"ln", []fxArg{fcol(F8, -1.0)}, "2201E"},
		{"log", []fxArg{fnumc("0")}, "2201E"},
		{"log", []fxArg{fnumc("1"), fnumc("10")}, "22012"},
		{"exp", []fxArg{fcol(F8, 1000.0)}, "22003"},
		{"exp", []fxArg{fcol(F8, -1000.0)}, "22003"},
		{"power", []fxArg{fcol(F8, 0.0), fcol(F8, -1.0)}, "2201F"},
		{"power", []fxArg{fcol(F8, -8.0), fcol(F8, 0.5)}, "2201F"},
		{"power", []fxArg{fcol(F8, 10.0), fcol(F8, 400.0)}, "22003"},
		{"^", []fxArg{fnumc("0"), fnumc("-1")}, "2201F"},
		{"^", []fxArg{fnumc("-2"), fnumc("0.5")}, "2201F"},
		{"mod", []fxArg{fcol(I4, int64(1)), fcol(I4, int64(0))}, "22012"},
		{"div", []fxArg{fnumc("1"), fnumc("0")}, "22012"},
		{"asin", []fxArg{fcol(F8, 2.0)}, "22003"},
		{"sin", []fxArg{ffloat(math.Inf(1))}, "22003"},
		{"width_bucket", []fxArg{fcol(F8, 1.0), ffloat(0), ffloat(10), fint(0)}, "2201G"},
		{"width_bucket", []fxArg{fcol(F8, 1.0), ffloat(1), ffloat(1), fint(3)}, "2201G"},
		{"gcd", []fxArg{fcol(I4, int64(-2147483648)), fcol(I4, int64(0))}, "22003"},
		{"lcm", []fxArg{fcol(I8, int64(1)<<62), fcol(I8, int64(3))}, "22003"},
		{"factorial", []fxArg{fcol(I8, int64(-1))}, "22003"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

func TestRandomIsPerRow(t *testing.T) {
	fn, _, err := Resolve("random", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !fn.Volatile {
		t.Error("random() must be volatile")
	}
	v, err := fn.Kernel(&KernelCtx{Ctx: NewCtx()}, nil, 100)
	if err != nil || v.Arr == nil || v.Arr.Len() != 100 {
		t.Fatalf("random() over 100 rows = %v, %v", v, err)
	}
	defer v.Release()
	seen := map[float64]bool{}
	for i := 0; i < 100; i++ {
		f := Datum(v.Arr, i, types.Float8).(float64)
		if f < 0 || f >= 1 {
			t.Fatalf("random() = %v", f)
		}
		seen[f] = true
	}
	if len(seen) < 90 {
		t.Errorf("random() repeats values: %d distinct of 100", len(seen))
	}
}
