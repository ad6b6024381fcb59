package exec

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/types"
)

// Expected values were produced by PostgreSQL 15 with the same session
// time zone.

func tsz(t *testing.T, vals ...string) fxArg {
	vs := make([]any, len(vals))
	for i, v := range vals {
		switch v {
		case "NULL":
		case "infinity":
			vs[i] = tsInfinity
		default:
			vs[i] = fxTS(t, v)
		}
	}
	return fcol(types.TimestampTZ, vs...)
}

func tsn(t *testing.T, vals ...string) fxArg {
	vs := make([]any, len(vals))
	for i, v := range vals {
		switch v {
		case "NULL":
		case "infinity":
			vs[i] = tsInfinity
		case "0001-01-01 BC":
			vs[i] = types.TimestampD(daysFrom(0, 1, 1) * usPerDay)
		case "0044-03-15 BC":
			vs[i] = types.TimestampD(daysFrom(-43, 3, 15) * usPerDay)
		default:
			vs[i] = fxTSNoTZ(t, v)
		}
	}
	return fcol(types.Timestamp, vs...)
}

func ivc(t *testing.T, vals ...string) fxArg {
	vs := make([]any, len(vals))
	for i, v := range vals {
		if v != "NULL" {
			vs[i] = fxIv(t, v)
		}
	}
	return fcol(types.Interval, vs...)
}

func ivk(t *testing.T, v string) fxArg { return fconst(types.Interval, fxIv(t, v)) }

func datec(t *testing.T, vals ...string) fxArg {
	vs := make([]any, len(vals))
	for i, v := range vals {
		if v != "NULL" {
			vs[i] = fxDate(t, v)
		}
	}
	return fcol(types.Date, vs...)
}

func TestDateTruncInZone(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	fxRows(t, ctx, []fxCase{
		{"date_trunc", []fxArg{fstr("hour"), tsz(t, "2024-03-31 01:30:00+00", "2024-10-27 01:30:00+00", "NULL")},
			[]string{"2024-03-31 03:00:00+02", "2024-10-27 02:00:00+01", "NULL"}},
		{"date_trunc", []fxArg{fstr("day"), tsz(t, "2024-03-31 12:30:00+00")}, []string{"2024-03-31 00:00:00+01"}},
		{"date_trunc", []fxArg{fstr("month"), tsz(t, "2024-03-31 23:30:00+00")}, []string{"2024-04-01 00:00:00+02"}},
		{"date_trunc", []fxArg{fstr("week"), tsz(t, "2024-03-31 12:00:00+00")}, []string{"2024-03-25 00:00:00+01"}},
		{"date_trunc", []fxArg{fstr("quarter"), tsz(t, "2024-05-15 12:00:00+00")}, []string{"2024-04-01 00:00:00+02"}},
		{"date_trunc", []fxArg{fstr("YEAR"), tsz(t, "2024-05-15 12:00:00+00")}, []string{"2024-01-01 00:00:00+01"}},
		{"date_trunc", []fxArg{fstr("day"), tsz(t, "2024-05-15 10:11:12+00"), fstr("Asia/Tokyo")}, []string{"2024-05-14 17:00:00+02"}},
		{"date_trunc", []fxArg{fcol(types.Text, "hour", "minute"), tsz(t, "2024-05-15 10:11:12+00", "2024-05-15 10:11:12+00")},
			[]string{"2024-05-15 12:00:00+02", "2024-05-15 12:11:00+02"}},
		{"date_trunc", []fxArg{fstr("decade"), tsn(t, "2024-05-15")}, []string{"2020-01-01 00:00:00"}},
		{"date_trunc", []fxArg{fstr("century"), tsn(t, "2024-05-15", "2000-05-15")}, []string{"2001-01-01 00:00:00", "1901-01-01 00:00:00"}},
		{"date_trunc", []fxArg{fstr("millennium"), tsn(t, "2024-05-15")}, []string{"2001-01-01 00:00:00"}},
		{"date_trunc", []fxArg{fstr("minute"), tsn(t, "2024-05-15 10:11:12.5")}, []string{"2024-05-15 10:11:00"}},
		{"date_trunc", []fxArg{fstr("milliseconds"), tsn(t, "2024-05-15 10:11:12.123456")}, []string{"2024-05-15 10:11:12.123"}},
		{"date_trunc", []fxArg{fstr("hour"), tsn(t, "1969-12-31 23:59:59")}, []string{"1969-12-31 23:00:00"}},
		{"date_trunc", []fxArg{fstr("day"), tsn(t, "infinity")}, []string{"infinity"}},
		{"date_trunc", []fxArg{fstr("hour"), ivc(t, "1 day 25:30:10")}, []string{"1 day 25:00:00"}},
		{"date_trunc", []fxArg{fstr("year"), ivc(t, "1 year 5 mons 3 days")}, []string{"1 year"}},
		{"date_trunc", []fxArg{fstr("quarter"), ivc(t, "1 year 5 mons")}, []string{"1 year 3 mons"}},
	})
	for _, c := range []struct {
		args []fxArg
		code string
	}{
		{[]fxArg{fstr("foo"), tsz(t, "2024-01-01 00:00:00+00")}, "22023"},
		{[]fxArg{fstr("epoch"), tsz(t, "2024-01-01 00:00:00+00")}, "22023"},
		{[]fxArg{fstr("dow"), tsn(t, "2024-01-01")}, "22023"},
		{[]fxArg{fstr("timezone"), tsz(t, "2024-01-01 00:00:00+00")}, "0A000"},
		{[]fxArg{fstr("week"), ivc(t, "1 day")}, "0A000"},
		{[]fxArg{fstr("day"), tsz(t, "2024-01-01 00:00:00+00"), fstr("Mars/Base")}, "22023"},
	} {
		if code := fxCode(t, ctx, "date_trunc", c.args...); code != c.code {
			t.Errorf("date_trunc%s: code %s, want %s", fxSig(c.args), code, c.code)
		}
	}
}

func TestDatePart(t *testing.T) {
	ctx := fxCtx(t, "America/New_York")
	ts := func(s string) fxArg { return tsn(t, s) }
	fxRows(t, ctx, []fxCase{
		{"date_part", []fxArg{fstr("epoch"), tsz(t, "2024-01-01 00:00:00+00", "NULL")}, []string{"1704067200", "NULL"}},
		{"date_part", []fxArg{fstr("epoch"), ts("2024-01-01 00:00:00.5")}, []string{"1704067200.5"}},
		{"date_part", []fxArg{fstr("epoch"), tsn(t, "1969-12-31 23:59:59.5")}, []string{"-0.5"}},
		{"date_part", []fxArg{fstr("hour"), tsz(t, "2024-01-01 03:00:00+00")}, []string{"22"}},
		{"date_part", []fxArg{fstr("day"), tsz(t, "2024-01-01 03:00:00+00")}, []string{"31"}},
		{"date_part", []fxArg{fstr("timezone"), tsz(t, "2024-07-01 03:00:00+00")}, []string{"-14400"}},
		{"date_part", []fxArg{fstr("timezone_hour"), tsz(t, "2024-07-01 03:00:00+00")}, []string{"-4"}},
		{"date_part", []fxArg{fstr("second"), ts("2024-01-01 10:11:12.345")}, []string{"12.345"}},
		{"date_part", []fxArg{fstr("milliseconds"), ts("2024-01-01 10:11:12.345")}, []string{"12345"}},
		{"date_part", []fxArg{fstr("microseconds"), ts("2024-01-01 10:11:12.345")}, []string{"12345000"}},
		{"date_part", []fxArg{fstr("dow"), ts("2024-01-07")}, []string{"0"}},
		{"date_part", []fxArg{fstr("isodow"), ts("2024-01-07")}, []string{"7"}},
		{"date_part", []fxArg{fstr("doy"), ts("2024-12-31")}, []string{"366"}},
		{"date_part", []fxArg{fstr("week"), tsn(t, "2024-12-31", "2021-01-01")}, []string{"1", "53"}},
		{"date_part", []fxArg{fstr("isoyear"), tsn(t, "2024-12-31", "2021-01-01")}, []string{"2025", "2020"}},
		{"date_part", []fxArg{fstr("quarter"), ts("2024-05-01")}, []string{"2"}},
		{"date_part", []fxArg{fstr("decade"), ts("2024-05-01")}, []string{"202"}},
		{"date_part", []fxArg{fstr("century"), tsn(t, "2000-05-01", "2001-05-01", "0001-01-01 BC")}, []string{"20", "21", "-1"}},
		{"date_part", []fxArg{fstr("millennium"), ts("2001-05-01")}, []string{"3"}},
		{"date_part", []fxArg{fstr("julian"), ts("2024-01-01 12:00")}, []string{"2460311.5"}},
		{"date_part", []fxArg{fstr("year"), tsn(t, "0001-01-01 BC", "2024-06-01")}, []string{"-1", "2024"}},
		{"date_part", []fxArg{fstr("epoch"), tsn(t, "infinity")}, []string{"Infinity"}},
		{"date_part", []fxArg{fstr("hour"), tsn(t, "infinity", "2024-01-01 05:00")}, []string{"NULL", "5"}},
		{"date_part", []fxArg{fstr("epoch"), ivc(t, "1 year 2 mons 3 days 04:05:06.5")}, []string{"37015506.5"}},
		{"date_part", []fxArg{fstr("hour"), ivc(t, "1 day 25:30")}, []string{"25"}},
		{"date_part", []fxArg{fstr("minute"), ivc(t, "-1:30")}, []string{"-30"}},
		{"date_part", []fxArg{fstr("month"), ivc(t, "14 mons")}, []string{"2"}},
		{"date_part", []fxArg{fstr("year"), ivc(t, "14 mons")}, []string{"1"}},
		{"date_part", []fxArg{fstr("quarter"), ivc(t, "14 mons")}, []string{"1"}},
		{"date_part", []fxArg{fstr("epoch"), datec(t, "2024-01-02")}, []string{"1704153600"}},
		{"date_part", []fxArg{fstr("dow"), datec(t, "2024-01-02")}, []string{"2"}},
		{"date_part", []fxArg{fstr("hour"), fcol(types.Time, types.TimeOfDay(10*usPerHour+11*usPerMin+12*usPerSec))}, []string{"10"}},
		{"date_part", []fxArg{fstr("epoch"), fcol(types.Time, types.TimeOfDay(10*usPerHour+11*usPerMin+12*usPerSec+500000))}, []string{"36672.5"}},
		{"date_part", []fxArg{fcol(types.Text, "year", "month"), tsn(t, "2024-05-01", "2024-05-01")}, []string{"2024", "5"}},
	})
	for _, c := range []struct {
		args []fxArg
		code string
	}{
		{[]fxArg{fstr("timezone"), ts("2024-01-01")}, "0A000"},
		{[]fxArg{fstr("foo"), ts("2024-01-01")}, "22023"},
		{[]fxArg{fstr("dow"), ivc(t, "1 day")}, "0A000"},
		{[]fxArg{fstr("julian"), ivc(t, "1 day")}, "0A000"},
		{[]fxArg{fstr("day"), fcol(types.Time, types.TimeOfDay(0))}, "0A000"},
	} {
		if code := fxCode(t, ctx, "date_part", c.args...); code != c.code {
			t.Errorf("date_part%s: code %s, want %s", fxSig(c.args), code, c.code)
		}
	}
}

func TestDateBin(t *testing.T) {
	ctx := fxCtx(t, "Asia/Kolkata") // date_bin ignores the session zone
	origin := fconst(types.Timestamp, fxTSNoTZ(t, "2001-01-01"))
	fxRows(t, ctx, []fxCase{
		{"date_bin", []fxArg{ivk(t, "15 minutes"), tsn(t, "2020-02-11 15:44:17", "NULL", "2020-02-11 15:45:00"), origin},
			[]string{"2020-02-11 15:30:00", "NULL", "2020-02-11 15:45:00"}},
		{"date_bin", []fxArg{ivk(t, "15 minutes"), tsn(t, "2020-02-11 15:44:17"), fconst(types.Timestamp, fxTSNoTZ(t, "2001-01-01 00:02:30"))},
			[]string{"2020-02-11 15:32:30"}},
		// Before the origin the bin is floored toward −∞.
		{"date_bin", []fxArg{ivk(t, "1 minute"), tsz(t, "1969-12-31 23:59:30+00", "1969-12-31 23:59:00+00", "1970-01-01 00:00:59.999999+00"), fconst(types.TimestampTZ, types.TimestampD(0))},
			[]string{"1970-01-01 05:29:00+05:30", "1970-01-01 05:29:00+05:30", "1970-01-01 05:30:00+05:30"}},
		{"date_bin", []fxArg{ivk(t, "1 hour"), tsn(t, "2024-01-01 00:30:00"), fconst(types.Timestamp, fxTSNoTZ(t, "2024-01-01 10:00:00"))},
			[]string{"2024-01-01 00:00:00"}},
		{"date_bin", []fxArg{ivk(t, "7 days 1 hour"), tsn(t, "2024-03-01 00:00"), fconst(types.Timestamp, types.TimestampD(0))},
			[]string{"2024-02-27 01:00:00"}},
		{"date_bin", []fxArg{ivk(t, "1 minute"), tsz(t, "infinity"), fconst(types.TimestampTZ, types.TimestampD(0))}, []string{"infinity"}},
		{"date_bin", []fxArg{ivc(t, "1 minute", "1 hour"), tsn(t, "2024-01-01 10:10:10", "2024-01-01 10:10:10"), origin},
			[]string{"2024-01-01 10:10:00", "2024-01-01 10:00:00"}},
	})
	for _, c := range []struct {
		args []fxArg
		code string
	}{
		{[]fxArg{ivk(t, "1 mon"), tsn(t, "2024-01-01"), origin}, "0A000"},
		{[]fxArg{ivk(t, "0 minutes"), tsn(t, "2024-01-01"), origin}, "22008"},
		{[]fxArg{ivk(t, "-1 minutes"), tsn(t, "2024-01-01"), origin}, "22008"},
		{[]fxArg{ivk(t, "1 minute"), tsn(t, "2024-01-01"), fconst(types.Timestamp, tsInfinity)}, "22008"},
	} {
		if code := fxCode(t, ctx, "date_bin", c.args...); code != c.code {
			t.Errorf("date_bin%s: code %s, want %s", fxSig(c.args), code, c.code)
		}
	}
}

// TestDateBinMatchesFloor checks date_bin against the defining formula over
// generated timestamps on both sides of the origin.
func TestDateBinMatchesFloor(t *testing.T) {
	ctx := fxCtx(t, "")
	const n = 1000
	b := array.NewTimestampBuilder(Alloc, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
	defer b.Release()
	want := make([]int64, n)
	origin := int64(1_700_000_000_000_000)
	stride := int64(90 * usPerSec)
	for i := 0; i < n; i++ {
		ts := origin + int64(i-n/2)*7_777_777 + int64(i%13)
		b.Append(arrow.Timestamp(ts))
		want[i] = origin + floorDiv(ts-origin, stride)*stride
	}
	col := b.NewArray()
	defer col.Release()
	fn, _, err := Resolve("date_bin", []*types.T{types.Interval, types.TimestampTZ, types.TimestampTZ})
	if err != nil {
		t.Fatal(err)
	}
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "ts", Type: col.DataType()}}, nil), []arrow.Array{col}, n)
	defer rec.Release()
	call := NewCall(fn, []Expr{&Const{Value: types.IntervalD{Micros: stride}, T: types.Interval},
		&ColRef{Idx: 0, T: types.TimestampTZ}, &Const{Value: types.TimestampD(origin), T: types.TimestampTZ}})
	v, err := call.Eval(ctx, rec)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Release()
	got := valuesOf[int64](v.Arr)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: date_bin = %d, want %d", i, got[i], want[i])
		}
	}
}

func TestTimeConstructors(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	I4, F8 := types.Int4, types.Float8
	fxRows(t, ctx, []fxCase{
		{"make_date", []fxArg{fcol(I4, 2024, -44), fcol(I4, 2, 3), fcol(I4, 29, 15)}, []string{"2024-02-29", "0044-03-15 BC"}},
		{"make_time", []fxArg{fint(8), fint(15), ffloat(23.5)}, []string{"08:15:23.5"}},
		{"make_timestamp", []fxArg{fint(2024), fint(1), fint(2), fint(3), fint(4), ffloat(5.25)}, []string{"2024-01-02 03:04:05.25"}},
		{"make_timestamptz", []fxArg{fint(2024), fint(7), fint(1), fint(12), fint(0), ffloat(0)}, []string{"2024-07-01 12:00:00+02"}},
		{"make_timestamptz", []fxArg{fint(2024), fint(7), fint(1), fint(12), fint(0), ffloat(0), fstr("America/New_York")}, []string{"2024-07-01 18:00:00+02"}},
		{"make_interval", []fxArg{fint(1), fint(2), fint(3), fint(4), fint(5), fint(6), ffloat(7.5)}, []string{"1 year 2 mons 25 days 05:06:07.5"}},
		{"make_interval", []fxArg{fint(0), fint(0), fint(0), fint(10)}, []string{"10 days"}},
		{"make_interval", nil, []string{"00:00:00"}},
		{"to_timestamp", []fxArg{fcol(F8, 1704067200.5, 0, -1.5, nil)}, []string{"2024-01-01 01:00:00.5+01", "1970-01-01 01:00:00+01", "1970-01-01 00:59:58.5+01", "NULL"}},
		{"to_timestamp", []fxArg{ffloat(1e308 * 0)}, []string{"1970-01-01 01:00:00+01"}},
	})
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"make_date", []fxArg{fint(2024), fint(2), fint(30)}, "22008"},
		{"make_date", []fxArg{fint(0), fint(1), fint(1)}, "22008"},
		{"make_time", []fxArg{fint(25), fint(0), ffloat(0)}, "22008"},
		{"to_timestamp", []fxArg{fcol(F8, 1e300)}, "22008"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

func TestNowAndZones(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	for fn, want := range map[string]string{
		"now":                   "2024-03-15 13:34:56.789012+01",
		"current_timestamp":     "2024-03-15 13:34:56.789012+01",
		"statement_timestamp":   "2024-03-15 13:34:56.789012+01",
		"transaction_timestamp": "2024-03-15 13:34:56.789012+01",
		"current_date":          "2024-03-15",
		"localtimestamp":        "2024-03-15 13:34:56.789012",
		"localtime":             "13:34:56.789012",
	} {
		if got := fxOne(t, ctx, fn); got != want {
			t.Errorf("%s() = %s, want %s", fn, got, want)
		}
	}
	if got := fxOne(t, ctx, "current_timestamp", fint(2)); got != "2024-03-15 13:34:56.79+01" {
		t.Errorf("current_timestamp(2) = %s", got)
	}
	fn, _, _ := Resolve("clock_timestamp", nil)
	if !fn.Volatile {
		t.Error("clock_timestamp must be volatile")
	}
	fxRows(t, ctx, []fxCase{
		{"timezone", []fxArg{fstr("UTC"), tsz(t, "2024-01-01 12:00:00+00")}, []string{"2024-01-01 12:00:00"}},
		{"timezone", []fxArg{fstr("America/New_York"), tsn(t, "2024-07-01 12:00:00")}, []string{"2024-07-01 18:00:00+02"}},
		{"at time zone", []fxArg{fconst(types.TimestampTZ, fxTS(t, "2024-01-01 12:00:00+00")), fcol(types.Text, "+02", "EST", "europe/london", "UTC")},
			[]string{"2024-01-01 10:00:00", "2024-01-01 07:00:00", "2024-01-01 12:00:00", "2024-01-01 12:00:00"}},
		{"at time zone", []fxArg{tsz(t, "2024-01-01 12:00:00+00"), ivk(t, "02:00")}, []string{"2024-01-01 14:00:00"}},
		{"at time zone", []fxArg{tsn(t, "2024-01-01 12:00"), fstr("UTC+3")}, []string{"2024-01-01 16:00:00+01"}},
		{"isfinite", []fxArg{tsn(t, "infinity", "2024-01-01")}, []string{"f", "t"}},
	})
	if code := fxCode(t, ctx, "timezone", fstr("Mars/Base"), tsz(t, "2024-01-01 12:00:00+00")); code != "22023" {
		t.Errorf("unknown zone: code %s", code)
	}
}

func TestAgeJustify(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	fxRows(t, ctx, []fxCase{
		{"age", []fxArg{tsn(t, "2024-03-31", "2024-01-31", "2024-03-01 10:00", "2001-04-10"), tsn(t, "2024-01-31", "2024-03-31", "2023-12-15 12:30", "1957-06-13")},
			[]string{"2 mons", "-2 mons", "2 mons 16 days 21:30:00", "43 years 9 mons 27 days"}},
		{"age", []fxArg{tsn(t, "2024-03-01")}, []string{"14 days"}},
		{"justify_days", []fxArg{ivc(t, "35 days", "-65 days")}, []string{"1 mon 5 days", "-2 mons -5 days"}},
		{"justify_hours", []fxArg{ivc(t, "27 hours")}, []string{"1 day 03:00:00"}},
		{"justify_interval", []fxArg{ivc(t, "1 mon -1 hour", "-1 mon 1 day 30 hours")}, []string{"29 days 23:00:00", "-27 days -18:00:00"}},
	})
}

func TestDateTimeArithmetic(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	I4, F8 := types.Int4, types.Float8
	tm := func(s string) fxArg {
		v, err := types.ParseTimeOfDay(s)
		if err != nil {
			t.Fatal(err)
		}
		return fcol(types.Time, v)
	}
	fxRows(t, ctx, []fxCase{
		{"+", []fxArg{tsz(t, "2024-03-30 12:00:00+01", "2024-10-27 00:00:00+02", "NULL"), ivk(t, "1 day")},
			[]string{"2024-03-31 12:00:00+02", "2024-10-28 00:00:00+01", "NULL"}},
		{"+", []fxArg{tsz(t, "2024-03-30 12:00:00+01"), ivk(t, "24 hours")}, []string{"2024-03-31 13:00:00+02"}},
		{"+", []fxArg{tsn(t, "2024-01-31 10:00", "2024-02-29 00:00"), ivc(t, "1 month", "1 year")}, []string{"2024-02-29 10:00:00", "2025-02-28 00:00:00"}},
		{"-", []fxArg{tsn(t, "2024-01-31"), ivk(t, "1 mon 1 day")}, []string{"2023-12-30 00:00:00"}},
		{"+", []fxArg{ivk(t, "1 hour"), tsn(t, "2024-01-01 23:30")}, []string{"2024-01-02 00:30:00"}},
		{"+", []fxArg{tsn(t, "infinity"), ivk(t, "1 day")}, []string{"infinity"}},
		{"+", []fxArg{datec(t, "2024-01-31"), fint(1)}, []string{"2024-02-01"}},
		{"+", []fxArg{fcol(I4, 1), datec(t, "2024-01-31")}, []string{"2024-02-01"}},
		{"-", []fxArg{datec(t, "2024-03-01"), fint(1)}, []string{"2024-02-29"}},
		{"-", []fxArg{datec(t, "2024-03-01"), datec(t, "2024-01-01")}, []string{"60"}},
		{"+", []fxArg{datec(t, "2024-01-31"), ivk(t, "1 month")}, []string{"2024-02-29 00:00:00"}},
		{"-", []fxArg{datec(t, "2024-01-01"), ivk(t, "1 hour")}, []string{"2023-12-31 23:00:00"}},
		{"+", []fxArg{datec(t, "2024-01-01"), tm("10:30")}, []string{"2024-01-01 10:30:00"}},
		{"-", []fxArg{tsn(t, "2024-01-03 10:00", "2024-01-01 00:00"), tsn(t, "2024-01-01 00:00", "2024-01-03 10:00")}, []string{"2 days 10:00:00", "-2 days -10:00:00"}},
		{"-", []fxArg{tsz(t, "2024-03-31 12:00:00+02"), tsz(t, "2024-03-30 12:00:00+01")}, []string{"23:00:00"}},
		{"+", []fxArg{ivc(t, "1 day 2 hours"), ivk(t, "3 mons")}, []string{"3 mons 1 day 02:00:00"}},
		{"-", []fxArg{ivc(t, "3 mons 1 day"), ivk(t, "1 mon 2 hours")}, []string{"2 mons 1 day -02:00:00"}},
		{"*", []fxArg{ivc(t, "1 mon 1 day"), ffloat(1.5)}, []string{"1 mon 16 days 12:00:00"}},
		{"*", []fxArg{fcol(F8, 2), ivk(t, "1 hour 30 minutes")}, []string{"03:00:00"}},
		{"*", []fxArg{ivc(t, "1 year"), ffloat(0.3)}, []string{"3 mons 18 days"}},
		{"/", []fxArg{ivc(t, "1 mon", "1 day"), fcol(F8, 7, 3)}, []string{"4 days 06:51:25.6896", "08:00:00"}},
		{"+", []fxArg{tm("23:30"), ivk(t, "2 hours")}, []string{"01:30:00"}},
		{"-", []fxArg{tm("01:00"), ivk(t, "2 hours")}, []string{"23:00:00"}},
		{"-", []fxArg{tm("10:00"), tm("08:30")}, []string{"01:30:00"}},
		{"-", []fxArg{ivc(t, "2 days 2 hours")}, []string{"-2 days -02:00:00"}},
	})
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"-", []fxArg{tsn(t, "2024-01-01"), tsn(t, "infinity")}, "22008"},
		{"/", []fxArg{ivc(t, "1 day"), ffloat(0)}, "22012"},
		{"+", []fxArg{fcol(types.Date, types.DateD(daysFrom(5874897, 12, 31))), fint(1)}, "22008"},
		{"+", []fxArg{tsn(t, "2024-01-01"), ivk(t, "100000000 years")}, "22008"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

func TestToChar(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	I4, I8, F8, F4 := types.Int4, types.Int8, types.Float8, types.Float4
	ts := tsn(t, "2024-03-05 14:07:09.123456")
	fxRows(t, ctx, []fxCase{
		{"to_char", []fxArg{ts, fstr("YYYY-MM-DD HH24:MI:SS.MS US")}, []string{"2024-03-05 14:07:09.123 123456"}},
		{"to_char", []fxArg{tsn(t, "2024-03-05 14:07:09"), fstr("HH12:MI AM Day Dy Month Mon DDD D ID IW WW Q J CC")}, []string{"02:07 PM Tuesday   Tue March     Mar 065 3 2 10 10 1 2460375 21"}},
		{"to_char", []fxArg{tsn(t, "2024-03-05 14:07:09"), fstr("FMMonth FMDD, YYYY FMHH12 pm")}, []string{"March 5, 2024 2 pm"}},
		{"to_char", []fxArg{tsn(t, "2024-03-05 14:07:09"), fstr("DDth Month")}, []string{"05th March    "}},
		{"to_char", []fxArg{tsn(t, "2024-03-01"), fstr(`FMDDth "of" MONTH`)}, []string{"1st of MARCH    "}},
		{"to_char", []fxArg{tsz(t, "2024-07-05 14:07:09+00"), fstr("YYYY-MM-DD HH24:MI TZ OF")}, []string{"2024-07-05 16:07 CEST +02"}},
		{"to_char", []fxArg{tsz(t, "2024-03-05 14:07:09+00"), fstr("tz TZH:TZM")}, []string{"cet +01:00"}},
		{"to_char", []fxArg{ivc(t, "1 day 25:30:10", "15 hours"), fcol(types.Text, "DD HH24:MI:SS", "HH12")}, []string{"01 25:30:10", "03"}},
		{"to_char", []fxArg{tsn(t, "0044-03-15 BC"), fstr("YYYY BC")}, []string{"0044 BC"}},
		{"to_char", []fxArg{tsn(t, "2024-03-05"), fstr("Y,YYY YYY YY Y IYYY")}, []string{"2,024 024 24 4 2024"}},
		{"to_char", []fxArg{tsn(t, "2024-12-30"), fstr("IYYY-IW-ID IDDD")}, []string{"2025-01-1 001"}},
		{"to_char", []fxArg{tsn(t, "2024-03-05 00:00"), fstr("HH12 AM a.m.")}, []string{"12 AM a.m."}},
		{"to_char", []fxArg{tsn(t, "2024-03-05"), fstr("RM rm FF3")}, []string{"III  iii  000"}},
		{"to_char", []fxArg{tsn(t, "infinity"), fstr("YYYY")}, []string{"NULL"}},
	})
	num := func(t2 *types.T, v any, f, want string) fxCase {
		return fxCase{"to_char", []fxArg{fcol(t2, v), fstr(f)}, []string{want}}
	}
	fxRows(t, ctx, []fxCase{
		num(I4, 123, "999", " 123"),
		num(I4, -123, "999", "-123"),
		num(I4, 12, "999", "  12"),
		num(I4, 12, "0999", " 0012"),
		fxCase{"to_char", []fxArg{fnumc("12.345", "0.5", "0", "-0.5", "2.5", "-2.5"), fcol(types.Text, "99.99", "9.99", "9.99", "9.9", "9", "9")}, []string{" 12.35", "  .50", "  .00", " -.5", " 3", "-3"}},
		fxCase{"to_char", []fxArg{fnumc("0.5", "0", "12.5", "12", "-12.5", "0.05", "148.5", "-0.1", "0.456"), fcol(types.Text, "0.99", "999", "FM999.99", "FM999.99", "FM999.00", "FM0.99", "999D999", "FM9.99", "FM.999")},
			[]string{" 0.50", "   0", "12.5", "12.", "-12.50", "0.05", " 148.500", "-.1", ".###"}},
		num(I4, 1234567, "9,999,999", " 1,234,567"),
		num(I4, 12, "FM999", "12"),
		num(I4, 1234, "99", " ##"),
		num(I4, 485, "S999", "+485"),
		num(I4, -485, "999S", "485-"),
		num(I4, -485, "999MI", "485-"),
		num(I4, 485, "999MI", "485 "),
		num(I4, 485, "PL999", "+ 485"),
		num(I4, -485, "PL999", " -485"),
		num(I4, -485, "SG999", "-485"),
		num(I4, -485, "999PR", "<485>"),
		num(I4, 485, "999PR", " 485 "),
		num(I4, -485, "FM999PR", "<485>"),
		num(I4, 485, "FMS999", "+485"),
		num(I4, 12, "99V9", " 120"),
		num(I4, 3, "FM9th", "3rd"),
		num(I4, 1485, "RN", "       MCDLXXXV"),
		num(I4, 12, "L99", "  12"),
		num(I4, 5, "00", " 05"),
		num(I4, 5, "FM00", "05"),
		num(I4, -5, "FM999", "-5"),
		num(I4, 12, "9 9", " 1 2"),
		num(I8, 123456789012, "999,999,999,999", " 123,456,789,012"),
		num(F8, 123.456, "999.99", " 123.46"),
		num(F8, 1e6, "9.99EEEE", " 1.00e+06"),
		num(F8, 2.5, "9", " 2"),
		num(F4, 12.5, "99.9", " 12.5"),
		fxCase{"to_char", []fxArg{fnumc("1234.5"), fstr("9G999D99")}, []string{" 1,234.50"}},
		fxCase{"to_char", []fxArg{fnumc("-1234.567"), fstr("S9,999.9")}, []string{"-1,234.6"}},
		fxCase{"to_char", []fxArg{fnumc("1234"), fstr("9,999.99")}, []string{" 1,234.00"}},
	})
}

func TestToTimestampText(t *testing.T) {
	ctx := fxCtx(t, "Europe/Paris")
	fxRows(t, ctx, []fxCase{
		{"to_timestamp", []fxArg{ftext("2024-03-05 14:07:09", "05 Mar 2024", "2024-07-01 12:00:00 +05"), fcol(types.Text, "YYYY-MM-DD HH24:MI:SS", "DD Mon YYYY", "YYYY-MM-DD HH24:MI:SS TZH")},
			[]string{"2024-03-05 14:07:09+01", "2024-03-05 00:00:00+01", "2024-07-01 09:00:00+02"}},
		{"to_timestamp", []fxArg{ftext("2:07 PM 5/3/24"), fstr("HH12:MI AM DD/MM/YY")}, []string{"2024-03-05 14:07:00+01"}},
		{"to_timestamp", []fxArg{ftext("20240305143000.250"), fstr("YYYYMMDDHH24MISS.MS")}, []string{"2024-03-05 14:30:00.25+01"}},
		{"to_date", []fxArg{ftext("05 March 2024", "2024-060"), fcol(types.Text, "DD Month YYYY", "YYYY-DDD")}, []string{"2024-03-05", "2024-02-29"}},
		{"to_number", []fxArg{ftext("12,454.8-", "$1,234.567"), fcol(types.Text, "99G999D9S", "L9,999.99")}, []string{"-12454.8", "1234.56"}},
	})
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"to_timestamp", []fxArg{ftext("2024-13-01"), fstr("YYYY-MM-DD")}, "22008"},
		{"to_timestamp", []fxArg{ftext("20x4-01-01"), fstr("YYYY-MM-DD")}, "22007"},
		{"to_timestamp", []fxArg{ftext("13:00 PM"), fstr("HH12:MI AM")}, "22007"},
		{"to_date", []fxArg{ftext("05 Foo 2024"), fstr("DD Mon YYYY")}, "22007"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

func BenchmarkDateBin(b *testing.B) {
	for _, n := range []int{1024, 8192} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			tb := array.NewTimestampBuilder(Alloc, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
			start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
			for i := 0; i < n; i++ {
				tb.Append(arrow.Timestamp(start + int64(i)*1_234_567))
			}
			col := tb.NewArray()
			tb.Release()
			defer col.Release()
			fn, _, err := Resolve("date_bin", []*types.T{types.Interval, types.TimestampTZ, types.TimestampTZ})
			if err != nil {
				b.Fatal(err)
			}
			rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "ts", Type: col.DataType()}}, nil), []arrow.Array{col}, int64(n))
			defer rec.Release()
			call := NewCall(fn, []Expr{&Const{Value: types.IntervalD{Micros: 60 * usPerSec}, T: types.Interval},
				&ColRef{Idx: 0, T: types.TimestampTZ}, &Const{Value: types.TimestampD(0), T: types.TimestampTZ}})
			ctx := NewCtx()
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				v, err := call.Eval(ctx, rec)
				if err != nil {
					b.Fatal(err)
				}
				v.Release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}
