package agg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// aggCase is one aggregate over one column. Expected values follow
// PostgreSQL (numeric results as PostgreSQL prints them).
type aggCase struct {
	name    string
	spec    Spec
	typ     *types.T // input type; nil for count(*)
	dict    bool     // feed strings dictionary-encoded
	vals    []any
	groups  []uint32 // nil: every row in group 0
	ngroups int      // 0 means 1
	want    []any
	code    string // SQLSTATE expected from Update or Finalize instead of want
}

// f32sum adds in float32 arithmetic, as sum(float4) does.
func f32sum(vs ...float64) float64 {
	var s float32
	for _, v := range vs {
		s += float32(v)
	}
	return float64(s)
}

func sp(name string, args ...*types.T) Spec { return Spec{Name: name, Args: args} }

func distinct(s Spec) Spec { s.Distinct = true; return s }

func withConst(s Spec, c ...any) Spec { s.Const = c; return s }

var (
	maxI64 = int64(math.MaxInt64)
	nan    = math.NaN()
	inf    = math.Inf(1)
)

func aggCases() []aggCase {
	ints := []any{1, 2, nil, 3, 4}
	return []aggCase{
		// count
		{name: "count(*) counts NULL rows", spec: sp("count"), typ: types.Int4, vals: ints, want: []any{int64(5)}},
		{name: "count(x) skips NULLs", spec: sp("count", types.Int4), typ: types.Int4, vals: ints, want: []any{int64(4)}},
		{name: "count of no rows is 0", spec: sp("count", types.Int4), typ: types.Int4, vals: nil, want: []any{int64(0)}},
		{name: "count(*) of no rows is 0", spec: sp("count"), typ: types.Int4, vals: nil, want: []any{int64(0)}},
		{name: "count skips NoGroup rows", spec: sp("count", types.Text), typ: types.Text, vals: []any{"a", "b", "c"},
			groups: []uint32{0, NoGroup, 1}, ngroups: 2, want: []any{int64(1), int64(1)}},
		{name: "count over dictionary", spec: sp("count", types.Text), typ: types.Text, dict: true,
			vals: []any{"a", nil, "a", "b"}, want: []any{int64(3)}},
		{name: "count over bool", spec: sp("count", types.Bool), typ: types.Bool, vals: []any{true, nil, false}, want: []any{int64(2)}},

		// sum
		{name: "sum(int4) is int8", spec: sp("sum", types.Int4), typ: types.Int4, vals: ints, want: []any{int64(10)}},
		{name: "sum(int2)", spec: sp("sum", types.Int2), typ: types.Int2, vals: []any{32767, 32767}, want: []any{int64(65534)}},
		{name: "sum of no rows is NULL", spec: sp("sum", types.Int4), typ: types.Int4, vals: []any{nil}, want: []any{nil}},
		{name: "sum(int8) does not wrap", spec: sp("sum", types.Int8), typ: types.Int8, vals: []any{maxI64, maxI64, 2},
			want: []any{"18446744073709551616"}},
		{name: "sum(int8) negative", spec: sp("sum", types.Int8), typ: types.Int8, vals: []any{int64(math.MinInt64), int64(math.MinInt64)},
			want: []any{"-18446744073709551616"}},
		{name: "sum(int8) back in range", spec: sp("sum", types.Int8), typ: types.Int8, vals: []any{maxI64, 1, -2},
			want: []any{"9223372036854775806"}},
		{name: "sum(float8)", spec: sp("sum", types.Float8), typ: types.Float8, vals: []any{1.5, nil, 2.25}, want: []any{3.75}},
		{name: "sum(float8) overflow", spec: sp("sum", types.Float8), typ: types.Float8, vals: []any{1e308, 1e308}, code: "22003"},
		{name: "sum(float8) of infinity is not overflow", spec: sp("sum", types.Float8), typ: types.Float8, vals: []any{inf, 1.0}, want: []any{inf}},
		{name: "sum(float8) opposite infinities", spec: sp("sum", types.Float8), typ: types.Float8, vals: []any{inf, -inf}, want: []any{nan}},
		{name: "sum(float8) NaN", spec: sp("sum", types.Float8), typ: types.Float8, vals: []any{nan, 1.0}, want: []any{nan}},
		{name: "sum(float4) accumulates in float4", spec: sp("sum", types.Float4), typ: types.Float4, vals: []any{0.1, 0.2, 0.3},
			want: []any{f32sum(0.1, 0.2, 0.3)}},
		{name: "sum(float4) overflow", spec: sp("sum", types.Float4), typ: types.Float4, vals: []any{3e38, 3e38}, code: "22003"},
		{name: "sum(numeric) keeps the largest scale", spec: sp("sum", types.Numeric), typ: types.Numeric,
			vals: []any{"1.50", "2", nil, "-0.25"}, want: []any{"3.25"}},
		{name: "sum(numeric) trailing zeros", spec: sp("sum", types.Numeric), typ: types.Numeric, vals: []any{"1.50", "2.50"}, want: []any{"4.00"}},
		{name: "sum(numeric) beyond int128", spec: sp("sum", types.Numeric), typ: types.Numeric,
			vals: []any{"999999999999999999999999999999999999999.5", "0.5"}, want: []any{"1000000000000000000000000000000000000000.0"}},
		{name: "sum(numeric) to zero", spec: sp("sum", types.Numeric), typ: types.Numeric, vals: []any{"-1.5", "1.5"}, want: []any{"0.0"}},
		{name: "sum(numeric) NaN", spec: sp("sum", types.Numeric), typ: types.Numeric, vals: []any{"NaN", "1"}, want: []any{"NaN"}},
		{name: "sum(numeric) infinity", spec: sp("sum", types.Numeric), typ: types.Numeric, vals: []any{"Infinity", "1"}, want: []any{"Infinity"}},
		{name: "sum(numeric) opposite infinities", spec: sp("sum", types.Numeric), typ: types.Numeric,
			vals: []any{"Infinity", "-Infinity"}, want: []any{"NaN"}},
		{name: "sum(numeric) bad text", spec: sp("sum", types.Numeric), typ: types.Numeric, vals: []any{"1x"}, code: "22P02"},
		{name: "sum(interval) adds fields", spec: sp("sum", types.Interval), typ: types.Interval,
			vals: []any{iv(1, 2, 0), iv(0, 0, 3*hour), nil, iv(0, 30, 0)}, want: []any{iv(1, 32, 3*hour)}},

		// avg
		{name: "avg(int4) scale", spec: sp("avg", types.Int4), typ: types.Int4, vals: []any{1, 2}, want: []any{"1.5000000000000000"}},
		{name: "avg(int4) whole", spec: sp("avg", types.Int4), typ: types.Int4, vals: []any{1, 2, 3}, want: []any{"2.0000000000000000"}},
		{name: "avg(int4) one third", spec: sp("avg", types.Int4), typ: types.Int4, vals: []any{1, 0, 0}, want: []any{"0.33333333333333333333"}},
		{name: "avg(int4) zero", spec: sp("avg", types.Int4), typ: types.Int4, vals: []any{0, 0}, want: []any{"0.00000000000000000000"}},
		{name: "avg(int4) negative", spec: sp("avg", types.Int4), typ: types.Int4, vals: []any{-1, -2}, want: []any{"-1.5000000000000000"}},
		{name: "avg(int4) large", spec: sp("avg", types.Int4), typ: types.Int4, vals: []any{10000, 20000}, want: []any{"15000.000000000000"}},
		{name: "avg(int4) rounds half away", spec: sp("avg", types.Int2), typ: types.Int2, vals: []any{1, 1, 0}, want: []any{"0.66666666666666666667"}},
		{name: "avg(int8) huge", spec: sp("avg", types.Int8), typ: types.Int8, vals: []any{maxI64, maxI64}, want: []any{"9223372036854775807"}},
		{name: "avg of no rows", spec: sp("avg", types.Int8), typ: types.Int8, vals: nil, want: []any{nil}},
		{name: "avg(numeric)", spec: sp("avg", types.Numeric), typ: types.Numeric, vals: []any{"1.5", "2.25"}, want: []any{"1.8750000000000000"}},
		{name: "avg(numeric) keeps input scale", spec: sp("avg", types.Numeric), typ: types.Numeric,
			vals: []any{"1.00000000000000000000001", "1"}, want: []any{"1.00000000000000000000001"}},
		{name: "avg(numeric) NaN", spec: sp("avg", types.Numeric), typ: types.Numeric, vals: []any{"1", "NaN"}, want: []any{"NaN"}},
		{name: "avg(float8)", spec: sp("avg", types.Float8), typ: types.Float8, vals: []any{1.0, 2.0, 4.0}, want: []any{7.0 / 3}},
		{name: "avg(float4) is float8", spec: sp("avg", types.Float4), typ: types.Float4, vals: []any{0.5, 0.25}, want: []any{0.375}},
		{name: "avg(interval)", spec: sp("avg", types.Interval), typ: types.Interval, vals: []any{iv(0, 1, 0), iv(0, 2, 0)},
			want: []any{iv(0, 1, 12*hour)}},
		{name: "avg(interval) cascades months", spec: sp("avg", types.Interval), typ: types.Interval, vals: []any{iv(1, 0, 0), iv(0, 0, 0)},
			want: []any{iv(0, 15, 0)}},

		// min / max
		{name: "min(int4)", spec: sp("min", types.Int4), typ: types.Int4, vals: []any{3, nil, -7, 5}, want: []any{int64(-7)}},
		{name: "max(int2)", spec: sp("max", types.Int2), typ: types.Int2, vals: []any{3, nil, -7, 5}, want: []any{int64(5)}},
		{name: "max of no rows", spec: sp("max", types.Int8), typ: types.Int8, vals: []any{nil}, want: []any{nil}},
		{name: "max(int8) extremes", spec: sp("max", types.Int8), typ: types.Int8, vals: []any{int64(math.MinInt64)}, want: []any{int64(math.MinInt64)}},
		{name: "max(float8) NaN is greatest", spec: sp("max", types.Float8), typ: types.Float8, vals: []any{1.0, nan, inf}, want: []any{nan}},
		{name: "min(float8) skips past NaN", spec: sp("min", types.Float8), typ: types.Float8, vals: []any{nan, 1.0, -inf}, want: []any{-inf}},
		{name: "min(float8) all NaN", spec: sp("min", types.Float8), typ: types.Float8, vals: []any{nan, nan}, want: []any{nan}},
		{name: "min(float8) -0 below 0", spec: sp("min", types.Float8), typ: types.Float8, vals: []any{0.0, math.Copysign(0, -1)},
			want: []any{math.Copysign(0, -1)}},
		{name: "max(float4)", spec: sp("max", types.Float4), typ: types.Float4, vals: []any{1.5, 2.5, nil}, want: []any{2.5}},
		{name: "max(numeric) as decimals", spec: sp("max", types.Numeric), typ: types.Numeric, vals: []any{"9", "10", "9.5"}, want: []any{"10"}},
		{name: "min(numeric) as decimals", spec: sp("min", types.Numeric), typ: types.Numeric, vals: []any{"9", "10", "-0.5", "-10"}, want: []any{"-10"}},
		{name: "min(numeric) equal values", spec: sp("min", types.Numeric), typ: types.Numeric, vals: []any{"1.00", "1.0", "2"}, want: []any{"1.0"}},
		{name: "max(numeric) equal values", spec: sp("max", types.Numeric), typ: types.Numeric, vals: []any{"1.0", "1.00"}, want: []any{"1.00"}},
		{name: "max(numeric) NaN", spec: sp("max", types.Numeric), typ: types.Numeric, vals: []any{"Infinity", "NaN", "1"}, want: []any{"NaN"}},
		{name: "min(numeric) -Infinity", spec: sp("min", types.Numeric), typ: types.Numeric, vals: []any{"5", "-Infinity"}, want: []any{"-Infinity"}},
		{name: "min(text) bytewise", spec: sp("min", types.Text), typ: types.Text, vals: []any{"b", "a", "B", nil}, want: []any{"B"}},
		{name: "max(varchar) dictionary", spec: sp("max", types.Varchar), typ: types.Varchar, dict: true,
			vals: []any{"b", "a", nil, "ab", "b"}, want: []any{"b"}},
		{name: "min(text) empty string", spec: sp("min", types.Text), typ: types.Text, vals: []any{"a", ""}, want: []any{""}},
		{name: "max(interval) by length", spec: sp("max", types.Interval), typ: types.Interval,
			vals: []any{iv(0, 1, 0), iv(0, 0, 23*hour), iv(1, 0, 0)}, want: []any{iv(1, 0, 0)}},
		{name: "min(interval) by length", spec: sp("min", types.Interval), typ: types.Interval,
			vals: []any{iv(0, 1, 0), iv(0, 0, 23*hour), iv(1, 0, 0)}, want: []any{iv(0, 0, 23*hour)}},
		{name: "max(interval) equal lengths", spec: sp("max", types.Interval), typ: types.Interval,
			vals: []any{iv(0, 30, 0), iv(1, 0, 0)}, want: []any{iv(1, 0, 0)}},
		{name: "min(interval) equal lengths", spec: sp("min", types.Interval), typ: types.Interval,
			vals: []any{iv(1, 0, 0), iv(0, 30, 0)}, want: []any{iv(0, 30, 0)}},
		{name: "min(interval) negative", spec: sp("min", types.Interval), typ: types.Interval,
			vals: []any{iv(0, 0, -1), iv(0, -1, 0)}, want: []any{iv(0, -1, 0)}},
		{name: "max(date)", spec: sp("max", types.Date), typ: types.Date, vals: []any{19000, 19723, nil}, want: []any{int64(19723)}},
		{name: "min(timestamptz)", spec: sp("min", types.TimestampTZ), typ: types.TimestampTZ,
			vals: []any{int64(1704067200000000), int64(-5)}, want: []any{int64(-5)}},
		{name: "max(time)", spec: sp("max", types.Time), typ: types.Time, vals: []any{int64(5), int64(86399_000000)}, want: []any{int64(86399_000000)}},
		{name: "max(oid) unsigned", spec: sp("max", types.Oid), typ: types.Oid, vals: []any{int64(1), int64(4000000000)}, want: []any{int64(4000000000)}},
		{name: "min(bpchar)", spec: sp("min", types.BPChar), typ: types.BPChar, vals: []any{"b ", "a "}, want: []any{"a "}},
		{name: "max DISTINCT is max", spec: distinct(sp("max", types.Int4)), typ: types.Int4, vals: []any{1, 1, 9}, want: []any{int64(9)}},

		// stddev / variance over floats
		{name: "stddev(float8)", spec: sp("stddev", types.Float8), typ: types.Float8, vals: []any{1.0, 2.0, 3.0, 4.0},
			want: []any{math.Sqrt(5.0 / 3)}},
		{name: "var_pop(float8)", spec: sp("var_pop", types.Float8), typ: types.Float8, vals: []any{1.0, 2.0, 3.0, 4.0}, want: []any{1.25}},
		{name: "stddev_samp(float8) of one row", spec: sp("stddev_samp", types.Float8), typ: types.Float8, vals: []any{5.0}, want: []any{nil}},
		{name: "stddev_pop(float8) of one row", spec: sp("stddev_pop", types.Float8), typ: types.Float8, vals: []any{5.0}, want: []any{0.0}},
		{name: "variance(float8) of no rows", spec: sp("variance", types.Float8), typ: types.Float8, vals: nil, want: []any{nil}},
		{name: "var_samp(float4)", spec: sp("var_samp", types.Float4), typ: types.Float4, vals: []any{1.0, 3.0}, want: []any{2.0}},
		{name: "stddev(float8) with infinity", spec: sp("stddev", types.Float8), typ: types.Float8, vals: []any{1.0, inf}, want: []any{nan}},
		{name: "var_pop(float8) overflow", spec: sp("var_pop", types.Float8), typ: types.Float8, vals: []any{1e200, -1e200}, code: "22003"},

		// stddev / variance over integers and numeric: exact, PostgreSQL's scale
		{name: "stddev(int4)", spec: sp("stddev", types.Int4), typ: types.Int4, vals: []any{1, 2, nil, 3, 4}, want: []any{"1.2909944487358056"}},
		{name: "variance(int4)", spec: sp("variance", types.Int4), typ: types.Int4, vals: []any{1, 2, 3, 4}, want: []any{"1.6666666666666667"}},
		{name: "var_pop(int2)", spec: sp("var_pop", types.Int2), typ: types.Int2, vals: []any{1, 2, 3, 4}, want: []any{"1.2500000000000000"}},
		{name: "stddev_pop(int8)", spec: sp("stddev_pop", types.Int8), typ: types.Int8, vals: []any{1, 2, 3, 4}, want: []any{"1.1180339887498948"}},
		{name: "stddev_pop(int4) of one row", spec: sp("stddev_pop", types.Int4), typ: types.Int4, vals: []any{5}, want: []any{"0"}},
		{name: "stddev(int4) of one row", spec: sp("stddev", types.Int4), typ: types.Int4, vals: []any{5}, want: []any{nil}},
		{name: "var_samp(int4) of equal values", spec: sp("var_samp", types.Int4), typ: types.Int4, vals: []any{7, 7}, want: []any{"0"}},
		{name: "var_samp(int8) large", spec: sp("var_samp", types.Int8), typ: types.Int8, vals: []any{maxI64, -maxI64},
			want: []any{"170141183460469231694793815568465002498"}},
		{name: "stddev(numeric)", spec: sp("stddev", types.Numeric), typ: types.Numeric, vals: []any{"1.5", "2.5"},
			want: []any{"0.70710678118654752440"}},
		{name: "variance(numeric) NaN", spec: sp("variance", types.Numeric), typ: types.Numeric, vals: []any{"1", "NaN"}, want: []any{"NaN"}},
		{name: "stddev_pop(numeric) infinity", spec: sp("stddev_pop", types.Numeric), typ: types.Numeric, vals: []any{"Infinity"}, want: []any{"NaN"}},

		// bool_and / bool_or / every
		{name: "bool_and", spec: sp("bool_and", types.Bool), typ: types.Bool, vals: []any{true, nil, false}, want: []any{false}},
		{name: "every all true", spec: sp("every", types.Bool), typ: types.Bool, vals: []any{true, true}, want: []any{true}},
		{name: "bool_or", spec: sp("bool_or", types.Bool), typ: types.Bool, vals: []any{false, nil, true}, want: []any{true}},
		{name: "bool_or of NULLs", spec: sp("bool_or", types.Bool), typ: types.Bool, vals: []any{nil}, want: []any{nil}},

		// approx_count_distinct (small counts are exact in the sparse sketch)
		{name: "approx_count_distinct ints", spec: sp("approx_count_distinct", types.Int4), typ: types.Int4,
			vals: []any{1, 2, 2, nil, 3}, want: []any{int64(3)}},
		{name: "approx_count_distinct of no rows", spec: sp("approx_count_distinct", types.Int4), typ: types.Int4, vals: nil, want: []any{int64(0)}},
		{name: "approx_count_distinct numeric equality", spec: sp("approx_count_distinct", types.Numeric), typ: types.Numeric,
			vals: []any{"1.0", "1.00", "1", "2"}, want: []any{int64(2)}},
		{name: "approx_count_distinct strings", spec: sp("approx_count_distinct", types.Text), typ: types.Text, dict: true,
			vals: []any{"a", "b", "a", nil}, want: []any{int64(2)}},
		{name: "approx_count_distinct interval equality", spec: sp("approx_count_distinct", types.Interval), typ: types.Interval,
			vals: []any{iv(1, 0, 0), iv(0, 30, 0)}, want: []any{int64(1)}},

		// percentile_cont / percentile_disc
		{name: "percentile_cont median", spec: withConst(sp("percentile_cont", types.Float8), 0.5), typ: types.Float8,
			vals: []any{4.0, 1.0, nil, 3.0, 2.0}, want: []any{2.5}},
		{name: "percentile_cont 0.25", spec: withConst(sp("percentile_cont", types.Int4), 0.25), typ: types.Int4,
			vals: []any{4, 1, 3, 2}, want: []any{1.75}},
		{name: "percentile_cont 1", spec: withConst(sp("percentile_cont", types.Numeric), 1.0), typ: types.Numeric,
			vals: []any{"4.5", "1", "10"}, want: []any{10.0}},
		{name: "percentile_cont NULL fraction", spec: withConst(sp("percentile_cont", types.Float8), nil), typ: types.Float8,
			vals: []any{1.0}, want: []any{nil}},
		{name: "percentile_cont of no rows", spec: withConst(sp("percentile_cont", types.Float8), 0.5), typ: types.Float8,
			vals: nil, want: []any{nil}},
		{name: "percentile_cont bad fraction", spec: withConst(sp("percentile_cont", types.Float8), 1.5), typ: types.Float8,
			vals: []any{1.0}, code: "22003"},
		{name: "percentile_cont interval", spec: withConst(sp("percentile_cont", types.Interval), 0.5), typ: types.Interval,
			vals: []any{iv(0, 0, 2*hour), iv(0, 0, hour)}, want: []any{iv(0, 0, 90*60_000000)}},
		{name: "percentile_cont interval months", spec: withConst(sp("percentile_cont", types.Interval), 0.5), typ: types.Interval,
			vals: []any{iv(1, 0, 0), iv(0, 0, 0)}, want: []any{iv(0, 15, 0)}},
		{name: "percentile_disc median", spec: withConst(sp("percentile_disc", types.Int4), 0.5), typ: types.Int4,
			vals: []any{4, 1, 3, 2}, want: []any{int64(2)}},
		{name: "percentile_disc above median", spec: withConst(sp("percentile_disc", types.Int4), 0.51), typ: types.Int4,
			vals: []any{4, 1, 3, 2}, want: []any{int64(3)}},
		{name: "percentile_disc 0", spec: withConst(sp("percentile_disc", types.Float8), 0.0), typ: types.Float8,
			vals: []any{nan, 2.0, 1.0}, want: []any{1.0}},
		{name: "percentile_disc 1 NaN last", spec: withConst(sp("percentile_disc", types.Float8), 1.0), typ: types.Float8,
			vals: []any{nan, 2.0, inf}, want: []any{nan}},
		{name: "percentile_disc text", spec: withConst(sp("percentile_disc", types.Text), 0.5), typ: types.Text, dict: true,
			vals: []any{"c", "a", "b"}, want: []any{"b"}},
		{name: "percentile_disc numeric", spec: withConst(sp("percentile_disc", types.Numeric), 0.5), typ: types.Numeric,
			vals: []any{"10", "9", "100"}, want: []any{"10"}},

		// percentile_approx: exact here, every value has its own bucket
		{name: "percentile_approx one value", spec: withConst(sp("percentile_approx", types.Float8), 0.5), typ: types.Float8,
			vals: []any{0.0, 0.0, nil}, want: []any{0.0}},
		{name: "percentile_approx infinities", spec: withConst(sp("percentile_approx", types.Float8), 1.0), typ: types.Float8,
			vals: []any{1.0, inf, -inf}, want: []any{inf}},
		{name: "percentile_approx -infinity", spec: withConst(sp("percentile_approx", types.Float8), 0.0), typ: types.Float8,
			vals: []any{1.0, -inf}, want: []any{-inf}},
		{name: "percentile_approx NaN last", spec: withConst(sp("percentile_approx", types.Float8), 1.0), typ: types.Float8,
			vals: []any{nan, 1.0}, want: []any{nan}},
		{name: "percentile_approx of no rows", spec: withConst(sp("percentile_approx", types.Float8), 0.5), typ: types.Float8,
			vals: nil, want: []any{nil}},

		// string_agg / array_agg
		{name: "string_agg", spec: withConst(sp("string_agg", types.Text), ","), typ: types.Text,
			vals: []any{"a", nil, "b", "c"}, want: []any{"a,b,c"}},
		{name: "string_agg dictionary", spec: withConst(sp("string_agg", types.Varchar), "; "), typ: types.Varchar, dict: true,
			vals: []any{"x", "y", "x"}, want: []any{"x; y; x"}},
		{name: "string_agg NULL delimiter", spec: withConst(sp("string_agg", types.Text), nil), typ: types.Text,
			vals: []any{"a", "b"}, want: []any{"ab"}},
		{name: "string_agg empty strings", spec: withConst(sp("string_agg", types.Text), "-"), typ: types.Text,
			vals: []any{"", ""}, want: []any{"-"}},
		{name: "string_agg of no rows", spec: withConst(sp("string_agg", types.Text), ","), typ: types.Text,
			vals: []any{nil}, want: []any{nil}},
		{name: "string_agg bytea", spec: withConst(sp("string_agg", types.Bytea), []byte{0}), typ: types.Bytea,
			vals: []any{"a", "b"}, want: []any{"a\x00b"}},
		{name: "array_agg keeps NULLs", spec: sp("array_agg", types.Int4), typ: types.Int4,
			vals: []any{3, nil, 1}, want: []any{[]any{int64(3), nil, int64(1)}}},
		{name: "array_agg of no rows", spec: sp("array_agg", types.Int4), typ: types.Int4, vals: nil, want: []any{nil}},
		{name: "array_agg text", spec: sp("array_agg", types.Text), typ: types.Text, dict: true,
			vals: []any{"b", "a"}, want: []any{[]any{"b", "a"}}},
		{name: "array_agg json", spec: sp("array_agg", types.JSON), typ: types.JSON,
			vals: []any{`{"a":1}`, nil}, want: []any{[]any{`{"a":1}`, nil}}},
		{name: "array_agg interval", spec: sp("array_agg", types.Interval), typ: types.Interval,
			vals: []any{iv(1, 2, 3)}, want: []any{[]any{iv(1, 2, 3)}}},

		// DISTINCT
		{name: "count(DISTINCT int)", spec: distinct(sp("count", types.Int4)), typ: types.Int4,
			vals: []any{1, 1, 2, nil, 2}, want: []any{int64(2)}},
		{name: "count(DISTINCT text) per group", spec: distinct(sp("count", types.Text)), typ: types.Text, dict: true,
			vals: []any{"u1", "u2", "u1", "u1", nil, "u3"}, groups: []uint32{0, 0, 0, 1, 1, NoGroup}, ngroups: 3,
			want: []any{int64(2), int64(1), int64(0)}},
		{name: "count(DISTINCT float) -0 and NaN", spec: distinct(sp("count", types.Float8)), typ: types.Float8,
			vals: []any{0.0, math.Copysign(0, -1), nan, nan}, want: []any{int64(2)}},
		{name: "count(DISTINCT numeric) equal values", spec: distinct(sp("count", types.Numeric)), typ: types.Numeric,
			vals: []any{"1.0", "1.00", "2", "NaN", "NaN"}, want: []any{int64(3)}},
		{name: "count(DISTINCT interval) equal lengths", spec: distinct(sp("count", types.Interval)), typ: types.Interval,
			vals: []any{iv(1, 0, 0), iv(0, 30, 0), iv(0, 29, 24*hour)}, want: []any{int64(1)}},
		{name: "count(DISTINCT bool)", spec: distinct(sp("count", types.Bool)), typ: types.Bool,
			vals: []any{true, true, false}, want: []any{int64(2)}},
		{name: "count(DISTINCT date)", spec: distinct(sp("count", types.Date)), typ: types.Date,
			vals: []any{1, 2, 1}, want: []any{int64(2)}},
		{name: "sum(DISTINCT int4)", spec: distinct(sp("sum", types.Int4)), typ: types.Int4, vals: []any{1, 1, 2, nil}, want: []any{int64(3)}},
		{name: "avg(DISTINCT int4)", spec: distinct(sp("avg", types.Int4)), typ: types.Int4, vals: []any{1, 1, 2}, want: []any{"1.5000000000000000"}},
		{name: "sum(DISTINCT numeric) keeps a scale", spec: distinct(sp("sum", types.Numeric)), typ: types.Numeric,
			vals: []any{"1.0", "1.00", "2"}, want: []any{"3.00"}},
		{name: "sum(DISTINCT interval)", spec: distinct(sp("sum", types.Interval)), typ: types.Interval,
			vals: []any{iv(0, 30, 0), iv(1, 0, 0), iv(0, 1, 0)}, want: []any{iv(1, 1, 0)}},
		{name: "string_agg(DISTINCT) sorted", spec: distinct(withConst(sp("string_agg", types.Text), ",")), typ: types.Text,
			vals: []any{"b", "a", "b", nil, "c"}, want: []any{"a,b,c"}},
		{name: "array_agg(DISTINCT) NULL last", spec: distinct(sp("array_agg", types.Int4)), typ: types.Int4,
			vals: []any{2, nil, 1, 2, nil}, want: []any{[]any{int64(1), int64(2), nil}}},
		{name: "stddev(DISTINCT float8)", spec: distinct(sp("stddev", types.Float8)), typ: types.Float8,
			vals: []any{1.0, 2.0, 2.0, 3.0, 4.0, 4.0}, want: []any{math.Sqrt(5.0 / 3)}},
		{name: "sum(DISTINCT) of no rows", spec: distinct(sp("sum", types.Float8)), typ: types.Float8, vals: []any{nil}, want: []any{nil}},
		{name: "mode first of ties", spec: sp("mode", types.Text), typ: types.Text,
			vals: []any{"b", "a", nil, "b", "a", nil, nil}, want: []any{"a"}},
		{name: "mode numeric keeps first spelling", spec: sp("mode", types.Numeric), typ: types.Numeric,
			vals: []any{"2", "1.0", "1.00"}, want: []any{"1.0"}},
		{name: "mode of no rows", spec: sp("mode", types.Int4), typ: types.Int4, vals: []any{nil}, want: []any{nil}},
		{name: "bit_and", spec: sp("bit_and", types.Int4), typ: types.Int4, vals: []any{7, nil, 13}, want: []any{int64(5)}},
		{name: "bit_or int8", spec: sp("bit_or", types.Int8), typ: types.Int8, vals: []any{int64(-8), 3}, want: []any{int64(-5)}},
		{name: "bit_xor int2", spec: sp("bit_xor", types.Int2), typ: types.Int2, vals: []any{6, 3}, want: []any{int64(5)}},
		{name: "bit_or of no rows", spec: sp("bit_or", types.Int2), typ: types.Int2, vals: []any{nil}, want: []any{nil}},
	}
}

// TestRegression checks the (Y, X) aggregates against PostgreSQL's answers
// over y = 2x + 1 with one point off the line and NULLs on either side.
func TestRegression(t *testing.T) {
	ys := []any{3.0, 5.0, 7.0, 10.0, nil, 4.0}
	xs := []any{1.0, 2.0, 3.0, 4.0, 5.0, nil}
	want := map[string]any{
		// SELECT f(y, x) FROM (VALUES (3,1),(5,2),(7,3),(10,4),(NULL,5),(4,NULL)) v(y, x)
		"regr_count": int64(4), "regr_avgx": 2.5, "regr_avgy": 6.25, "regr_sxx": 5.0, "regr_syy": 26.75,
		"regr_sxy": 11.5, "regr_slope": 2.3, "regr_intercept": 0.5, "covar_pop": 2.875,
		"covar_samp": 3.8333333333333335, "corr": 0.9943767126843689, "regr_r2": 0.9887850467289719,
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			acc := mustNew(t, sp(name, types.Float8, types.Float8))
			acc.Grow(2) // group 1 stays empty
			cols := []arrow.Array{build(t, mem, types.Float8, ys), build(t, mem, types.Float8, xs)}
			defer release(cols)
			feed(t, acc, make([]uint32, len(ys)), cols, 3)
			empty := any(nil)
			if name == "regr_count" {
				empty = int64(0)
			}
			if got := finalize(t, acc); !sameValues(got, []any{w, empty}, 1e-15) {
				t.Fatalf("got %v, want %v", got, []any{w, empty})
			}
		})
	}
}

func TestAggregates(t *testing.T) {
	for _, c := range aggCases() {
		t.Run(c.name, func(t *testing.T) {
			for _, batch := range []int{1, 3, 8192} {
				got, err := runCase(t, c, batch)
				if c.code != "" {
					if code := sqlstate.CodeOf(err); code != c.code {
						t.Fatalf("batch %d: got error %v (code %q), want code %s", batch, err, code, c.code)
					}
					continue
				}
				if err != nil {
					t.Fatalf("batch %d: %v", batch, err)
				}
				if !sameValues(got, c.want, 1e-15) {
					t.Fatalf("batch %d: got %v, want %v", batch, got, c.want)
				}
			}
		})
	}
}

// runCase feeds c in batches of batch rows and finalizes.
func runCase(t *testing.T, c aggCase, batch int) ([]any, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc, err := New(c.spec)
	if err != nil {
		return nil, err
	}
	ng := max(c.ngroups, 1)
	acc.Grow(ng)
	groups := c.groups
	if groups == nil {
		groups = make([]uint32, len(c.vals))
	}
	var col arrow.Array
	if c.dict {
		col = buildDict(t, mem, c.vals)
	} else {
		col = build(t, mem, c.typ, c.vals)
	}
	defer col.Release()
	var cols []arrow.Array
	if len(c.spec.Args) > 0 {
		cols = []arrow.Array{col}
	}
	if err := feedErr(acc, groups, cols, batch); err != nil {
		return nil, err
	}
	return finalizeErr(acc)
}

func TestResultTypes(t *testing.T) {
	cases := []struct {
		name     string
		args     []*types.T
		distinct bool
		want     *types.T
		code     string
	}{
		{"count", nil, false, types.Int8, ""},
		{"count", nil, true, nil, "42601"},
		{"count", []*types.T{types.Unknown}, false, types.Int8, ""},
		{"COUNT", []*types.T{types.JSON}, false, types.Int8, ""},
		{"sum", []*types.T{types.Int2}, false, types.Int8, ""},
		{"sum", []*types.T{types.Int4}, false, types.Int8, ""},
		{"sum", []*types.T{types.Int8}, false, types.Numeric, ""},
		{"sum", []*types.T{types.Numeric}, false, types.Numeric, ""},
		{"sum", []*types.T{types.Float4}, false, types.Float4, ""},
		{"sum", []*types.T{types.Float8}, false, types.Float8, ""},
		{"sum", []*types.T{types.Interval}, false, types.Interval, ""},
		{"sum", []*types.T{types.Unknown}, false, nil, "42725"},
		{"sum", []*types.T{types.Text}, false, nil, "42883"},
		{"avg", []*types.T{types.Int2}, false, types.Numeric, ""},
		{"avg", []*types.T{types.Int8}, false, types.Numeric, ""},
		{"avg", []*types.T{types.Float4}, false, types.Float8, ""},
		{"avg", []*types.T{types.Interval}, false, types.Interval, ""},
		{"min", []*types.T{types.Unknown}, false, types.Text, ""},
		{"min", []*types.T{types.Varchar}, false, types.Text, ""},
		{"max", []*types.T{types.BPChar}, false, types.BPChar, ""},
		{"max", []*types.T{types.Int2}, false, types.Int2, ""},
		{"max", []*types.T{types.Float4}, false, types.Float4, ""},
		{"min", []*types.T{types.Numeric}, false, types.Numeric, ""},
		{"min", []*types.T{types.Date}, false, types.Date, ""},
		{"min", []*types.T{types.TimestampTZ}, false, types.TimestampTZ, ""},
		{"min", []*types.T{types.Interval}, false, types.Interval, ""},
		{"min", []*types.T{types.Oid}, false, types.Oid, ""},
		{"min", []*types.T{types.Bool}, false, nil, "42883"},
		{"stddev", []*types.T{types.Int4}, false, types.Numeric, ""},
		{"var_pop", []*types.T{types.Numeric}, false, types.Numeric, ""},
		{"variance", []*types.T{types.Float4}, false, types.Float8, ""},
		{"stddev_samp", []*types.T{types.Unknown}, false, types.Float8, ""},
		{"bool_and", []*types.T{types.Bool}, false, types.Bool, ""},
		{"every", []*types.T{types.Unknown}, false, types.Bool, ""},
		{"bool_or", []*types.T{types.Int4}, false, nil, "42883"},
		{"approx_count_distinct", []*types.T{types.Text}, false, types.Int8, ""},
		{"percentile_approx", []*types.T{types.Int4, types.Numeric}, false, types.Float8, ""},
		{"percentile_approx", []*types.T{types.Text, types.Float8}, false, nil, "42883"},
		{"percentile_cont", []*types.T{types.Numeric, types.Int4}, false, types.Float8, ""},
		{"percentile_cont", []*types.T{types.Float8, types.Interval}, false, types.Interval, ""},
		{"percentile_cont", []*types.T{types.Float8, types.Unknown}, false, nil, "42725"},
		{"percentile_cont", []*types.T{types.Float8, types.Float8}, true, nil, "42601"},
		{"percentile_cont", []*types.T{types.ArrayOf(types.Float8), types.Float8}, false, nil, "0A000"},
		{"percentile_disc", []*types.T{types.Float8, types.Text}, false, types.Text, ""},
		{"percentile_disc", []*types.T{types.Varchar}, false, types.Varchar, ""},
		{"percentile_cont", []*types.T{types.Int8}, false, types.Float8, ""},
		{"percentile_cont", []*types.T{types.Interval}, false, types.Interval, ""},
		{"percentile_cont", []*types.T{types.Text}, false, nil, "42883"},
		{"percentile_approx", []*types.T{types.Numeric}, false, types.Float8, ""},
		{"string_agg", []*types.T{types.Text}, false, types.Text, ""},
		{"string_agg", []*types.T{types.Bytea}, false, types.Bytea, ""},
		{"string_agg", []*types.T{types.Unknown}, false, types.Text, ""},
		{"string_agg", []*types.T{types.Int4}, false, nil, "42883"},
		{"percentile_disc", []*types.T{types.Float8, types.Int2}, false, types.Int2, ""},
		{"string_agg", []*types.T{types.Varchar, types.Unknown}, false, types.Text, ""},
		{"string_agg", []*types.T{types.Bytea, types.Bytea}, false, types.Bytea, ""},
		{"string_agg", []*types.T{types.Int4, types.Text}, false, nil, "42883"},
		{"array_agg", []*types.T{types.Int4}, false, types.ArrayOf(types.Int4), ""},
		{"array_agg", []*types.T{types.Unknown}, false, types.ArrayOf(types.Text), ""},
		{"no_such_agg", []*types.T{types.Int4}, false, nil, "42883"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s%v", c.name, c.args), func(t *testing.T) {
			got, err := types.AggregateResult(c.name, c.args, c.distinct)
			if c.code != "" {
				if code := sqlstate.CodeOf(err); code != c.code {
					t.Fatalf("got %v, %v (code %q), want code %s", got, err, code, c.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !types.Equal(got, c.want) {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestResultTypeMessages(t *testing.T) {
	_, err := types.AggregateResult("sum", []*types.T{types.Varchar}, false)
	e := sqlstate.As(err)
	if e == nil || e.Message != "function sum(character varying) does not exist" || e.Hint == "" {
		t.Fatalf("got %#v", e)
	}
	_, err = types.AggregateResult("min", []*types.T{types.Bool}, false)
	if e := sqlstate.As(err); e == nil || e.Message != "function min(boolean) does not exist" {
		t.Fatalf("got %v", err)
	}
	_, err = types.AggregateResult("sum", []*types.T{types.Unknown}, false)
	if e := sqlstate.As(err); e == nil || e.Message != "function sum(unknown) is not unique" {
		t.Fatalf("got %v", err)
	}
	if !types.IsAggregate("Count") || types.IsAggregate("lower") {
		t.Fatal("IsAggregate")
	}
	for name, want := range map[string][]int{"percentile_approx": {1}, "string_agg": {1}, "percentile_cont": nil, "percentile_disc": nil, "sum": nil} {
		if got := types.AggregateConstArgs(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("AggregateConstArgs(%s) = %v, want %v", name, got, want)
		}
	}
	params, err := types.AggregateArgs("stddev", []*types.T{types.Unknown})
	if err != nil || !types.Equal(params[0], types.Float8) {
		t.Fatalf("AggregateArgs(stddev(unknown)) = %v, %v", params, err)
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		code string
		msg  string
	}{
		{"unknown aggregate", sp("median", types.Int4), "42883", "function median(integer) does not exist"},
		{"wrong type", sp("sum", types.Text), "42883", ""},
		{"percentile_approx fraction", withConst(sp("percentile_approx", types.Float8), 1.5), "22003",
			"percentile value 1.5 is not between 0 and 1"},
		{"percentile_approx negative fraction", withConst(sp("percentile_approx", types.Float8), -0.1), "22003", ""},
		{"missing const", sp("string_agg", types.Text), "XX000", ""},
		{"wrong result", Spec{Name: "sum", Args: []*types.T{types.Int4}, Result: types.Int4}, "XX000", ""},
		{"unknown argument needs a cast", sp("stddev", types.Unknown), "XX000", ""},
		{"count DISTINCT json", distinct(sp("count", types.JSON)), "42883", "could not identify an equality operator for type json"},
		{"array_agg DISTINCT jsonb", distinct(sp("array_agg", types.JSONB)), "0A000", ""},
		{"count DISTINCT record", distinct(sp("count", types.Record)), "42883", ""},
		{"DISTINCT within group", distinct(withConst(sp("percentile_disc", types.Int4), 0.5)), "42601", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.spec)
			if code := sqlstate.CodeOf(err); code != c.code {
				t.Fatalf("got %v (code %q), want %s", err, code, c.code)
			}
			if c.msg != "" && err.Error() != c.msg {
				t.Fatalf("got %q, want %q", err.Error(), c.msg)
			}
		})
	}
	// percentile_cont fails at Finalize, and only when there are groups.
	acc := mustNew(t, withConst(sp("percentile_cont", types.Float8), 2.0))
	if _, err := finalizeErr(acc); err != nil {
		t.Fatalf("no groups: %v", err)
	}
	acc.Grow(1)
	_, err := finalizeErr(acc)
	if e := sqlstate.As(err); e == nil || e.Code != "22003" || e.Message != "percentile value 2 is not between 0 and 1" {
		t.Fatalf("got %v", err)
	}
}

func TestUpdateShapeErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	acc := mustNew(t, sp("sum", types.Int4))
	acc.Grow(1)
	a := build(t, mem, types.Float8, []any{1.0, 2.0})
	defer a.Release()
	if err := acc.Update([]uint32{0, 0}, []arrow.Array{a}); sqlstate.CodeOf(err) != "XX000" {
		t.Fatalf("wrong array type: %v", err)
	}
	b := build(t, mem, types.Int4, []any{1, 2})
	defer b.Release()
	if err := acc.Update([]uint32{0}, []arrow.Array{b}); sqlstate.CodeOf(err) != "XX000" {
		t.Fatalf("length mismatch: %v", err)
	}
	if err := acc.Update([]uint32{0, 0}, nil); sqlstate.CodeOf(err) != "XX000" {
		t.Fatalf("missing argument: %v", err)
	}
	other := mustNew(t, sp("sum", types.Float8))
	if err := acc.Merge(other, nil); sqlstate.CodeOf(err) != "XX000" {
		t.Fatalf("merge of different aggregates: %v", err)
	}
	src := mustNew(t, sp("sum", types.Int4))
	src.Grow(2)
	if err := acc.Merge(src, []uint32{0, 5}); sqlstate.CodeOf(err) != "XX000" {
		t.Fatalf("merge out of range: %v", err)
	}
}

// TestSumInt4OutOfRange drives sum(int4) past int8 through saved states:
// the 128-bit sum does not wrap, the int8 result fails with 22003.
func TestSumInt4OutOfRange(t *testing.T) {
	acc := mustNew(t, sp("sum", types.Int4))
	acc.Grow(1)
	src := mustNew(t, sp("sum", types.Int8))
	src.Grow(1)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	big := build(t, mem, types.Int8, []any{maxI64, maxI64})
	defer big.Release()
	feed(t, src, []uint32{0, 0}, []arrow.Array{big}, 8192)
	if err := acc.LoadState(0, src.AppendState(nil, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := finalizeErr(acc); sqlstate.CodeOf(err) != "22003" {
		t.Fatalf("got %v, want 22003", err)
	}
}

// TestCorruptStates feeds LoadState garbage, random bytes and every prefix
// of valid encodings: it must fail with XX001 (or load a valid prefix),
// never panic.
func TestCorruptStates(t *testing.T) {
	for _, ps := range propertySpecs() {
		t.Run(specName(ps.spec), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(3, 4))
			inputs := [][]byte{{}, {0xff}, {0x80, 0x80, 0x80}, {5, 1, 2}, {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}}
			for range 200 {
				b := make([]byte, r.IntN(40))
				for i := range b {
					b[i] = byte(r.IntN(256))
				}
				inputs = append(inputs, b)
			}
			// Prefixes and single-byte corruptions of real states.
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			d := genDataset(r, ps, 60)
			src := mustNew(t, ps.spec)
			src.Grow(d.ngroups)
			var cols []arrow.Array
			if len(ps.spec.Args) > 0 {
				cols = d.column(t, mem, ps.typ, ps.typ2, d.vals)
				defer release(cols)
			}
			feed(t, src, d.groups, cols, 8192)
			for _, st := range saveAll(src) {
				for i := range st {
					inputs = append(inputs, st[:i])
					c := append([]byte(nil), st...)
					c[i] ^= byte(1 + r.IntN(255))
					inputs = append(inputs, c)
				}
			}
			for _, data := range inputs {
				acc := mustNew(t, ps.spec)
				acc.Grow(1)
				err := acc.LoadState(0, data)
				if code := sqlstate.CodeOf(err); err != nil && code != "XX001" && !strings.HasPrefix(code, "22") {
					t.Fatalf("LoadState(%x): %v (code %s), want XX001 or success", data, err, code)
				}
				if err == nil {
					// Whatever loaded must finalize or fail cleanly.
					_, _ = finalizeErr(acc)
				}
			}
		})
	}
}

func TestSelfMerge(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, spec := range []Spec{sp("count", types.Int4), sp("sum", types.Int4), distinct(sp("count", types.Int4)),
		withConst(sp("string_agg", types.Text), ",")} {
		t.Run(specName(spec), func(t *testing.T) {
			acc := mustNew(t, spec)
			acc.Grow(2)
			var a arrow.Array
			if spec.Name == "string_agg" {
				a = build(t, mem, types.Text, []any{"x", "y", "z"})
			} else {
				a = build(t, mem, types.Int4, []any{1, 2, 3})
			}
			defer a.Release()
			feed(t, acc, []uint32{0, 1, 1}, []arrow.Array{a}, 8192)
			// Merge group 1 into group 0 and group 0 into group 1.
			if err := acc.Merge(acc, []uint32{1, 0}); err != nil {
				t.Fatal(err)
			}
			got := finalize(t, acc)
			want := map[string][]any{
				"count int4":          {int64(3), int64(3)},
				"sum int4":            {int64(6), int64(6)},
				"count DISTINCT int4": {int64(3), int64(3)},
				"string_agg text":     {"x,y,z", "y,z,x"},
			}[specName(spec)]
			if !sameValues(got, want, 0) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

// TestManyGroups checks results over 1000 groups against a row-at-a-time
// oracle written here.
func TestManyGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const ng, n = 1000, 20000
	r := rand.New(rand.NewPCG(5, 6))
	vals := make([]any, n)
	strs := make([]any, n)
	groups := make([]uint32, n)
	for i := range vals {
		if r.IntN(8) != 0 {
			vals[i] = int64(r.IntN(200) - 100)
			strs[i] = fmt.Sprintf("s%03d", r.IntN(150))
		}
		groups[i] = uint32(r.IntN(ng))
		if r.IntN(30) == 0 {
			groups[i] = NoGroup
		}
	}
	type oracle struct {
		count, countX int64
		sum           int64
		min, max      int64
		has           bool
		distinct      map[int64]bool
		distinctS     map[string]bool
		minS          string
	}
	o := make([]oracle, ng)
	for i, g := range groups {
		if g == NoGroup {
			continue
		}
		p := &o[g]
		p.count++
		if p.distinct == nil {
			p.distinct, p.distinctS = map[int64]bool{}, map[string]bool{}
		}
		if vals[i] == nil {
			continue
		}
		v := vals[i].(int64)
		s := strs[i].(string)
		if !p.has || v < p.min {
			p.min = v
		}
		if !p.has || v > p.max {
			p.max = v
		}
		if !p.has || s < p.minS {
			p.minS = s
		}
		p.has = true
		p.countX++
		p.sum += v
		p.distinct[v] = true
		p.distinctS[s] = true
	}
	ic := build(t, mem, types.Int4, vals)
	defer ic.Release()
	sc := buildDict(t, mem, strs)
	defer sc.Release()
	checks := []struct {
		spec Spec
		col  arrow.Array
		want func(p oracle) any
	}{
		{sp("count"), nil, func(p oracle) any { return p.count }},
		{sp("count", types.Int4), ic, func(p oracle) any { return p.countX }},
		{sp("sum", types.Int4), ic, func(p oracle) any {
			if !p.has {
				return nil
			}
			return p.sum
		}},
		{sp("min", types.Int4), ic, func(p oracle) any {
			if !p.has {
				return nil
			}
			return p.min
		}},
		{sp("max", types.Int4), ic, func(p oracle) any {
			if !p.has {
				return nil
			}
			return p.max
		}},
		{distinct(sp("count", types.Int4)), ic, func(p oracle) any { return int64(len(p.distinct)) }},
		{distinct(sp("count", types.Text)), sc, func(p oracle) any { return int64(len(p.distinctS)) }},
		{sp("min", types.Text), sc, func(p oracle) any {
			if !p.has {
				return nil
			}
			return p.minS
		}},
	}
	for _, c := range checks {
		t.Run(specName(c.spec), func(t *testing.T) {
			for _, batch := range []int{3, 8192} {
				acc := mustNew(t, c.spec)
				acc.Grow(ng)
				var cols []arrow.Array
				if c.col != nil {
					cols = []arrow.Array{c.col}
				}
				feed(t, acc, groups, cols, batch)
				got := finalize(t, acc)
				for g := range ng {
					if want := c.want(o[g]); !sameValue(got[g], want, 0) {
						t.Fatalf("batch %d group %d: got %v, want %v", batch, g, got[g], want)
					}
				}
			}
		})
	}
}
