package types

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
)

// DateD is a date as days since 1970-01-01.
type DateD int32

// TimeOfDay is a time of day in microseconds since midnight.
type TimeOfDay int64

// TimestampD is microseconds since 1970-01-01 00:00:00 UTC. It holds both
// timestamp and timestamptz values; the column type says which.
type TimestampD int64

// IntervalD is a PostgreSQL interval: months, days and microseconds are
// kept apart because their lengths vary.
type IntervalD struct {
	Months int32
	Days   int32
	Micros int64
}

// OidD is an object identifier (oid, regclass, regtype, …).
type OidD uint32

// Time converts ts to a time.Time in UTC.
func (ts TimestampD) Time() time.Time { return time.UnixMicro(int64(ts)).UTC() }

// TimestampOf converts t to a Timestamp.
func TimestampOf(t time.Time) TimestampD { return TimestampD(t.UnixMicro()) }

// Time returns the date at midnight UTC.
func (d DateD) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) DateD {
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return DateD(u.Unix() / 86400)
}

// Duration returns the interval as a fixed duration, taking a month as 30
// days and a day as 24 hours (PostgreSQL's interval comparison rule).
func (iv IntervalD) Duration() time.Duration {
	return time.Duration(iv.Micros)*time.Microsecond + time.Duration(iv.Days)*24*time.Hour + time.Duration(iv.Months)*30*24*time.Hour
}

// TotalMicros is Duration in microseconds.
func (iv IntervalD) TotalMicros() int64 {
	return iv.Micros + int64(iv.Days)*86400_000000 + int64(iv.Months)*30*86400_000000
}

// IntervalOf converts d into an interval of microseconds only.
func IntervalOf(d time.Duration) IntervalD { return IntervalD{Micros: d.Microseconds()} }

// ParseError is the error of a failed text conversion, SQLSTATE 22P02 or
// 22007/22008.
func parseErr(t *T, s string) error {
	return sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type %s: %q", t.Name, s)
}

// ParseText converts PostgreSQL text input s into a datum of type t. loc is
// the session time zone (for timestamptz input without an offset); nil means
// UTC.
func ParseText(t *T, s string, loc *time.Location) (any, error) {
	return ParseTextAt(t, s, loc, nil)
}

// ParseTextAt is ParseText with the current time for the inputs 'now',
// 'today', 'yesterday' and 'tomorrow' (the statement's time); nil means
// the clock's.
func ParseTextAt(t *T, s string, loc *time.Location, now func() TimestampD) (any, error) {
	switch t.Family {
	case FamBool:
		return ParseBool(s)
	case FamInt:
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, sqlstate.New(sqlstate.NumericValueOutOfRange, "value %q is out of range for type %s", s, t.Name)
			}
			return nil, parseErr(t, s)
		}
		if err := CheckIntRange(t, v); err != nil {
			return nil, err
		}
		return v, nil
	case FamFloat:
		return ParseFloat(t, s)
	case FamNumeric:
		d, _, err := apd.NewFromString(strings.TrimSpace(s))
		if err != nil {
			return nil, parseErr(t, s)
		}
		return d, nil
	case FamString, FamUnknown, FamJSON, FamRecord:
		if (t.OID == BPChar.OID || t.OID == Varchar.OID) && t.Mod >= 4 {
			n := int(t.Mod - 4)
			if r := []rune(s); len(r) > n {
				if strings.TrimRight(string(r[n:]), " ") != "" {
					return nil, sqlstate.New(sqlstate.StringDataRightTruncation, "value too long for type %s", FormatType(t, t.Mod))
				}
				s = string(r[:n])
			}
		}
		return s, nil
	case FamBytes:
		return ParseBytea(s)
	case FamDate:
		return parseDateAt(s, loc, now)
	case FamTime:
		return ParseTimeOfDay(s)
	case FamTimestamp, FamTimestampTZ:
		if loc == nil {
			loc = time.UTC
		}
		withTZ := t.Family == FamTimestampTZ
		if x := strings.TrimSpace(s); len(x) >= 3 && x[0] >= 'A' {
			if days, ok := relativeDay(x); ok {
				return relativeTimestamp(x, days, loc, now, withTZ), nil
			}
		}
		if !withTZ {
			loc = time.UTC
		}
		ts, err := ParseTimestamp(s, loc, withTZ)
		return ts, err
	case FamInterval:
		return ParseInterval(s)
	case FamOid:
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return nil, parseErr(t, s)
		}
		return OidD(v), nil
	case FamArray:
		if t.OID == Int2Vector.OID || t.OID == OidVector.OID {
			// int2vector and oidvector read space-separated elements.
			out := []any{}
			for _, f := range strings.Fields(s) {
				v, err := ParseText(t.Elem, f, loc)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}
		return ParseArray(t.Elem, s, loc)
	case FamVoid, FamNull:
		return nil, nil
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "input of type %s is not supported", t.Name)
}

// CheckIntRange fails with 22003 when v does not fit t.
func CheckIntRange(t *T, v int64) error {
	switch t.Width {
	case 2:
		if v < math.MinInt16 || v > math.MaxInt16 {
			return sqlstate.New(sqlstate.NumericValueOutOfRange, "smallint out of range")
		}
	case 4:
		if v < math.MinInt32 || v > math.MaxInt32 {
			return sqlstate.New(sqlstate.NumericValueOutOfRange, "integer out of range")
		}
	}
	return nil
}

// ParseBool accepts PostgreSQL's boolean spellings.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "yes", "y", "on", "1", "tr", "tru", "ye":
		return true, nil
	case "f", "false", "no", "n", "off", "0", "fa", "fal", "fals", "of":
		return false, nil
	}
	return false, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type boolean: %q", s)
}

// ParseFloat accepts PostgreSQL float input including Infinity and NaN.
func ParseFloat(t *T, s string) (float64, error) {
	x := strings.TrimSpace(s)
	switch strings.ToLower(x) {
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	bits := 64
	if t != nil && t.Width == 4 {
		bits = 32
	}
	v, err := strconv.ParseFloat(x, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, sqlstate.New(sqlstate.NumericValueOutOfRange, "%q is out of range for type %s", s, t.Name)
		}
		return 0, parseErr(t, s)
	}
	return v, nil
}

// ParseBytea accepts hex ("\x…") and escape formats.
func ParseBytea(s string) ([]byte, error) {
	if strings.HasPrefix(s, `\x`) || strings.HasPrefix(s, `\X`) {
		b, err := hex.DecodeString(s[2:])
		if err != nil {
			return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid hexadecimal data")
		}
		return b, nil
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if i+3 < len(s) {
			v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
			if err == nil {
				out = append(out, byte(v))
				i += 3
				continue
			}
		}
		return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type bytea")
	}
	return out, nil
}

// DateInfinity and DateNegInfinity are the dates 'infinity' and
// '-infinity' (PostgreSQL's DATEVAL_NOEND and DATEVAL_NOBEGIN): they sort
// after and before every other date.
const (
	DateInfinity    DateD = math.MaxInt32
	DateNegInfinity DateD = math.MinInt32
)

// ParseDate accepts PostgreSQL date input (DateStyle ISO, MDY): ISO dates
// (YYYY-MM-DD, optionally followed by a time that is ignored), 'epoch',
// 'infinity', '-infinity', 'today', 'yesterday', 'tomorrow' and 'now' (in
// UTC at the current time; ParseTextAt takes the session's), YYYYMMDD, and
// the forms with month names or other separators PostgreSQL reads ('Jan 2
// 2024', 'January 2, 2024', '2 Jan 2024', '2024-Jan-02', '1/2/2024').
func ParseDate(s string) (DateD, error) {
	return parseDateAt(s, time.UTC, nil)
}

func parseDateAt(s string, loc *time.Location, now func() TimestampD) (DateD, error) {
	x := strings.TrimSpace(s)
	// The fast path: YYYY-MM-DD, maybe followed by a time.
	if len(x) >= 10 && x[4] == '-' && x[7] == '-' && (len(x) == 10 || x[10] == ' ' || x[10] == 'T') {
		if t, err := time.Parse("2006-01-02", x[:10]); err == nil {
			return DateOf(t), nil
		}
	}
	switch strings.ToLower(x) {
	case "epoch":
		return 0, nil
	case "infinity", "+infinity":
		return DateInfinity, nil
	case "-infinity":
		return DateNegInfinity, nil
	}
	if days, ok := relativeDay(x); ok {
		return DateOf(nowIn(now, loc)) + DateD(days), nil
	}
	y, m, d, err := decodeDate(x)
	if err != nil {
		return 0, dateErr(err, "date", s)
	}
	return DateD(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400), nil
}

// relativeTimestamp is the timestamp of 'now' (the current time) or of
// 'today', 'yesterday' and 'tomorrow' (midnights in loc); a timestamp
// without time zone holds loc's wall clock.
func relativeTimestamp(x string, days int, loc *time.Location, now func() TimestampD, withTZ bool) TimestampD {
	t := nowIn(now, loc)
	if !strings.EqualFold(x, "now") {
		y, m, d := t.Date()
		t = time.Date(y, m, d+days, 0, 0, 0, 0, loc)
	} else if now != nil && withTZ {
		return now()
	}
	if withTZ {
		return TimestampOf(t)
	}
	y, m, d := t.Date()
	return TimestampD(time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixMicro())
}

// relativeDay reports whether s is one of the inputs 'now', 'today',
// 'yesterday', 'tomorrow', and its offset in days from today.
func relativeDay(s string) (int, bool) {
	if len(s) < 3 || len(s) > 9 {
		return 0, false
	}
	switch strings.ToLower(s) {
	case "now", "today":
		return 0, true
	case "yesterday":
		return -1, true
	case "tomorrow":
		return 1, true
	}
	return 0, false
}

// IsRelativeTimeInput reports whether s is date/time input whose value
// depends on the current time and time zone ('now', 'today', …).
func IsRelativeTimeInput(s string) bool {
	_, ok := relativeDay(strings.TrimSpace(s))
	return ok
}

func nowIn(now func() TimestampD, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	if now == nil {
		return time.Now().In(loc)
	}
	return now().Time().In(loc)
}

// errBadDate and errDateRange are decodeDate's two failures: bad syntax
// (22007) and a field out of range (22008).
var (
	errBadDate   = errors.New("bad date")
	errDateRange = errors.New("date field out of range")
)

func dateErr(err error, typ, s string) error {
	if err == errDateRange {
		return sqlstate.New(sqlstate.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
	}
	return sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typ, s)
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
	"sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
	"dec": 12, "december": 12,
}

var dayNames = map[string]bool{
	"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednes": true, "wednesday": true, "thu": true, "thur": true, "thurs": true, "thursday": true,
	"fri": true, "friday": true, "sat": true, "saturday": true,
}

// dateFields is the state of decodeDate, after PostgreSQL's DecodeDateTime
// and DecodeNumber (DateStyle MDY).
type dateFields struct {
	y, m, d             int
	hasY, hasM, hasD    bool
	textMonth, y2digits bool
	bc                  bool
}

func (f *dateFields) month(v int) error {
	if f.hasM && !f.textMonth && !f.hasD && f.m >= 1 && f.m <= 31 {
		// '2 Jan 2024': the number read as a month was the day.
		f.d, f.hasD = f.m, true
	} else if f.hasM {
		return errBadDate
	}
	f.m, f.hasM, f.textMonth = v, true, true
	return nil
}

func (f *dateFields) number(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return errBadDate
	}
	n := len(s)
	setY := func() {
		f.y, f.hasY, f.y2digits = v, true, n <= 2
	}
	switch {
	case !f.hasY && !f.hasM && !f.hasD:
		if n >= 3 {
			setY()
		} else {
			f.m, f.hasM = v, true
		}
	case f.hasY && !f.hasM && !f.hasD:
		f.m, f.hasM = v, true
	case !f.hasY && f.hasM && !f.hasD:
		if f.textMonth && n >= 3 {
			setY()
		} else {
			f.d, f.hasD = v, true
		}
	case f.hasY && f.hasM && !f.hasD:
		if f.textMonth && n >= 3 && f.y2digits {
			f.d, f.hasD = f.y, true
			setY()
		} else {
			f.d, f.hasD = v, true
		}
	case !f.hasY && !f.hasM && f.hasD:
		f.m, f.hasM = v, true
	case !f.hasY && f.hasM && f.hasD:
		setY()
	default:
		return errBadDate
	}
	return nil
}

// decodeDate reads the date of general date/time input: space- or
// comma-separated fields, each a number, a month or weekday name, AD/BC,
// or a date whose parts are joined by '-', '/' or '.'. Fields holding a
// time (with ':'), AM/PM and zone offsets or names are skipped.
func decodeDate(x string) (y, m, d int, err error) {
	var f dateFields
	fields := strings.FieldsFunc(strings.ToLower(x), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	if len(fields) == 0 {
		return 0, 0, 0, errBadDate
	}
	for i, fl := range fields {
		if j := strings.IndexByte(fl, 't'); j > 0 && fl[j-1] >= '0' && fl[j-1] <= '9' && j+1 < len(fl) && fl[j+1] >= '0' && fl[j+1] <= '9' {
			fl = fl[:j] // ISO 8601 "…T10:00"
		}
		switch {
		case strings.IndexByte(fl, ':') >= 0 || fl == "am" || fl == "pm":
			continue // the time
		case i > 0 && (fl[0] == '+' || fl[0] == '-'):
			continue // a zone offset
		case fl == "ad":
			continue
		case fl == "bc":
			f.bc = true
			continue
		case fl == "utc" || fl == "gmt" || fl == "z":
			continue
		case dayNames[fl]:
			continue
		}
		if v, ok := monthNames[fl]; ok {
			if err := f.month(v); err != nil {
				return 0, 0, 0, err
			}
			continue
		}
		if strings.ContainsAny(fl, "-/.") {
			parts := strings.FieldsFunc(fl, func(r rune) bool { return r == '-' || r == '/' || r == '.' })
			if len(parts) < 2 {
				return 0, 0, 0, errBadDate
			}
			// Month names first, as PostgreSQL's DecodeDate does.
			for k, p := range parts {
				if p[0] >= 'a' && p[0] <= 'z' {
					v, ok := monthNames[p]
					if !ok {
						return 0, 0, 0, errBadDate
					}
					if f.hasM {
						return 0, 0, 0, errBadDate
					}
					f.m, f.hasM, f.textMonth = v, true, true
					parts[k] = ""
				}
			}
			for _, p := range parts {
				if p == "" {
					continue
				}
				if err := f.number(p); err != nil {
					return 0, 0, 0, err
				}
			}
			continue
		}
		if fl[0] < '0' || fl[0] > '9' {
			return 0, 0, 0, errBadDate
		}
		if len(fl) == 8 && !f.hasY && !f.hasM && !f.hasD {
			// YYYYMMDD
			for _, p := range []string{fl[:4], fl[4:6], fl[6:]} {
				if err := f.number(p); err != nil {
					return 0, 0, 0, err
				}
			}
			f.y2digits = false
			continue
		}
		if err := f.number(fl); err != nil {
			return 0, 0, 0, err
		}
	}
	if !f.hasY || !f.hasM || !f.hasD {
		return 0, 0, 0, errBadDate
	}
	y, m, d = f.y, f.m, f.d
	if f.y2digits && !f.bc {
		if y < 70 {
			y += 2000
		} else if y < 100 {
			y += 1900
		}
	}
	if y == 0 && !f.bc {
		return 0, 0, 0, errDateRange
	}
	if f.bc {
		if y == 0 {
			return 0, 0, 0, errDateRange
		}
		y = 1 - y
	}
	if m < 1 || m > 12 || d < 1 || d > time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, 0, errDateRange
	}
	return y, m, d, nil
}

// ParseTimeOfDay accepts HH:MM[:SS[.ffffff]].
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	x, roundUs := splitLongFraction(strings.TrimSpace(s))
	for _, layout := range []string{"15:04:05.999999", "15:04:05", "15:04"} {
		if t, err := time.Parse(layout, x); err == nil {
			return TimeOfDay(int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond()/1000) + roundUs), nil
		}
	}
	return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type time: %q", s)
}

// parseISOTimestamp is ParseTimestamp's fast path for the common shape
// YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}][Z|±HH[:MM]] (what COPY, CSV and JSON
// producers write). ok false sends every other input, and every invalid
// one, to the general parser, which also words the errors.
func parseISOTimestamp(x string, loc *time.Location, withTZ bool) (TimestampD, bool) {
	if len(x) < 19 || x[4] != '-' || x[7] != '-' || (x[10] != ' ' && x[10] != 'T') || x[13] != ':' || x[16] != ':' {
		return 0, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 {
				return 0, false
			}
			n = n*10 + int(c)
		}
		return n, true
	}
	y, ok1 := num(x[0:4])
	mo, ok2 := num(x[5:7])
	d, ok3 := num(x[8:10])
	h, ok4 := num(x[11:13])
	mi, ok5 := num(x[14:16])
	sec, ok6 := num(x[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || y == 0 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	if d > 28 && d > time.Date(y, time.Month(mo)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, false
	}
	rest := x[19:]
	micros := 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || i > 7 {
			return 0, false
		}
		f, _ := num(rest[1:i])
		for k := i; k < 7; k++ {
			f *= 10
		}
		micros = f
		rest = rest[i:]
	}
	offset, hasOffset := 0, false
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
		hasOffset = true
	case (rest[0] == '+' || rest[0] == '-') && (len(rest) == 3 || len(rest) == 6 && rest[3] == ':'):
		oh, ok := num(rest[1:3])
		om := 0
		if len(rest) == 6 {
			om, ok2 = num(rest[4:6])
			ok = ok && ok2
		}
		if !ok || oh > 15 || om > 59 {
			return 0, false
		}
		offset, hasOffset = (oh*60+om)*60, true
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false
	}
	wall := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Unix()
	switch {
	case !withTZ:
	case hasOffset:
		wall -= int64(offset)
	case loc != time.UTC && loc != nil:
		wall = time.Date(y, time.Month(mo), d, h, mi, sec, 0, loc).Unix()
	}
	return TimestampD(wall*1e6 + int64(micros)), true
}

var tsLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04Z07",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimestamp parses PostgreSQL timestamp input: ISO 8601 with a space
// or T, optional fraction, optional zone offset or Z or a trailing zone name
// (UTC, GMT, or an IANA name). Values without a zone are in loc. withTZ
// false drops any zone given (timestamp without time zone semantics).
func ParseTimestamp(s string, loc *time.Location, withTZ bool) (TimestampD, error) {
	if v, ok := parseISOTimestamp(s, loc, withTZ); ok {
		return v, nil
	}
	return parseTimestamp(s, loc, withTZ)
}

// parseTimestamp is ParseTimestamp's general path.
func parseTimestamp(s string, loc *time.Location, withTZ bool) (TimestampD, error) {
	x := strings.TrimSpace(s)
	switch strings.ToLower(x) {
	case "epoch":
		return 0, nil
	case "infinity", "+infinity":
		return TimestampD(math.MaxInt64), nil
	case "-infinity":
		return TimestampD(math.MinInt64), nil
	}
	if hasMonthName(x) {
		return parseTextMonthTimestamp(x, s, loc, withTZ)
	}
	if len(x) > 10 && x[10] == 'T' {
		x = x[:10] + " " + x[11:]
	}
	// A trailing zone name: "2024-01-01 00:00:00 UTC", "… Europe/Paris".
	if i := strings.LastIndexByte(x, ' '); i > 10 {
		name := x[i+1:]
		if name != "" && (name[0] < '0' || name[0] > '9') && name[0] != '+' && name[0] != '-' {
			zl, err := LoadLocation(name)
			if err != nil {
				return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "time zone %q not recognized", name)
			}
			loc = zl
			x = x[:i]
		}
	}
	if strings.HasSuffix(x, "Z") || strings.HasSuffix(x, "z") {
		x = x[:len(x)-1] + "+00"
	}
	// Allow a space before the offset: "2024-01-01 00:00:00 +02".
	if n := len(x); n > 4 {
		if j := strings.LastIndexAny(x, "+-"); j > 10 && x[j-1] == ' ' {
			x = x[:j-1] + x[j:]
		}
	}
	if !withTZ {
		// The wall clock as written, even inside a DST gap of loc.
		loc = time.UTC
	}
	x, roundUs := splitLongFraction(x)
	rangeErr := false
	for _, layout := range tsLayouts {
		var t time.Time
		var err error
		if strings.Contains(layout, "Z07") {
			t, err = time.Parse(layout, x)
		} else {
			t, err = time.ParseInLocation(layout, x, loc)
		}
		if err != nil {
			rangeErr = rangeErr || strings.Contains(err.Error(), "out of range")
			continue
		}
		if !withTZ {
			// timestamp without time zone: keep the wall clock as written.
			y, mo, d := t.Date()
			t = time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		}
		return TimestampD(t.UnixMicro() + roundUs), nil
	}
	if rangeErr {
		return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
	}
	name := "timestamp without time zone"
	if withTZ {
		name = "timestamp with time zone"
	}
	return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", name, s)
}

// hasMonthName reports whether x has a month name among its fields.
func hasMonthName(x string) bool {
	if len(x) < 3 {
		return false
	}
	for _, f := range strings.FieldsFunc(strings.ToLower(x), func(r rune) bool { return r == ' ' || r == ',' || r == '-' || r == '/' || r == '.' }) {
		if monthNames[f] > 0 {
			return true
		}
	}
	return false
}

// parseTextMonthTimestamp reads timestamp input whose date has a month
// name ('Jan 2 2024 10:00:00', '2 January 2024 1:30 pm +02').
func parseTextMonthTimestamp(x, s string, loc *time.Location, withTZ bool) (TimestampD, error) {
	name := "timestamp without time zone"
	if withTZ {
		name = "timestamp with time zone"
	}
	y, m, d, err := decodeDate(x)
	if err != nil {
		return 0, dateErr(err, name, s)
	}
	var tod TimeOfDay
	pm, am := false, false
	for i, f := range strings.FieldsFunc(strings.ToLower(x), func(r rune) bool { return r == ' ' || r == ',' }) {
		switch {
		case strings.IndexByte(f, ':') >= 0:
			if tod, err = ParseTimeOfDay(f); err != nil {
				return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", name, s)
			}
		case f == "pm":
			pm = true
		case f == "am":
			am = true
		case f == "utc" || f == "gmt" || f == "z":
			loc = time.UTC
		case i > 0 && (f[0] == '+' || f[0] == '-'):
			zl, err := LoadLocation(f)
			if err != nil {
				return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", name, s)
			}
			loc = zl
		}
	}
	h := int64(tod) / 3600e6
	if (am || pm) && (h < 1 || h > 12) {
		return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date/time field value out of range: %q", s)
	}
	if pm && h < 12 {
		tod += 12 * 3600e6
	} else if am && h == 12 {
		tod -= 12 * 3600e6
	}
	if !withTZ {
		loc = time.UTC
	}
	us := int64(tod)
	t := time.Date(y, time.Month(m), d, int(us/3600e6), int(us/60e6%60), int(us/1e6%60), 0, loc)
	return TimestampD(t.UnixMicro() + us%1e6), nil
}

// splitLongFraction takes a fraction of seconds longer than microseconds
// out of x ("…:05.1234567…") and returns it rounded to microseconds as
// PostgreSQL does: rint(strtod(fraction) * 1e6), so halves go to even
// ('.0000005' → 0, '.0000015' → 2) and '.9999995' carries into the
// second. Shorter fractions stay in x, where parsing is exact.
func splitLongFraction(x string) (string, int64) {
	i := strings.IndexByte(x, '.')
	if i < 3 || x[i-3] != ':' {
		return x, 0
	}
	j := i + 1
	for j < len(x) && x[j] >= '0' && x[j] <= '9' {
		j++
	}
	if j-i-1 <= 6 {
		return x, 0
	}
	f, err := strconv.ParseFloat("0"+x[i:j], 64)
	if err != nil {
		return x, 0
	}
	return x[:i] + x[j:], int64(math.RoundToEven(f * 1e6))
}

// LoadLocation resolves a time zone name as PostgreSQL accepts it
// (UTC, GMT, Z, IANA names, fixed offsets like +02 or -05:30).
func LoadLocation(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "GMT", "Z", "ZULU", "UCT", "ETC/UTC":
		return time.UTC, nil
	}
	if len(name) > 0 && (name[0] == '+' || name[0] == '-') {
		sign := 1
		if name[0] == '-' {
			sign = -1
		}
		parts := strings.SplitN(name[1:], ":", 2)
		h, err := strconv.Atoi(parts[0])
		if err != nil {
			return nil, err
		}
		m := 0
		if len(parts) == 2 {
			if m, err = strconv.Atoi(parts[1]); err != nil {
				return nil, err
			}
		}
		return time.FixedZone(name, sign*(h*3600+m*60)), nil
	}
	return time.LoadLocation(name)
}

// intervalUnits maps PostgreSQL interval unit spellings to their unit.
var intervalUnits = map[string]string{
	"microsecond": "us", "microseconds": "us", "us": "us", "usec": "us", "usecs": "us", "microsecon": "us",
	"millisecond": "ms", "milliseconds": "ms", "ms": "ms", "msec": "ms", "msecs": "ms",
	"second": "s", "seconds": "s", "s": "s", "sec": "s", "secs": "s",
	"minute": "m", "minutes": "m", "m": "m", "min": "m", "mins": "m",
	"hour": "h", "hours": "h", "h": "h", "hr": "h", "hrs": "h",
	"day": "d", "days": "d", "d": "d",
	"week": "w", "weeks": "w", "w": "w",
	"month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
	"year": "y", "years": "y", "y": "y", "yr": "y", "yrs": "y",
	"decade": "dec", "decades": "dec", "century": "c", "centuries": "c", "millennium": "mil", "millennia": "mil",
}

// ParseInterval parses PostgreSQL interval input: "1 hour", "1h", "5m",
// "2 days 03:00:00", "1 year 2 mons", "-1 day", "00:01:00", "@ 1 hour ago",
// and ISO 8601 ("PT1M", "P1DT2H").
func ParseInterval(s string) (IntervalD, error) {
	x := strings.TrimSpace(strings.ToLower(s))
	bad := func() (IntervalD, error) {
		return IntervalD{}, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", s)
	}
	if x == "" {
		return bad()
	}
	if x[0] == 'p' {
		return parseISOInterval(x, s)
	}
	x = strings.TrimPrefix(x, "@")
	ago := false
	if strings.HasSuffix(x, " ago") {
		ago = true
		x = strings.TrimSuffix(x, " ago")
	}
	var iv IntervalD
	toks := splitIntervalTokens(x)
	if len(toks) == 0 {
		return bad()
	}
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if strings.Contains(tok, ":") {
			us, ok := parseClock(tok)
			if !ok {
				return bad()
			}
			iv.Micros += us
			continue
		}
		num := tok
		unit := ""
		// "1h", "5m", "1.5hours": split the number from a glued unit.
		j := 0
		for j < len(tok) && (tok[j] == '-' || tok[j] == '+' || tok[j] == '.' || (tok[j] >= '0' && tok[j] <= '9')) {
			j++
		}
		if j < len(tok) {
			num, unit = tok[:j], tok[j:]
		} else if i+1 < len(toks) {
			if _, ok := intervalUnits[toks[i+1]]; ok {
				unit = toks[i+1]
				i++
			}
		}
		if num == "" {
			return bad()
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad()
		}
		if unit == "" {
			// A bare number is seconds.
			unit = "s"
		}
		u, ok := intervalUnits[unit]
		if !ok {
			return bad()
		}
		if err := addIntervalUnit(&iv, v, u); err != nil {
			return bad()
		}
	}
	if ago {
		iv = IntervalD{Months: -iv.Months, Days: -iv.Days, Micros: -iv.Micros}
	}
	return iv, nil
}

func splitIntervalTokens(x string) []string {
	f := strings.FieldsFunc(x, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	return f
}

func parseClock(tok string) (int64, bool) {
	neg := false
	if strings.HasPrefix(tok, "-") {
		neg = true
		tok = tok[1:]
	} else {
		tok = strings.TrimPrefix(tok, "+")
	}
	parts := strings.Split(tok, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, false
	}
	m, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return 0, false
	}
	var sec float64
	if len(parts) == 3 {
		if sec, err = strconv.ParseFloat(parts[2], 64); err != nil {
			return 0, false
		}
	}
	us := h*3600e6 + m*60e6 + int64(math.Round(sec*1e6))
	if neg {
		us = -us
	}
	return us, true
}

func addIntervalUnit(iv *IntervalD, v float64, u string) error {
	switch u {
	case "us":
		iv.Micros += int64(math.Round(v))
	case "ms":
		iv.Micros += int64(math.Round(v * 1e3))
	case "s":
		iv.Micros += int64(math.Round(v * 1e6))
	case "m":
		iv.Micros += int64(math.Round(v * 60e6))
	case "h":
		iv.Micros += int64(math.Round(v * 3600e6))
	case "d":
		whole := math.Trunc(v)
		iv.Days += int32(whole)
		iv.Micros += int64(math.Round((v - whole) * 86400e6))
	case "w":
		days := v * 7
		whole := math.Trunc(days)
		iv.Days += int32(whole)
		iv.Micros += int64(math.Round((days - whole) * 86400e6))
	case "mon":
		whole := math.Trunc(v)
		iv.Months += int32(whole)
		iv.Days += int32(math.Round((v - whole) * 30))
	case "y":
		iv.Months += int32(math.Round(v * 12))
	case "dec":
		iv.Months += int32(math.Round(v * 120))
	case "c":
		iv.Months += int32(math.Round(v * 1200))
	case "mil":
		iv.Months += int32(math.Round(v * 12000))
	default:
		return fmt.Errorf("unknown unit %s", u)
	}
	return nil
}

func parseISOInterval(x, orig string) (IntervalD, error) {
	var iv IntervalD
	inTime := false
	num := ""
	for i := 1; i < len(x); i++ {
		c := x[i]
		switch {
		case c == 't':
			inTime = true
		case (c >= '0' && c <= '9') || c == '.' || c == '-':
			num += string(c)
		default:
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return IntervalD{}, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", orig)
			}
			num = ""
			u := ""
			switch c {
			case 'y':
				u = "y"
			case 'm':
				if inTime {
					u = "m"
				} else {
					u = "mon"
				}
			case 'w':
				u = "w"
			case 'd':
				u = "d"
			case 'h':
				u = "h"
			case 's':
				u = "s"
			default:
				return IntervalD{}, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", orig)
			}
			if err := addIntervalUnit(&iv, v, u); err != nil {
				return IntervalD{}, err
			}
		}
	}
	if num != "" {
		return IntervalD{}, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type interval: %q", orig)
	}
	return iv, nil
}

// FormatText renders datum d of type t as PostgreSQL's text output does
// (DateStyle ISO, IntervalStyle postgres). loc is the session time zone for
// timestamptz output; nil means UTC.
func FormatText(t *T, d any, loc *time.Location) string {
	return string(AppendText(nil, t, d, loc))
}

// AppendText appends the text form of d to buf.
func AppendText(buf []byte, t *T, d any, loc *time.Location) []byte {
	switch v := d.(type) {
	case nil:
		return buf
	case bool:
		if v {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case int64:
		return strconv.AppendInt(buf, v, 10)
	case float64:
		w := 8
		if t != nil && t.Width == 4 {
			w = 4
		}
		return AppendFloat(buf, v, w)
	case *apd.Decimal:
		return append(buf, v.Text('f')...)
	case string:
		return append(buf, v...)
	case []byte:
		buf = append(buf, `\x`...)
		return hex.AppendEncode(buf, v)
	case DateD:
		return AppendDate(buf, v)
	case TimeOfDay:
		return appendClock(buf, int64(v))
	case TimestampD:
		if t != nil && t.Family == FamTimestampTZ {
			return AppendTimestampTZ(buf, v, loc)
		}
		return AppendTimestamp(buf, v)
	case IntervalD:
		return AppendInterval(buf, v)
	case OidD:
		return strconv.AppendUint(buf, uint64(v), 10)
	case []any:
		var et *T
		if t != nil {
			et = t.Elem
		}
		if t != nil && (t.OID == Int2Vector.OID || t.OID == OidVector.OID) {
			for i, e := range v {
				if i > 0 {
					buf = append(buf, ' ')
				}
				buf = AppendText(buf, et, e, loc)
			}
			return buf
		}
		return AppendArray(buf, et, v, loc)
	case int:
		return strconv.AppendInt(buf, int64(v), 10)
	case int32:
		return strconv.AppendInt(buf, int64(v), 10)
	case uint32:
		return strconv.AppendUint(buf, uint64(v), 10)
	}
	return fmt.Appendf(buf, "%v", d)
}

// AppendFloat appends f as PostgreSQL's float output does with
// extra_float_digits = 1 (the default since PostgreSQL 12): the shortest
// text that reads back exactly, in positional notation unless the decimal
// exponent is below -4 or at least 15 (6 for float4).
func AppendFloat(buf []byte, f float64, width int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(buf, "-0"...)
		}
		return append(buf, '0')
	}
	bits, maxExp := 64, 15
	if width == 4 {
		bits, maxExp = 32, 6
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	i := bytes.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(string(e[i+1:]))
	if exp < -4 || exp >= maxExp {
		buf = append(buf, e[:i]...)
		buf = append(buf, 'e')
		if exp < 0 {
			buf = append(buf, '-')
			exp = -exp
		} else {
			buf = append(buf, '+')
		}
		if exp < 10 {
			buf = append(buf, '0')
		}
		return strconv.AppendInt(buf, int64(exp), 10)
	}
	return strconv.AppendFloat(buf, f, 'f', -1, bits)
}

// AppendDate appends YYYY-MM-DD.
func AppendDate(buf []byte, d DateD) []byte {
	switch d {
	case DateInfinity:
		return append(buf, "infinity"...)
	case DateNegInfinity:
		return append(buf, "-infinity"...)
	}
	y, m, dd := d.Time().Date()
	if y <= 0 {
		return fmt.Appendf(buf, "%04d-%02d-%02d BC", 1-y, int(m), dd)
	}
	buf = appendPad(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPad(buf, int(m), 2)
	buf = append(buf, '-')
	return appendPad(buf, dd, 2)
}

func appendPad(buf []byte, v, width int) []byte {
	var tmp [12]byte
	s := strconv.AppendInt(tmp[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// appendClock appends HH:MM:SS[.ffffff] for us microseconds since midnight,
// trimming trailing zeros of the fraction.
func appendClock(buf []byte, us int64) []byte {
	h := us / 3600e6
	us -= h * 3600e6
	m := us / 60e6
	us -= m * 60e6
	s := us / 1e6
	us -= s * 1e6
	buf = appendPad(buf, int(h), 2)
	buf = append(buf, ':')
	buf = appendPad(buf, int(m), 2)
	buf = append(buf, ':')
	buf = appendPad(buf, int(s), 2)
	return appendFraction(buf, us)
}

func appendFraction(buf []byte, us int64) []byte {
	if us == 0 {
		return buf
	}
	var tmp [8]byte
	f := strconv.AppendInt(tmp[:0], us+1000000, 10)[1:] // six digits, zero padded
	for len(f) > 0 && f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	buf = append(buf, '.')
	return append(buf, f...)
}

// AppendTimestamp appends a timestamp without time zone: "2024-01-01 00:00:10.5".
func AppendTimestamp(buf []byte, ts TimestampD) []byte {
	if ts == math.MaxInt64 {
		return append(buf, "infinity"...)
	}
	if ts == math.MinInt64 {
		return append(buf, "-infinity"...)
	}
	return appendWall(buf, ts.Time())
}

func appendWall(buf []byte, t time.Time) []byte {
	y, m, d := t.Date()
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = appendPad(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPad(buf, int(m), 2)
	buf = append(buf, '-')
	buf = appendPad(buf, d, 2)
	buf = append(buf, ' ')
	buf = appendPad(buf, t.Hour(), 2)
	buf = append(buf, ':')
	buf = appendPad(buf, t.Minute(), 2)
	buf = append(buf, ':')
	buf = appendPad(buf, t.Second(), 2)
	buf = appendFraction(buf, int64(t.Nanosecond()/1000))
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendTimestampTZ appends a timestamptz in loc: "2024-01-01 00:00:10+00".
func AppendTimestampTZ(buf []byte, ts TimestampD, loc *time.Location) []byte {
	if ts == math.MaxInt64 {
		return append(buf, "infinity"...)
	}
	if ts == math.MinInt64 {
		return append(buf, "-infinity"...)
	}
	if loc == nil {
		loc = time.UTC
	}
	t := ts.Time().In(loc)
	buf = appendWall(buf, t)
	_, off := t.Zone()
	if off < 0 {
		buf = append(buf, '-')
		off = -off
	} else {
		buf = append(buf, '+')
	}
	buf = appendPad(buf, off/3600, 2)
	if rem := off % 3600; rem != 0 {
		buf = append(buf, ':')
		buf = appendPad(buf, rem/60, 2)
		if rem%60 != 0 {
			buf = append(buf, ':')
			buf = appendPad(buf, rem%60, 2)
		}
	}
	return buf
}

// AppendInterval appends an interval in IntervalStyle postgres:
// "1 year 2 mons 3 days 04:05:06.5", "00:01:00", "-1 days +02:00:00".
// As PostgreSQL does, a unit is plural unless its value is exactly 1, and
// after a negative field a positive one carries an explicit '+'.
func AppendInterval(buf []byte, iv IntervalD) []byte {
	start := len(buf)
	negSeen := false
	field := func(v int64, name string) {
		if v == 0 {
			return
		}
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		if v > 0 && negSeen {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, name...)
		if v != 1 {
			buf = append(buf, 's')
		}
		if v < 0 {
			negSeen = true
		}
	}
	field(int64(iv.Months/12), "year")
	field(int64(iv.Months%12), "mon")
	field(int64(iv.Days), "day")
	if iv.Micros != 0 || len(buf) == start {
		if len(buf) > start {
			buf = append(buf, ' ')
		}
		us := iv.Micros
		if us < 0 {
			buf = append(buf, '-')
			us = -us
		} else if negSeen {
			buf = append(buf, '+')
		}
		buf = appendClock(buf, us)
	}
	return buf
}

// ParseArray parses PostgreSQL array text ("{a,b,NULL}", "{1,2}") with
// elements of type elem.
func ParseArray(elem *T, s string, loc *time.Location) ([]any, error) {
	x := strings.TrimSpace(s)
	if len(x) < 2 || x[0] != '{' || x[len(x)-1] != '}' {
		return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "malformed array literal: %q", s)
	}
	x = x[1 : len(x)-1]
	var out []any
	if strings.TrimSpace(x) == "" {
		return []any{}, nil
	}
	i := 0
	for i <= len(x) {
		// skip spaces
		for i < len(x) && x[i] == ' ' {
			i++
		}
		var item string
		quoted := false
		if i < len(x) && x[i] == '"' {
			quoted = true
			i++
			var sb strings.Builder
			for i < len(x) && x[i] != '"' {
				if x[i] == '\\' && i+1 < len(x) {
					i++
				}
				sb.WriteByte(x[i])
				i++
			}
			i++ // closing quote
			item = sb.String()
			for i < len(x) && x[i] != ',' {
				i++
			}
		} else {
			j := strings.IndexByte(x[i:], ',')
			if j < 0 {
				j = len(x) - i
			}
			item = strings.TrimSpace(x[i : i+j])
			i += j
		}
		if !quoted && strings.EqualFold(item, "null") {
			out = append(out, nil)
		} else {
			v, err := ParseText(elem, item, loc)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		i++ // comma
	}
	return out, nil
}

// AppendArray appends array text: "{a,b,NULL}" with quoting where needed.
func AppendArray(buf []byte, elem *T, vs []any, loc *time.Location) []byte {
	buf = append(buf, '{')
	for i, v := range vs {
		if i > 0 {
			buf = append(buf, ',')
		}
		if v == nil {
			buf = append(buf, "NULL"...)
			continue
		}
		s := AppendText(nil, elem, v, loc)
		if needsArrayQuote(s) {
			buf = append(buf, '"')
			for _, c := range s {
				if c == '"' || c == '\\' {
					buf = append(buf, '\\')
				}
				buf = append(buf, c)
			}
			buf = append(buf, '"')
		} else {
			buf = append(buf, s...)
		}
	}
	return append(buf, '}')
}

func needsArrayQuote(s []byte) bool {
	if len(s) == 0 || strings.EqualFold(string(s), "null") {
		return true
	}
	for _, c := range s {
		switch c {
		case '{', '}', ',', '"', '\\', ' ', '\t', '\n':
			return true
		}
	}
	return false
}

// AppendRecord appends the text form of a composite value, as record_out
// writes it: "(a,,"b c")". A NULL field is empty; a field that is empty or
// holds a quote, backslash, parenthesis, comma or whitespace is quoted,
// with quotes and backslashes doubled.
func AppendRecord(buf []byte, fields []Field, vals []any, loc *time.Location) []byte {
	buf = append(buf, '(')
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		if v == nil {
			continue
		}
		var ft *T
		if i < len(fields) {
			ft = fields[i].T
		}
		s := AppendText(nil, ft, v, loc)
		quote := len(s) == 0
		for _, c := range s {
			switch c {
			case '"', '\\', '(', ')', ',', ' ', '\t', '\n', '\r', '\v', '\f':
				quote = true
			}
		}
		if !quote {
			buf = append(buf, s...)
			continue
		}
		buf = append(buf, '"')
		for _, c := range s {
			if c == '"' || c == '\\' {
				buf = append(buf, c)
			}
			buf = append(buf, c)
		}
		buf = append(buf, '"')
	}
	return append(buf, ')')
}

// ParseRecord reads the text form of a composite value with the given
// fields, as record_in does.
func ParseRecord(fields []Field, s string, loc *time.Location) ([]any, error) {
	malformed := func(detail string) error {
		return sqlstate.New(sqlstate.InvalidTextRepresentation, "malformed record literal: \"%s\"", s).WithDetail("%s", detail)
	}
	p := 0
	for p < len(s) && isRecordSpace(s[p]) {
		p++
	}
	if p >= len(s) || s[p] != '(' {
		return nil, malformed("Missing left parenthesis.")
	}
	p++
	out := make([]any, len(fields))
	for i, f := range fields {
		if i > 0 {
			if p >= len(s) || s[p] != ',' {
				return nil, malformed("Too few columns.")
			}
			p++
		}
		if p < len(s) && (s[p] == ',' || s[p] == ')') {
			out[i] = nil
			continue
		}
		var sb strings.Builder
		inQuote := false
		for {
			if p >= len(s) {
				return nil, malformed("Unexpected end of input.")
			}
			c := s[p]
			if !inQuote && (c == ',' || c == ')') {
				break
			}
			p++
			switch {
			case c == '\\':
				if p >= len(s) {
					return nil, malformed("Unexpected end of input.")
				}
				sb.WriteByte(s[p])
				p++
			case c == '"' && !inQuote:
				inQuote = true
			case c == '"' && p < len(s) && s[p] == '"':
				sb.WriteByte('"')
				p++
			case c == '"':
				inQuote = false
			default:
				sb.WriteByte(c)
			}
		}
		v, err := ParseText(f.T, sb.String(), loc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	if p >= len(s) || s[p] != ')' {
		return nil, malformed("Too many columns.")
	}
	p++
	for p < len(s) && isRecordSpace(s[p]) {
		p++
	}
	if p != len(s) {
		return nil, malformed("Junk after right parenthesis.")
	}
	return out, nil
}

func isRecordSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
