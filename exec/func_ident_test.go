package exec

import (
	"slices"
	"testing"

	"lambdasql/sql/sqlstate"
)

// Expected values are PostgreSQL 15's parse_ident answers.
func TestParseIdent(t *testing.T) {
	ok := []struct {
		in     string
		strict bool
		want   []any
	}{
		{`"SomeSchema".someTable`, true, []any{"SomeSchema", "sometable"}},
		{` a . "b""c" `, true, []any{"a", `b"c`}},
		{`A.B.C.d_1$x`, true, []any{"a", "b", "c", "d_1$x"}},
		{`"a.b"."c d"`, true, []any{"a.b", "c d"}},
		{`ÄÖ.x`, true, []any{"ÄÖ", "x"}},
		{`foo bar`, false, []any{"foo"}},
		{`a.b (x)`, false, []any{"a", "b"}},
		{"\tx\n", true, []any{"x"}},
	}
	for _, c := range ok {
		got, err := ParseIdent(c.in, c.strict)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parse_ident(%q, %v) = %v, %v; want %v", c.in, c.strict, got, err, c.want)
		}
	}
	bad := []struct {
		in     string
		strict bool
		detail string
	}{
		{`foo bar`, true, ""},
		{``, true, ""},
		{`a.`, true, `No valid identifier after ".".`},
		{`.a`, true, `No valid identifier before ".".`},
		{`a..b`, true, `No valid identifier before ".".`},
		{`"a`, true, "String has unclosed double quotes."},
		{`""`, true, "Quoted identifier must not be empty."},
		{`1abc`, true, ""},
		{`a. ,`, false, `No valid identifier after ".".`},
	}
	for _, c := range bad {
		_, err := ParseIdent(c.in, c.strict)
		se := sqlstate.As(err)
		if se == nil || se.Code != sqlstate.InvalidParameterValue || se.Detail != c.detail ||
			se.Message != `string is not a valid identifier: "`+c.in+`"` {
			t.Errorf("parse_ident(%q, %v): error %v (detail %q), want 22023 with detail %q", c.in, c.strict, err, se.Detail, c.detail)
		}
	}
}
