package exec

// parse_ident(text [, strict bool]) → text[]: splits a qualified SQL
// identifier into its parts as PostgreSQL's parse_ident does (misc.c):
// unquoted parts are folded to lower case (ASCII letters only), quoted
// parts keep their case with "" read as ", whitespace around the dots is
// skipped, and anything else is 22023 "string is not a valid identifier".
// Without strict, trailing text after the last identifier is ignored.

import (
	"strings"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

func identSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func identStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func identCont(c byte) bool {
	return identStart(c) || c >= '0' && c <= '9' || c == '$'
}

// ParseIdent implements parse_ident.
func ParseIdent(s string, strict bool) ([]any, error) {
	bad := func(detail string) error {
		e := sqlstate.New(sqlstate.InvalidParameterValue, "string is not a valid identifier: \"%s\"", s)
		if detail != "" {
			e = e.WithDetail("%s", detail)
		}
		return e
	}
	// PostgreSQL stops at the first NUL of the C string; text cannot hold
	// one, but be as strict.
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	out := []any{}
	p := 0
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for identSpace(at(p)) {
		p++
	}
	afterDot := false
	for {
		missing := true
		switch c := at(p); {
		case c == '"':
			var part strings.Builder
			p++
			for {
				q := strings.IndexByte(s[p:], '"')
				if q < 0 {
					return nil, bad("String has unclosed double quotes.")
				}
				part.WriteString(s[p : p+q])
				p += q + 1
				if at(p) != '"' {
					break
				}
				part.WriteByte('"')
				p++
			}
			if part.Len() == 0 {
				return nil, bad("Quoted identifier must not be empty.")
			}
			out = append(out, part.String())
			missing = false
		case identStart(c):
			start := p
			p++
			for identCont(at(p)) {
				p++
			}
			b := []byte(s[start:p])
			for i, ch := range b {
				if ch >= 'A' && ch <= 'Z' {
					b[i] = ch + 'a' - 'A'
				}
			}
			out = append(out, string(b))
			missing = false
		}
		if missing {
			switch {
			case at(p) == '.':
				return nil, bad(`No valid identifier before ".".`)
			case afterDot:
				return nil, bad(`No valid identifier after ".".`)
			}
			return nil, bad("")
		}
		for identSpace(at(p)) {
			p++
		}
		switch {
		case at(p) == '.':
			afterDot = true
			p++
			for identSpace(at(p)) {
				p++
			}
		case p >= len(s):
			return out, nil
		default:
			if strict {
				return nil, bad("")
			}
			return out, nil
		}
	}
}

func init() {
	textArr := types.ArrayOf(types.Text)
	k := rowKernel(true, func(_ *KernelCtx, a []any) (any, error) {
		strict := true
		if len(a) == 2 {
			strict = a[1].(bool)
		}
		return ParseIdent(a[0].(string), strict)
	})
	regFn("parse_ident", sig(types.Text), textArr, k)
	regFn("parse_ident", sig(types.Text, types.Bool), textArr, k)
}
