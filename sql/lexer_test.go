package sql

import (
	"fmt"
	"strings"
	"testing"

	"lambdasql/sql/sqlstate"
)

// tokStr renders tokens as "Kind:Val@Pos-End" for comparison.
func tokStr(toks []Token) string {
	var parts []string
	for _, t := range toks {
		parts = append(parts, fmt.Sprintf("%s:%s@%d-%d", t.Kind, t.Val, t.Pos, t.End))
	}
	return strings.Join(parts, " ")
}

func TestLexTokens(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"keywords fold", "SELECT Foo", "Ident:select@0-6 Ident:foo@7-10 EOF:@10-10"},
		{"quoted keeps case", `"Foo""Bar"`, `QuotedIdent:Foo"Bar@0-10 EOF:@10-10`},
		{"identifier chars", "a$1 _x é", "Ident:a$1@0-3 Ident:_x@4-6 Ident:é@7-9 EOF:@9-9"},
		{"integers", "42 1_000 0x1F 0o17 0b101", "Integer:42@0-2 Integer:1000@3-8 Integer:31@9-13 Integer:15@14-18 Integer:5@19-24 EOF:@24-24"},
		{"decimals", "1.5 .5 1. 1e10 2.5E-3", "Number:1.5@0-3 Number:.5@4-6 Number:1.@7-9 Number:1e10@10-14 Number:2.5E-3@15-21 EOF:@21-21"},
		{"exponent without digits", "1e", "Integer:1@0-1 Ident:e@1-2 EOF:@2-2"},
		{"range dots", "1..2", "Integer:1@0-1 Punct:..@1-3 Integer:2@3-4 EOF:@4-4"},
		{"string", "'it''s'", "String:it's@0-7 EOF:@7-7"},
		{"string continued across newline", "'a'\n  'b' 'c'", "String:ab@0-9 String:c@10-13 EOF:@13-13"},
		{"continuation with comment", "'a' -- x\n'b'", "String:ab@0-12 EOF:@12-12"},
		{"no continuation on one line", "'a' 'b'", "String:a@0-3 String:b@4-7 EOF:@7-7"},
		{"escape string", `E'a\nb\t\\\'\x41\101\u00e9\U0001F600'`, "String:a\nb\t\\'AAé😀@0-37 EOF:@37-37"},
		{"escape string other char", `e'\q'`, "String:q@0-5 EOF:@5-5"},
		{"escape surrogate pair", `E'\uD83D\uDE00'`, "String:😀@0-15 EOF:@15-15"},
		{"unicode string", `U&'d\0061t\+000061'`, "String:data@0-19 EOF:@19-19"},
		{"unicode string uescape", `U&'d!0061t' UESCAPE '!'`, "String:dat@0-23 EOF:@23-23"},
		{"unicode identifier", `U&"d\0061t"`, "QuotedIdent:dat@0-11 EOF:@11-11"},
		{"national string", "N'x'", "String:x@0-4 EOF:@4-4"},
		{"bit strings", "B'0101' X'1F'", "BitString:b0101@0-7 BitString:x1F@8-13 EOF:@13-13"},
		{"dollar quote", "$$it's $x$$", "String:it's $x@0-11 EOF:@11-11"},
		{"tagged dollar quote", "$fn$ a $$ b $fn$", "String: a $$ b @0-16 EOF:@16-16"},
		{"parameters", "$1 + $23", "Param:$1@0-2 Op:+@3-4 Param:$23@5-8 EOF:@8-8"},
		{"cast and punctuation", "a::int[](,);.:", "Ident:a@0-1 Punct:::@1-3 Ident:int@3-6 Punct:[@6-7 Punct:]@7-8 Punct:(@8-9 Punct:,@9-10 Punct:)@10-11 Punct:;@11-12 Punct:.@12-13 Punct::@13-14 EOF:@14-14"},
		{"comparison operators", "<= >= <> != = < >", "Op:<=@0-2 Op:>=@3-5 Op:<>@6-8 Op:!=@9-11 Op:=@12-13 Op:<@14-15 Op:>@16-17 EOF:@17-17"},
		{"regex operators", "~ ~* !~ !~* ~~", "Op:~@0-1 Op:~*@2-4 Op:!~@5-7 Op:!~*@8-11 Op:~~@12-14 EOF:@14-14"},
		{"json and array operators", "-> ->> @> <@ && || ** #", "Op:->@0-2 Op:->>@3-6 Op:@>@7-9 Op:<@@10-12 Op:&&@13-15 Op:||@16-18 Op:**@19-21 Op:#@22-23 EOF:@23-23"},
		{"trailing minus split", "x=-1", "Ident:x@0-1 Op:=@1-2 Op:-@2-3 Integer:1@3-4 EOF:@4-4"},
		{"trailing plus kept with special char", "a@-b", "Ident:a@0-1 Op:@-@1-3 Ident:b@3-4 EOF:@4-4"},
		{"operator stops at comment", "1+/*c*/2 3--x\n4", "Integer:1@0-1 Op:+@1-2 Integer:2@7-8 Integer:3@9-10 Integer:4@14-15 EOF:@15-15"},
		{"unknown operator is one token", "1 +* 2", "Integer:1@0-1 Op:+*@2-4 Integer:2@5-6 EOF:@6-6"},
		{"named argument arrows", "a => 1, b := 2", "Ident:a@0-1 Op:=>@2-4 Integer:1@5-6 Punct:,@6-7 Ident:b@8-9 Op::=@10-12 Integer:2@13-14 EOF:@14-14"},
		{"nested comments", "/* a /* b */ c */ x -- y", "Ident:x@18-19 EOF:@24-24"},
		{"prefix letters need a quote", "e 'x' u&x", "Ident:e@0-1 String:x@2-5 Ident:u@6-7 Op:&@7-8 Ident:x@8-9 EOF:@9-9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			toks, err := Lex(c.in)
			if err != nil {
				t.Fatalf("Lex(%q): %v", c.in, err)
			}
			if got := tokStr(toks); got != c.want {
				t.Errorf("Lex(%q)\n got %s\nwant %s", c.in, got, c.want)
			}
		})
	}
}

func TestLexIdentifierTruncation(t *testing.T) {
	long := strings.Repeat("a", 70)
	toks, err := Lex(long + ` "` + strings.Repeat("B", 70) + `"`)
	if err != nil {
		t.Fatal(err)
	}
	if toks[0].Val != strings.Repeat("a", 63) || toks[1].Val != strings.Repeat("B", 63) {
		t.Errorf("identifiers not truncated to 63 bytes: %q %q", toks[0].Val, toks[1].Val)
	}
}

func TestLexErrors(t *testing.T) {
	cases := []struct {
		in   string
		code string
		msg  string
		pos  int
	}{
		{"SELECT 'abc", sqlstate.SyntaxError, `unterminated quoted string at or near "'abc"`, 8},
		{`SELECT "abc`, sqlstate.SyntaxError, `unterminated quoted identifier at or near ""abc"`, 8},
		{"SELECT 1 /* a /* b */", sqlstate.SyntaxError, `unterminated /* comment at or near "/* a /* b */"`, 10},
		{"SELECT $$abc", sqlstate.SyntaxError, `unterminated dollar-quoted string at or near "$$abc"`, 8},
		{"SELECT $a$ x $b$", sqlstate.SyntaxError, `unterminated dollar-quoted string at or near "$a$ x $b$"`, 8},
		{"SELECT E'abc\\'", sqlstate.SyntaxError, `unterminated quoted string at or near "E'abc\'"`, 8},
		{"SELECT B'01", sqlstate.SyntaxError, `unterminated bit string literal at or near "B'01"`, 8},
		{"SELECT X'1F", sqlstate.SyntaxError, `unterminated hexadecimal string literal at or near "X'1F"`, 8},
		{`SELECT ""`, sqlstate.SyntaxError, `zero-length delimited identifier at or near """"`, 8},
		{"SELECT éé 'x", sqlstate.SyntaxError, `unterminated quoted string at or near "'x"`, 11},
		{"SELECT $", sqlstate.SyntaxError, `syntax error at or near "$"`, 8},
		{"SELECT 1 \\ 2", sqlstate.SyntaxError, `syntax error at or near "\"`, 10},
		{`SELECT E'\u12'`, sqlstate.InvalidEscapeSequence, `invalid Unicode escape`, 8},
		{`SELECT E'\uD83D'`, sqlstate.InvalidEscapeSequence, `invalid Unicode surrogate pair`, 8},
		{`SELECT E'\0'`, sqlstate.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x00`, 8},
		{`SELECT E'\xff'`, sqlstate.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8"`, 8},
		{`SELECT U&'\00'`, sqlstate.InvalidEscapeSequence, `invalid Unicode escape`, 8},
		{"SELECT 'a\xffb'", sqlstate.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0xff`, 10},
		{"SELECT é\x00", sqlstate.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8": 0x00`, 9},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Lex(c.in)
			e := sqlstate.As(err)
			if e == nil {
				t.Fatalf("Lex(%q) = %v, want %s", c.in, err, c.code)
			}
			if e.Code != c.code || e.Message != c.msg || e.Position != c.pos {
				t.Errorf("Lex(%q) = %s %q at %d, want %s %q at %d", c.in, e.Code, e.Message, e.Position, c.code, c.msg, c.pos)
			}
		})
	}
}
