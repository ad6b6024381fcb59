package exec

// Quoting and formatting functions (quote_ident, quote_literal,
// quote_nullable, format) and the binary encodings (encode, decode,
// sha*): rare per row, so they run through rowKernel.

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgerrcode"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// quoteKeywords are the PostgreSQL keywords that are not unreserved:
// quote_ident quotes them even when they are lower case.
var quoteKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check
		collate column constraint create current_catalog current_date current_role current_time
		current_timestamp current_user default deferrable desc distinct do else end except false fetch
		for foreign from grant group having in initially intersect into lateral leading limit localtime
		localtimestamp not null offset on only or order placing primary references returning select
		session_user some symmetric table then to trailing true union unique user using variadic when
		where window with
		authorization binary collation concurrently cross current_schema freeze full ilike inner is
		isnull join left like natural notnull outer overlaps right similar tablesample verbose
		between bigint bit boolean char character coalesce dec decimal exists extract float greatest
		grouping inout int integer interval least national nchar none normalize nullif numeric out
		overlay position precision real row setof smallint substring time timestamp treat trim values
		varchar xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi
		xmlroot xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()

// QuoteIdent quotes s as an SQL identifier when PostgreSQL would: unless
// it is lower-case letters, digits and underscores not starting with a
// digit, and not a keyword.
func QuoteIdent(s string) string {
	safe := s != ""
	for i := 0; i < len(s) && safe; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9':
			safe = i > 0
		default:
			safe = false
		}
	}
	if safe && !quoteKeywords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteLiteral quotes s as an SQL string literal: quotes and backslashes
// are doubled, and a literal holding a backslash gets the E prefix.
func QuoteLiteral(s string) string {
	var b strings.Builder
	if strings.ContainsRune(s, '\\') {
		b.WriteByte('E')
	}
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte(s[i])
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// formatText is format(fmt, args…): %s, %I, %L and %%, with argument
// positions (%2$s), the '-' flag and widths (digits or *).
func formatText(k *KernelCtx, fmtStr string, args []any, argTypes []*types.T) (string, error) {
	var b strings.Builder
	next := 0 // next implicit argument
	text := func(j int) (string, bool) {
		if args[j] == nil {
			return "", false
		}
		return string(appendDatumText(k, nil, argTypes[j], args[j])), true
	}
	badEnd := func() error {
		return errInvalidParam("unterminated format() type specifier").
			WithHint(`For a single "%%" use "%%%%".`)
	}
	// readNum reads digits at i; ok is false when there are none.
	readNum := func(i int) (int, int, bool, error) {
		j := i
		for j < len(fmtStr) && fmtStr[j] >= '0' && fmtStr[j] <= '9' {
			j++
		}
		if j == i {
			return 0, i, false, nil
		}
		v, err := strconv.Atoi(fmtStr[i:j])
		if err != nil || v > 1<<30 {
			return 0, i, false, errInvalidParam("number is out of range")
		}
		return v, j, true, nil
	}
	for i := 0; i < len(fmtStr); i++ {
		c := fmtStr[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(fmtStr) {
			return "", badEnd()
		}
		if fmtStr[i] == '%' {
			b.WriteByte('%')
			continue
		}
		argPos := -1
		if v, j, ok, err := readNum(i); err != nil {
			return "", err
		} else if ok && j < len(fmtStr) && fmtStr[j] == '$' {
			if v == 0 {
				return "", errInvalidParam("format specifies argument 0, but arguments are numbered from 1")
			}
			argPos, i = v-1, j+1
		}
		left := false
		for i < len(fmtStr) && fmtStr[i] == '-' {
			left = true
			i++
		}
		width := 0
		if i < len(fmtStr) && fmtStr[i] == '*' {
			i++
			wpos := next
			if v, j, ok, err := readNum(i); err != nil {
				return "", err
			} else if ok && j < len(fmtStr) && fmtStr[j] == '$' {
				if v == 0 {
					return "", errInvalidParam("format specifies argument 0, but arguments are numbered from 1")
				}
				wpos, i = v-1, j+1
			} else {
				next++
			}
			if wpos >= len(args) {
				return "", errInvalidParam("too few arguments for format()")
			}
			if args[wpos] != nil {
				w, err := strconv.Atoi(string(appendDatumText(k, nil, argTypes[wpos], args[wpos])))
				if err != nil {
					return "", sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type integer: %q", string(appendDatumText(k, nil, argTypes[wpos], args[wpos])))
				}
				width = w
			}
		} else if v, j, ok, err := readNum(i); err != nil {
			return "", err
		} else if ok {
			width, i = v, j
		}
		if width < 0 {
			left, width = true, -width
		}
		if i >= len(fmtStr) {
			return "", badEnd()
		}
		typ := fmtStr[i]
		if typ != 's' && typ != 'I' && typ != 'L' {
			r, _ := utf8.DecodeRuneInString(fmtStr[i:])
			return "", errInvalidParam("unrecognized format() type specifier %q", string(r)).
				WithHint(`For a single "%%" use "%%%%".`)
		}
		j := argPos
		if j < 0 {
			j = next
			next++
		} else {
			next = j + 1
		}
		if j >= len(args) {
			return "", errInvalidParam("too few arguments for format()")
		}
		s, ok := text(j)
		switch typ {
		case 'I':
			if !ok {
				return "", sqlstate.New(pgerrcode.NullValueNotAllowedDataException, "null values cannot be formatted as an SQL identifier")
			}
			s = QuoteIdent(s)
		case 'L':
			if ok {
				s = QuoteLiteral(s)
			} else {
				s = "NULL"
			}
		}
		if padN := width - utf8.RuneCountInString(s); padN > 0 {
			if left {
				s += strings.Repeat(" ", padN)
			} else {
				s = strings.Repeat(" ", padN) + s
			}
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// encodeBytes is encode(bytea, format).
func encodeBytes(b []byte, format string) (string, error) {
	switch strings.ToLower(format) {
	case "hex":
		return hex.EncodeToString(b), nil
	case "base64":
		s := base64.StdEncoding.EncodeToString(b)
		// PostgreSQL breaks base64 output into lines of 76 characters.
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76])
			out.WriteByte('\n')
			s = s[76:]
		}
		out.WriteString(s)
		return out.String(), nil
	case "escape":
		var out strings.Builder
		for _, c := range b {
			switch {
			case c == '\\':
				out.WriteString(`\\`)
			case c == 0 || c >= 0x80:
				out.WriteByte('\\')
				out.WriteByte('0' + c>>6)
				out.WriteByte('0' + (c>>3)&7)
				out.WriteByte('0' + c&7)
			default:
				out.WriteByte(c)
			}
		}
		return out.String(), nil
	}
	return "", errInvalidParam("unrecognized encoding: %q", format)
}

// decodeText is decode(text, format).
func decodeText(s, format string) ([]byte, error) {
	switch strings.ToLower(format) {
	case "hex":
		out := make([]byte, 0, len(s)/2)
		for i := 0; i < len(s); {
			if s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' {
				i++
				continue
			}
			if i+1 >= len(s) {
				return nil, errInvalidParam("invalid hexadecimal data: odd number of digits")
			}
			v, err := hex.DecodeString(s[i : i+2])
			if err != nil {
				bad := s[i : i+1]
				if _, e := hex.DecodeString(s[i:i+1] + "0"); e == nil {
					bad = s[i+1 : i+2]
				}
				return nil, errInvalidParam("invalid hexadecimal digit: %q", bad)
			}
			out = append(out, v[0])
			i += 2
		}
		return out, nil
	case "base64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\t' || r == '\r' {
				return -1
			}
			return r
		}, s)
		for _, r := range clean {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
				return nil, errInvalidParam("invalid symbol %q found while decoding base64 sequence", string(r))
			}
		}
		out, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			if out2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "=")); err2 == nil && len(clean)%4 != 1 {
				return out2, nil
			}
			return nil, errInvalidParam("invalid base64 end sequence").
				WithHint("Input data is missing padding, is truncated, or is otherwise corrupted.")
		}
		return out, nil
	case "escape":
		out := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			if s[i] != '\\' {
				out = append(out, s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '\\' {
				out = append(out, '\\')
				i++
				continue
			}
			if i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) && s[i+1] <= '3' {
				out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
				i += 3
				continue
			}
			return nil, sqlstate.New(sqlstate.InvalidTextRepresentation, "invalid input syntax for type bytea")
		}
		return out, nil
	}
	return nil, errInvalidParam("unrecognized encoding: %q", format)
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func init() {
	Text, Bytea := types.Text, types.Bytea
	regFn("quote_ident", sig(Text), Text, textFn(true, func(a []any) (any, error) { return QuoteIdent(a[0].(string)), nil }))
	regFn("quote_literal", sig(Text), Text, textFn(true, func(a []any) (any, error) { return QuoteLiteral(a[0].(string)), nil }))
	regFn("quote_literal", sig(Any), Text, rowKernel(true, func(k *KernelCtx, a []any) (any, error) {
		return QuoteLiteral(string(appendDatumText(k, nil, k.ArgType(0), a[0]))), nil
	}))
	regFn("quote_nullable", sig(Text), Text, textFn(false, func(a []any) (any, error) {
		if a[0] == nil {
			return "NULL", nil
		}
		return QuoteLiteral(a[0].(string)), nil
	}))
	regFn("quote_nullable", sig(Any), Text, rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return "NULL", nil
		}
		return QuoteLiteral(string(appendDatumText(k, nil, k.ArgType(0), a[0]))), nil
	}))
	formatK := rowKernel(false, func(k *KernelCtx, a []any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		ts := make([]*types.T, len(a)-1)
		for j := range ts {
			ts[j] = k.ArgType(j + 1)
		}
		return formatText(k, a[0].(string), a[1:], ts)
	})
	Register(&Func{Name: "format", Args: sig(Text), Ret: Text, Kernel: formatK},
		&Func{Name: "format", Args: sig(Text, Any), Variadic: true, Ret: Text, Kernel: formatK})
	regFn("encode", sig(Bytea, Text), Text, textFn(true, func(a []any) (any, error) { return encodeBytes(a[0].([]byte), a[1].(string)) }))
	regFn("decode", sig(Text, Text), Bytea, textFn(true, func(a []any) (any, error) { return decodeText(a[0].(string), a[1].(string)) }))
	hash := func(name string, f func([]byte) []byte) {
		regFn(name, sig(Bytea), Bytea, textFn(true, func(a []any) (any, error) { return f(a[0].([]byte)), nil }))
	}
	hash("sha224", func(b []byte) []byte { h := sha256.Sum224(b); return h[:] })
	hash("sha256", func(b []byte) []byte { h := sha256.Sum256(b); return h[:] })
	hash("sha384", func(b []byte) []byte { h := sha512.Sum384(b); return h[:] })
	hash("sha512", func(b []byte) []byte { h := sha512.Sum512(b); return h[:] })
}
