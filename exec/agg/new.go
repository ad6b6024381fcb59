package agg

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// New builds the accumulator of spec, with no groups (call Grow).
//
// spec.Args are the types of the arrays Update receives: the per-row
// arguments only (constant parameters, see types.AggregateConstArgs, and
// the direct argument of percentile_cont/percentile_disc go to Const; an
// ordered-set aggregate's Args is its ORDER BY argument); unknown-typed
// arguments must already be coerced as types.AggregateArgs says, except
// where that is text (they arrive as strings either way). spec.Result may
// be nil; when set it must be what types.AggregateResult computes. Const
// holds, in order: the fraction of percentile_approx, percentile_cont and
// percentile_disc (float64, *apd.Decimal, int64 or decimal text; nil makes
// every result NULL), and the delimiter of string_agg (string or []byte;
// nil means no delimiter, as PostgreSQL treats a NULL one).
//
// Errors: 42883/42725/42601/0A000 for calls types.AggregateResult rejects,
// 22003 for a percentile_approx fraction outside [0, 1], XX000 for a Spec
// that does not fit together.
func New(spec Spec) (Accumulator, error) {
	spec.Name = strings.ToLower(spec.Name)
	for i, t := range spec.Args {
		if t == nil {
			return nil, errInternal("%s: argument type %d is nil", spec.Name, i)
		}
	}
	if want := types.AggregateConstCount(spec.Name); types.IsAggregate(spec.Name) && len(spec.Const) != want {
		return nil, errInternal("%s: got %d constant arguments, want %d", spec.Name, len(spec.Const), want)
	}
	if types.AggregateConstCount(spec.Name) > 0 && len(spec.Args) != 1 {
		return nil, errInternal("%s: got %d argument types, want 1 (constant parameters go in Spec.Const)", spec.Name, len(spec.Args))
	}
	res, err := types.AggregateResult(spec.Name, spec.Args, spec.Distinct)
	if err != nil {
		return nil, err
	}
	if spec.Result != nil && !types.Equal(spec.Result, res) {
		return nil, errInternal("%s: Spec.Result is %s, the call returns %s", spec.Name, spec.Result, res)
	}
	spec.Result = res
	params, err := types.AggregateArgs(spec.Name, spec.Args)
	if err != nil {
		return nil, err
	}
	// Effective argument types: unknown literals arrive as strings, which
	// only string-taking parameters can accept.
	args := make([]*types.T, len(spec.Args))
	for i, t := range spec.Args {
		if t.Family == types.FamUnknown || t.Family == types.FamNull {
			if params[i].Family != types.FamString {
				return nil, errInternal("%s: an unknown argument must be cast to %s first", spec.Name, params[i])
			}
			t = types.Text
		}
		args[i] = t
	}
	spec.Args = args
	if spec.Distinct && len(args) > 0 && args[0].Family == types.FamJSON {
		// json has no equality operator; jsonb's is semantic, which bytewise
		// comparison of its text would not honour.
		if args[0].OID == types.JSON.OID {
			return nil, sqlstate.New(sqlstate.UndefinedFunction, "could not identify an equality operator for type json")
		}
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "DISTINCT over jsonb is not supported")
	}
	if spec.Distinct {
		switch spec.Name {
		case "min", "max", "bool_and", "bool_or", "every", "approx_count_distinct":
			// DISTINCT cannot change these results.
		case "count":
			d, ok := newDistinctSet("count", spec.Args[0])
			if !ok {
				return nil, sqlstate.New(sqlstate.UndefinedFunction, "could not identify an equality operator for type %s", spec.Args[0])
			}
			return &countDistinct{d: d}, nil
		default:
			return newDistinct(spec)
		}
	}
	return newPlain(spec)
}

// newPlain builds the non-DISTINCT accumulator of a resolved spec.
func newPlain(spec Spec) (Accumulator, error) {
	name := spec.Name
	var x *types.T
	if len(spec.Args) > 0 {
		x = spec.Args[0]
	}
	switch name {
	case "count":
		return &countAcc{star: x == nil}, nil

	case "sum", "avg":
		avg := name == "avg"
		switch x.Family {
		case types.FamInt:
			mode := sumToInt8
			switch {
			case avg:
				mode = avgToNumeric
			case x.Width == 8:
				mode = sumToNumeric
			}
			return &intSum{name: name, mode: mode}, nil
		case types.FamFloat:
			if x.Width == 4 && !avg {
				return &float4Sum{}, nil
			}
			return &floatSum{name: name, avg: avg}, nil
		case types.FamNumeric:
			return &numSum{name: name, avg: avg}, nil
		case types.FamInterval:
			return &ivSum{name: name, avg: avg}, nil
		}

	case "min", "max":
		isMax := name == "max"
		k, _ := kindOf(x)
		switch k {
		case kInt, kOid, kFloat:
			return &mmInt{name: name, isMax: isMax, k: k, out: spec.Result.Arrow()}, nil
		case kString:
			return &mmString{name: name, isMax: isMax, out: spec.Result.Arrow()}, nil
		case kNumeric:
			return &mmNumeric{name: name, isMax: isMax}, nil
		case kInterval:
			return &mmInterval{name: name, isMax: isMax}, nil
		}

	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		mode := varModeOf(name)
		switch x.Family {
		case types.FamFloat:
			return &floatVar{name: name, mode: mode}, nil
		case types.FamInt:
			return &numVar{name: name, mode: mode}, nil
		case types.FamNumeric:
			return &numVar{name: name, mode: mode, numeric: true}, nil
		}

	case "bool_and", "every", "bool_or":
		return &boolAgg{name: name, isAnd: name != "bool_or"}, nil

	case "approx_count_distinct":
		k, _ := kindOf(x)
		return &hllAcc{k: k}, nil

	case "percentile_approx":
		f, null, err := fraction(name, spec.Const[0])
		if err != nil {
			return nil, err
		}
		if err := checkFraction(f, null); err != nil {
			return nil, err
		}
		return &ddAcc{frac: f, null: null}, nil

	case "percentile_cont", "percentile_disc":
		f, null, err := fraction(name, spec.Const[0])
		if err != nil {
			return nil, err
		}
		a := &percentileAcc{name: name, cont: name == "percentile_cont", frac: f, null: null,
			fracErr: checkFraction(f, null), out: spec.Result}
		switch {
		case !a.cont:
			a.st.k, _ = kindOf(x)
		case x.Family == types.FamInterval:
			a.st.k = kInterval
		default:
			a.st.k = kFloat
		}
		return a, nil

	case "mode":
		a := &percentileAcc{name: name, mode: true, out: spec.Result}
		a.st.k, _ = kindOf(x)
		return a, nil

	case "bit_and", "bit_or", "bit_xor":
		op := map[string]byte{"bit_and": '&', "bit_or": '|', "bit_xor": '#'}[name]
		return &bitAgg{name: name, op: op, width: x.Width}, nil

	case "string_agg":
		var delim []byte
		switch d := spec.Const[0].(type) {
		case nil:
		case string:
			delim = []byte(d)
		case []byte:
			delim = append([]byte(nil), d...)
		default:
			return nil, errInternal("string_agg: delimiter of Go type %T", d)
		}
		return &stringAgg{delim: delim, bytea: x.Family == types.FamBytes}, nil

	case "array_agg":
		k, _ := kindOf(x)
		return &arrayAgg{elem: spec.Result.Elem, st: vstore{k: k, nullable: true}}, nil
	}
	if isRegrAggregate(name) {
		return &regrAcc{name: name}, nil
	}
	return nil, errInternal("%s: no accumulator for %s", name, spec.Result)
}

// newDistinct builds agg(DISTINCT x) for aggregates whose result DISTINCT
// changes.
func newDistinct(spec Spec) (Accumulator, error) {
	inner := spec
	inner.Distinct = false
	if _, err := newPlain(inner); err != nil {
		return nil, err
	}
	d, ok := newDistinctSet(spec.Name, spec.Args[0])
	if !ok {
		return nil, errInternal("%s: DISTINCT over %s", spec.Name, spec.Args[0])
	}
	return &distinctAgg{
		inner:     inner,
		argType:   spec.Args[0],
		d:         d,
		keepNulls: spec.Name == "array_agg",
	}, nil
}

// fraction converts a percentile's constant argument to float8.
func fraction(name string, c any) (f float64, null bool, err error) {
	switch v := c.(type) {
	case nil:
		return 0, true, nil
	case float64:
		return v, false, nil
	case float32:
		return float64(v), false, nil
	case int64:
		return float64(v), false, nil
	case int:
		return float64(v), false, nil
	case *apd.Decimal:
		if v == nil {
			return 0, true, nil
		}
		f, err := numericToFloat([]byte(v.Text('f')))
		return f, false, err
	case string:
		f, err := types.ParseFloat(types.Float8, v)
		return f, false, err
	}
	return 0, false, errInternal("%s: fraction of Go type %T", name, c)
}

// checkFraction is PostgreSQL's check of a percentile: SQLSTATE 22003.
func checkFraction(f float64, null bool) error {
	if null || (f >= 0 && f <= 1) {
		return nil
	}
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "percentile value %s is not between 0 and 1", formatG(f))
}

// formatG formats like C's %g.
func formatG(f float64) string {
	if math.IsNaN(f) {
		return "nan"
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return "inf"
		}
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

// mergeSelf merges groups of a into other groups of a (a.Merge(a, dst)):
// every source group is encoded first and loaded afterwards, so no group
// is read after it was written to.
func mergeSelf(a Accumulator, dst []uint32) error {
	n := a.Len()
	if err := checkMerge(fmt.Sprintf("%T", a), n, n, dst); err != nil {
		return err
	}
	var buf []byte
	ends := make([]int, n)
	for g := range n {
		if dst[g] != NoGroup {
			buf = a.AppendState(buf, uint32(g))
		}
		ends[g] = len(buf)
	}
	start := 0
	for g := range n {
		if dst[g] != NoGroup {
			if err := a.LoadState(dst[g], buf[start:ends[g]]); err != nil {
				return err
			}
		}
		start = ends[g]
	}
	return nil
}
