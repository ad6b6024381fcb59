package exec

// Number templates of to_char and to_number: 9 0 . , D G S MI PL SG PR FM
// EEEE V L TH RN, as PostgreSQL 15's formatting.c applies them (numeric
// values round half away from zero, float values as printf does).

import (
	"math"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// numFormat is a parsed number template.
type numFormat struct {
	items      []string // tokens: "9", "0", ".", ",", "S", "MI", "PL", "SG", "PR", "EEEE", "V", "L", "TH", "th", "RN", "rn", or literal text prefixed with "'"
	pre, post  int      // digit positions before and after the point
	zeroStart  int      // index of the first '0' among the integer positions (-1: none)
	fm, sign   bool     // FM seen; a sign pattern written at its own position seen
	plusSign   bool     // S before the digits: the sign is anchored to the number, '+' or '-'
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
		case "S":
			if nf.pre == 0 && !afterPoint {
				// Anchored to the number: printed just before its first
				// character instead of here.
				nf.plusSign = true
				tok = ""
			} else {
				nf.sign = true
			}
		case "MI", "SG":
			nf.sign = true
		case "PR":
			nf.pr = true
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
		if tok != "" {
			nf.items = append(nf.items, tok)
		}
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
		if neg {
			s = strings.Repeat("#", 15)
		}
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
	if !v.isF && strings.Trim(intStr+fracStr, "0") == "" {
		neg = false // a numeric rounding to zero prints without a minus (a float keeps printf's "-0")
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
	if nf.fm && !overflow {
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
		case nf.pr && neg:
			b.WriteByte('<')
		case neg:
			b.WriteByte('-')
		case nf.plusSign:
			b.WriteByte('+')
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
			if neg {
				b.WriteByte('>')
			} else if !nf.fm {
				b.WriteByte(' ')
			}
		case "EEEE":
			b.WriteString(expStr)
		case "L":
			b.WriteByte(' ')
		case "V":
		case "TH", "th":
			if !neg && !overflow {
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

func init() {
	Text := types.Text
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
	regFn("to_number", sig(Text, Text), types.Numeric, rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		return toNumber(a[0].(string), a[1].(string))
	}))
}
