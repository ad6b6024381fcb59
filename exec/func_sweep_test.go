package exec

import (
	"fmt"
	"math"
	"testing"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// fxSamples are edge-case datums per type family: empty and odd strings,
// extreme numbers, infinities, the ends of the time ranges.
func fxSamples(t *types.T) []any {
	switch t.Family {
	case types.FamBool:
		return []any{true, false}
	case types.FamInt:
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch t.Width {
		case 2:
			lo, hi = math.MinInt16, math.MaxInt16
		case 4:
			lo, hi = math.MinInt32, math.MaxInt32
		}
		return []any{int64(0), int64(-1), int64(1), int64(7), lo, hi}
	case types.FamFloat:
		return []any{0.0, -1.5, 2.5, 1e308, math.NaN(), math.Inf(-1)}
	case types.FamNumeric:
		return []any{fxNum("0"), fxNum("-1.5"), fxNum("2.5"), fxNum("1e20"), fxNum("0.000001"), fxNum("-99999999999999999999.99")}
	case types.FamString, types.FamUnknown:
		return []any{"", "a", "héllo wörld", `%_\`, "(", "1", "Europe/Paris", "hour", "YYYY-MM-DD HH24:MI:SS", "9,999.99"}
	case types.FamJSON:
		return []any{"{}", `{"a": [1, "x"]}`, "[1,2]", "bad", `"s"`}
	case types.FamBytes:
		return []any{[]byte{}, []byte{0, 255, 'a'}}
	case types.FamDate:
		return []any{types.DateD(0), types.DateD(-2440588), types.DateD(2147483000), types.DateD(19800)}
	case types.FamTime:
		return []any{types.TimeOfDay(0), types.TimeOfDay(usPerDay - 1), types.TimeOfDay(usPerDay)}
	case types.FamTimestamp, types.FamTimestampTZ:
		return []any{types.TimestampD(0), types.TimestampD(-1), tsInfinity, tsNegInfinity,
			types.TimestampD(minTimestampUs), types.TimestampD(math.MaxInt64 - 1), types.TimestampD(1710505296789012)}
	case types.FamInterval:
		return []any{types.IntervalD{}, types.IntervalD{Months: 1, Days: 1, Micros: 1}, types.IntervalD{Months: -13, Days: -40, Micros: -90061000001},
			types.IntervalD{Months: math.MaxInt32, Days: math.MaxInt32, Micros: math.MaxInt64 / 1000}, types.IntervalD{Micros: 60 * usPerSec}}
	case types.FamOid:
		return []any{types.OidD(0), types.OidD(23), types.OidD(16400), types.OidD(math.MaxUint32)}
	case types.FamArray:
		e := fxSamples(t.Elem)
		return []any{[]any{}, []any{nil}, []any{e[0], e[len(e)-1]}}
	}
	return []any{nil}
}

// fxSweepType picks a concrete type for a polymorphic parameter.
func fxSweepType(p *types.T) *types.T {
	switch p {
	case Any:
		return types.Text
	case AnyArray:
		return types.ArrayOf(types.Int4)
	}
	return p
}

// TestFunctionSweep calls every registered overload with edge-case
// values, NULLs, empty and one-row batches, as columns and as constants:
// a kernel may fail with an error but must not panic, and a failure must
// carry a SQLSTATE.
func TestFunctionSweep(t *testing.T) {
	ctx, _ := sysCtx(t)
	skip := map[string]bool{"pg_sleep": true}
	calls := 0
	for _, name := range FuncNames() {
		if skip[name] {
			continue
		}
		for _, f := range Overloads(name) {
			argTypes := make([]*types.T, len(f.Args))
			for i, p := range f.Args {
				argTypes[i] = fxSweepType(p)
			}
			if _, _, err := Resolve(name, argTypes); err != nil {
				continue // shadowed by another overload for these types
			}
			label := fmt.Sprintf("%s%v", name, argTypes)
			run := func(args []fxArg) {
				calls++
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s over %s panicked: %v", label, fxSig(args), r)
					}
				}()
				if _, err := fxEval(ctx, name, args...); err != nil {
					if code := sqlstate.CodeOf(err); code == "XX000" {
						t.Errorf("%s over %s: error without SQLSTATE: %v", label, fxSig(args), err)
					}
				}
			}
			// Zero rows, then all-NULL columns, then NULL constants.
			empty := make([]fxArg, len(argTypes))
			nulls := make([]fxArg, len(argTypes))
			nullConsts := make([]fxArg, len(argTypes))
			for i, at := range argTypes {
				empty[i] = fcol(at)
				nulls[i] = fcol(at, nil, nil, nil, nil)
				nullConsts[i] = fnull(at)
			}
			if len(argTypes) > 0 {
				run(empty)
				run(nulls)
			}
			run(nullConsts)
			// Each sample row as constants and as one-row columns, and all
			// samples as one column (rows beyond a short sample list repeat).
			samples := make([][]any, len(argTypes))
			rows := 1
			for i, at := range argTypes {
				samples[i] = fxSamples(at)
				rows = max(rows, len(samples[i]))
			}
			for r := 0; r < rows; r++ {
				consts := make([]fxArg, len(argTypes))
				cols := make([]fxArg, len(argTypes))
				for i, at := range argTypes {
					v := samples[i][(r+i)%len(samples[i])]
					consts[i] = fconst(at, v)
					cols[i] = fcol(at, v)
				}
				run(consts)
				if len(argTypes) > 0 {
					run(cols)
				}
			}
			// All samples in one batch, text as a dictionary column (with
			// repeats, so the dictionary is smaller than the batch) and
			// the other arguments as constants.
			if len(argTypes) > 0 && argTypes[0].Family == types.FamString {
				var vals []any
				for rep := 0; rep < 3; rep++ {
					vals = append(vals, samples[0]...)
				}
				vals = append(vals, nil)
				args := []fxArg{fdict(vals...)}
				for i, at := range argTypes[1:] {
					args = append(args, fconst(at, samples[i+1][0]))
				}
				run(args)
			}
		}
	}
	t.Logf("%d calls", calls)
	if calls < 1000 {
		t.Errorf("sweep made only %d calls", calls)
	}
}
