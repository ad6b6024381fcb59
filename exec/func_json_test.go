package exec

import (
	"testing"

	"lambdasql/sql/types"
)

// Expected values were produced by PostgreSQL 15.

func TestJSON(t *testing.T) {
	ctx := fxCtx(t, "")
	J, JB := types.JSON, types.JSONB
	doc := `{"a": {"b":  [1, 2,  3]}, "c": "x"}`
	fxRows(t, ctx, []fxCase{
		{"->", []fxArg{fcol(J, doc, nil), fstr("a")}, []string{`{"b":  [1, 2,  3]}`, "NULL"}},
		{"->", []fxArg{fcol(JB, doc), fstr("a")}, []string{`{"b": [1, 2, 3]}`}},
		{"->>", []fxArg{fcol(J, doc, doc), fcol(types.Text, "c", "zz")}, []string{"x", "NULL"}},
		{"->", []fxArg{fcol(J, "[1,2,3]", "[1,2,3]"), fcol(types.Int4, -1, 5)}, []string{"3", "NULL"}},
		{"->>", []fxArg{fcol(J, `{"a":null}`), fstr("a")}, []string{"NULL"}},
		{"->", []fxArg{fcol(J, `{"a":null}`), fstr("a")}, []string{"null"}},
		{"->", []fxArg{fcol(J, "[1,2]"), fstr("a")}, []string{"NULL"}},
		{"#>", []fxArg{fcol(J, `{"a": {"b": [10, 20]}}`), fconst(types.ArrayOf(types.Text), []any{"a", "b", "1"})}, []string{"20"}},
		{"#>>", []fxArg{fcol(JB, `{"a": {"b": [10, 20]}}`), fconst(types.ArrayOf(types.Text), []any{"a", "b"})}, []string{"[10, 20]"}},
		{"#>", []fxArg{fcol(JB, `{"bb":1, "a": 2}`), fconst(types.ArrayOf(types.Text), []any{})}, []string{`{"a": 2, "bb": 1}`}},
		{"->", []fxArg{fcol(JB, `{"bb":1, "a": 2, "c": {"z": true, "y": "s"}}`), fstr("c")}, []string{`{"y": "s", "z": true}`}},
		{"json_extract_path_text", []fxArg{fcol(J, `{"a": {"b": "v"}}`), fstr("a"), fstr("b")}, []string{"v"}},
		{"jsonb_typeof", []fxArg{fcol(JB, "[1]", `"s"`, "null")}, []string{"array", "string", "null"}},
		{"json_typeof", []fxArg{fcol(J, "12.5")}, []string{"number"}},
		{"json_array_length", []fxArg{fcol(J, "[1,[2,3]]")}, []string{"2"}},
	})
	if code := fxCode(t, ctx, "->", fcol(J, "{bad"), fstr("a")); code != "22P02" {
		t.Errorf("invalid json: code %s", code)
	}
}
