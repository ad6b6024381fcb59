package types

import (
	"slices"
	"testing"
)

// The text forms are PostgreSQL 15's record_out answers.
func TestRecordText(t *testing.T) {
	fields := []Field{{Name: "x", T: Text}, {Name: "n", T: Int4}}
	cases := []struct {
		vals []any
		text string
	}{
		{[]any{"a", int64(1)}, `(a,1)`},
		{[]any{"a b", int64(2)}, `("a b",2)`},
		{[]any{nil, int64(3)}, `(,3)`},
		{[]any{"", int64(4)}, `("",4)`},
		{[]any{`q"\`, int64(5)}, `("q""\\",5)`},
		{[]any{"(x,y)", nil}, `("(x,y)",)`},
	}
	for _, c := range cases {
		got := string(AppendRecord(nil, fields, c.vals, nil))
		if got != c.text {
			t.Errorf("AppendRecord(%v) = %s, want %s", c.vals, got, c.text)
		}
		back, err := ParseRecord(fields, got, nil)
		if err != nil || !slices.Equal(back, c.vals) {
			t.Errorf("ParseRecord(%s) = %v, %v; want %v", got, back, err, c.vals)
		}
	}
	// record_in also takes backslash escapes and surrounding blanks.
	back, err := ParseRecord(fields, ` (a\,b, 7) `, nil)
	if err != nil || !slices.Equal(back, []any{"a,b", int64(7)}) {
		t.Errorf("ParseRecord with escapes = %v, %v", back, err)
	}
	for _, bad := range []string{`1,2`, `(1)`, `(a,1,2)`, `(a,1) x`, `("a,1)`} {
		if _, err := ParseRecord(fields, bad, nil); err == nil {
			t.Errorf("ParseRecord(%s) succeeded", bad)
		}
	}
}
