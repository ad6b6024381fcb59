package sql

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	driver "github.com/pingcap/tidb/pkg/parser/test_driver"

	"lambdasql/sql/sqlstate"
)

// Parse splits query into statements at top-level semicolons and parses
// each one. Empty statements are dropped, so a query holding only comments
// and semicolons gives no statements. The whole query is lexed and parsed
// before anything is returned: a syntax error anywhere fails the call, as
// in PostgreSQL's simple query protocol.
//
// Errors are *sqlstate.Error values: 42601 for syntax errors (Position is
// the 1-based character position in query of the offending token, or one
// past the end for "syntax error at end of input"), 0A000 for statements and
// forms lambdasql does not support, 42704 for unknown types in DDL, 22023
// for malformed option values, 22021 for bytes that are not UTF-8, 54001 for
// absurd nesting. Parse is safe for concurrent use.
func Parse(query string) ([]Stmt, error) {
	toks, err := Lex(query)
	if err != nil {
		return nil, err
	}
	var out []Stmt
	start := 0
	for i, t := range toks {
		if t.Kind != TokEOF && !(t.Kind == TokPunct && t.Val == ";") {
			continue
		}
		if i > start {
			st, err := parseStmt(query, append([]Token(nil), toks[start:i+1]...))
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
		start = i + 1
	}
	return out, nil
}

// stmtParser parses one statement; toks ends with the terminator as TokEOF.
type stmtParser struct {
	*rewriter
}

func parseStmt(q string, toks []Token) (st Stmt, err error) {
	r, err := newRewriter(q, toks)
	if err != nil {
		return nil, err
	}
	defer catch(&err)
	p := &stmtParser{r}
	return p.statement(0), nil
}

func (p *stmtParser) end() int { return len(p.toks) - 1 }

// base returns the stmtBase of the statement in tokens [lo, end).
func (p *stmtParser) base(lo int) stmtBase {
	e := p.end()
	if lo >= e {
		return stmtBase{pos: p.t(lo).Pos}
	}
	return stmtBase{text: p.q[p.t(lo).Pos:p.t(e-1).End], pos: p.t(lo).Pos}
}

func (p *stmtParser) pos(i int) int { return charPos(p.q, p.t(i).Pos) }

func (p *stmtParser) expectKw(i int, w string) int {
	if !p.kw(i, w) {
		p.fail(p.syntaxErrAt(i))
	}
	return i + 1
}

func (p *stmtParser) expectPunct(i int, s string) int {
	if !p.punct(i, s) {
		p.fail(p.syntaxErrAt(i))
	}
	return i + 1
}

func (p *stmtParser) expectEnd(i int) {
	if p.t(i).Kind != TokEOF {
		p.fail(p.syntaxErrAt(i))
	}
}

// colID reads a name usable as a column or object name (an identifier, an
// unreserved or column-name keyword, or a quoted identifier).
func (p *stmtParser) colID(i int) (string, int) {
	t := p.t(i)
	if t.Kind == TokQuotedIdent || t.Kind == TokIdent && (pgCategory(t.Val) == kwNone || pgCategory(t.Val) == kwColName) {
		return t.Val, i + 1
	}
	p.fail(p.syntaxErrAt(i))
	return "", 0
}

// label reads any word or quoted identifier (PostgreSQL's ColLabel).
func (p *stmtParser) label(i int) (string, int) {
	t := p.t(i)
	if t.Kind == TokQuotedIdent || t.Kind == TokIdent {
		return t.Val, i + 1
	}
	p.fail(p.syntaxErrAt(i))
	return "", 0
}

func (p *stmtParser) objectName(i int) (ObjectName, int) {
	n, j := p.colID(i)
	on := ObjectName{Name: n, Pos: p.pos(i)}
	if p.punct(j, ".") {
		m, k := p.label(j + 1)
		on.Schema, on.Name = n, m
		j = k
	}
	return on, j
}

func (p *stmtParser) statement(i int) Stmt {
	t := p.t(i)
	if t.Kind == TokPunct && t.Val == "(" {
		return p.queryStmt(i, p.end())
	}
	if t.Kind != TokIdent {
		p.fail(p.syntaxErrAt(i))
	}
	switch t.Val {
	case "select", "values", "table":
		return p.queryStmt(i, p.end())
	case "with":
		return p.withStmt(i)
	case "insert":
		return p.insertStmt(i)
	case "create":
		return p.create(i)
	case "alter":
		return p.alter(i)
	case "drop":
		return p.drop(i)
	case "show":
		return p.show(i)
	case "refresh":
		return p.refresh(i)
	case "set":
		return p.set(i)
	case "reset":
		return p.reset(i)
	case "begin", "start", "commit", "end", "rollback", "abort", "savepoint", "release":
		return p.transaction(i)
	case "copy":
		return p.copyStmt(i)
	case "explain":
		return p.explain(i)
	case "declare":
		return p.declare(i)
	case "fetch", "move":
		return p.fetch(i)
	case "close":
		return p.closeCursor(i)
	case "prepare":
		return p.prepare(i)
	case "execute":
		return p.execute(i)
	case "deallocate":
		return p.deallocate(i)
	case "discard":
		return p.discard(i)
	case "listen", "unlisten", "notify", "checkpoint", "vacuum", "analyze", "analyse":
		return p.ignored(i)
	case "update", "delete", "merge", "truncate":
		p.fail(sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported", toUpper(t.Val)).
			WithHint("Sources are append-only: events are added with INSERT or COPY and never changed.").
			WithPosition(p.pos(i)))
	case "grant", "revoke", "comment", "lock", "do", "call", "reindex", "cluster", "security", "import",
		"load", "reassign":
		p.unsupportedStmt(i)
	}
	p.fail(p.syntaxErrAt(i))
	return nil
}

// unsupportedStmt fails with 0A000 naming the statement at i: the command
// word and, for CREATE, ALTER and DROP, the object type.
func (p *stmtParser) unsupportedStmt(i int) {
	words := []string{toUpper(p.t(i).Val)}
	if p.kwAny(i, "create", "alter", "drop") {
		k := i + 1
		for p.kwAny(k, "or", "replace", "temp", "temporary", "unlogged", "global", "local", "unique", "trusted", "procedural") {
			k++
		}
		if t := p.t(k); t.Kind == TokIdent {
			words = append(words, toUpper(t.Val))
			if p.kwAny(k, "materialized", "foreign", "event", "text", "user", "access", "operator", "default", "data") {
				if t2 := p.t(k + 1); t2.Kind == TokIdent {
					words = append(words, toUpper(t2.Val))
				}
			}
		}
	}
	name := strings.Join(words, " ")
	e := sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported", name).WithPosition(p.pos(i))
	switch name {
	case "CREATE TABLE", "CREATE FOREIGN TABLE":
		e.Message = name + " is not supported: lambdasql tables are sources (CREATE SOURCE) and views"
	case "CREATE MATERIALIZED VIEW":
		e.WithHint("Lambda views are materialized already: use CREATE VIEW … WITH (window = …).")
	case "ALTER TABLE", "DROP MATERIALIZED VIEW", "REFRESH MATERIALIZED VIEW":
		e.WithHint("lambdasql has sources and views: see SHOW SOURCES and SHOW VIEWS.")
	}
	p.fail(e)
}

// queryStmt parses a query statement in tokens [lo, hi).
func (p *stmtParser) queryStmt(lo, hi int) *Query {
	if !p.isQueryStart(lo) {
		p.fail(p.syntaxErrAt(lo))
	}
	f := p.query(lo, hi)
	parsed := p.finish(f, lo, hi)
	switch parsed.Node.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	default:
		p.fail(sqlstate.New(sqlstate.InternalError, "BUG: query rewrote into %T", parsed.Node))
	}
	return &Query{stmtBase: p.rangeBase(lo, hi), Parsed: parsed}
}

func (p *stmtParser) rangeBase(lo, hi int) stmtBase {
	return stmtBase{text: p.q[p.t(lo).Pos:p.t(hi-1).End], pos: p.t(lo).Pos}
}

func (p *stmtParser) withStmt(i int) Stmt {
	// The statement after the CTE list decides what this is.
	for k := i; k < p.end(); k++ {
		if p.match[k] > k {
			k = p.match[k]
			continue
		}
		switch {
		case p.kwAny(k, "select", "values", "table"):
			return p.queryStmt(i, p.end())
		case p.kw(k, "insert"):
			p.unsupported(k, "WITH … INSERT")
		case p.kwAny(k, "update", "delete", "merge"):
			p.unsupported(k, toUpper(p.t(k).Val))
		}
	}
	return p.queryStmt(i, p.end())
}

func (p *stmtParser) insertStmt(i int) *Insert {
	f := p.insert(i, p.end())
	parsed := p.finish(f, i, p.end())
	if _, ok := parsed.Node.(*ast.InsertStmt); !ok {
		p.fail(sqlstate.New(sqlstate.InternalError, "BUG: INSERT rewrote into %T", parsed.Node))
	}
	return &Insert{stmtBase: p.base(i), Parsed: parsed}
}

// finish renders a rewritten statement covering tokens [lo, hi), parses it
// with TiDB and puts LIMIT/OFFSET expressions back into the AST.
func (p *stmtParser) finish(f frag, lo, hi int) Parsed {
	text, pm, marks := render(f, p.t(hi).Pos)
	node, err := tidbParse(text)
	if err != nil {
		p.fail(p.mapTiDBError(err, text, pm, lo, hi))
	}
	parsed := Parsed{Node: node, Rewritten: text, query: p.q, pm: pm}
	if len(p.subs) > 0 {
		repl := map[int]ast.ExprNode{}
		for _, s := range p.subs {
			e := p.parseSub(s, &parsed)
			repl[marks[s.mark]] = e
		}
		p.subs = nil
		node.Accept(&limitFixer{repl: repl})
	}
	return parsed
}

// parseSub parses a LIMIT/OFFSET value on its own and records the original
// positions of its nodes in parsed.extra.
func (p *stmtParser) parseSub(s limitSub, parsed *Parsed) ast.ExprNode {
	f := frag{{text: "select", orig: s.pos}}
	f = append(f, setGap(s.expr, true)...)
	text, pm, _ := render(f, s.pos)
	node, err := tidbParse(text)
	if err != nil {
		p.fail(p.mapTiDBError(err, text, pm, 0, p.end()))
	}
	sel, ok := node.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 {
		p.fail(sqlstate.New(sqlstate.InternalError, "BUG: LIMIT value rewrote into %q", text))
	}
	e := sel.Fields.Fields[0].Expr
	if parsed.extra == nil {
		parsed.extra = map[ast.Node]int{}
	}
	e.Accept(&posRecorder{pm: &pm, extra: parsed.extra})
	return e
}

type limitFixer struct{ repl map[int]ast.ExprNode }

func (v *limitFixer) Enter(n ast.Node) (ast.Node, bool) {
	if l, ok := n.(*ast.Limit); ok {
		if m, ok := l.Count.(*driver.ParamMarkerExpr); ok {
			if e, ok := v.repl[m.Offset]; ok {
				l.Count = e
			}
		}
		if m, ok := l.Offset.(*driver.ParamMarkerExpr); ok {
			if e, ok := v.repl[m.Offset]; ok {
				l.Offset = e
			}
		}
	}
	return n, false
}

func (v *limitFixer) Leave(n ast.Node) (ast.Node, bool) { return n, true }

type posRecorder struct {
	pm    *posMap
	extra map[ast.Node]int
}

func (v *posRecorder) Enter(n ast.Node) (ast.Node, bool) {
	if e, ok := n.(ast.ExprNode); ok {
		v.extra[n] = v.pm.orig(e.OriginTextPosition())
	}
	return n, false
}

func (v *posRecorder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// SQL mode under which the rewritten text is written.
const tidbSQLMode = mysql.ModeANSIQuotes | mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes

var tidbParsers = sync.Pool{New: func() any {
	p := parser.New()
	p.SetSQLMode(tidbSQLMode)
	return p
}}

// tidbParse parses one rewritten statement.
func tidbParse(text string) (node ast.StmtNode, err error) {
	p := tidbParsers.Get().(*parser.Parser)
	defer func() {
		// The TiDB parser is third-party code fed with our output; a panic in
		// it must not take the connection down. The parser may be left in
		// a bad state, so it is not returned to the pool.
		if x := recover(); x != nil {
			node, err = nil, sqlstate.New(sqlstate.InternalError, "BUG: TiDB parser panicked: %v", x)
			return
		}
		tidbParsers.Put(p)
	}()
	stmts, _, err := p.ParseSQL(text)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, sqlstate.New(sqlstate.InternalError, "BUG: rewritten text holds %d statements", len(stmts))
	}
	return stmts[0], nil
}

var (
	tidbNearRe  = regexp.MustCompile(`^line (\d+) column (\d+) near "`)
	tidbTotalRe = regexp.MustCompile(`" ?\(total length (\d+)\)\s*$`)
	tidbCodeRe  = regexp.MustCompile(`^\[[a-z]+:\d+\]`)
)

// mapTiDBError turns a TiDB parse error on rewritten text into PostgreSQL's
// syntax error at the corresponding token of the user's text.
func (p *stmtParser) mapTiDBError(err error, text string, pm posMap, lo, hi int) error {
	if sqlstate.As(err) != nil {
		return err
	}
	msg := err.Error()
	m := tidbNearRe.FindStringSubmatchIndex(msg)
	if m == nil {
		msg = strings.TrimSpace(tidbCodeRe.ReplaceAllString(msg, ""))
		return sqlstate.New(sqlstate.SyntaxError, "syntax error: %s", msg).WithPosition(p.pos(lo))
	}
	near := msg[m[1]:]
	off := -1
	if t := tidbTotalRe.FindStringSubmatch(near); t != nil {
		if n, e := strconv.Atoi(t[1]); e == nil && n <= len(text) {
			off = len(text) - n
		}
	} else if strings.HasSuffix(near, "\" ") {
		v := near[:len(near)-2]
		if len(v) <= len(text) && strings.HasSuffix(text, v) {
			off = len(text) - len(v)
		}
	}
	if off < 0 {
		line, _ := strconv.Atoi(msg[m[2]:m[3]])
		col, _ := strconv.Atoi(msg[m[4]:m[5]])
		off = lineColOffset(text, line, col)
	}
	orig := pm.orig(off)
	// The offending token is the first one of the statement ending after orig.
	for k := lo; k <= hi && k < len(p.toks); k++ {
		if p.toks[k].End > orig || p.toks[k].Kind == TokEOF {
			return p.syntaxErrAt(k)
		}
	}
	return p.syntaxErrAt(hi)
}

func lineColOffset(text string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
	}
	off += col - 1
	if off < 0 {
		off = 0
	}
	if off > len(text) {
		off = len(text)
	}
	return off
}

// ParseTableFunc decodes the name of a table that stands for a function
// call in FROM (see rewrite.go: byte 0x02 followed by the rewritten call).
// ok is false, with no error, for an ordinary table name. fn is the function
// name as written, folded like identifiers, with its schema if it had one
// other than pg_catalog ("read_parquet", "generate_series", "myschema.f").
// The argument expressions carry no positions in the user's text.
func ParseTableFunc(name string) (fn string, args []ast.ExprNode, ok bool, err error) {
	if !strings.HasPrefix(name, tableFuncPrefix) {
		return "", nil, false, nil
	}
	call := name[len(tableFuncPrefix):]
	node, err := tidbParse("SELECT " + call)
	if err != nil {
		return "", nil, true, sqlstate.New(sqlstate.SyntaxError, "invalid table function call %q", call)
	}
	sel, isSel := node.(*ast.SelectStmt)
	if !isSel || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.From != nil {
		return "", nil, true, sqlstate.New(sqlstate.SyntaxError, "invalid table function call %q", call)
	}
	switch x := sel.Fields.Fields[0].Expr.(type) {
	case *ast.FuncCallExpr:
		fn = x.FnName.O
		if x.Schema.O != "" {
			fn = x.Schema.O + "." + fn
		}
		return fn, x.Args, true, nil
	case *ast.AggregateFuncExpr, *ast.WindowFuncExpr:
		return "", nil, true, sqlstate.New(sqlstate.GroupingError, "aggregate functions are not allowed in functions in FROM")
	}
	return "", nil, true, sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported in FROM", call)
}
