package exec

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/types"
)

// pg runs one query per line and returns each single-column result.
func pgQuery(t *testing.T, zone string, queries []string) []string {
	var sb strings.Builder
	sb.WriteString("set timezone='" + zone + "';\n")
	for _, q := range queries {
		sb.WriteString("select try(" + QuoteLiteral(q) + ");\n")
	}
	cmd := exec.Command("psql", "-h", "/tmp/pgref", "-p", "55439", "-U", "postgres", "-X", "-At", "-v", "ON_ERROR_STOP=0")
	cmd.Stdin = strings.NewReader(sb.String())
	out, _ := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	var res []string
	for _, l := range lines {
		if l == "SET" {
			continue
		}
		if strings.HasPrefix(l, "ERROR:") {
			res = append(res, "ERROR")
			continue
		}
		if strings.HasPrefix(l, "LINE") || strings.HasPrefix(l, "HINT") || strings.HasPrefix(l, "DETAIL") {
			continue
		}
		res = append(res, l)
	}
	return res
}

type diffCase struct {
	sql  string
	fn   string
	args []fxArg
}

func runDiff(t *testing.T, zone string, cases []diffCase) {
	ctx := fxCtx(t, zone)
	var qs []string
	for _, c := range cases {
		qs = append(qs, c.sql)
	}
	want := pgQuery(t, zone, qs)
	if len(want) != len(cases) {
		t.Fatalf("psql returned %d results for %d queries", len(want), len(cases))
	}
	bad := 0
	for i, c := range cases {
		got, err := fxEval(ctx, c.fn, c.args...)
		g := ""
		if err != nil {
			g = "ERROR"
		} else {
			g = got[0]
		}
		w := want[i]
		for _, u := range []string{"year", "mon", "day"} {
			w = strings.ReplaceAll(w, "-1 "+u+"s", "-1 "+u)
		}
		w = strings.ReplaceAll(w, " +", " ")
		g = strings.ReplaceAll(g, " +", " ")
		if g != w {
			bad++
			if bad < 40 {
				t.Errorf("%s: got %q, pg %q (err %v)", c.sql, g, want[i], err)
			}
		}
	}
	t.Logf("%d cases, %d mismatches", len(cases), bad)
}

func TestZZDiffDates(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var cases []diffCase
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
			diffCase{fmt.Sprintf("date_part('%s', %s)", f, lit), "date_part", []fxArg{fstr(f), fconst(types.TimestampTZ, ts)}},
			diffCase{fmt.Sprintf("date_trunc('%s', %s)", u, lit), "date_trunc", []fxArg{fstr(u), fconst(types.TimestampTZ, ts)}},
			diffCase{fmt.Sprintf("date_trunc('%s', %s)", u, litn), "date_trunc", []fxArg{fstr(u), fconst(types.Timestamp, ts)}},
		)
		if f != "timezone" && f != "timezone_hour" && f != "timezone_minute" {
			cases = append(cases, diffCase{fmt.Sprintf("date_part('%s', %s)", f, litn), "date_part", []fxArg{fstr(f), fconst(types.Timestamp, ts)}})
		}
		iv := types.IntervalD{Months: int32(r.IntN(50) - 25), Days: int32(r.IntN(70) - 35), Micros: r.Int64N(200*usPerHour) - 100*usPerHour}
		ivl := "'" + types.FormatText(types.Interval, iv, nil) + "'::interval"
		cases = append(cases,
			diffCase{fmt.Sprintf("%s + %s", lit, ivl), "+", []fxArg{fconst(types.TimestampTZ, ts), fconst(types.Interval, iv)}},
			diffCase{fmt.Sprintf("%s - %s", litn, ivl), "-", []fxArg{fconst(types.Timestamp, ts), fconst(types.Interval, iv)}},
			diffCase{fmt.Sprintf("to_char(%s, 'YYYY-MM-DD HH24:MI:SS.US Dy IW IYYY DDD TZ')", lit), "to_char", []fxArg{fconst(types.TimestampTZ, ts), fstr("YYYY-MM-DD HH24:MI:SS.US Dy IW IYYY DDD TZ")}},
			diffCase{fmt.Sprintf("age(%s, '2000-02-29 13:00'::timestamp)", litn), "age", []fxArg{fconst(types.Timestamp, ts), fconst(types.Timestamp, fxTSNoTZ(t, "2000-02-29 13:00"))}},
			diffCase{fmt.Sprintf("%s * %v::float8", ivl, float64(i%400-200)/37), "*", []fxArg{fconst(types.Interval, iv), ffloat(float64(i%400-200) / 37)}},
			diffCase{fmt.Sprintf("justify_interval(%s)", ivl), "justify_interval", []fxArg{fconst(types.Interval, iv)}},
			diffCase{fmt.Sprintf("date_part('%s', %s)", []string{"epoch", "hour", "minute", "second", "day", "month", "year", "quarter", "milliseconds"}[i%9], ivl), "date_part", []fxArg{fstr([]string{"epoch", "hour", "minute", "second", "day", "month", "year", "quarter", "milliseconds"}[i%9]), fconst(types.Interval, iv)}},
		)
	}
	for _, z := range []string{"Europe/Paris", "America/New_York", "Asia/Kolkata"} {
		t.Run(z, func(t *testing.T) { runDiff(t, z, cases) })
	}
}

func TestZZDiffNumbers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fmts := []string{"999", "9999.99", "0999.90", "FM9999.99", "9,999.999", "S999.9", "999MI", "PL999.0", "SG99", "999PR", "FM999PR", "99V99", "9.99EEEE", "FM0.00", "L999", "999th", "RN", "FMRN", "99D9", "9G999", "00.0", ".99", "FM.999"}
	var cases []diffCase
	for i := 0; i < 600; i++ {
		v := fmt.Sprintf("%.4f", (r.Float64()-0.5)*float64([]int{1, 10, 100, 1000, 100000}[r.IntN(5)]))
		if i%10 == 0 {
			v = "0"
		}
		f := fmts[r.IntN(len(fmts))]
		cases = append(cases, diffCase{fmt.Sprintf("to_char(%s::numeric, '%s')", v, f), "to_char", []fxArg{fconst(types.Numeric, fxNum(v)), fstr(f)}})
		cases = append(cases, diffCase{fmt.Sprintf("to_char(%s::float8, '%s')", v, f), "to_char", []fxArg{ffloat(mustF(v)), fstr(f)}})
		iv := int64(r.IntN(200000) - 100000)
		cases = append(cases, diffCase{fmt.Sprintf("to_char(%d::int8, '%s')", iv, f), "to_char", []fxArg{fconst(types.Int8, iv), fstr(f)}})
		cases = append(cases,
			diffCase{fmt.Sprintf("round(%s::numeric, %d)", v, r.IntN(6)-2), "round", []fxArg{fconst(types.Numeric, fxNum(v)), fint(int64(i%6 - 2))}},
		)
		cases[len(cases)-1].sql = fmt.Sprintf("round(%s::numeric, %d)", v, i%6-2)
		if x := mustF(v); x > 0 {
			cases = append(cases,
				diffCase{fmt.Sprintf("sqrt(%s::numeric)", v), "sqrt", []fxArg{fconst(types.Numeric, fxNum(v))}},
				diffCase{fmt.Sprintf("ln(%s::numeric)", v), "ln", []fxArg{fconst(types.Numeric, fxNum(v))}},
				diffCase{fmt.Sprintf("log(%s::numeric)", v), "log", []fxArg{fconst(types.Numeric, fxNum(v))}},
				diffCase{fmt.Sprintf("exp(%s::numeric / 1000)", v), "exp", []fxArg{fconst(types.Numeric, mustDiv(v))}},
				diffCase{fmt.Sprintf("power(%s::numeric, %d::numeric)", v, i%5), "power", []fxArg{fconst(types.Numeric, fxNum(v)), fconst(types.Numeric, fxNum(fmt.Sprint(i%5)))}},
				diffCase{fmt.Sprintf("power(%s::numeric, 0.5)", v), "power", []fxArg{fconst(types.Numeric, fxNum(v)), fconst(types.Numeric, fxNum("0.5"))}},
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
	d := fxNum(s).(interface{ String() string })
	_ = d
	v, _ := NumericQuo(fxNum(s).(*apd.Decimal), fxNum("1000").(*apd.Decimal))
	return v
}
