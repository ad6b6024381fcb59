package exec

// to_char, to_timestamp(text, text) and to_date with PostgreSQL's template
// patterns (https://www.postgresql.org/docs/15/functions-formatting.html).
// Date/time patterns: YYYY YYY YY Y Y,YYY IYYY IY I MM MON Mon mon MONTH
// Month month DD DDD IDDD D ID DAY Day day DY Dy dy W WW IW Q CC J HH HH12
// HH24 MI SS MS US FF1…FF6 SSSS SSSSS AM PM A.M. P.M. BC AD TZ tz TZH TZM
// OF RM, the FM and TM prefixes, the TH/th suffixes and "quoted text".
// Number patterns: 9 0 . , D G S MI PL SG PR FM EEEE V L TH RN.

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cockroachdb/apd/v3"

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

// zoneAbbrev returns the abbreviation of loc at instant us (PostgreSQL
// prints the numeric offset when the zone database has no letters).
func zoneAbbrev(us int64, loc *time.Location) (string, int64) {
	name, off := types.TimestampD(us).Time().In(loc).Zone()
	if name == "" || name[0] == '+' || name[0] == '-' {
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

// numFormat is a parsed number template.
type numFormat struct {
	items      []string // tokens: "9", "0", ".", ",", "S", "MI", "PL", "SG", "PR", "EEEE", "V", "L", "TH", "th", "RN", "rn", or literal text prefixed with "'"
	pre, post  int      // digit positions before and after the point
	zeroStart  int      // index of the first '0' among the integer positions (-1: none)
	fm, sign   bool     // FM seen; an explicit sign pattern seen
	multiplier int      // digits after V
	eeee, rn   bool
	pr         bool
}

func parseNumFormat(f string) (*numFormat, error) {
	nf := &numFormat{zeroStart: -1}
	afterPoint, afterV := false, false
	for i := 0; i < len(f); {
		up := strings.ToUpper(f[i:])
		tok := ""
		for _, p := range []string{"EEEE", "FM", "MI", "PL", "SG", "PR", "TH", "RN", "9", "0", ".", ",", "D", "G", "S", "V", "L", "B"} {
			if strings.HasPrefix(up, p) {
				tok = p
				break
			}
		}
		if tok == "" {
			if f[i] == '"' {
				j := strings.IndexByte(f[i+1:], '"')
				if j < 0 {
					j = len(f) - i - 1
				}
				nf.items = append(nf.items, "'"+f[i+1:i+1+j])
				i += j + 2
				continue
			}
			nf.items = append(nf.items, "'"+f[i:i+1])
			i++
			continue
		}
		raw := f[i : i+len(tok)]
		i += len(tok)
		switch tok {
		case "FM":
			nf.fm = true
			continue
		case "9", "0":
			if afterV {
				nf.multiplier++
			}
			if afterPoint {
				nf.post++
			} else {
				if tok == "0" && nf.zeroStart < 0 {
					nf.zeroStart = nf.pre
				}
				nf.pre++
			}
		case ".", "D":
			if afterPoint {
				return nil, sqlstate.New(sqlstate.SyntaxError, "multiple decimal points")
			}
			afterPoint = true
			tok = "."
		case "G":
			tok = ","
		case "S", "MI", "SG":
			nf.sign = true
		case "PR":
			nf.pr, nf.sign = true, true
		case "EEEE":
			nf.eeee = true
		case "V":
			afterV = true
		case "RN":
			nf.rn = true
			if raw == "rn" {
				tok = "rn"
			}
		case "TH":
			if raw == "th" {
				tok = "th"
			}
		case "B":
			tok = "'" + raw
		}
		nf.items = append(nf.items, tok)
	}
	return nf, nil
}

func toRoman(n int64) string {
	if n < 1 || n > 3999 {
		return "###############"
	}
	vals := []int64{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}

// numValue is a value for a number template: its sign and, on demand,
// its digits rounded to a number of places (or in scientific notation).
type numValue struct {
	neg bool
	dec *apd.Decimal // |value| for numeric and integers
	flt float64      // |value| for floats
	isF bool
	nan bool // NaN or infinity: printed as '#' in every position
}

// digits returns the integer and fraction digits of the value with post
// places, or the mantissa digits and exponent text for EEEE.
func (v numValue) digits(post int, eeee bool) (intStr, fracStr, expStr string, err error) {
	if eeee {
		f := v.flt
		if !v.isF {
			f, _ = v.dec.Float64()
		}
		s := strconv.FormatFloat(f, 'e', post, 64) // d.ddde+XX
		j := strings.IndexByte(s, 'e')
		mant, exp := s[:j], s[j+1:]
		intStr = mant[:1]
		if post > 0 {
			fracStr = mant[2:]
		}
		e, _ := strconv.Atoi(exp)
		sign := "+"
		if e < 0 {
			sign, e = "-", -e
		}
		return intStr, fracStr, "e" + sign + twoDigits(e), nil
	}
	var s string
	if v.isF {
		// As PostgreSQL's float8_to_char: printf rounding, at most
		// DBL_DIG (15) significant digits.
		pre := len(strconv.FormatFloat(v.flt, 'f', 0, 64))
		switch {
		case pre >= 15:
			post = 0
		case pre+post > 15:
			post = 15 - pre
		}
		s = strconv.FormatFloat(v.flt, 'f', post, 64)
	} else {
		r, err := NumericRoundTo(v.dec, int64(post), false)
		if err != nil {
			return "", "", "", err
		}
		s = r.Text('f')
	}
	if j := strings.IndexByte(s, '.'); j >= 0 {
		return s[:j], s[j+1:], "", nil
	}
	return s, "", "", nil
}

// formatNumber renders a value through a number template.
func formatNumber(v numValue, format string) (string, error) {
	nf, err := parseNumFormat(format)
	if err != nil {
		return "", err
	}
	neg := v.neg
	if nf.multiplier > 0 {
		if v.isF {
			v.flt *= math.Pow10(nf.multiplier)
		} else {
			m := new(apd.Decimal)
			numCtx(200).Mul(m, v.dec, apd.New(1, int32(nf.multiplier)))
			v.dec = m
		}
	}
	if nf.rn {
		var n int64
		if v.isF {
			n = int64(math.Round(v.flt))
		} else {
			r, _ := NumericRoundTo(v.dec, 0, false)
			n, _ = r.Int64()
		}
		s := toRoman(n)
		for _, it := range nf.items {
			if it == "rn" {
				s = strings.ToLower(s)
			}
		}
		if !nf.fm {
			s = strings.Repeat(" ", max(15-len(s), 0)) + s
		}
		return s, nil
	}
	var intStr, fracStr, expStr string
	if !v.nan {
		if intStr, fracStr, expStr, err = v.digits(nf.post, nf.eeee); err != nil {
			return "", err
		}
	}
	for len(fracStr) < nf.post {
		fracStr += "0"
	}
	overflow := v.nan || len(intStr) > nf.pre
	zeroInt := intStr == "0"
	// Integer digit for each integer position, right-aligned; 0 = leading.
	digits := make([]byte, nf.pre)
	lead := nf.pre - len(intStr)
	for p := range digits {
		switch {
		case overflow:
			digits[p] = '#'
		case p >= lead:
			digits[p] = intStr[p-lead]
		default:
			digits[p] = 0
		}
	}
	if !overflow && zeroInt && nf.pre > 0 {
		// A zero integer part shows only when nothing else would.
		if nf.post == 0 || (nf.zeroStart >= 0 && nf.zeroStart <= nf.pre-1) {
			digits[nf.pre-1] = '0'
		} else {
			digits[nf.pre-1] = 0
		}
	}
	if nf.zeroStart >= 0 && !overflow {
		for p := nf.zeroStart; p < nf.pre; p++ {
			if digits[p] == 0 {
				digits[p] = '0'
			}
		}
	}
	// Trailing fraction digits that FM drops: 9 positions holding zeros.
	fracKeep := nf.post
	if nf.fm {
		// positions written with '0' are kept
		last0 := -1
		pos := 0
		after := false
		for _, it := range nf.items {
			if it == "." {
				after = true
				continue
			}
			if after && (it == "9" || it == "0") {
				if it == "0" {
					last0 = pos
				}
				pos++
			}
		}
		for fracKeep > 0 && fracKeep-1 > last0 && fracStr[fracKeep-1] == '0' {
			fracKeep--
		}
	}
	var b strings.Builder
	signWritten := false
	started := false // a digit or the point has been written
	writeSign := func() {
		if signWritten || nf.sign {
			return
		}
		signWritten = true
		switch {
		case neg:
			b.WriteByte('-')
		case !nf.fm:
			b.WriteByte(' ')
		}
	}
	ip, fp := 0, 0
	after := false
	for _, it := range nf.items {
		switch it {
		case "9", "0":
			if after {
				if fp < fracKeep {
					if overflow {
						b.WriteByte('#')
					} else {
						b.WriteByte(fracStr[fp])
					}
				}
				fp++
				continue
			}
			c := digits[ip]
			ip++
			if c == 0 {
				if !nf.fm {
					b.WriteByte(' ')
				}
				continue
			}
			writeSign()
			started = true
			b.WriteByte(c)
		case ".":
			writeSign()
			started = true
			after = true
			b.WriteByte('.')
		case ",":
			if started {
				b.WriteByte(',')
			} else if !nf.fm {
				b.WriteByte(' ')
			}
		case "S":
			if neg {
				b.WriteByte('-')
			} else {
				b.WriteByte('+')
			}
		case "SG":
			if neg {
				b.WriteByte('-')
			} else {
				b.WriteByte('+')
			}
		case "MI":
			if neg {
				b.WriteByte('-')
			} else if !nf.fm {
				b.WriteByte(' ')
			}
		case "PL":
			if !neg {
				b.WriteByte('+')
			} else if !nf.fm {
				b.WriteByte(' ')
			}
		case "PR":
		case "EEEE":
			b.WriteString(expStr)
		case "L":
			b.WriteByte(' ')
		case "V":
		case "TH", "th":
			if !neg {
				n, _ := strconv.ParseInt(intStr, 10, 64)
				b.WriteString(ordinal(n, it == "TH"))
			}
		default:
			if strings.HasPrefix(it, "'") {
				b.WriteString(it[1:])
			}
		}
	}
	if !signWritten && !nf.sign && neg {
		// No digit was written (e.g. FM with zero digits): sign in front.
		s := b.String()
		b.Reset()
		b.WriteString("-" + s)
	}
	out := b.String()
	if nf.pr {
		if neg {
			out = "<" + strings.TrimLeft(out, " ") + ">"
			if !nf.fm {
				out = strings.Repeat(" ", max(len(b.String())-len(strings.TrimLeft(b.String(), " "))-1, 0)) + out
			}
		} else if !nf.fm {
			out = " " + out + " "
		}
	}
	return out, nil
}

// toCharNumber is to_char over numeric, float and integer values.
func toCharNumber(v any, format string) (any, error) {
	var nv numValue
	switch x := v.(type) {
	case *apd.Decimal:
		nv = numValue{neg: x.Negative && !x.IsZero(), dec: new(apd.Decimal).Abs(x), nan: x.Form != apd.Finite}
	case int64:
		nv = numValue{neg: x < 0, dec: new(apd.Decimal).Abs(apd.New(x, 0))}
	case float64:
		nv = numValue{neg: x < 0, flt: math.Abs(x), isF: true, nan: math.IsNaN(x) || math.IsInf(x, 0)}
	}
	return formatNumber(nv, format)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
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
	for _, t := range []*types.T{types.Int4, types.Int8, types.Float4, types.Float8, types.Numeric} {
		regFn("to_char", sig(t, Text), Text, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
			v := a[0]
			if t == types.Float4 {
				// float4 values print through their shortest decimal form.
				v, _ = strconv.ParseFloat(strconv.FormatFloat(v.(float64), 'g', -1, 32), 64)
			}
			return toCharNumber(v, a[1].(string))
		}))
	}
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
	regFn("to_number", sig(Text, Text), types.Numeric, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return toNumber(a[0].(string), a[1].(string))
	}))
}

// toNumber is to_number(text, template): the digits, point and sign of s
// are kept, group separators and other characters dropped; the template
// fixes the number of digits after the point.
func toNumber(s, format string) (*apd.Decimal, error) {
	nf, err := parseNumFormat(format)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	neg := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9', c == '.':
			b.WriteRune(c)
		case c == '-', c == '<':
			neg = true
		}
	}
	txt := b.String()
	if txt == "" || txt == "." {
		return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", s)
	}
	d, _, err := apd.NewFromString(txt)
	if err != nil {
		return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", s)
	}
	if nf.post > 0 || strings.Contains(txt, ".") {
		if d, err = NumericRoundTo(d, int64(nf.post), true); err != nil {
			return nil, err
		}
	}
	if neg {
		d.Negative = !d.IsZero()
	}
	return d, nil
}
