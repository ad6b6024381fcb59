package exec

import (
	"strings"
	"testing"

	"lambdasql/sql/types"
)

// Expected values in these tests were produced by PostgreSQL 15.

func TestStringFunctions(t *testing.T) {
	ctx := fxCtx(t, "")
	T, I4, I8 := types.Text, types.Int4, types.Int8
	fxRows(t, ctx, []fxCase{
		{"||", []fxArg{ftext("a", nil, "é", ""), ftext("b", "x", "b", "")}, []string{"ab", "NULL", "éb", ""}},
		{"||", []fxArg{ftext("a", "b", nil), fcol(I4, int64(1), nil, int64(3))}, []string{"a1", "NULL", "NULL"}},
		{"||", []fxArg{fcol(types.Float8, 2.5, 1e20), fstr("x")}, []string{"2.5x", "1e+20x"}},
		{"||", []fxArg{fcol(types.Bool, true), fstr("!")}, []string{"true!"}}, // textanycat casts: bool::text is true
		{"lower", []fxArg{ftext("ABC", nil, "ÀÉÎ", "MiXeD 1", "")}, []string{"abc", "NULL", "àéî", "mixed 1", ""}},
		{"upper", []fxArg{ftext("abc", "àéî", "straße")}, []string{"ABC", "ÀÉÎ", "STRAßE"}},
		{"lower", []fxArg{fdict("DEV-1", "DEV-2", "DEV-1", nil, "DEV-1")}, []string{"dev-1", "dev-2", "dev-1", "NULL", "dev-1"}},
		{"length", []fxArg{ftext("héllo", "", nil)}, []string{"5", "0", "NULL"}},
		{"char_length", []fxArg{ftext("héllo")}, []string{"5"}},
		{"character_length", []fxArg{ftext("ab")}, []string{"2"}},
		{"length", []fxArg{fcol(types.BPChar, "ab   ")}, []string{"2"}},
		{"octet_length", []fxArg{ftext("héllo")}, []string{"6"}},
		{"bit_length", []fxArg{ftext("é")}, []string{"16"}},
		{"length", []fxArg{fcol(types.Bytea, []byte{1, 2, 3})}, []string{"3"}},
		// substring: positions before 1 count against the length.
		{"substring", []fxArg{ftext("hello", "hello", "hello", "héllo", "hello", nil), fcol(I4, int64(0), int64(-2), int64(2), int64(2), int64(3), int64(1)), fcol(I4, int64(3), int64(5), int64(100), int64(3), int64(0), int64(1))},
			[]string{"he", "he", "ello", "éll", "", "NULL"}},
		{"substring", []fxArg{ftext("hello", "hello", "héllo"), fcol(I4, int64(2), int64(10), int64(-5))}, []string{"ello", "", "héllo"}},
		{"substr", []fxArg{ftext("hello"), fint(0)}, []string{"hello"}},
		{"substring", []fxArg{fcol(types.Bytea, []byte("hello")), fint(2), fint(3)}, []string{`\x656c6c`}},
		{"position", []fxArg{fstr("lo"), ftext("héllo", "x", "")}, []string{"4", "0", "0"}},
		{"strpos", []fxArg{ftext("héllo", "abc"), fstr("l")}, []string{"3", "0"}},
		{"strpos", []fxArg{ftext("abc"), fstr("")}, []string{"1"}},
		{"replace", []fxArg{ftext("abcabc", "xyz", nil, "aaa"), fstr("b"), fstr("XY")}, []string{"aXYcaXYc", "xyz", "NULL", "aaa"}},
		{"replace", []fxArg{ftext("abc"), fstr(""), fstr("X")}, []string{"abc"}},
		{"replace", []fxArg{fdict("a-b", "c-d", "a-b", "a-b"), fstr("-"), fstr("")}, []string{"ab", "cd", "ab", "ab"}},
		{"split_part", []fxArg{ftext("a,b,c", "a,b,c", "a,b,c", "a,b,c", "", "abc", "abc"), fcol(T, ",", ",", ",", ",", ",", "", ""), fcol(I4, int64(2), int64(-1), int64(4), int64(-4), int64(1), int64(1), int64(2))},
			[]string{"b", "c", "", "", "", "abc", ""}},
		{"split_part", []fxArg{fdict("x.y", "p.q", "x.y"), fstr("."), fint(2)}, []string{"y", "q", "y"}},
		{"btrim", []fxArg{ftext("xyxtrimyx"), fstr("xy")}, []string{"trim"}},
		{"btrim", []fxArg{ftext("  a  ")}, []string{"a"}},
		{"ltrim", []fxArg{ftext("  x ")}, []string{"x "}},
		{"rtrim", []fxArg{ftext("x  ")}, []string{"x"}},
		{"rtrim", []fxArg{ftext("xéé"), fstr("é")}, []string{"x"}},
		{"trim", []fxArg{ftext("xxaxx", "xxaxx", "xxaxx"), fstr("x"), fcol(T, "both", "leading", "trailing")}, []string{"a", "axx", "xxa"}},
		{"trim", []fxArg{ftext(" a ")}, []string{"a"}},
		{"left", []fxArg{ftext("héllo", "abc", "abc"), fcol(I4, int64(-2), int64(5), int64(0))}, []string{"hél", "abc", ""}},
		{"right", []fxArg{ftext("héllo", "abc", "abc"), fcol(I4, int64(-2), int64(2), int64(-5))}, []string{"llo", "bc", ""}},
		{"lpad", []fxArg{ftext("hi", "hello", "hi"), fcol(I4, int64(5), int64(3), int64(-1)), fstr("xy")}, []string{"xyxhi", "hel", ""}},
		{"lpad", []fxArg{ftext("hi"), fint(5)}, []string{"   hi"}},
		{"rpad", []fxArg{ftext("hi"), fint(5), fstr("é")}, []string{"hiééé"}},
		{"rpad", []fxArg{ftext("hi"), fint(5), fstr("")}, []string{"hi"}},
		{"repeat", []fxArg{ftext("ab", "ab"), fcol(I4, int64(3), int64(-1))}, []string{"ababab", ""}},
		{"reverse", []fxArg{ftext("héllo")}, []string{"olléh"}},
		{"initcap", []fxArg{ftext("hello wORLD-foo bar_baz 3rd")}, []string{"Hello World-Foo Bar_Baz 3rd"}},
		{"md5", []fxArg{ftext("abc")}, []string{"900150983cd24fb0d6963f7d28e17f72"}},
		{"starts_with", []fxArg{ftext("abc", "abc", nil), fstr("ab")}, []string{"t", "t", "NULL"}},
		{"starts_with", []fxArg{ftext("xabc"), fstr("ab")}, []string{"f"}},
		{"ascii", []fxArg{ftext("é", "A", "")}, []string{"233", "65", "0"}},
		{"chr", []fxArg{fcol(I4, int64(233), int64(65))}, []string{"é", "A"}},
		{"translate", []fxArg{ftext("12345"), fstr("143"), fstr("ax")}, []string{"a2x5"}},
		{"to_hex", []fxArg{fcol(I4, int64(-1), int64(255))}, []string{"ffffffff", "ff"}},
		{"to_hex", []fxArg{fcol(I8, int64(-1))}, []string{"ffffffffffffffff"}},
		{"overlay", []fxArg{ftext("Txxxxas"), fstr("hom"), fint(2), fint(4)}, []string{"Thomas"}},
		{"concat", []fxArg{ftext("a", nil), fnull(T), fconst(I4, int64(1)), fconst(types.Float8, 2.5), fconst(types.Bool, true)}, []string{"a12.5t", "12.5t"}},
		{"concat_ws", []fxArg{fstr(","), ftext("a", nil), fnull(T), fstr("b")}, []string{"a,b", "b"}},
		{"concat_ws", []fxArg{fnull(T), ftext("a")}, []string{"NULL"}},
		{"quote_ident", []fxArg{ftext("Foo", "foo_1", "1abc", "select", "a\"b")}, []string{`"Foo"`, "foo_1", `"1abc"`, `"select"`, `"a""b"`}},
		{"quote_literal", []fxArg{ftext(`a'b\c`, "x")}, []string{`E'a''b\\c'`, "'x'"}},
		{"quote_literal", []fxArg{fcol(I4, int64(42))}, []string{"'42'"}},
		{"quote_nullable", []fxArg{ftext(nil, "a")}, []string{"NULL", "'a'"}},
	})
}

func TestFormat(t *testing.T) {
	ctx := fxCtx(t, "")
	got := fxOne(t, ctx, "format", fstr("%s|%I|%L|%L|%%|%2$s|%-5s|%5s|"), fstr("x"), fstr("Foo Bar"), fnull(types.Text), fstr("it's"), fstr("ab"), fstr("cd"))
	if want := `x|"Foo Bar"|NULL|'it''s'|%|Foo Bar|     | it's|`; got != want {
		t.Errorf("format = %q, want %q", got, want)
	}
	if got := fxOne(t, ctx, "format", fstr("%s and %s"), fconst(types.Int4, int64(1)), fconst(types.Float8, 0.5)); got != "1 and 0.5" {
		t.Errorf("format numbers = %q", got)
	}
	if got := fxOne(t, ctx, "format", fstr("%*s|"), fconst(types.Int4, int64(4)), fstr("x")); got != "   x|" {
		t.Errorf("format width * = %q", got)
	}
	if got := fxOne(t, ctx, "format", fnull(types.Text)); got != "NULL" {
		t.Errorf("format(NULL) = %q", got)
	}
	for _, c := range []struct {
		args []fxArg
		code string
	}{
		{[]fxArg{fstr("%s %s"), fstr("a")}, "22023"},
		{[]fxArg{fstr("%x"), fstr("a")}, "22023"},
		{[]fxArg{fstr("abc %")}, "22023"},
		{[]fxArg{fstr("%0$s"), fstr("a")}, "22023"},
		{[]fxArg{fstr("%I"), fnull(types.Text)}, "22004"},
	} {
		if code := fxCode(t, ctx, "format", c.args...); code != c.code {
			t.Errorf("format%s: code %s, want %s", fxSig(c.args), code, c.code)
		}
	}
}

func TestStringErrors(t *testing.T) {
	ctx := fxCtx(t, "")
	I4 := types.Int4
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"substring", []fxArg{ftext("abc"), fint(1), fint(-1)}, "22011"},
		{"split_part", []fxArg{ftext("a,b"), fstr(","), fint(0)}, "22023"},
		{"chr", []fxArg{fcol(I4, int64(0))}, "54000"},
		{"chr", []fxArg{fcol(I4, int64(-1))}, "22023"},
		{"chr", []fxArg{fcol(I4, int64(0x110000))}, "54000"},
		{"repeat", []fxArg{ftext("abc"), fint(1 << 30)}, "54000"},
		{"lpad", []fxArg{ftext("a"), fint(1 << 30)}, "54000"},
		{"decode", []fxArg{ftext("0g"), fstr("hex")}, "22023"},
		{"decode", []fxArg{ftext("abc"), fstr("hex")}, "22023"},
		{"decode", []fxArg{ftext("a!b"), fstr("base64")}, "22023"},
		{"decode", []fxArg{ftext("x"), fstr("rot13")}, "22023"},
		{"encode", []fxArg{fcol(types.Bytea, []byte("x")), fstr("rot13")}, "22023"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	ctx := fxCtx(t, "")
	B := types.Bytea
	fxRows(t, ctx, []fxCase{
		{"encode", []fxArg{fcol(B, []byte{0, 0xff, 'A'}), fstr("hex")}, []string{"00ff41"}},
		{"encode", []fxArg{fcol(B, []byte{0, 0xff, 'A'}), fstr("base64")}, []string{"AP9B"}},
		{"encode", []fxArg{fcol(B, []byte{'a', '\\', 'b', 0, 0xff}), fstr("escape")}, []string{`a\\b\000\377`}},
		{"decode", []fxArg{ftext("00ff41"), fstr("hex")}, []string{`\x00ff41`}},
		{"decode", []fxArg{ftext("AP9B"), fstr("base64")}, []string{`\x00ff41`}},
		{"decode", []fxArg{ftext(`a\\b\000`), fstr("escape")}, []string{`\x615c6200`}},
		{"sha256", []fxArg{fcol(B, []byte("abc"))}, []string{`\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad`}},
	})
	long := make([]byte, 100)
	got := fxOne(t, ctx, "encode", fconst(B, long), fstr("base64"))
	if lines := strings.Split(got, "\n"); len(lines) != 2 || len(lines[0]) != 76 {
		t.Errorf("base64 of 100 bytes is not wrapped at 76: %q", got)
	}
	if back := fxOne(t, ctx, "decode", fstr(got), fstr("base64")); back != `\x`+strings.Repeat("00", 100) {
		t.Errorf("base64 round trip = %q", back)
	}
}

func TestArrayFunctions(t *testing.T) {
	ctx := fxCtx(t, "")
	T, I4 := types.Text, types.Int4
	IA, TA := types.ArrayOf(I4), types.ArrayOf(T)
	arr := func(vs ...any) []any { return vs }
	fxRows(t, ctx, []fxCase{
		{"string_to_array", []fxArg{ftext("a,b,,c", "", "abc"), fstr(",")}, []string{`{a,b,"",c}`, "{}", "{abc}"}},
		{"string_to_array", []fxArg{ftext("a,b,,c"), fstr(","), fstr("")}, []string{"{a,b,NULL,c}"}},
		{"string_to_array", []fxArg{ftext("abc", "abc"), fcol(T, nil, "")}, []string{"{a,b,c}", "{abc}"}},
		{"array_to_string", []fxArg{fcol(IA, arr(int64(1), nil, int64(3)), nil), fstr(",")}, []string{"1,3", "NULL"}},
		{"array_to_string", []fxArg{fcol(IA, arr(int64(1), nil, int64(3))), fstr(","), fstr("*")}, []string{"1,*,3"}},
		{"array_to_string", []fxArg{fcol(TA, arr("a b", "c")), fstr("-")}, []string{"a b-c"}},
		{"array_length", []fxArg{fcol(IA, arr(int64(1), int64(2)), arr(), nil), fint(1)}, []string{"2", "NULL", "NULL"}},
		{"array_upper", []fxArg{fcol(IA, arr(int64(1), int64(2))), fint(1)}, []string{"2"}},
		{"array_lower", []fxArg{fcol(IA, arr(int64(1), int64(2))), fint(1)}, []string{"1"}},
		{"array_length", []fxArg{fcol(IA, arr(int64(1))), fint(2)}, []string{"NULL"}},
		{"cardinality", []fxArg{fcol(IA, arr(int64(1), int64(2)), arr())}, []string{"2", "0"}},
		{"array_ndims", []fxArg{fcol(IA, arr(int64(1)), arr())}, []string{"1", "NULL"}},
		{"array_dims", []fxArg{fcol(IA, arr(int64(1), int64(2)))}, []string{"[1:2]"}},
		{"||", []fxArg{fcol(IA, arr(int64(1), int64(2))), fcol(I4, int64(3))}, []string{"{1,2,3}"}},
		{"||", []fxArg{fcol(I4, int64(0)), fcol(IA, arr(int64(1), int64(2)))}, []string{"{0,1,2}"}},
		{"||", []fxArg{fcol(IA, arr(int64(1))), fcol(IA, arr(int64(2), int64(3)))}, []string{"{1,2,3}"}},
		{"array_append", []fxArg{fcol(TA, arr("a"), nil), fstr("b")}, []string{"{a,b}", "{b}"}},
		{"array_prepend", []fxArg{fstr("z"), fcol(TA, arr("a"))}, []string{"{z,a}"}},
		{"array_cat", []fxArg{fcol(IA, arr(int64(1))), fcol(IA, nil)}, []string{"{1}"}},
		{"array_position", []fxArg{fcol(TA, arr("a", "b", "a")), fstr("a")}, []string{"1"}},
		{"array_position", []fxArg{fcol(TA, arr("a", "b", "a")), fstr("a"), fint(2)}, []string{"3"}},
		{"array_position", []fxArg{fcol(TA, arr("a", nil)), fnull(T)}, []string{"2"}},
		{"array_position", []fxArg{fcol(TA, arr("a")), fstr("x")}, []string{"NULL"}},
		{"array_positions", []fxArg{fcol(TA, arr("a", "b", "a")), fstr("a")}, []string{"{1,3}"}},
		{"array_remove", []fxArg{fcol(IA, arr(int64(1), int64(2), int64(1))), fint(1)}, []string{"{2}"}},
		{"array_replace", []fxArg{fcol(IA, arr(int64(1), int64(2), int64(1))), fint(1), fint(9)}, []string{"{9,2,9}"}},
	})
}

// TestConcatResolution checks which || overload the resolver picks, as
// PostgreSQL would.
func TestConcatResolution(t *testing.T) {
	for _, c := range []struct {
		args []*types.T
		ret  string
	}{
		{[]*types.T{types.Text, types.Text}, "text"},
		{[]*types.T{types.Unknown, types.Unknown}, "text"},
		{[]*types.T{types.Text, types.Unknown}, "text"},
		{[]*types.T{types.Unknown, types.Int4}, "text"},
		{[]*types.T{types.Int4, types.Unknown}, "text"},
		{[]*types.T{types.Varchar, types.Varchar}, "text"},
		{[]*types.T{types.Text, types.Int8}, "text"},
		{[]*types.T{types.ArrayOf(types.Int4), types.Int4}, "integer[]"},
		{[]*types.T{types.ArrayOf(types.Text), types.Text}, "text[]"},
		{[]*types.T{types.Bytea, types.Bytea}, "bytea"},
	} {
		fn, targets, err := Resolve("||", c.args)
		if err != nil {
			t.Errorf("|| %v: %v", c.args, err)
			continue
		}
		if got := fn.ResultType(targets).Name; got != c.ret {
			t.Errorf("|| %v returns %s, want %s", c.args, got, c.ret)
		}
	}
}
