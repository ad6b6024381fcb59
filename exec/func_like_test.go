package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/types"
)

// Expected values were produced by PostgreSQL 15.

func TestLike(t *testing.T) {
	ctx := fxCtx(t, "")
	bs := `\`
	cases := []struct {
		s, pat, esc string
		ci          bool
		want        string
	}{
		{"a%b", `a\%b`, bs, false, "t"},
		{"axb", `a\%b`, bs, false, "f"},
		{"a_b", "a#_b", "#", false, "t"},
		{"axb", "a#_b", "#", false, "f"},
		{"a#b", "a##b", "#", false, "t"},
		{"abc", "abc", "", false, "t"},
		{`a\bc`, `a\bc`, "", false, "t"},
		{"héllo", "h_llo", bs, false, "t"},
		{"héllo", "h__llo", bs, false, "f"},
		{"ÀBC", "àb%", bs, true, "t"},
		{"aXb", "AxB", bs, true, "t"},
		{"abc", "%", bs, false, "t"},
		{"", "%", bs, false, "t"},
		{"", "_", bs, false, "f"},
		{"abcabc", "%bc%bc", bs, false, "t"},
		{"abab", "%ab%ab%ab%", bs, false, "f"},
		{"mississippi", "m%iss%ppi", bs, false, "t"},
		{"mississippi", "%s_s%", bs, false, "t"},
		{"ab", "a%%%b", bs, false, "t"},
		{"xay", "_a_", bs, false, "t"},
		{"device-00042", "device-0004%", bs, false, "t"},
		{"device-00052", "device-0004%", bs, false, "f"},
		{"log.txt", "%.txt", bs, false, "t"},
		{"log.txt", "%.csv", bs, false, "f"},
		{"xx-error-yy", "%error%", bs, false, "t"},
		{"pre...suf", "pre%suf", bs, false, "t"},
		{"presuf", "pre%suf", bs, false, "t"},
		{"presu", "pre%suf", bs, false, "f"},
		{"prsuf", "pre%suf", bs, false, "f"},
		{"exact", "exact", bs, false, "t"},
		{"exactly", "exact", bs, false, "f"},
		{"b", `a\`, bs, false, "f"},
		{"ab", `ab\`, bs, false, "f"},
		{"a_%c", `a\_\%_`, bs, false, "t"},
		{"ab%", `%\%`, bs, false, "t"},
		{"日本語テキスト", "日本%キ_ト", bs, false, "t"},
		{"HELLO", "h%O", bs, true, "t"},
	}
	for _, c := range cases {
		fn := "like"
		if c.ci {
			fn = "ilike"
		}
		got, err := fxEval(ctx, fn, ftext(c.s, nil, c.s), fstr(c.pat), fstr(c.esc))
		if err != nil {
			t.Errorf("%q %s %q escape %q: %v", c.s, fn, c.pat, c.esc, err)
			continue
		}
		if want := []string{c.want, "NULL", c.want}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q %s %q escape %q = %v, want %v", c.s, fn, c.pat, c.esc, got, want)
		}
		// The same through a dictionary column and through constants.
		if got := fxOne(t, ctx, fn, fstr(c.s), fstr(c.pat), fstr(c.esc)); got != c.want {
			t.Errorf("constant %q %s %q = %s, want %s", c.s, fn, c.pat, got, c.want)
		}
		dg, err := fxEval(ctx, fn, fdict(c.s, "zzz", c.s, c.s, nil), fstr(c.pat), fstr(c.esc))
		if err != nil || dg[0] != c.want || dg[2] != c.want || dg[4] != "NULL" {
			t.Errorf("dictionary %q %s %q = %v, %v", c.s, fn, c.pat, dg, err)
		}
	}
	// Per-row patterns, and the operator forms.
	fxRows(t, ctx, []fxCase{
		{"like", []fxArg{ftext("abc", "abc", "abc", nil), ftext("a%", "%c", "b%", "a%")}, []string{"t", "t", "f", "NULL"}},
		{"~~", []fxArg{ftext("abc"), fstr("a_c")}, []string{"t"}},
		{"!~~", []fxArg{ftext("abc", nil), fstr("a_c")}, []string{"f", "NULL"}},
		{"~~*", []fxArg{ftext("ABC"), fstr("a_c")}, []string{"t"}},
		{"!~~*", []fxArg{ftext("ABC"), fstr("x%")}, []string{"t"}},
		{"like", []fxArg{ftext("abc"), fnull(types.Text), fstr(`\`)}, []string{"NULL"}},
	})
	for _, c := range []struct {
		s, pat, esc, code string
	}{
		{"ab", `a\`, `\`, "22025"},
		{"a", "a", "xy", "22025"},
	} {
		if code := fxCode(t, ctx, "like", ftext(c.s), fstr(c.pat), fstr(c.esc)); code != c.code {
			t.Errorf("%q LIKE %q ESCAPE %q: code %s, want %s", c.s, c.pat, c.esc, code, c.code)
		}
	}
}

func TestRegex(t *testing.T) {
	ctx := fxCtx(t, "")
	fxRows(t, ctx, []fxCase{
		{"~", []fxArg{ftext("abc", "abc", nil), fstr("B")}, []string{"f", "f", "NULL"}},
		{"~*", []fxArg{ftext("abc"), fstr("B")}, []string{"t"}},
		{"!~", []fxArg{ftext("abc"), fstr("b")}, []string{"f"}},
		{"!~*", []fxArg{ftext("abc"), fstr("X")}, []string{"t"}},
		{"~", []fxArg{ftext("a\nb", "a\nb"), ftext("a.b", "a$")}, []string{"t", "f"}},
		{"~", []fxArg{ftext("foo bar", "foobar"), fstr(`\mbar`)}, []string{"t", "f"}},
		{"~", []fxArg{ftext("foo bar"), fstr(`[[:<:]]bar[[:>:]]`)}, []string{"t"}},
		{"~", []fxArg{fdict("dev-1", "x", "dev-1"), fstr(`^dev-\d$`)}, []string{"t", "f", "t"}},
		{"regexp_replace", []fxArg{ftext("foobarbaz"), fstr("b(..)"), fstr(`X\1Y`), fstr("g")}, []string{"fooXarYXazY"}},
		{"regexp_replace", []fxArg{ftext("foobarbaz"), fstr("b(..)"), fstr(`X\&Y`)}, []string{"fooXbarYbaz"}},
		{"regexp_replace", []fxArg{ftext("a\nb"), fstr("^b"), fstr("X"), fstr("n")}, []string{"a\nX"}},
		{"regexp_replace", []fxArg{ftext("a\nb"), fstr("^b"), fstr("X"), fstr("g")}, []string{"a\nb"}},
		{"regexp_replace", []fxArg{ftext("ABC"), fstr("b"), fstr(`\\`), fstr("i")}, []string{`A\C`}},
		{"regexp_match", []fxArg{ftext("foobarbequebaz"), fstr("(bar)(beque)")}, []string{"{bar,beque}"}},
		{"regexp_match", []fxArg{ftext("foobarbequebaz", "abc"), fstr("barbeque")}, []string{"{barbeque}", "NULL"}},
		{"regexp_match", []fxArg{ftext("ab"), fstr("(x)?b")}, []string{"{NULL}"}},
		{"regexp_split_to_array", []fxArg{ftext("hello world  x", "abc", ""), fstr(`\s*`)}, []string{"{h,e,l,l,o,w,o,r,l,d,x}", "{a,b,c}", `{""}`}},
		{"regexp_split_to_array", []fxArg{ftext("a,b,,c"), fstr(",")}, []string{`{a,b,"",c}`}},
		{"substring", []fxArg{ftext("foobar", "foobar", "xyz"), fcol(types.Text, "o(.)b", "o.b", "q")}, []string{"o", "oob", "NULL"}},
		{"regexp_count", []fxArg{ftext("abcabc"), fstr("b")}, []string{"2"}},
		{"regexp_count", []fxArg{ftext("abcabc"), fstr("b"), fint(3)}, []string{"1"}},
		{"regexp_like", []fxArg{ftext("ABC"), fstr("b"), fstr("i")}, []string{"t"}},
		{"regexp_like", []fxArg{ftext("ABC"), fstr("b")}, []string{"f"}},
	})
	for _, c := range []struct {
		fn   string
		args []fxArg
		code string
	}{
		{"~", []fxArg{ftext("a"), fstr("(")}, "2201B"},
		{"~", []fxArg{ftext("ab"), fstr(`(a)\1`)}, "2201B"},
		{"regexp_replace", []fxArg{ftext("a"), fstr("a"), fstr("b"), fstr("z")}, "22023"},
		{"regexp_match", []fxArg{ftext("a"), fstr("a"), fstr("g")}, "22023"},
	} {
		if code := fxCode(t, ctx, c.fn, c.args...); code != c.code {
			t.Errorf("%s%s: code %s, want %s", c.fn, fxSig(c.args), code, c.code)
		}
	}
}

// benchStrings is a String column of n device ids.
func benchStrings(n int) arrow.Array {
	b := array.NewStringBuilder(Alloc)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Append(fmt.Sprintf("Device-%05d", i%100000))
	}
	return b.NewArray()
}

func benchCall(b *testing.B, name string, col arrow.Array, consts ...any) (*Call, arrow.Record) {
	args := []Expr{&ColRef{Idx: 0, T: types.Text}}
	ts := []*types.T{types.Text}
	for _, c := range consts {
		args = append(args, &Const{Value: c, T: types.Text})
		ts = append(ts, types.Text)
	}
	fn, _, err := Resolve(name, ts)
	if err != nil {
		b.Fatal(err)
	}
	rec := array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "s", Type: col.DataType()}}, nil), []arrow.Array{col}, int64(col.Len()))
	return NewCall(fn, args), rec
}

func BenchmarkLikePrefix(b *testing.B) {
	for _, n := range []int{1024, 8192} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			col := benchStrings(n)
			defer col.Release()
			call, rec := benchCall(b, "like", col, "Device-0004%", `\`)
			defer rec.Release()
			ctx := NewCtx()
			b.ReportAllocs()
			b.SetBytes(int64(len(col.(*array.String).ValueBytes())))
			for b.Loop() {
				v, err := call.Eval(ctx, rec)
				if err != nil {
					b.Fatal(err)
				}
				v.Release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}

func BenchmarkLower(b *testing.B) {
	for _, n := range []int{1024, 8192} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			col := benchStrings(n)
			defer col.Release()
			call, rec := benchCall(b, "lower", col)
			defer rec.Release()
			ctx := NewCtx()
			b.ReportAllocs()
			b.SetBytes(int64(len(col.(*array.String).ValueBytes())))
			for b.Loop() {
				v, err := call.Eval(ctx, rec)
				if err != nil {
					b.Fatal(err)
				}
				v.Release()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
	}
}

// TestPatternCacheConcurrent runs LIKE and regular expression kernels from
// several goroutines at once (scan workers share kernels), with more
// distinct patterns than the caches hold.
func TestPatternCacheConcurrent(t *testing.T) {
	ctx := fxCtx(t, "")
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for i := 0; i < 700; i++ {
				pat := fmt.Sprintf("dev-%d%%", (i*7+w)%1500)
				got, err := fxEval(ctx, "like", ftext(fmt.Sprintf("dev-%dx", (i*7+w)%1500)), fstr(pat), fstr(`\`))
				if err != nil || got[0] != "t" {
					done <- fmt.Errorf("like %q = %v, %v", pat, got, err)
					return
				}
				re := fmt.Sprintf("^dev-%d$", (i*5+w)%1500)
				got, err = fxEval(ctx, "~", ftext(fmt.Sprintf("dev-%d", (i*5+w)%1500)), fstr(re))
				if err != nil || got[0] != "t" {
					done <- fmt.Errorf("~ %q = %v, %v", re, got, err)
					return
				}
			}
			done <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
