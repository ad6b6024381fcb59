package slt

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sample = `# layers: merged speed
# postgres: yes

statement ok
CREATE VIEW t(a) AS VALUES (1)

statement error 22012 division
SELECT 1/0

# BUG: something is off
skipif lambdasql
onlyif layer=speed
query IT rowsort lbl
SELECT a,
  'x y'
FROM t
----
1  x y
NULL  (empty)

query I
SELECT 1

wait caught-up src

wait view v

halt
`

func TestParse(t *testing.T) {
	f, err := Parse("sample.slt", sample)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Layers, []string{"merged", "speed"}) || !f.Postgres || f.Name != "sample" {
		t.Fatalf("headers: layers %v postgres %v name %q", f.Layers, f.Postgres, f.Name)
	}
	kinds := []Kind{StatementOK, StatementError, Query, Query, WaitCaughtUp, WaitView, Halt}
	if len(f.Records) != len(kinds) {
		t.Fatalf("got %d records, want %d", len(f.Records), len(kinds))
	}
	for i, k := range kinds {
		if f.Records[i].Kind != k {
			t.Errorf("record %d: kind %v, want %v", i, f.Records[i].Kind, k)
		}
	}
	se := f.Records[1]
	if se.ErrCode != "22012" || se.ErrRe == nil || se.ErrRe.String() != "division" || se.Line != 7 {
		t.Errorf("statement error: code %q re %v line %d", se.ErrCode, se.ErrRe, se.Line)
	}
	q := f.Records[2]
	if q.Types != "IT" || q.Sort != RowSort || q.Label != "lbl" || !q.HasSep || q.Bug != "something is off" {
		t.Errorf("query header: %+v", q)
	}
	if q.SQL != "SELECT a,\n  'x y'\nFROM t" {
		t.Errorf("query SQL %q", q.SQL)
	}
	want := [][]string{{"1", "x", "y"}, {"NULL", "(empty)"}}
	if !slices.EqualFunc(q.Expected, want, slices.Equal) {
		t.Errorf("expected rows %q, want %q", q.Expected, want)
	}
	if f.Records[3].Bug != "" || f.Records[3].HasSep {
		t.Errorf("second query: bug %q hasSep %v", f.Records[3].Bug, f.Records[3].HasSep)
	}
	if f.Records[4].SQL != "src" || f.Records[5].SQL != "v" {
		t.Errorf("wait targets %q %q", f.Records[4].SQL, f.Records[5].SQL)
	}
}

func TestParseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown directive":     "selectt 1\n",
		"bad layer":             "# layers: merged fast\n",
		"statement with result": "statement ok\nSELECT 1\n----\n1\n",
		"query without types":   "query\nSELECT 1\n",
		"statement without sql": "statement ok\n\nSELECT 1\n",
		"dangling skipif":       "statement ok\nSELECT 1\n\nskipif lambdasql\n",
		"bad wait":              "wait for it\n",
		"bad error regexp":      "statement error 42601 (\nSELEC\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse("bad.slt", text); err == nil || !strings.HasPrefix(err.Error(), "bad.slt:") {
				t.Fatalf("want a bad.slt:<line> error, got %v", err)
			}
		})
	}
}

func TestApplies(t *testing.T) {
	rec := func(conds ...Cond) *Record { return &Record{Conds: conds} }
	cases := []struct {
		rec           *Record
		engine, layer string
		want          bool
	}{
		{rec(), EngineLambdaSQL, "", true},
		{rec(Cond{Name: "lambdasql"}), EngineLambdaSQL, "", false},
		{rec(Cond{Name: "lambdasql"}), EnginePostgreSQL, "", true},
		{rec(Cond{Name: "mysql"}), EngineLambdaSQL, "", true},
		{rec(Cond{Only: true, Name: "lambdasql"}), EnginePostgreSQL, "", false},
		{rec(Cond{Only: true, Name: "layer=batch"}), EngineLambdaSQL, "batch", true},
		{rec(Cond{Only: true, Name: "layer=batch"}), EngineLambdaSQL, "speed", false},
		{rec(Cond{Only: true, Name: "layer=batch"}), EnginePostgreSQL, "", false},
		{rec(Cond{Name: "layer=speed"}), EngineLambdaSQL, "speed", false},
		{rec(Cond{Name: "layer=speed"}), EngineLambdaSQL, "merged", true},
	}
	for i, c := range cases {
		if got := c.rec.Applies(c.engine, c.layer); got != c.want {
			t.Errorf("case %d (%+v on %s/%s): got %v", i, c.rec.Conds, c.engine, c.layer, got)
		}
	}
	gap := rec(Cond{Name: "lambdasql"}, Cond{Only: true, Name: "layer=speed"})
	if !gap.appliesWithout(Cond{Name: "lambdasql"}, EngineLambdaSQL, "speed") || gap.appliesWithout(Cond{Name: "lambdasql"}, EngineLambdaSQL, "batch") {
		t.Error("appliesWithout ignores the other conditions")
	}
	if rec().appliesWithout(Cond{Name: "lambdasql"}, EngineLambdaSQL, "") {
		t.Error("appliesWithout is true for a record that has no such skipif")
	}
}

func str(s string) *string { return &s }

func TestCompareRows(t *testing.T) {
	got := rowFields([][]*string{{str("b"), nil}, {str("a b"), str("")}, {str("x\ny"), str("1")}})
	want := [][]string{{"b", "NULL"}, {"a", "b", "(empty)"}, {`x\ny`, "1"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("rowFields: %q", got)
	}
	shuffled := [][]string{{`x\ny`, "1"}, {"b", "NULL"}, {"a", "b", "(empty)"}}
	if equalRows(sortRows(got, NoSort), sortRows(shuffled, NoSort), NoSort) {
		t.Error("nosort must keep the order")
	}
	if !equalRows(sortRows(got, RowSort), sortRows(shuffled, RowSort), RowSort) {
		t.Error("rowsort must ignore the order of rows")
	}
	if !equalRows(sortRows(got, ValueSort), sortRows([][]string{{"NULL", "b", "b", "1"}, {"a", `x\ny`, "(empty)"}}, ValueSort), ValueSort) {
		t.Error("valuesort must ignore the order of values")
	}
	if equalRows(sortRows(got, RowSort), sortRows(got[:2], RowSort), RowSort) {
		t.Error("a missing row must not compare equal")
	}
}

func TestWriteRewrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rw.slt")
	text := "statement error\nSELECT 1/0\n\nquery I\nSELECT 1\n----\n2\n\nquery IT\nSELECT 1, 'a'\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	q1, q2 := f.Records[1], f.Records[2]
	r := &Runner{}
	r.edits = []edit{
		{from: q1.resFrom, upTo: q1.resUpTo, repl: []string{"----", "1"}},
		{from: f.Records[0].headIdx, upTo: f.Records[0].headIdx + 1, repl: []string{errorHeader("22012", f.Records[0])}},
		{from: q2.resFrom, upTo: q2.resUpTo, repl: append([]string{"----"}, alignRows([][]string{{"1", "a"}, {"10", "bb"}})...)},
		{from: q1.resFrom, upTo: q1.resUpTo, repl: []string{"----", "later run: ignored"}},
	}
	if changed, err := r.WriteRewrites(f); err != nil || !changed {
		t.Fatalf("WriteRewrites: %v %v", changed, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "statement error 22012\nSELECT 1/0\n\nquery I\nSELECT 1\n----\n1\n\nquery IT\nSELECT 1, 'a'\n----\n1   a\n10  bb\n"
	if string(b) != want {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", b, want)
	}
	if changed, _ := r.WriteRewrites(f); changed {
		t.Error("the edits must be forgotten once written")
	}
}
