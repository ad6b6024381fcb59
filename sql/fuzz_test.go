package sql

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"lambdasql/sql/sqlstate"
)

// FuzzDialect checks that Parse never panics, that every error carries a
// SQLSTATE (never the internal-error code) and a position inside the input,
// that statement texts and node positions point into the input, and that
// the rewritten text of a parsed query survives being parsed again.
func FuzzDialect(f *testing.F) {
	for _, q := range []string{
		"SELECT 1",
		"SELECT a::int, x ~ '^a' FROM t WHERE b = ANY($1) ORDER BY 1 NULLS FIRST LIMIT $2",
		"CREATE SOURCE s (ts timestamptz NOT NULL, WATERMARK FOR ts AS ts - INTERVAL '1 minute') WITH (format = 'json')",
		"CREATE VIEW v WITH (window = '1m') AS SELECT k, count(*) FROM s GROUP BY k",
		"COPY t FROM STDIN WITH CSV HEADER; SET lambda.read = 'batch'",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		checkParse(t, q)
	})
}

func checkParse(t *testing.T, q string) {
	t.Helper()
	n := utf8.RuneCountInString(q)
	stmts, err := Parse(q)
	if err != nil {
		e := sqlstate.As(err)
		if e == nil {
			t.Fatalf("Parse(%q): error without SQLSTATE: %v", q, err)
		}
		if e.Code == sqlstate.InternalError {
			t.Fatalf("Parse(%q): internal error: %v", q, err)
		}
		if e.Position < 0 || e.Position > n+1 || e.Code == sqlstate.SyntaxError && e.Position == 0 {
			t.Fatalf("Parse(%q): error position %d outside [1, %d]: %v", q, e.Position, n+1, err)
		}
		return
	}
	for _, st := range stmts {
		if st.Pos() < 0 || st.Pos()+len(st.Text()) > len(q) || q[st.Pos():st.Pos()+len(st.Text())] != st.Text() {
			t.Fatalf("Parse(%q): statement text %q at %d is not in the input", q, st.Text(), st.Pos())
		}
		var p *Parsed
		switch x := st.(type) {
		case *Query:
			p = &x.Parsed
		case *Insert:
			p = &x.Parsed
		default:
			continue
		}
		v := &posChecker{t: t, p: p, max: n + 1, q: q}
		p.Node.Accept(v)
		// The rewritten text is not PostgreSQL, but parsing it must not panic.
		_, _ = Parse(p.Rewritten)
		if strings.Contains(p.Rewritten, "#") && !strings.Contains(p.Rewritten, "'") && !strings.Contains(p.Rewritten, `"`) {
			t.Fatalf("Parse(%q): rewritten text holds a MySQL comment: %q", q, p.Rewritten)
		}
	}
}

type posChecker struct {
	t   *testing.T
	p   *Parsed
	q   string
	max int
}

func (v *posChecker) Enter(n ast.Node) (ast.Node, bool) {
	if pos := v.p.Position(n); pos < 0 || pos > v.max {
		v.t.Fatalf("Parse(%q): node %T at position %d outside [0, %d]", v.q, n, pos, v.max)
	}
	return n, false
}

func (v *posChecker) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// TestFuzzSeedsParse keeps the seed corpus realistic: every seed is valid.
func TestFuzzSeedsParse(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzDialect/*")
	if err != nil || len(files) < 12 {
		t.Fatalf("seed corpus: %d files, %v", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(b), "\n", 2)
		if len(lines) != 2 || lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a fuzz corpus file", f)
		}
		lit := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lines[1]), "string("), ")")
		q, err := strconv.Unquote(lit)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := Parse(q); err != nil {
			t.Errorf("%s: %s", filepath.Base(f), describe(err))
		}
	}
}
