package stream

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func micros(y int, mo time.Month, d, h, mi, s, us int, off int) int64 {
	return time.Date(y, mo, d, h, mi, s, us*1000, time.FixedZone("", off)).UnixMicro()
}

func TestParseEventTimeString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"2024-05-01T12:34:56Z", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{"2024-05-01t12:34:56z", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{"2024-05-01T12:34:56.789Z", micros(2024, 5, 1, 12, 34, 56, 789000, 0)},
		{"2024-05-01T12:34:56.789012Z", micros(2024, 5, 1, 12, 34, 56, 789012, 0)},
		{"2024-05-01T12:34:56.7890125Z", micros(2024, 5, 1, 12, 34, 56, 789013, 0)}, // rounded
		{"2024-05-01T12:34:56.999999999Z", micros(2024, 5, 1, 12, 34, 57, 0, 0)},
		{"2024-05-01T14:34:56+02:00", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{"2024-05-01T07:04:56-05:30", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{"2024-05-01 12:34:56", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{"2024-05-01 12:34:56.5+00", micros(2024, 5, 1, 12, 34, 56, 500000, 0)},
		{"2024-05-01 13:34:56+0100", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{"2024-05-01 12:34", micros(2024, 5, 1, 12, 34, 0, 0, 0)},
		{"2024-02-29T00:00:00Z", micros(2024, 2, 29, 0, 0, 0, 0, 0)},
		{"1969-12-31T23:59:59.999999Z", -1},
		{"0001-01-01T00:00:00Z", micros(1, 1, 1, 0, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59Z", micros(9999, 12, 31, 23, 59, 59, 0, 0)},
		// The general parser takes the rest.
		{"2024-05-01", micros(2024, 5, 1, 0, 0, 0, 0, 0)},
		{"2024-05-01 14:34:56 Europe/Paris", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
		{" 2024-05-01T12:34:56Z ", micros(2024, 5, 1, 12, 34, 56, 0, 0)},
	} {
		got, err := ParseEventTimeString(tc.in)
		if err != nil || int64(got) != tc.want {
			t.Errorf("ParseEventTimeString(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"", "2024", "2024-13-01T00:00:00Z", "2024-04-31T00:00:00Z", "2023-02-29T00:00:00Z",
		"2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z", "2024-05-01T12:00:00+1", "2024-05-01T12:00:00.Z",
		"2024-05-01T12:00:00Zjunk", "infinity", "-infinity", "yesterday",
	} {
		// Out-of-range fields are 22008 as in PostgreSQL, bad syntax 22007.
		if got, err := ParseEventTimeString(in); err == nil || (sqlstate.CodeOf(err) != sqlstate.InvalidDatetimeFormat && sqlstate.CodeOf(err) != sqlstate.DatetimeFieldOverflow) {
			t.Errorf("ParseEventTimeString(%q) = %d, %v; want a 22007 or 22008 error", in, got, err)
		}
	}
}

func TestEventTimeFromNumber(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want int64
	}{
		{0, 0},
		{1714564800, 1714564800_000000},
		{1714564800.25, 1714564800_250000},
		{99_999_999_999, 99_999_999_999_000000},      // just below 1e11: seconds
		{100_000_000_000, 100_000_000_000_000},       // 1e11: milliseconds
		{1714564800123, 1714564800_123000},           // milliseconds
		{1714564800123.5, 1714564800_123500},         // fractional milliseconds
		{99_999_999_999_999, 99_999_999_999_999_000}, // just below 1e14: milliseconds
		{100_000_000_000_000, 100_000_000_000_000},   // 1e14: microseconds
		{1714564800123456, 1714564800_123456},        // microseconds
		{-86400, -86400_000000},                      // before the epoch
		{-1714564800123, -1714564800_123000},         // negative milliseconds
		{1e30, math.MaxInt64},                        // saturates
		{math.NaN(), 0},
	} {
		if got := EventTimeFromNumber(tc.in); int64(got) != tc.want {
			t.Errorf("EventTimeFromNumber(%v) = %d, want %d", tc.in, got, tc.want)
		}
		if tc.in == math.Trunc(tc.in) && math.Abs(tc.in) < 1e18 {
			if got := eventTimeFromInt(int64(tc.in)); int64(got) != tc.want {
				t.Errorf("eventTimeFromInt(%v) = %d, want %d", tc.in, got, tc.want)
			}
		}
	}
	if got := eventTimeFromInt(math.MinInt64); int64(got) != math.MinInt64 || timestampInRange(int64(got)) {
		t.Errorf("eventTimeFromInt(MinInt64) = %d", got)
	}
}

func TestDaysFromCivil(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		y, m, d := r.IntN(12000)-1000, 1+r.IntN(12), 1+r.IntN(28)
		want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		if got := daysFromCivil(y, m, d); got != want {
			t.Fatalf("daysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, got, want)
		}
	}
	for _, s := range []string{"2024-02-29", "1970-01-01", "0001-01-01", "9999-12-31"} {
		days, ok := parseDateFast(s)
		want, err := types.ParseDate(s)
		if !ok || err != nil || days != int32(want) {
			t.Errorf("parseDateFast(%q) = %d, %v; want %d", s, days, ok, want)
		}
	}
}

// FuzzParseEventTime checks that the fast parser agrees with PostgreSQL's
// general timestamptz input wherever both accept the text (up to
// microsecond digits; the fast parser rounds longer fractions).
func FuzzParseEventTime(f *testing.F) {
	for _, s := range []string{"2024-05-01T12:34:56.789Z", "2024-05-01 12:34:56+05:30", "2024-02-29 00:00", "1900-01-01T00:00:00-0800"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		us, ok := parseTimestampFast(s)
		if bus, bok := parseTimestampFast([]byte(s)); bus != us || bok != ok {
			t.Fatalf("string and []byte parsers disagree on %q", s)
		}
		if !ok {
			return
		}
		if i := strings.IndexByte(s, '.'); i >= 0 {
			n := 0
			for j := i + 1; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
				n++
			}
			if n > 6 {
				return
			}
		}
		want, err := types.ParseTimestamp(s, time.UTC, true)
		if err == nil && int64(want) != us {
			t.Fatalf("parseTimestampFast(%q) = %d, ParseTimestamp = %d", s, us, want)
		}
	})
}
