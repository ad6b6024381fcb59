package exec

// to_char over timestamps and intervals, to_timestamp(text, text) and
// to_date with PostgreSQL's template patterns
// (https://www.postgresql.org/docs/15/functions-formatting.html); the
// number templates are in func_tonumber.go. Date/time patterns: YYYY YYY
// YY Y Y,YYY IYYY IY I MM MON Mon mon MONTH Month month DD DDD IDDD D ID
// DAY Day day DY Dy dy W WW IW Q CC J HH HH12 HH24 MI SS MS US FF1…FF6
// SSSS SSSSS AM PM A.M. P.M. BC AD TZ tz TZH TZM OF RM, the FM and TM
// prefixes, the TH/th suffixes and "quoted text".

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	romanMonth = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}
)

// dtPatterns lists the date/time template patterns, longest first where
// one is a prefix of another. Matching ignores case; the case of the
// template decides the case of names (MONTH, Month, month).
var dtPatterns = []string{
	"a.d.", "a.m.", "ad", "am", "b.c.", "bc", "cc", "day", "ddd", "dd", "dy", "d",
	"ff1", "ff2", "ff3", "ff4", "ff5", "ff6", "hh24", "hh12", "hh", "iddd", "id", "iw", "iyyy", "iyy", "iy", "i",
	"j", "mi", "mm", "month", "mon", "ms", "of", "p.m.", "pm", "q", "rm", "sssss", "ssss", "ss",
	"tzh", "tzm", "tz", "us", "ww", "w", "y,yyy", "yyyy", "yyy", "yy", "y",
}

// dtItem is one element of a parsed date/time template.
type dtItem struct {
	pat  string // lower-case pattern, "" for literal text
	raw  string // the pattern as written (for case) or the literal
	fm   bool   // FM prefix: no padding
	th   byte   // 'T' for TH, 't' for th, 0 for none
	lit  bool
	isSp bool // literal whitespace
}

func parseDTFormat(f string) []dtItem {
	var out []dtItem
	fm := false
	for i := 0; i < len(f); {
		if f[i] == '"' {
			j := i + 1
			var b strings.Builder
			for j < len(f) && f[j] != '"' {
				if f[j] == '\\' && j+1 < len(f) {
					j++
				}
				b.WriteByte(f[j])
				j++
			}
			out = append(out, dtItem{lit: true, raw: b.String()})
			i = j + 1
			continue
		}
		low := strings.ToLower(f[i:])
		if strings.HasPrefix(low, "fm") {
			fm = true
			i += 2
			continue
		}
		if strings.HasPrefix(low, "tm") || strings.HasPrefix(low, "fx") {
			i += 2
			continue
		}
		matched := ""
		for _, p := range dtPatterns {
			if strings.HasPrefix(low, p) {
				matched = p
				break
			}
		}
		if matched == "" {
			c := f[i]
			if c == '\\' && i+1 < len(f) {
				i++
				c = f[i]
			}
			out = append(out, dtItem{lit: true, raw: string(c), isSp: c == ' '})
			i++
			continue
		}
		it := dtItem{pat: matched, raw: f[i : i+len(matched)], fm: fm}
		fm = false
		i += len(matched)
		if strings.HasPrefix(f[i:], "TH") {
			it.th = 'T'
			i += 2
		} else if strings.HasPrefix(f[i:], "th") {
			it.th = 't'
			i += 2
		}
		out = append(out, it)
	}
	return out
}

// tmParts are the broken-down fields to_char prints.
type tmParts struct {
	year, mon, mday, hour, min, sec, us int64
	days                                int64 // day number (for weekdays, ISO weeks); unused for intervals
	interval                            bool
	zone                                string // zone abbreviation, "" for timestamp without time zone
	off                                 int64  // offset east of UTC in seconds
	hasTZ                               bool
}

func tmOfWall(wall int64) tmParts {
	days, tod := splitUs(wall)
	y, m, d := civil(days)
	return tmParts{year: y, mon: m, mday: d, hour: tod / usPerHour, min: tod / usPerMin % 60,
		sec: tod / usPerSec % 60, us: tod % usPerSec, days: days}
}

func tmOfInterval(iv types.IntervalD) tmParts {
	us := iv.Micros
	return tmParts{year: int64(iv.Months) / 12, mon: int64(iv.Months) % 12, mday: int64(iv.Days),
		hour: us / usPerHour, min: us / usPerMin % 60, sec: us / usPerSec % 60, us: us % usPerSec, interval: true}
}

// caseLike renders name in the case of the template word (all upper,
// capitalized or lower).
func caseLike(raw, name string) string {
	switch {
	case raw == strings.ToUpper(raw):
		return strings.ToUpper(name)
	case len(raw) > 0 && unicode.IsUpper(rune(raw[0])):
		return name
	}
	return strings.ToLower(name)
}

func ordinal(n int64, upper bool) string {
	s := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1, -1:
			s = "st"
		case 2, -2:
			s = "nd"
		case 3, -3:
			s = "rd"
		}
	}
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

// formatDateTime renders tm through a template.
func formatDateTime(tm tmParts, format string) string {
	var b strings.Builder
	num := func(it dtItem, v int64, width int) {
		s := strconv.FormatInt(v, 10)
		if v < 0 {
			s = strconv.FormatInt(-v, 10)
			b.WriteByte('-')
		}
		if !it.fm {
			for i := len(s); i < width; i++ {
				b.WriteByte('0')
			}
		}
		b.WriteString(s)
		if it.th != 0 {
			b.WriteString(ordinal(v, it.th == 'T'))
		}
	}
	name := func(it dtItem, s string, width int) {
		s = caseLike(it.raw, s)
		b.WriteString(s)
		if !it.fm {
			for i := len(s); i < width; i++ {
				b.WriteByte(' ')
			}
		}
	}
	year := tm.year
	if !tm.interval && year <= 0 {
		year = 1 - year // BC years print as positive numbers
	}
	hour12 := tm.hour % 12
	if hour12 == 0 {
		hour12 = 12
	}
	for _, it := range parseDTFormat(format) {
		if it.lit {
			b.WriteString(it.raw)
			continue
		}
		switch it.pat {
		case "hh", "hh12":
			num(it, hour12, 2)
		case "hh24":
			num(it, tm.hour, 2)
		case "mi":
			num(it, tm.min, 2)
		case "ss":
			num(it, tm.sec, 2)
		case "ms":
			num(it, tm.us/1000, 3)
		case "us":
			num(it, tm.us, 6)
		case "ff1", "ff2", "ff3", "ff4", "ff5", "ff6":
			d := int(it.pat[2] - '0')
			num(it, tm.us/int64(math.Pow10(6-d)), d)
		case "ssss", "sssss":
			num(it, tm.hour*3600+tm.min*60+tm.sec, 0)
		case "am", "pm", "a.m.", "p.m.":
			s := "am"
			if tm.hour%24 >= 12 {
				s = "pm"
			}
			if strings.Contains(it.pat, ".") {
				s = s[:1] + "." + s[1:] + "."
			}
			if it.raw[0] >= 'A' && it.raw[0] <= 'Z' {
				s = strings.ToUpper(s)
			}
			b.WriteString(s)
		case "ad", "bc", "a.d.", "b.c.":
			s := "ad"
			if tm.year <= 0 && !tm.interval {
				s = "bc"
			}
			if strings.Contains(it.pat, ".") {
				s = s[:1] + "." + s[1:] + "."
			}
			if it.raw[0] >= 'A' && it.raw[0] <= 'Z' {
				s = strings.ToUpper(s)
			}
			b.WriteString(s)
		case "yyyy":
			num(it, year, 4)
		case "y,yyy":
			s := strconv.FormatInt(year, 10)
			if len(s) > 3 {
				s = s[:len(s)-3] + "," + s[len(s)-3:]
			}
			b.WriteString(s)
		case "yyy":
			num(it, year%1000, 3)
		case "yy":
			num(it, year%100, 2)
		case "y":
			num(it, year%10, 1)
		case "iyyy", "iyy", "iy", "i":
			iy, _ := isoWeek(tm.days)
			w := len(it.pat)
			num(it, iy%int64(math.Pow10(w)), w)
		case "mm":
			num(it, tm.mon, 2)
		case "month":
			if tm.mon >= 1 && tm.mon <= 12 {
				name(it, monthNames[tm.mon-1], 9)
			}
		case "mon":
			if tm.mon >= 1 && tm.mon <= 12 {
				name(it, monthNames[tm.mon-1][:3], 3)
			}
		case "rm":
			if tm.mon >= 1 && tm.mon <= 12 {
				name(it, romanMonth[tm.mon-1], 4)
			}
		case "dd":
			num(it, tm.mday, 2)
		case "ddd":
			num(it, tm.days-daysFrom(tm.year, 1, 1)+1, 3)
		case "iddd":
			iy, _ := isoWeek(tm.days)
			start := daysFrom(iy, 1, 4)
			start -= isoDow(start) - 1
			num(it, tm.days-start+1, 3)
		case "d":
			num(it, isoDow(tm.days)%7+1, 1)
		case "id":
			num(it, isoDow(tm.days), 1)
		case "day":
			name(it, dayNames[isoDow(tm.days)%7], 9)
		case "dy":
			name(it, dayNames[isoDow(tm.days)%7][:3], 3)
		case "w":
			num(it, (tm.mday-1)/7+1, 1)
		case "ww":
			num(it, (tm.days-daysFrom(tm.year, 1, 1))/7+1, 2)
		case "iw":
			_, w := isoWeek(tm.days)
			num(it, w, 2)
		case "q":
			num(it, (tm.mon-1)/3+1, 1)
		case "cc":
			c := (year + 99) / 100
			if tm.interval {
				c = tm.year / 100
			}
			num(it, c, 2)
		case "j":
			num(it, tm.days+unixJulian, 0)
		case "tz":
			if tm.hasTZ {
				b.WriteString(caseLike(it.raw, tm.zone))
			}
		case "of", "tzh", "tzm":
			if !tm.hasTZ {
				continue
			}
			off := tm.off
			sign := byte('+')
			if off < 0 {
				sign, off = '-', -off
			}
			switch it.pat {
			case "tzh":
				b.WriteByte(sign)
				num(dtItem{}, off/3600, 2)
			case "tzm":
				num(dtItem{}, off/60%60, 2)
			default:
				b.WriteByte(sign)
				num(dtItem{}, off/3600, 2)
				if off%3600 != 0 {
					b.WriteByte(':')
					num(dtItem{}, off/60%60, 2)
				}
			}
		}
	}
	return b.String()
}

// zoneAbbrev returns the abbreviation of loc at instant us as the zone
// database spells it ("CET", or "+0630" where it has no letters).
func zoneAbbrev(us int64, loc *time.Location) (string, int64) {
	name, off := types.TimestampD(us).Time().In(loc).Zone()
	if name == "" {
		name = fmtOffset(off)
	}
	return name, int64(off)
}

func fmtOffset(off int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := sign + twoDigits(off/3600)
	if off%3600 != 0 {
		s += ":" + twoDigits(off/60%60)
	}
	return s
}

func twoDigits(v int) string {
	if v < 10 {
		return "0" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}

// toCharTimestamp is to_char(timestamp[tz], text).
func toCharTimestamp(k *KernelCtx, us int64, tz bool, format string) any {
	if !tsFinite(types.TimestampD(us)) {
		return nil
	}
	if !tz {
		return formatDateTime(tmOfWall(us), format)
	}
	loc := k.Location()
	wall := int64(wallClock(types.TimestampD(us), loc))
	tm := tmOfWall(wall)
	tm.zone, tm.off = zoneAbbrev(us, loc)
	tm.hasTZ = true
	return formatDateTime(tm, format)
}

// parsed holds the fields read by to_timestamp / to_date.
type parsed struct {
	year, mon, mday, hour, min, sec, us int64
	pm, am, bc, hasYear, hasTZ, hour12  bool
	doy, julian                         int64
	off                                 int64 // seconds east
	zone                                *time.Location
}

func errBadValue(v, field string) error {
	return sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid value %q for %q", v, strings.ToUpper(field)).
		WithDetail("Value must be an integer.")
}

// parseDateTime reads s through template format.
func parseDateTime(s, format string) (parsed, error) {
	p := parsed{year: 1, mon: 1, mday: 1}
	i := 0
	skipSpace := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	readInt := func(it dtItem, maxw int) (int64, error) {
		skipSpace()
		j := i
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			j++
		}
		for j < len(s) && s[j] >= '0' && s[j] <= '9' && (maxw <= 0 || j-i < maxw) {
			j++
		}
		if j == i || (j == i+1 && (s[i] == '-' || s[i] == '+')) {
			end := min(i+max(maxw, 1), len(s))
			return 0, errBadValue(s[i:end], it.raw)
		}
		v, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil {
			return 0, errBadValue(s[i:j], it.raw)
		}
		i = j
		return v, nil
	}
	readName := func(it dtItem, names []string, abbrev bool) (int64, error) {
		skipSpace()
		for k, n := range names {
			if abbrev {
				n = n[:3]
			}
			if len(s)-i >= len(n) && strings.EqualFold(s[i:i+len(n)], n) {
				i += len(n)
				return int64(k), nil
			}
		}
		return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid value %q for %q", s[i:min(i+len(it.raw), len(s))], strings.ToUpper(it.raw)).
			WithDetail("The given value did not match any of the allowed values for this field.")
	}
	items := parseDTFormat(format)
	for k, it := range items {
		// A field directly followed by another field reads at most its
		// own width (YYYYMMDD); otherwise YYYY takes every digit.
		yearWidth := 0
		if k+1 < len(items) && !items[k+1].lit {
			yearWidth = 4
		}
		if it.lit {
			if it.isSp {
				skipSpace()
				continue
			}
			// A separator matches one separator character of the input,
			// or nothing when the input has a letter or digit there.
			if i < len(s) && !unicode.IsLetter(rune(s[i])) && !unicode.IsDigit(rune(s[i])) {
				i++
			}
			continue
		}
		var v int64
		var err error
		switch it.pat {
		case "yyyy", "iyyy":
			v, err = readInt(it, yearWidth)
			p.year, p.hasYear = v, true
		case "y,yyy":
			var hi, lo int64
			if hi, err = readInt(it, 0); err == nil {
				if i < len(s) && s[i] == ',' {
					i++
				}
				lo, err = readInt(it, 3)
			}
			p.year, p.hasYear = hi*1000+lo, true
		case "yyy", "iyy":
			v, err = readInt(it, 3)
			if v < 100 {
				v += 2000
			} else {
				v += 1000
			}
			p.year, p.hasYear = v, true
		case "yy", "iy":
			v, err = readInt(it, 2)
			if v < 70 {
				v += 2000
			} else {
				v += 1900
			}
			p.year, p.hasYear = v, true
		case "y", "i":
			v, err = readInt(it, 1)
			p.year, p.hasYear = v+2000, true
		case "mm":
			p.mon, err = readInt(it, 2)
		case "month":
			v, err = readName(it, monthNames, false)
			p.mon = v + 1
		case "mon":
			v, err = readName(it, monthNames, true)
			p.mon = v + 1
		case "rm":
			v, err = readName(it, []string{"XII", "XI", "X", "IX", "VIII", "VII", "VI", "V", "IV", "III", "II", "I"}, false)
			p.mon = 12 - v
		case "dd":
			p.mday, err = readInt(it, 2)
		case "ddd", "iddd":
			p.doy, err = readInt(it, 3)
		case "hh", "hh12":
			p.hour, err = readInt(it, 2)
			p.hour12 = true
		case "hh24":
			p.hour, err = readInt(it, 2)
		case "mi":
			p.min, err = readInt(it, 2)
		case "ss":
			p.sec, err = readInt(it, 2)
		case "ms":
			v, err = readInt(it, 3)
			p.us = v * 1000
		case "us":
			p.us, err = readInt(it, 6)
		case "ff1", "ff2", "ff3", "ff4", "ff5", "ff6":
			d := int(it.pat[2] - '0')
			v, err = readInt(it, d)
			p.us = v * int64(math.Pow10(6-d))
		case "ssss", "sssss":
			v, err = readInt(it, 5)
			p.hour, p.min, p.sec = v/3600, v/60%60, v%60
		case "am", "pm", "a.m.", "p.m.":
			skipSpace()
			w := len(it.pat)
			if len(s)-i < w {
				return p, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid value for %q", strings.ToUpper(it.raw))
			}
			v := strings.ToLower(s[i : i+w])
			switch strings.ReplaceAll(v, ".", "") {
			case "am":
				p.am = true
			case "pm":
				p.pm = true
			default:
				return p, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid value %q for %q", s[i:i+w], strings.ToUpper(it.raw))
			}
			i += w
			p.hour12 = true
		case "ad", "bc", "a.d.", "b.c.":
			skipSpace()
			w := len(it.pat)
			if len(s)-i >= w && strings.ReplaceAll(strings.ToLower(s[i:i+w]), ".", "") == "bc" {
				p.bc = true
			}
			i = min(i+w, len(s))
		case "day":
			_, err = readName(it, dayNames, false)
		case "dy":
			_, err = readName(it, dayNames, true)
		case "d", "id", "w", "q":
			_, err = readInt(it, 1)
		case "ww", "iw", "cc":
			_, err = readInt(it, 2)
		case "j":
			p.julian, err = readInt(it, 0)
		case "tz":
			skipSpace()
			j := i
			for j < len(s) && (unicode.IsLetter(rune(s[j])) || s[j] == '/' || s[j] == '_') {
				j++
			}
			loc, lerr := LookupTimeZone(s[i:j])
			if lerr != nil {
				return p, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid value %q for \"TZ\"", s[i:j])
			}
			p.zone, p.hasTZ = loc, true
			i = j
		case "of", "tzh":
			skipSpace()
			sign := int64(1)
			if i < len(s) && (s[i] == '-' || s[i] == '+') {
				if s[i] == '-' {
					sign = -1
				}
				i++
			}
			h, herr := readInt(it, 2)
			if herr != nil {
				return p, herr
			}
			p.off, p.hasTZ = sign*h*3600, true
			if it.pat == "of" && i < len(s) && s[i] == ':' {
				i++
				m, merr := readInt(it, 2)
				if merr != nil {
					return p, merr
				}
				p.off += sign * m * 60
			}
		case "tzm":
			v, err = readInt(it, 2)
			if p.off < 0 {
				p.off -= v * 60
			} else {
				p.off += v * 60
			}
			p.hasTZ = true
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// parsedWall turns parsed fields into a wall-clock microsecond value.
func parsedWall(p parsed) (int64, error) {
	if p.hour12 {
		if p.hour < 1 || p.hour > 12 {
			return 0, sqlstate.New(sqlstate.InvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", p.hour).
				WithHint("Use the 24-hour clock, or give an hour between 1 and 12.")
		}
		if p.pm && p.hour < 12 {
			p.hour += 12
		} else if p.am && p.hour == 12 {
			p.hour = 0
		}
	}
	y := p.year
	if p.bc {
		y = -(y - 1)
	}
	var days int64
	switch {
	case p.julian != 0:
		days = p.julian - unixJulian
	case p.doy != 0:
		days = daysFrom(y, 1, 1) + p.doy - 1
	default:
		if p.mon < 1 || p.mon > 12 || p.mday < 1 || p.mday > daysInMonth(y, p.mon) {
			return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date/time field value out of range")
		}
		days = daysFrom(y, p.mon, p.mday)
	}
	if p.hour < 0 || p.hour > 24 || p.min < 0 || p.min > 59 || p.sec < 0 || p.sec > 60 || p.us < 0 || p.us >= usPerSec {
		return 0, sqlstate.New(sqlstate.DatetimeFieldOverflow, "date/time field value out of range")
	}
	if days > maxTSDays || days < -maxTSDays {
		return 0, errTimestampRange()
	}
	return days*usPerDay + p.hour*usPerHour + p.min*usPerMin + p.sec*usPerSec + p.us, nil
}

func init() {
	Text, TS, TSTZ, Iv, Date := types.Text, types.Timestamp, types.TimestampTZ, types.Interval, types.Date
	regFn("to_char", sig(TS, Text), Text, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		return toCharTimestamp(k, int64(a[0].(types.TimestampD)), false, a[1].(string)), nil
	}))
	regFn("to_char", sig(TSTZ, Text), Text, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		return toCharTimestamp(k, int64(a[0].(types.TimestampD)), true, a[1].(string)), nil
	}))
	regFn("to_char", sig(Iv, Text), Text, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return formatDateTime(tmOfInterval(a[0].(types.IntervalD)), a[1].(string)), nil
	}))
	regFn("to_timestamp", sig(Text, Text), TSTZ, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		p, err := parseDateTime(a[0].(string), a[1].(string))
		if err != nil {
			return nil, err
		}
		w, err := parsedWall(p)
		if err != nil {
			return nil, err
		}
		switch {
		case p.zone != nil:
			return fromWallClock(types.TimestampD(w), p.zone), nil
		case p.hasTZ:
			return checkTS(w - p.off*usPerSec)
		}
		return fromWallClock(types.TimestampD(w), k.Location()), nil
	}))
	regFn("to_date", sig(Text, Text), Date, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		p, err := parseDateTime(a[0].(string), a[1].(string))
		if err != nil {
			return nil, err
		}
		p.hour, p.min, p.sec, p.us, p.hour12 = 0, 0, 0, 0, false
		w, err := parsedWall(p)
		if err != nil {
			return nil, err
		}
		d, _ := splitUs(w)
		return types.DateD(d), nil
	}))
}
