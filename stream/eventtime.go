package stream

import (
	"math"
	"time"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// The rules by which connectors read event times out of events. They are
// shared by the JSON decoder and the demo generator so both agree on what
// an event time written as text or as a number means.

// Magnitude thresholds of EventTimeFromNumber: an epoch number below
// epochSecondsBelow (in absolute value) counts seconds, below
// epochMillisBelow milliseconds, anything larger microseconds. 1e11
// seconds is the year 5138 and 1e11 milliseconds is 1973-03-03, so every
// plausible event time lands in the right unit; milliseconds before March
// 1973 (or microseconds before 1973-03-03 09:46:40 UTC) are misread.
const (
	epochSecondsBelow = 1e11
	epochMillisBelow  = 1e14
)

// EventTimeFromNumber converts an epoch number to a timestamp. The unit is
// chosen by magnitude: |f| < 1e11 is seconds, |f| < 1e14 milliseconds,
// anything larger microseconds. Fractions are allowed in every unit and are
// rounded to the nearest microsecond. f must be finite and within about
// ±292,000 years of 1970 (the decoder rejects anything else before calling
// it); out-of-range values saturate.
func EventTimeFromNumber(f float64) types.TimestampD {
	if f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return eventTimeFromInt(int64(f)) // exact: no float rounding when scaling
	}
	a := math.Abs(f)
	var us float64
	switch {
	case a < epochSecondsBelow:
		us = f * 1e6
	case a < epochMillisBelow:
		us = f * 1e3
	default:
		us = f
	}
	us = math.Round(us)
	switch {
	case math.IsNaN(us):
		return 0
	case us >= math.MaxInt64:
		return types.TimestampD(math.MaxInt64)
	case us <= math.MinInt64:
		return types.TimestampD(math.MinInt64)
	}
	return types.TimestampD(int64(us))
}

// eventTimeFromInt is EventTimeFromNumber for an integer, exact beyond
// float64's 53 bits (no overflow: seconds and milliseconds are below 1e14).
func eventTimeFromInt(v int64) types.TimestampD {
	a := v
	if a < 0 {
		a = -a // MinInt64 stays negative and counts as microseconds
	}
	switch {
	case a >= 0 && a < epochSecondsBelow:
		return types.TimestampD(v * 1e6)
	case a >= 0 && a < epochMillisBelow:
		return types.TimestampD(v * 1e3)
	}
	return types.TimestampD(v)
}

// PostgreSQL's timestamp range (MIN_TIMESTAMP, END_TIMESTAMP in
// src/include/datatype/timestamp.h): 4714-11-24 BC to 294277-01-01 AD.
const (
	minTimestampMicros = -211813488000000000
	endTimestampMicros = 9223371331200000000
)

// timestampInRange reports whether us is a finite PostgreSQL timestamp.
func timestampInRange(us int64) bool {
	return us >= minTimestampMicros && us < endTimestampMicros
}

// ParseEventTimeString parses an event time written as text. It accepts
// RFC 3339 ("2024-05-01T12:34:56.789Z", "2024-05-01T14:34:56+02:00") and
// the PostgreSQL output form ("2024-05-01 12:34:56.789012+00",
// "2024-05-01 12:34:56"): a 'T', 't' or space between date and time,
// seconds optional, a fraction of up to 9 digits (rounded to microseconds),
// and an optional zone: Z, ±hh, ±hhmm or ±hh:mm. Without a zone the time is
// UTC. Anything else PostgreSQL's timestamptz input accepts (a bare date,
// a trailing zone name such as "UTC" or "Europe/Paris") goes through the
// slower general parser; infinities are refused because they are not
// instants. The result is the instant in microseconds since the epoch,
// whether the column is timestamp or timestamptz: an event time names a
// moment, so an explicit offset is applied rather than dropped.
func ParseEventTimeString(s string) (types.TimestampD, error) {
	if us, ok := parseTimestampFast(s); ok {
		return types.TimestampD(us), nil
	}
	return parseTimestampSlow(s)
}

// parseTimestampSlow handles the forms parseTimestampFast does not.
func parseTimestampSlow(s string) (types.TimestampD, error) {
	ts, err := types.ParseTimestamp(s, time.UTC, true)
	if err != nil {
		return 0, err
	}
	if ts == types.TimestampD(math.MaxInt64) || ts == types.TimestampD(math.MinInt64) {
		return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "event time %q is not a finite timestamp", s)
	}
	return ts, nil
}

// parseTimestampFast parses the common fixed forms without allocating:
// YYYY-MM-DD[T ]HH:MM[:SS[.f…]][Z|±hh[[:]mm]].
func parseTimestampFast[S string | []byte](s S) (int64, bool) {
	n := len(s)
	if n < 16 {
		return 0, false
	}
	y, ok1 := digits4(s[0], s[1], s[2], s[3])
	mo, ok2 := digits2(s[5], s[6])
	d, ok3 := digits2(s[8], s[9])
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, false
	}
	h, ok4 := digits2(s[11], s[12])
	mi, ok5 := digits2(s[14], s[15])
	if !ok4 || !ok5 || s[13] != ':' {
		return 0, false
	}
	i := 16
	sec := 0
	if i < n && s[i] == ':' {
		if i+3 > n {
			return 0, false
		}
		var ok bool
		if sec, ok = digits2(s[i+1], s[i+2]); !ok {
			return 0, false
		}
		i += 3
	}
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	var frac int64 // nanoseconds
	if i < n && s[i] == '.' {
		i++
		start := i
		scale := int64(1e8)
		for i < n && s[i] >= '0' && s[i] <= '9' {
			if i-start >= 9 {
				return 0, false
			}
			frac += int64(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return 0, false
		}
	}
	offset := 0 // seconds east of UTC
	if i < n {
		switch c := s[i]; c {
		case 'Z', 'z':
			i++
		case '+', '-':
			i++
			if i+2 > n {
				return 0, false
			}
			oh, ok := digits2(s[i], s[i+1])
			if !ok {
				return 0, false
			}
			i += 2
			om := 0
			if i < n {
				if s[i] == ':' {
					i++
				}
				if i+2 > n {
					return 0, false
				}
				if om, ok = digits2(s[i], s[i+1]); !ok {
					return 0, false
				}
				i += 2
			}
			if oh > 15 || om > 59 {
				return 0, false
			}
			offset = oh*3600 + om*60
			if c == '-' {
				offset = -offset
			}
		default:
			return 0, false
		}
	}
	if i != n {
		return 0, false
	}
	secs := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec-offset)
	return secs*1e6 + (frac+500)/1000, true
}

// parseDateFast parses YYYY-MM-DD into days since 1970-01-01.
func parseDateFast[S string | []byte](s S) (int32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits4(s[0], s[1], s[2], s[3])
	mo, ok2 := digits2(s[5], s[6])
	d, ok3 := digits2(s[8], s[9])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	return int32(daysFromCivil(y, mo, d)), true
}

func digits2(a, b byte) (int, bool) {
	if a < '0' || a > '9' || b < '0' || b > '9' {
		return 0, false
	}
	return int(a-'0')*10 + int(b-'0'), true
}

func digits4(a, b, c, d byte) (int, bool) {
	hi, ok1 := digits2(a, b)
	lo, ok2 := digits2(c, d)
	return hi*100 + lo, ok1 && ok2
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm,
// https://howardhinnant.github.io/date_algorithms.html#days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
