package exec

// Differential tests against a real PostgreSQL 15: generated calls of
// the date/time, number formatting, string and math functions are
// evaluated here and by the server, and the texts must agree. They run
// only when LAMBDASQL_PG_ORACLE holds psql connection options, e.g.
//
//	LAMBDASQL_PG_ORACLE="host=/tmp/pgref port=55439 user=postgres" go test ./exec -run PGOracle
//
// Known, accepted differences are normalized before comparing: interval
// output spelling of -1 units and of '+' signs (types.AppendInterval),
// boolean text, and the last bits of transcendental float8 results (Go's
// math package and glibc's libm round differently).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	osexec "os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

func oracleCheck(t *testing.T) {
	if os.Getenv("LAMBDASQL_PG_ORACLE") == "" {
		t.Skip("LAMBDASQL_PG_ORACLE is not set")
	}
	if _, err := osexec.LookPath("psql"); err != nil {
		t.Skip("psql is not installed")
	}
}

// pgQuery evaluates each expression on the server through a helper that
// turns errors into 'ERROR', and returns one text per expression.
func pgQuery(t *testing.T, zone string, exprs []string) []string {
	var sb strings.Builder
	sb.WriteString(`create or replace function pg_temp.try(q text) returns text language plpgsql as $$
declare r text;
begin
  execute 'select (' || q || ')::text' into r;
  return coalesce(r, 'NULL');
exception when others then
  return 'ERROR';
end $$;
`)
	sb.WriteString("set timezone='" + zone + "';\n")
	for _, q := range exprs {
		sb.WriteString("select pg_temp.try(" + QuoteLiteral(q) + ");\n")
	}
	cmd := osexec.Command("psql", "-d", os.Getenv("LAMBDASQL_PG_ORACLE"), "-X", "-A", "-t", "-q")
	cmd.Stdin = strings.NewReader(sb.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("psql: %v", err)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// oracleCase is an SQL expression and the same call here.
type oracleCase struct {
	sql  string
	fn   string
	args []fxArg
}

// oracleNorm removes the accepted differences from a result text.
func oracleNorm(s string) string {
	for _, u := range []string{"year", "mon", "day"} {
		s = strings.ReplaceAll(s, "-1 "+u+"s", "-1 "+u)
	}
	s = strings.ReplaceAll(s, " +", " ")
	switch s {
	case "true":
		return "t"
	case "false":
		return "f"
	}
	return s
}

// closeFloats reports whether a and b are floats within a few ulps.
func closeFloats(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	return x == y || math.Abs(x-y) <= 1e-14*math.Max(math.Abs(x), math.Abs(y))
}

func runDiff(t *testing.T, zone string, cases []oracleCase) {
	t.Helper()
	ctx := fxCtx(t, zone)
	exprs := make([]string, len(cases))
	for i, c := range cases {
		exprs[i] = c.sql
	}
	want := pgQuery(t, zone, exprs)
	if len(want) != len(cases) {
		t.Fatalf("psql returned %d results for %d expressions", len(want), len(cases))
	}
	bad := 0
	for i, c := range cases {
		got, err := fxEval(ctx, c.fn, c.args...)
		g := "ERROR"
		if err == nil {
			g = got[0]
		}
		g, w := oracleNorm(g), oracleNorm(want[i])
		if g != w && !closeFloats(g, w) {
			bad++
			if bad <= 40 {
				t.Errorf("%s: got %q, PostgreSQL %q (%v)", c.sql, g, w, err)
			}
		}
	}
	t.Logf("%d expressions, %d mismatches", len(cases), bad)
}

func TestPGOracleDates(t *testing.T) {
	oracleCheck(t)
	r := rand.New(rand.NewPCG(1, 2))
	var cases []oracleCase
	fields := []string{"microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium", "epoch", "dow", "isodow", "doy", "isoyear", "julian", "timezone", "timezone_hour", "timezone_minute"}
	units := []string{"microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month", "quarter", "year", "decade", "century", "millennium"}
	for i := 0; i < 400; i++ {
		us := r.Int64N(4_000_000_000_000_000) - 2_000_000_000_000_000 // ±63000 years
		if i%2 == 0 {
			us = 1_700_000_000_000_000 + r.Int64N(100_000_000_000_000)
		}
		ts := types.TimestampD(us)
		lit := "'" + types.FormatText(types.TimestampTZ, ts, time.UTC) + "'::timestamptz"
		litn := "'" + types.FormatText(types.Timestamp, ts, nil) + "'::timestamp"
		f := fields[r.IntN(len(fields))]
		u := units[r.IntN(len(units))]
		cases = append(cases,
			oracleCase{fmt.Sprintf("date_part('%s', %s)", f, lit), "date_part", []fxArg{fstr(f), fconst(types.TimestampTZ, ts)}},
			oracleCase{fmt.Sprintf("date_trunc('%s', %s)", u, lit), "date_trunc", []fxArg{fstr(u), fconst(types.TimestampTZ, ts)}},
			oracleCase{fmt.Sprintf("date_trunc('%s', %s)", u, litn), "date_trunc", []fxArg{fstr(u), fconst(types.Timestamp, ts)}},
		)
		if f != "timezone" && f != "timezone_hour" && f != "timezone_minute" {
			cases = append(cases, oracleCase{fmt.Sprintf("date_part('%s', %s)", f, litn), "date_part", []fxArg{fstr(f), fconst(types.Timestamp, ts)}})
		}
		iv := types.IntervalD{Months: int32(r.IntN(50) - 25), Days: int32(r.IntN(70) - 35), Micros: r.Int64N(200*usPerHour) - 100*usPerHour}
		ivl := "'" + types.FormatText(types.Interval, iv, nil) + "'::interval"
		cases = append(cases,
			oracleCase{fmt.Sprintf("%s + %s", lit, ivl), "+", []fxArg{fconst(types.TimestampTZ, ts), fconst(types.Interval, iv)}},
			oracleCase{fmt.Sprintf("%s - %s", litn, ivl), "-", []fxArg{fconst(types.Timestamp, ts), fconst(types.Interval, iv)}},
			oracleCase{fmt.Sprintf("to_char(%s, 'YYYY-MM-DD HH24:MI:SS.US Dy IW IYYY DDD TZ')", lit), "to_char", []fxArg{fconst(types.TimestampTZ, ts), fstr("YYYY-MM-DD HH24:MI:SS.US Dy IW IYYY DDD TZ")}},
			oracleCase{fmt.Sprintf("age(%s, '2000-02-29 13:00'::timestamp)", litn), "age", []fxArg{fconst(types.Timestamp, ts), fconst(types.Timestamp, fxTSNoTZ(t, "2000-02-29 13:00"))}},
			oracleCase{fmt.Sprintf("%s * %v::float8", ivl, float64(i%400-200)/37), "*", []fxArg{fconst(types.Interval, iv), ffloat(float64(i%400-200) / 37)}},
			oracleCase{fmt.Sprintf("justify_interval(%s)", ivl), "justify_interval", []fxArg{fconst(types.Interval, iv)}},
			oracleCase{fmt.Sprintf("date_part('%s', %s)", []string{"epoch", "hour", "minute", "second", "day", "month", "year", "quarter", "milliseconds"}[i%9], ivl), "date_part", []fxArg{fstr([]string{"epoch", "hour", "minute", "second", "day", "month", "year", "quarter", "milliseconds"}[i%9]), fconst(types.Interval, iv)}},
		)
	}
	for _, z := range []string{"Europe/Paris", "America/New_York", "Asia/Kolkata"} {
		t.Run(z, func(t *testing.T) { runDiff(t, z, cases) })
	}
}

func TestPGOracleNumbers(t *testing.T) {
	oracleCheck(t)
	r := rand.New(rand.NewPCG(3, 4))
	fmts := []string{"999", "9999.99", "0999.90", "FM9999.99", "9,999.999", "S999.9", "999MI", "PL999.0", "SG99", "999PR", "FM999PR", "99V99", "9.99EEEE", "FM0.00", "L999", "999th", "RN", "FMRN", "99D9", "9G999", "00.0", ".99", "FM.999"}
	var cases []oracleCase
	for i := 0; i < 600; i++ {
		v := fmt.Sprintf("%.4f", (r.Float64()-0.5)*float64([]int{1, 10, 100, 1000, 100000}[r.IntN(5)]))
		if i%10 == 0 {
			v = "0"
		}
		f := fmts[r.IntN(len(fmts))]
		cases = append(cases, oracleCase{fmt.Sprintf("to_char(%s::numeric, '%s')", v, f), "to_char", []fxArg{fconst(types.Numeric, fxNum(v)), fstr(f)}})
		cases = append(cases, oracleCase{fmt.Sprintf("to_char(%s::float8, '%s')", v, f), "to_char", []fxArg{ffloat(mustF(v)), fstr(f)}})
		iv := int64(r.IntN(200000) - 100000)
		cases = append(cases, oracleCase{fmt.Sprintf("to_char(%d::int8, '%s')", iv, f), "to_char", []fxArg{fconst(types.Int8, iv), fstr(f)}})
		cases = append(cases,
			oracleCase{fmt.Sprintf("round(%s::numeric, %d)", v, r.IntN(6)-2), "round", []fxArg{fconst(types.Numeric, fxNum(v)), fint(int64(i%6 - 2))}},
		)
		cases[len(cases)-1].sql = fmt.Sprintf("round(%s::numeric, %d)", v, i%6-2)
		if x := mustF(v); x > 0 {
			cases = append(cases,
				oracleCase{fmt.Sprintf("sqrt(%s::numeric)", v), "sqrt", []fxArg{fconst(types.Numeric, fxNum(v))}},
				oracleCase{fmt.Sprintf("ln(%s::numeric)", v), "ln", []fxArg{fconst(types.Numeric, fxNum(v))}},
				oracleCase{fmt.Sprintf("log(%s::numeric)", v), "log", []fxArg{fconst(types.Numeric, fxNum(v))}},
				oracleCase{fmt.Sprintf("exp(%s::numeric / 1000)", v), "exp", []fxArg{fconst(types.Numeric, mustDiv(v))}},
				oracleCase{fmt.Sprintf("power(%s::numeric, %d::numeric)", v, i%5), "power", []fxArg{fconst(types.Numeric, fxNum(v)), fconst(types.Numeric, fxNum(fmt.Sprint(i%5)))}},
				oracleCase{fmt.Sprintf("power(%s::numeric, 0.5)", v), "power", []fxArg{fconst(types.Numeric, fxNum(v)), fconst(types.Numeric, fxNum("0.5"))}},
			)
		}
	}
	runDiff(t, "UTC", cases)
}

func mustF(s string) float64 {
	var f float64
	fmt.Sscan(s, &f)
	return f
}

func mustDiv(s string) any {
	v, _ := NumericQuo(fxNum(s).(*apd.Decimal), fxNum("1000").(*apd.Decimal))
	return v
}

func TestPGOracleStrings(t *testing.T) {
	oracleCheck(t)
	r := rand.New(rand.NewPCG(5, 6))
	alpha := []string{"a", "b", "c", "é", "%", "_", "\\", "x", "A", "ß", " ", "日"}
	rs := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(alpha[r.IntN(len(alpha))])
		}
		return b.String()
	}
	q := QuoteLiteral
	var cases []oracleCase
	for i := 0; i < 1500; i++ {
		s, p := rs(r.IntN(7)), rs(r.IntN(5))
		a, b := int64(r.IntN(12)-4), int64(r.IntN(10)-2)
		cases = append(cases,
			oracleCase{fmt.Sprintf("%s like %s", q(s), q(p)), "like", []fxArg{fstr(s), fstr(p), fstr(`\`)}},
			oracleCase{fmt.Sprintf("%s ilike %s", q(s), q(p)), "ilike", []fxArg{fstr(s), fstr(p), fstr(`\`)}},
			oracleCase{fmt.Sprintf("%s like %s escape 'x'", q(s), q(p)), "like", []fxArg{fstr(s), fstr(p), fstr("x")}},
			oracleCase{fmt.Sprintf("substring(%s, %d, %d)", q(s), a, b), "substring", []fxArg{fstr(s), fint(a), fint(b)}},
			oracleCase{fmt.Sprintf("split_part(%s, %s, %d)", q(s), q(rs(1)), a), "split_part", nil},
			oracleCase{fmt.Sprintf("lpad(%s, %d, %s)", q(s), a+3, q(p)), "lpad", []fxArg{fstr(s), fint(a + 3), fstr(p)}},
			oracleCase{fmt.Sprintf("rpad(%s, %d, %s)", q(s), a+3, q(p)), "rpad", []fxArg{fstr(s), fint(a + 3), fstr(p)}},
			oracleCase{fmt.Sprintf("left(%s, %d)", q(s), a), "left", []fxArg{fstr(s), fint(a)}},
			oracleCase{fmt.Sprintf("right(%s, %d)", q(s), a), "right", []fxArg{fstr(s), fint(a)}},
			oracleCase{fmt.Sprintf("btrim(%s, %s)", q(s), q(p)), "btrim", []fxArg{fstr(s), fstr(p)}},
			oracleCase{fmt.Sprintf("initcap(%s)", q(s+" "+p)), "initcap", []fxArg{fstr(s + " " + p)}},
			oracleCase{fmt.Sprintf("translate(%s, %s, %s)", q(s), q(p), q(rs(2))), "translate", nil},
			oracleCase{fmt.Sprintf("replace(%s, %s, %s)", q(s), q(p), q("Z")), "replace", []fxArg{fstr(s), fstr(p), fstr("Z")}},
			oracleCase{fmt.Sprintf("strpos(%s, %s)", q(s), q(p)), "strpos", []fxArg{fstr(s), fstr(p)}},
			oracleCase{fmt.Sprintf("upper(%s) || lower(%s)", q(s), q(s)), "", nil},
			oracleCase{fmt.Sprintf("quote_ident(%s)", q(s)), "quote_ident", []fxArg{fstr(s)}},
			oracleCase{fmt.Sprintf("quote_literal(%s)", q(s)), "quote_literal", []fxArg{fstr(s)}},
			oracleCase{fmt.Sprintf("overlay(%s placing %s from %d for %d)", q(s), q(p), a+5, b+2), "overlay", []fxArg{fstr(s), fstr(p), fint(a + 5), fint(b + 2)}},
		)
		// Cases whose arguments are easier to derive from the draws above.
		for j := len(cases) - 18; j < len(cases); j++ {
			c := &cases[j]
			switch {
			case strings.HasPrefix(c.sql, "split_part"):
				parts := strings.SplitN(c.sql[len("split_part("):len(c.sql)-1], ", ", 3)
				c.fn, c.args = "split_part", []fxArg{fstr(s), fstr(unq(parts[1])), fint(a)}
			case strings.HasPrefix(c.sql, "translate"):
				parts := strings.SplitN(c.sql[len("translate("):len(c.sql)-1], ", ", 3)
				c.fn, c.args = "translate", []fxArg{fstr(s), fstr(p), fstr(unq(parts[2]))}
			case strings.HasPrefix(c.sql, "upper("):
				c.fn, c.args = "||", []fxArg{fstr(strings.ToUpper(s)), fstr(strings.ToLower(s))}
			}
		}
	}
	runDiff(t, "UTC", cases)
}

func unq(s string) string {
	if strings.HasPrefix(s, "E'") {
		s = s[1:]
		s = strings.ReplaceAll(s, `\\`, `\`)
	}
	s = strings.TrimPrefix(strings.TrimSuffix(s, "'"), "'")
	return strings.ReplaceAll(s, "''", "'")
}

func TestPGOracleMath(t *testing.T) {
	oracleCheck(t)
	r := rand.New(rand.NewPCG(7, 8))
	var cases []oracleCase
	fns := []string{"sqrt", "cbrt", "exp", "ln", "log", "log10", "round", "trunc", "floor", "ceil", "sign", "sin", "cos", "tan", "asin", "acos", "atan", "degrees", "radians", "abs", "sinh", "tanh"}
	for i := 0; i < 800; i++ {
		x := (r.Float64() - 0.5) * []float64{1, 10, 1000, 1e6}[r.IntN(4)]
		y := float64(r.IntN(9)-4) / 2
		f := fns[i%len(fns)]
		xs := strconv.FormatFloat(x, 'g', -1, 64)
		ys := strconv.FormatFloat(y, 'g', -1, 64)
		cases = append(cases,
			oracleCase{fmt.Sprintf("%s(%s::float8)", f, xs), f, []fxArg{ffloat(x)}},
			oracleCase{fmt.Sprintf("power(%s::float8, %s::float8)", xs, ys), "power", []fxArg{ffloat(x), ffloat(y)}},
			oracleCase{fmt.Sprintf("atan2(%s::float8, %s::float8)", xs, ys), "atan2", []fxArg{ffloat(x), ffloat(y)}},
			oracleCase{fmt.Sprintf("width_bucket(%s::float8, -100, 100, 7)", xs), "width_bucket", []fxArg{ffloat(x), ffloat(-100), ffloat(100), fint(7)}},
			oracleCase{fmt.Sprintf("%d::int8 %% %d::int8", int64(x), int64(y*3)), "%", []fxArg{fconst(types.Int8, int64(x)), fconst(types.Int8, int64(y*3))}},
			oracleCase{fmt.Sprintf("gcd(%d::int8, %d::int8)", int64(x), int64(y*10)), "gcd", []fxArg{fconst(types.Int8, int64(x)), fconst(types.Int8, int64(y*10))}},
			oracleCase{fmt.Sprintf("lcm(%d::int8, %d::int8)", int64(x), int64(y*10)), "lcm", []fxArg{fconst(types.Int8, int64(x)), fconst(types.Int8, int64(y*10))}},
			oracleCase{fmt.Sprintf("(%d::int4 << %d)", int64(x), i%40), "<<", []fxArg{fconst(types.Int4, int64(int32(x))), fint(int64(i % 40))}},
			oracleCase{fmt.Sprintf("(%d::int2 >> %d)", int64(int16(x)), i%20), ">>", []fxArg{fconst(types.Int2, int64(int16(x))), fint(int64(i % 20))}},
			oracleCase{fmt.Sprintf("div(%s::numeric, %s::numeric)", xs, ys), "div", []fxArg{fconst(types.Numeric, fxNum(strconv.FormatFloat(x, 'f', -1, 64))), fconst(types.Numeric, fxNum(ys))}},
			oracleCase{fmt.Sprintf("mod(%s::numeric, %s::numeric)", xs, ys), "mod", []fxArg{fconst(types.Numeric, fxNum(strconv.FormatFloat(x, 'f', -1, 64))), fconst(types.Numeric, fxNum(ys))}},
		)
	}
	runDiff(t, "UTC", cases)
}
