package exec

// String functions with PostgreSQL semantics: positions and lengths count
// characters (UTF-8 code points), not bytes. The functions that run over
// whole columns in views and benchmarks (||, lower, upper, length,
// substring, concat, replace, split_part) are typed loops without boxing;
// the rest go through rowKernel.

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// maxStringBytes bounds results that repeat or pad (PostgreSQL's 1 GB
// varlena limit).
const maxStringBytes = 1<<30 - 1

func errTooLarge() error {
	return sqlstate.New(sqlstate.ProgramLimitExceeded, "requested length too large")
}

// textOf renders an argument of any type as text, row by row, with the
// type's output function; string, integer and float columns are read
// without boxing.
type textOf struct {
	kc       *KernelCtx
	t        *types.T
	v        Vec
	kind     byte // 's' string, 'i' integer, 'f' float, 'd' datum
	sc       strCol
	ic       intCol
	fc       floatCol
	rendered []byte // the rendered scalar
}

func newTextOf(kc *KernelCtx, v Vec, t *types.T) *textOf {
	c := &textOf{kc: kc, t: t, v: v, kind: 'd'}
	if v.Arr == nil {
		if v.Scalar != nil {
			c.rendered = appendDatumText(kc, nil, t, v.Scalar)
		}
		return c
	}
	switch {
	case t.Family == types.FamString || t.Family == types.FamUnknown || t.Family == types.FamJSON:
		c.kind, c.sc = 's', newStrCol(v)
	case t.Family == types.FamInt:
		c.kind, c.ic = 'i', newIntCol(v)
	case t.Family == types.FamFloat:
		c.kind, c.fc = 'f', newFloatCol(v)
	}
	return c
}

// castTextOf is newTextOf with the text a cast to text gives, which
// differs from the output function for bool only: 'x' || true is
// 'xtrue' (textanycat casts), concat('x', true) is 'xt'.
func castTextOf(kc *KernelCtx, v Vec, t *types.T) *textOf {
	if t.Family != types.FamBool {
		return newTextOf(kc, v, t)
	}
	c := &textOf{kc: kc, t: t, v: v, kind: 'b'}
	if v.Arr == nil && v.Scalar != nil {
		c.rendered = []byte(strconv.FormatBool(v.Scalar.(bool)))
	}
	return c
}

// valid reports whether row i is not NULL.
func (c *textOf) valid(i int) bool {
	if c.v.Arr == nil {
		return c.v.Scalar != nil
	}
	return isValid(c.v.Arr, i)
}

// appendTo appends row i's text; the row must be valid.
func (c *textOf) appendTo(buf []byte, i int) []byte {
	if c.v.Arr == nil {
		return append(buf, c.rendered...)
	}
	switch c.kind {
	case 's':
		return append(buf, c.sc.at(i)...)
	case 'i':
		return strconv.AppendInt(buf, c.ic.at(i), 10)
	case 'f':
		return types.AppendFloat(buf, c.fc.at(i), c.t.Width)
	case 'b':
		return strconv.AppendBool(buf, c.v.Arr.(*array.Boolean).Value(i))
	}
	return appendDatumText(c.kc, buf, c.t, Datum(c.v.Arr, i, c.t))
}

// appendDatumText appends d as the output function of t writes it
// (reg* types print names, timestamptz uses the session time zone).
func appendDatumText(kc *KernelCtx, buf []byte, t *types.T, d any) []byte {
	if t != nil && t.Family == types.FamOid && t.OID != types.Oid.OID && t.OID != types.Xid.OID {
		if o, ok := d.(types.OidD); ok {
			return append(buf, regOut(kc, t, o)...)
		}
	}
	if s, ok := d.(string); ok {
		return append(buf, s...)
	}
	return types.AppendText(buf, t, d, kc.Location())
}

// concatOp is text || text.
func concatOp(k *KernelCtx, args []Vec, n int) (Vec, error) {
	a, b := newStrCol(args[0]), newStrCol(args[1])
	return textMap(args, n, func(i int, out []byte) ([]byte, error) {
		out = append(out, a.at(i)...)
		return append(out, b.at(i)...), nil
	})
}

// concatAnyOp is anynonarray || text and text || anynonarray: the
// non-text side goes through its output function.
func concatAnyOp(k *KernelCtx, args []Vec, n int) (Vec, error) {
	a := castTextOf(k, args[0], k.ArgType(0))
	b := castTextOf(k, args[1], k.ArgType(1))
	return textMap(args, n, func(i int, out []byte) ([]byte, error) {
		out = a.appendTo(out, i)
		return b.appendTo(out, i), nil
	})
}

// concatFn is concat(variadic "any"): NULL arguments are skipped and the
// result is never NULL.
func concatFn(k *KernelCtx, args []Vec, n int) (Vec, error) {
	return concatWith(k, args, n, nil)
}

// concatWSFn is concat_ws(sep, variadic "any"): NULL when sep is NULL.
func concatWSFn(k *KernelCtx, args []Vec, n int) (Vec, error) {
	if args[0].Arr == nil && args[0].Scalar == nil {
		return Vec{}, nil
	}
	sep := newTextOf(k, args[0], k.ArgType(0))
	return concatWith(k, args[1:], n, sep)
}

func concatWith(k *KernelCtx, args []Vec, n int, sep *textOf) (Vec, error) {
	off := 0
	if sep != nil {
		off = 1
	}
	cols := make([]*textOf, len(args))
	for j, a := range args {
		cols[j] = newTextOf(k, a, k.ArgType(j+off))
	}
	row := func(i int, out []byte) []byte {
		first := true
		for _, c := range cols {
			if !c.valid(i) {
				continue
			}
			if sep != nil && !first {
				out = sep.appendTo(out, i)
			}
			first = false
			out = c.appendTo(out, i)
		}
		return out
	}
	all := args
	if sep != nil {
		all = append([]Vec{sep.v}, args...)
	}
	if scalarArgs(all) {
		return Vec{Scalar: string(row(0, nil))}, nil
	}
	o := newStrOut(n, n*16)
	for i := 0; i < n; i++ {
		if sep == nil || sep.valid(i) {
			o.data = row(i, o.data)
		}
		o.end()
	}
	var valid arrow.Array
	if sep != nil && sep.v.Arr != nil {
		valid = sep.v.Arr
	}
	a, err := o.array(validityAnd(n, valid))
	return Vec{Arr: a}, err
}

// appendLower appends the lower-case form of s (Unicode case folding; a
// byte loop when s is ASCII).
func appendLower(out []byte, s string) []byte {
	start := len(out)
	out = append(out, s...)
	for j := start; j < len(out); j++ {
		c := out[j]
		if c >= utf8.RuneSelf {
			return append(out[:start], strings.ToLower(s)...)
		}
		if 'A' <= c && c <= 'Z' {
			out[j] = c + 'a' - 'A'
		}
	}
	return out
}

// appendUpper is appendLower's upper-case twin.
func appendUpper(out []byte, s string) []byte {
	start := len(out)
	out = append(out, s...)
	for j := start; j < len(out); j++ {
		c := out[j]
		if c >= utf8.RuneSelf {
			return append(out[:start], strings.ToUpper(s)...)
		}
		if 'a' <= c && c <= 'z' {
			out[j] = c - ('a' - 'A')
		}
	}
	return out
}

// asciiCase maps an ASCII String array to lower or upper case in one
// pass over its data buffer: the offsets do not change. ok is false when
// the array holds non-ASCII text.
func asciiCase(a *array.String, n int, upper bool) (arrow.Array, bool) {
	offs, data := rawStrings(a)
	if n == 0 {
		return nil, false
	}
	src := data[offs[0]:offs[n]]
	if !isASCII(src) {
		return nil, false
	}
	out := make([]byte, len(src))
	lo, hi := byte('A'), byte('Z')
	if upper {
		lo, hi = 'a', 'z'
	}
	for j, c := range src {
		if c >= lo && c <= hi {
			c ^= 0x20
		}
		out[j] = c
	}
	no := make([]int32, n+1)
	base := offs[0]
	for i := range no {
		no[i] = offs[i] - base
	}
	o := &strOut{offs: no, data: out}
	arr, err := o.array(validityAnd(n, a))
	return arr, err == nil
}

func caseKernel(upper bool) Kernel {
	return dictAware(func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		if sa, ok := args[0].Arr.(*array.String); ok {
			if arr, ok := asciiCase(sa, n, upper); ok {
				return Vec{Arr: arr}, nil
			}
		}
		s := newStrCol(args[0])
		if upper {
			return textMap(args, n, func(i int, out []byte) ([]byte, error) { return appendUpper(out, s.at(i)), nil })
		}
		return textMap(args, n, func(i int, out []byte) ([]byte, error) { return appendLower(out, s.at(i)), nil })
	})
}

// charCount counts the characters of s.
func charCount(s string) int {
	for j := 0; j < len(s); j++ {
		if s[j] >= utf8.RuneSelf {
			return utf8.RuneCountInString(s)
		}
	}
	return len(s)
}

// lengthKernel returns length(text) (chars), octet_length (bytes) or
// length(bpchar) (chars without trailing blanks).
func lengthKernel(mode byte) Kernel {
	return dictAware(func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		if sa, ok := args[0].Arr.(*array.String); ok && n > 0 && (mode == 'c' || mode == 'o') {
			offs, data := rawStrings(sa)
			if mode == 'o' || isASCII(data[offs[0]:offs[n]]) {
				out := make([]int32, n)
				for i := range out {
					out[i] = offs[i+1] - offs[i]
				}
				return Vec{Arr: newFixedArray(types.Int4.Arrow(), out, validityAnd(n, sa))}, nil
			}
		}
		s := newStrCol(args[0])
		return fixedMap(args, n, types.Int4, func(i int) (int32, error) {
			v := s.at(i)
			switch mode {
			case 'o':
				return int32(len(v)), nil
			case 'b':
				return int32(charCount(strings.TrimRight(v, " "))), nil
			case 'B':
				return int32(8 * len(v)), nil
			}
			return int32(charCount(v)), nil
		})
	})
}

// byteOffset returns the byte offset of the character with 0-based index
// ci in s, len(s) when s is shorter.
func byteOffset(s string, ci int64) int {
	if ci <= 0 {
		return 0
	}
	for j := 0; j < len(s); {
		if ci == 0 {
			return j
		}
		if s[j] < utf8.RuneSelf {
			j++
		} else {
			_, sz := utf8.DecodeRuneInString(s[j:])
			j += sz
		}
		ci--
	}
	return len(s)
}

// substrChars is substring(s FROM start [FOR count]) with PostgreSQL's
// rules: characters before position 1 count against count, a negative
// count is an error.
func substrChars(s string, start, count int64, hasCount bool) (string, error) {
	s1 := max(start, 1)
	if !hasCount {
		return s[byteOffset(s, s1-1):], nil
	}
	if count < 0 {
		return "", sqlstate.New("22011", "negative substring length not allowed")
	}
	e := start + count
	if e < start { // overflow: to the end
		return s[byteOffset(s, s1-1):], nil
	}
	if e <= s1 {
		return "", nil
	}
	b0 := byteOffset(s, s1-1)
	return s[b0 : b0+byteOffset(s[b0:], e-s1)], nil
}

func substrKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	s, from := newStrCol(args[0]), newIntCol(args[1])
	hasCount := len(args) == 3
	var cnt intCol
	if hasCount {
		cnt = newIntCol(args[2])
	}
	return textMap(args, n, func(i int, out []byte) ([]byte, error) {
		var c int64
		if hasCount {
			c = cnt.at(i)
		}
		r, err := substrChars(s.at(i), from.at(i), c, hasCount)
		return append(out, r...), err
	})
}

// substrBytes is substring over bytea.
func substrBytes(b []byte, start, count int64, hasCount bool) ([]byte, error) {
	s1 := max(start, 1)
	if s1 > int64(len(b)) {
		return []byte{}, nil
	}
	if !hasCount {
		return append([]byte{}, b[s1-1:]...), nil
	}
	if count < 0 {
		return nil, sqlstate.New("22011", "negative substring length not allowed")
	}
	e := start + count
	if e < start || e-1 > int64(len(b)) {
		e = int64(len(b)) + 1
	}
	if e <= s1 {
		return []byte{}, nil
	}
	return append([]byte{}, b[s1-1:e-1]...), nil
}

// strposChars is the 1-based character position of sub in s, 0 if absent.
func strposChars(s, sub string) int32 {
	j := strings.Index(s, sub)
	if j < 0 {
		return 0
	}
	return int32(charCount(s[:j])) + 1
}

func replaceKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	s, from, to := newStrCol(args[0]), newStrCol(args[1]), newStrCol(args[2])
	return textMap(args, n, func(i int, out []byte) ([]byte, error) {
		v, f := s.at(i), from.at(i)
		if f == "" {
			return append(out, v...), nil
		}
		t := to.at(i)
		for {
			j := strings.Index(v, f)
			if j < 0 {
				return append(out, v...), nil
			}
			out = append(out, v[:j]...)
			out = append(out, t...)
			v = v[j+len(f):]
		}
	})
}

// splitPart is split_part(s, delim, n); negative n counts from the end.
func splitPart(s, delim string, field int64) (string, error) {
	if field == 0 {
		return "", errInvalidParam("field position must not be zero")
	}
	if s == "" {
		return "", nil
	}
	if delim == "" {
		if field == 1 || field == -1 {
			return s, nil
		}
		return "", nil
	}
	if field > 0 {
		for ; field > 1; field-- {
			j := strings.Index(s, delim)
			if j < 0 {
				return "", nil
			}
			s = s[j+len(delim):]
		}
		if j := strings.Index(s, delim); j >= 0 {
			return s[:j], nil
		}
		return s, nil
	}
	for ; field < -1; field++ {
		j := strings.LastIndex(s, delim)
		if j < 0 {
			return "", nil
		}
		s = s[:j]
	}
	if j := strings.LastIndex(s, delim); j >= 0 {
		return s[j+len(delim):], nil
	}
	return s, nil
}

func splitPartKernel(k *KernelCtx, args []Vec, n int) (Vec, error) {
	s, d, f := newStrCol(args[0]), newStrCol(args[1]), newIntCol(args[2])
	return textMap(args, n, func(i int, out []byte) ([]byte, error) {
		r, err := splitPart(s.at(i), d.at(i), f.at(i))
		return append(out, r...), err
	})
}

// trimSet trims the characters of set from the chosen ends of s.
func trimSet(s, set string, left, right bool) string {
	ascii := true
	for j := 0; j < len(set); j++ {
		if set[j] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		var tab [256]bool
		for j := 0; j < len(set); j++ {
			tab[set[j]] = true
		}
		if left {
			for len(s) > 0 && tab[s[0]] {
				s = s[1:]
			}
		}
		if right {
			for len(s) > 0 && tab[s[len(s)-1]] {
				s = s[:len(s)-1]
			}
		}
		return s
	}
	if left {
		s = strings.TrimLeft(s, set)
	}
	if right {
		s = strings.TrimRight(s, set)
	}
	return s
}

// trimKernel implements btrim/ltrim/rtrim and trim(x [, chars [, dir]]).
// dirArg is the index of a 'both'/'leading'/'trailing' argument, -1 when
// the direction is fixed by left and right.
func trimKernel(left, right bool, dirArg int) Kernel {
	return dictAware(func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		s := newStrCol(args[0])
		set := strCol{s: " "}
		if len(args) > 1 {
			set = newStrCol(args[1])
		}
		var dir strCol
		if dirArg >= 0 {
			dir = newStrCol(args[dirArg])
		}
		return textMap(args, n, func(i int, out []byte) ([]byte, error) {
			l, r := left, right
			if dirArg >= 0 {
				switch strings.ToLower(dir.at(i)) {
				case "both", "":
					l, r = true, true
				case "leading":
					l, r = true, false
				case "trailing":
					l, r = false, true
				default:
					return nil, errInvalidParam("invalid trim direction %q", dir.at(i))
				}
			}
			return append(out, trimSet(s.at(i), set.at(i), l, r)...), nil
		})
	})
}

// leftRight is left(s, n) / right(s, n).
func leftRight(s string, n int64, right bool) string {
	if n >= 0 && !right {
		return s[:byteOffset(s, n)]
	}
	total := int64(charCount(s))
	if !right { // all but the last |n|
		keep := max(total+n, 0)
		return s[:byteOffset(s, keep)]
	}
	if n >= 0 {
		return s[byteOffset(s, max(total-n, 0)):]
	}
	return s[byteOffset(s, min(-n, total)):]
}

// pad is lpad/rpad.
func pad(s string, length int64, fill string, left bool) (string, error) {
	if length <= 0 {
		return "", nil
	}
	chars := int64(charCount(s))
	if chars >= length {
		return s[:byteOffset(s, length)], nil
	}
	if fill == "" {
		return s, nil
	}
	need := length - chars
	if need*int64(utf8.UTFMax) > maxStringBytes {
		return "", errTooLarge()
	}
	var b strings.Builder
	fr := []rune(fill)
	if !left {
		b.WriteString(s)
	}
	for j := int64(0); j < need; j++ {
		b.WriteRune(fr[j%int64(len(fr))])
	}
	if left {
		b.WriteString(s)
	}
	return b.String(), nil
}

func reverseChars(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// initcap upper-cases the first letter of each run of letters and digits
// and lower-cases the rest.
func initcap(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	prevAlnum := false
	for _, r := range s {
		if prevAlnum {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
		prevAlnum = unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return b.String()
}

func chrOf(c int64) (string, error) {
	switch {
	case c < 0:
		return "", errInvalidParam("character number must be positive")
	case c == 0:
		return "", sqlstate.New(sqlstate.ProgramLimitExceeded, "null character not permitted")
	case c > unicode.MaxRune:
		return "", sqlstate.New(sqlstate.ProgramLimitExceeded, "requested character too large for encoding: %d", c)
	case c >= 0xD800 && c <= 0xDFFF:
		return "", sqlstate.New(sqlstate.ProgramLimitExceeded, "requested character not valid for encoding: %d", c)
	}
	return string(rune(c)), nil
}

// translate replaces each character of s found in from by the character
// at the same position of to, deleting it when to is shorter.
func translate(s, from, to string) string {
	fr, tr := []rune(from), []rune(to)
	var b strings.Builder
	for _, r := range s {
		k := -1
		for j, f := range fr {
			if f == r {
				k = j
				break
			}
		}
		switch {
		case k < 0:
			b.WriteRune(r)
		case k < len(tr):
			b.WriteRune(tr[k])
		}
	}
	return b.String()
}

func repeatStr(s string, n int64) (string, error) {
	if n <= 0 || s == "" {
		return "", nil
	}
	if int64(len(s))*n > maxStringBytes || n > maxStringBytes {
		return "", errTooLarge()
	}
	return strings.Repeat(s, int(n)), nil
}

func overlay(s, repl string, from, count int64, hasCount bool) (string, error) {
	if !hasCount {
		count = int64(charCount(repl))
	}
	if from <= 0 {
		return "", sqlstate.New("22011", "negative substring length not allowed")
	}
	head, err := substrChars(s, 1, from-1, true)
	if err != nil {
		return "", err
	}
	tail, _ := substrChars(s, from+count, 0, false)
	return head + repl + tail, nil
}

func textFn(strict bool, f func(a []any) (any, error)) Kernel {
	return rowKernel(strict, func(_ *KernelCtx, a []any) (any, error) { return f(a) })
}

func init() {
	Text, Int4, Int8, Bool, Bytea := types.Text, types.Int4, types.Int8, types.Bool, types.Bytea
	Register(
		&Func{Name: "||", Args: sig(Text, Text), Ret: Text, Kernel: concatOp, Infix: true},
		&Func{Name: "||", Args: sig(Any, Text), Ret: Text, Kernel: concatAnyOp, Infix: true},
		&Func{Name: "||", Args: sig(Text, Any), Ret: Text, Kernel: concatAnyOp, Infix: true},
		&Func{Name: "||", Args: sig(Bytea, Bytea), Ret: Bytea, Infix: true, Kernel: textFn(true, func(a []any) (any, error) {
			return append(append([]byte{}, a[0].([]byte)...), a[1].([]byte)...), nil
		})},
		&Func{Name: "concat", Args: sig(Any), Variadic: true, Ret: Text, Kernel: concatFn},
		&Func{Name: "concat_ws", Args: sig(Text, Any), Variadic: true, Ret: Text, Kernel: concatWSFn},
	)
	regFn("lower", sig(Text), Text, caseKernel(false))
	regFn("upper", sig(Text), Text, caseKernel(true))
	for _, name := range []string{"length", "char_length", "character_length"} {
		regFn(name, sig(Text), Int4, lengthKernel('c'))
		regFn(name, sig(types.BPChar), Int4, lengthKernel('b'))
	}
	regFn("length", sig(Bytea), Int4, textFn(true, func(a []any) (any, error) { return int64(len(a[0].([]byte))), nil }))
	regFn("octet_length", sig(Text), Int4, lengthKernel('o'))
	regFn("octet_length", sig(Bytea), Int4, textFn(true, func(a []any) (any, error) { return int64(len(a[0].([]byte))), nil }))
	regFn("bit_length", sig(Text), Int4, lengthKernel('B'))
	for _, name := range []string{"substring", "substr"} {
		regFn(name, sig(Text, Int4), Text, substrKernel)
		regFn(name, sig(Text, Int4, Int4), Text, substrKernel)
		regFn(name, sig(Bytea, Int4), Bytea, textFn(true, func(a []any) (any, error) {
			return substrBytes(a[0].([]byte), a[1].(int64), 0, false)
		}))
		regFn(name, sig(Bytea, Int4, Int4), Bytea, textFn(true, func(a []any) (any, error) {
			return substrBytes(a[0].([]byte), a[1].(int64), a[2].(int64), true)
		}))
	}
	regFn("position", sig(Text, Text), Int4, textFn(true, func(a []any) (any, error) {
		return int64(strposChars(a[1].(string), a[0].(string))), nil
	}))
	regFn("strpos", sig(Text, Text), Int4, textFn(true, func(a []any) (any, error) {
		return int64(strposChars(a[0].(string), a[1].(string))), nil
	}))
	regFn("replace", sig(Text, Text, Text), Text, dictAware(replaceKernel))
	regFn("split_part", sig(Text, Text, Int4), Text, dictAware(splitPartKernel))
	regFn("btrim", sig(Text), Text, trimKernel(true, true, -1))
	regFn("btrim", sig(Text, Text), Text, trimKernel(true, true, -1))
	regFn("ltrim", sig(Text), Text, trimKernel(true, false, -1))
	regFn("ltrim", sig(Text, Text), Text, trimKernel(true, false, -1))
	regFn("rtrim", sig(Text), Text, trimKernel(false, true, -1))
	regFn("rtrim", sig(Text, Text), Text, trimKernel(false, true, -1))
	regFn("trim", sig(Text), Text, trimKernel(true, true, -1))
	regFn("trim", sig(Text, Text), Text, trimKernel(true, true, -1))
	regFn("trim", sig(Text, Text, Text), Text, trimKernel(true, true, 2))
	regFn("left", sig(Text, Int4), Text, textFn(true, func(a []any) (any, error) {
		return leftRight(a[0].(string), a[1].(int64), false), nil
	}))
	regFn("right", sig(Text, Int4), Text, textFn(true, func(a []any) (any, error) {
		return leftRight(a[0].(string), a[1].(int64), true), nil
	}))
	for _, left := range []bool{true, false} {
		name := "rpad"
		if left {
			name = "lpad"
		}
		regFn(name, sig(Text, Int4), Text, textFn(true, func(a []any) (any, error) {
			return pad(a[0].(string), a[1].(int64), " ", left)
		}))
		regFn(name, sig(Text, Int4, Text), Text, textFn(true, func(a []any) (any, error) {
			return pad(a[0].(string), a[1].(int64), a[2].(string), left)
		}))
	}
	regFn("repeat", sig(Text, Int4), Text, textFn(true, func(a []any) (any, error) {
		return repeatStr(a[0].(string), a[1].(int64))
	}))
	regFn("reverse", sig(Text), Text, textFn(true, func(a []any) (any, error) { return reverseChars(a[0].(string)), nil }))
	regFn("initcap", sig(Text), Text, textFn(true, func(a []any) (any, error) { return initcap(a[0].(string)), nil }))
	regFn("md5", sig(Text), Text, textFn(true, func(a []any) (any, error) {
		h := md5.Sum([]byte(a[0].(string)))
		return hex.EncodeToString(h[:]), nil
	}))
	regFn("md5", sig(Bytea), Text, textFn(true, func(a []any) (any, error) {
		h := md5.Sum(a[0].([]byte))
		return hex.EncodeToString(h[:]), nil
	}))
	startsWith := textFn(true, func(a []any) (any, error) { return strings.HasPrefix(a[0].(string), a[1].(string)), nil })
	regFn("starts_with", sig(Text, Text), Bool, startsWith)
	Register(&Func{Name: "^@", Args: sig(Text, Text), Ret: Bool, Kernel: startsWith, Infix: true})
	regFn("ascii", sig(Text), Int4, textFn(true, func(a []any) (any, error) {
		r, _ := utf8.DecodeRuneInString(a[0].(string))
		if a[0].(string) == "" {
			return int64(0), nil
		}
		return int64(r), nil
	}))
	regFn("chr", sig(Int4), Text, textFn(true, func(a []any) (any, error) { return chrOf(a[0].(int64)) }))
	regFn("translate", sig(Text, Text, Text), Text, textFn(true, func(a []any) (any, error) {
		return translate(a[0].(string), a[1].(string), a[2].(string)), nil
	}))
	regFn("overlay", sig(Text, Text, Int4), Text, textFn(true, func(a []any) (any, error) {
		return overlay(a[0].(string), a[1].(string), a[2].(int64), 0, false)
	}))
	regFn("overlay", sig(Text, Text, Int4, Int4), Text, textFn(true, func(a []any) (any, error) {
		return overlay(a[0].(string), a[1].(string), a[2].(int64), a[3].(int64), true)
	}))
	regFn("to_hex", sig(Int4), Text, textFn(true, func(a []any) (any, error) {
		return strconv.FormatUint(uint64(uint32(a[0].(int64))), 16), nil
	}))
	regFn("to_hex", sig(Int8), Text, textFn(true, func(a []any) (any, error) {
		return strconv.FormatUint(uint64(a[0].(int64)), 16), nil
	}))
}
