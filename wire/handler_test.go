package wire

// The test Handler: a tiny in-memory engine that understands just enough
// SQL to drive every protocol path from real clients.
//
//	SELECT item, …                 one row; items: $n[::type], literals
//	                               ('text'::type, 42, 1.5, true, NULL) and
//	                               functions: pg_sleep_forever() (blocks until
//	                               cancelled), raise('code', 'msg'[, 'detail'
//	                               [, 'hint']]), notice('msg'), panic(),
//	                               plain_error()
//	SELECT * FROM alltypes         rows holding every supported type
//	SELECT * | cols FROM items     the items table (id, name, price, ts)
//	SELECT * FROM series(n)        n int8 rows, three per record
//	SET name = value | TO value, SHOW name
//	BEGIN, COMMIT, ROLLBACK        transaction status tracking
//	COPY items [(cols)] FROM STDIN [WITH (FORMAT text|csv|binary, …)]
//	COPY items | (select) TO STDOUT [WITH (FORMAT …, HEADER, FORCE_QUOTE (…))]
//	TRUNCATE items

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/cockroachdb/apd/v3"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

type testHandler struct {
	mem *memory.CheckedAllocator

	// sleeping receives a value each time pg_sleep_forever starts waiting.
	sleeping chan struct{}

	mu        sync.Mutex
	items     [][]any
	lastAbort string
	starts    []SessionStart
	closed    int
}

func newTestHandler() *testHandler {
	return &testHandler{mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), sleeping: make(chan struct{}, 64)}
}

var itemCols = exec.Schema{
	{Name: "id", Type: types.Int8, TableOID: 16400, Attnum: 1},
	{Name: "name", Type: types.Text, TableOID: 16400, Attnum: 2},
	{Name: "price", Type: types.Float8, TableOID: 16400, Attnum: 3},
	{Name: "ts", Type: types.TimestampTZ, TableOID: 16400, Attnum: 4},
}

func (h *testHandler) NewSession(ctx context.Context, start SessionStart) (Session, error) {
	if start.Database == "nosuchdb" {
		return nil, sqlstate.New(sqlstate.InvalidCatalogName, "database \"%s\" does not exist", start.Database)
	}
	h.mu.Lock()
	h.starts = append(h.starts, start)
	h.mu.Unlock()
	app := start.Params["application_name"]
	return &testSession{h: h, tx: 'I', loc: time.UTC, params: map[string]string{
		"server_version":              "15.4 (lambdasql)",
		"server_encoding":             "UTF8",
		"client_encoding":             "UTF8",
		"DateStyle":                   "ISO, MDY",
		"TimeZone":                    "UTC",
		"integer_datetimes":           "on",
		"standard_conforming_strings": "on",
		"IntervalStyle":               "postgres",
		"application_name":            app,
		"is_superuser":                "on",
		"session_authorization":       start.User,
	}}, nil
}

type testSession struct {
	h       *testHandler
	tx      byte
	params  map[string]string
	loc     *time.Location
	timeout time.Duration
}

func (s *testSession) TxStatus() byte { return s.tx }
func (s *testSession) Fail() {
	if s.tx == 'T' {
		s.tx = 'E'
	}
}
func (s *testSession) ParameterStatus() map[string]string {
	out := make(map[string]string, len(s.params))
	for k, v := range s.params {
		out[k] = v
	}
	return out
}
func (s *testSession) Location() *time.Location        { return s.loc }
func (s *testSession) StatementTimeout() time.Duration { return s.timeout }
func (s *testSession) Close() {
	s.h.mu.Lock()
	s.h.closed++
	s.h.mu.Unlock()
}

// ---- tokenizer and parser ----

type tok struct {
	kind byte // 'i' identifier (lower-cased), 'q' quoted identifier, 'n' number, 's' string, 'p' $n, 'o' punctuation
	s    string
	pos  int
	raw  string // the token as written
}

func tokenize(q string) ([]tok, error) {
	var out []tok
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return nil, sqlstate.New(sqlstate.SyntaxError, "unterminated /* comment").WithPosition(charPos(q, i))
			}
			i += j + 4
		case c == '\'' || c == '"':
			var sb strings.Builder
			j := i + 1
			for {
				if j >= len(q) {
					return nil, sqlstate.New(sqlstate.SyntaxError, "unterminated quoted string").WithPosition(charPos(q, i))
				}
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						sb.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				sb.WriteByte(q[j])
				j++
			}
			k := byte('s')
			if c == '"' {
				k = 'q'
			}
			out = append(out, tok{kind: k, s: sb.String(), pos: i})
			i = j + 1
		case c == '$':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			out = append(out, tok{kind: 'p', s: q[i+1 : j], pos: i})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.' || q[j] == 'e' || q[j] == 'E' ||
				(q[j] == '-' || q[j] == '+') && (q[j-1] == 'e' || q[j-1] == 'E')) {
				j++
			}
			out = append(out, tok{kind: 'n', s: q[i:j], pos: i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			j := i
			for j < len(q) && (q[j] == '_' || q[j] == '.' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9' || q[j] >= 0x80) {
				j++
			}
			out = append(out, tok{kind: 'i', s: strings.ToLower(q[i:j]), pos: i, raw: q[i:j]})
			i = j
		case c == ':' && i+1 < len(q) && q[i+1] == ':':
			out = append(out, tok{kind: 'o', s: "::", pos: i})
			i += 2
		default:
			out = append(out, tok{kind: 'o', s: string(c), pos: i})
			i++
		}
	}
	return out, nil
}

// charPos is the 1-based character position of byte offset i.
func charPos(q string, i int) int { return utf8.RuneCountInString(q[:i]) + 1 }

type parser struct {
	q    string
	toks []tok
	i    int
	end  int // byte offset of the statement's end (for "at end of input")
}

func (p *parser) peek() tok {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return tok{kind: 0, pos: p.end}
}
func (p *parser) next() tok          { t := p.peek(); p.i++; return t }
func (p *parser) isKw(s string) bool { t := p.peek(); return t.kind == 'i' && t.s == s }
func (p *parser) isOp(s string) bool { t := p.peek(); return t.kind == 'o' && t.s == s }
func (p *parser) acceptKw(s string) bool {
	if p.isKw(s) {
		p.i++
		return true
	}
	return false
}
func (p *parser) acceptOp(s string) bool {
	if p.isOp(s) {
		p.i++
		return true
	}
	return false
}
func (p *parser) errAt(t tok) error {
	if t.kind == 0 {
		return sqlstate.New(sqlstate.SyntaxError, "syntax error at end of input").WithPosition(charPos(p.q, t.pos))
	}
	text := t.s
	switch t.kind {
	case 's':
		text = "'" + t.s + "'"
	case 'i':
		text = t.raw
	}
	return sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \"%s\"", text).WithPosition(charPos(p.q, t.pos))
}
func (p *parser) expectKw(s string) error {
	if !p.acceptKw(s) {
		return p.errAt(p.peek())
	}
	return nil
}
func (p *parser) expectOp(s string) error {
	if !p.acceptOp(s) {
		return p.errAt(p.peek())
	}
	return nil
}
func (p *parser) ident() (string, error) {
	t := p.next()
	if t.kind != 'i' && t.kind != 'q' {
		return "", p.errAt(t)
	}
	return t.s, nil
}

// typeName reads a type after "::".
func (p *parser) typeName() (*types.T, error) {
	start := p.peek()
	var parts []string
	for {
		t := p.peek()
		switch {
		case t.kind == 'i' && t.s != "as" && t.s != "from":
			parts = append(parts, t.s)
		case t.kind == 'q':
			parts = append(parts, `"`+t.s+`"`)
		case t.kind == 'o' && t.s == "[":
			p.i++
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
			parts[len(parts)-1] += "[]"
			continue
		case t.kind == 'o' && t.s == "(" && len(parts) > 0:
			p.i++
			n := p.next()
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			parts[len(parts)-1] += "(" + n.s + ")"
			continue
		default:
			name := strings.Join(parts, " ")
			typ, ok := types.ByName(name)
			if !ok {
				return nil, sqlstate.New(sqlstate.UndefinedObject, "type \"%s\" does not exist", name).WithPosition(charPos(p.q, start.pos))
			}
			return typ, nil
		}
		p.i++
	}
}

type stmtKind int

const (
	kSelect stmtKind = iota
	kTable
	kSet
	kShow
	kBegin
	kCommit
	kRollback
	kCopyIn
	kCopyOut
	kTruncate
)

type selItem struct {
	ptyp  *types.T // the type of $n (its first cast)
	param int      // $n, 0 if none
	lit   *string  // literal text; nil with param 0 and fn "" means NULL
	fn    string
	args  []string
	typ   *types.T
}

type testStmt struct {
	s      *testSession
	sql    string
	kind   stmtKind
	cols   exec.Schema
	params []*types.T
	items  []selItem
	table  string // alltypes, items, series
	proj   []int  // items columns selected
	series int
	name   string // SET/SHOW
	value  string
	copyF  CopyFormat
	inner  *testStmt // COPY (query) TO STDOUT
}

func (s *testSession) Prepare(ctx context.Context, query string, oids []uint32) ([]Statement, error) {
	toks, err := tokenize(query)
	if err != nil {
		return nil, err
	}
	var out []Statement
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i < len(toks) && !(toks[i].kind == 'o' && toks[i].s == ";") {
			continue
		}
		if i > start {
			end := len(query)
			if i < len(toks) {
				end = toks[i].pos
			}
			p := &parser{q: query, toks: toks[start:i], end: end}
			st, err := s.parseStmt(p, oids)
			if err != nil {
				return nil, err
			}
			st.sql = strings.TrimSpace(query[toks[start].pos:end])
			out = append(out, st)
		}
		start = i + 1
	}
	return out, nil
}

func (s *testSession) parseStmt(p *parser, oids []uint32) (*testStmt, error) {
	st := &testStmt{s: s}
	t := p.next()
	if t.kind != 'i' {
		return nil, p.errAt(t)
	}
	var err error
	switch t.s {
	case "select":
		err = s.parseSelect(p, st, oids)
	case "set":
		st.kind = kSet
		if st.name, err = p.ident(); err != nil {
			return nil, err
		}
		if !p.acceptKw("to") && !p.acceptOp("=") {
			return nil, p.errAt(p.peek())
		}
		v := p.next()
		if v.kind == 0 {
			return nil, p.errAt(v)
		}
		st.value = v.s
	case "show":
		st.kind = kShow
		if st.name, err = p.ident(); err != nil {
			return nil, err
		}
		st.cols = exec.Schema{{Name: st.name, Type: types.Text}}
	case "begin", "start":
		st.kind = kBegin
		for p.peek().kind == 'i' { // TRANSACTION, ISOLATION LEVEL …, READ WRITE
			p.i++
		}
	case "commit", "end":
		st.kind = kCommit
	case "rollback", "abort":
		st.kind = kRollback
	case "truncate":
		st.kind = kTruncate
		p.acceptKw("table")
		if err = p.expectKw("items"); err != nil {
			return nil, err
		}
	case "copy":
		err = s.parseCopy(p, st, oids)
	default:
		return nil, p.errAt(t)
	}
	if err != nil {
		return nil, err
	}
	if p.peek().kind != 0 {
		return nil, p.errAt(p.peek())
	}
	return st, nil
}

func (s *testSession) parseSelect(p *parser, st *testStmt, oids []uint32) error {
	st.kind = kSelect
	var colRefs []string
	star := false
	for {
		if p.acceptOp("*") {
			star = true
		} else {
			it, name, ref, err := s.parseItem(p, st, oids)
			if err != nil {
				return err
			}
			if ref != "" {
				colRefs = append(colRefs, ref)
			} else {
				st.items = append(st.items, it)
				st.cols = append(st.cols, exec.Column{Name: name, Type: it.typ})
			}
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if !p.acceptKw("from") {
		if star || colRefs != nil {
			return p.errAt(p.peek())
		}
		return nil
	}
	st.kind = kTable
	tbl, err := p.ident()
	if err != nil {
		return err
	}
	if len(st.items) > 0 {
		return sqlstate.New(sqlstate.FeatureNotSupported, "the test engine does not mix expressions and tables")
	}
	st.table = tbl
	switch tbl {
	case "alltypes":
		st.cols = allTypesCols
	case "items":
		if star {
			st.proj = []int{0, 1, 2, 3}
		}
		for _, r := range colRefs {
			found := false
			for j, c := range itemCols {
				if c.Name == r {
					st.proj = append(st.proj, j)
					found = true
				}
			}
			if !found {
				return sqlstate.New(sqlstate.UndefinedColumn, "column \"%s\" does not exist", r)
			}
		}
		for _, j := range st.proj {
			st.cols = append(st.cols, itemCols[j])
		}
	case "series":
		if err := p.expectOp("("); err != nil {
			return err
		}
		n := p.next()
		if st.series, err = strconv.Atoi(n.s); err != nil || st.series < 0 || st.series > 100000 {
			return p.errAt(n)
		}
		if err := p.expectOp(")"); err != nil {
			return err
		}
		st.cols = exec.Schema{{Name: "n", Type: types.Int8}}
	default:
		return sqlstate.New(sqlstate.UndefinedTable, "relation \"%s\" does not exist", tbl)
	}
	return nil
}

// parseItem reads one select-list item; ref is set for a bare column name.
func (s *testSession) parseItem(p *parser, st *testStmt, oids []uint32) (it selItem, name, ref string, err error) {
	name = "?column?"
	paren := p.acceptOp("(")
	neg := p.acceptOp("-")
	t := p.next()
	switch {
	case t.kind == 'p':
		n, _ := strconv.Atoi(t.s)
		if n < 1 || n > 1000 {
			return it, "", "", p.errAt(t)
		}
		it.param = n
		it.typ = types.Text
		if n <= len(oids) && oids[n-1] != 0 {
			if ot := types.ByOID(oids[n-1]); ot != nil {
				it.typ = ot
			}
		}
	case t.kind == 'n':
		v := t.s
		if neg {
			v = "-" + v
		}
		it.lit = &v
		it.typ = types.Numeric
		if i, err := strconv.ParseInt(v, 10, 64); err == nil {
			it.typ = types.Int8
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				it.typ = types.Int4
			}
		}
	case t.kind == 's':
		v := t.s
		it.lit = &v
		it.typ = types.Text
	case t.kind == 'i' && (t.s == "true" || t.s == "false"):
		v := t.s
		it.lit = &v
		it.typ = types.Bool
	case t.kind == 'i' && t.s == "null":
		it.typ = types.Text
	case t.kind == 'i' && p.isOp("("):
		p.i++
		it.fn = t.s
		name = t.s
		for !p.acceptOp(")") {
			a := p.next()
			if a.kind != 's' && a.kind != 'n' {
				return it, "", "", p.errAt(a)
			}
			it.args = append(it.args, a.s)
			p.acceptOp(",")
		}
		switch it.fn {
		case "pg_sleep_forever":
			it.typ = types.Void
		case "raise", "plain_error", "panic":
			it.typ = types.Int4
		case "notice":
			it.typ = types.Text
		default:
			return it, "", "", sqlstate.New(sqlstate.UndefinedFunction, "function %s() does not exist", it.fn).WithPosition(charPos(p.q, t.pos))
		}
	case t.kind == 'i' || t.kind == 'q':
		return it, "", t.s, nil
	default:
		return it, "", "", p.errAt(t)
	}
	if paren {
		if err := p.expectOp(")"); err != nil {
			return it, "", "", err
		}
	}
	for first := true; p.acceptOp("::"); first = false {
		if it.typ, err = p.typeName(); err != nil {
			return it, "", "", err
		}
		if first {
			it.ptyp = it.typ
		}
	}
	if it.ptyp == nil {
		it.ptyp = it.typ
	}
	if it.param > 0 {
		for len(st.params) < it.param {
			st.params = append(st.params, nil)
		}
		st.params[it.param-1] = it.ptyp
	}
	if p.acceptKw("as") {
		if name, err = p.ident(); err != nil {
			return it, "", "", err
		}
	}
	for i, pt := range st.params {
		if pt == nil {
			st.params[i] = types.Text
			if i < len(oids) && oids[i] != 0 {
				if ot := types.ByOID(oids[i]); ot != nil {
					st.params[i] = ot
				}
			}
		}
	}
	return it, name, "", nil
}

func (s *testSession) parseCopy(p *parser, st *testStmt, oids []uint32) error {
	if p.acceptOp("(") {
		if err := p.expectKw("select"); err != nil {
			return err
		}
		depth, start := 1, p.i
		for depth > 0 {
			t := p.next()
			switch {
			case t.kind == 0:
				return p.errAt(t)
			case t.kind == 'o' && t.s == "(":
				depth++
			case t.kind == 'o' && t.s == ")":
				depth--
			}
		}
		inner := &testStmt{s: s}
		ip := &parser{q: p.q, toks: p.toks[start : p.i-1], end: p.toks[p.i-1].pos}
		if err := s.parseSelect(ip, inner, oids); err != nil {
			return err
		}
		if ip.peek().kind != 0 {
			return ip.errAt(ip.peek())
		}
		st.inner = inner
		if !p.isKw("to") {
			return p.errAt(p.peek())
		}
	} else {
		if t := p.next(); (t.kind != 'i' && t.kind != 'q') || t.s != "items" {
			if t.kind == 'i' || t.kind == 'q' {
				return sqlstate.New(sqlstate.UndefinedTable, "relation \"%s\" does not exist", t.s)
			}
			return p.errAt(t)
		}
		st.proj = []int{0, 1, 2, 3}
		if p.acceptOp("(") {
			st.proj = nil
			for {
				c, err := p.ident()
				if err != nil {
					return err
				}
				found := false
				for j, ic := range itemCols {
					if ic.Name == c {
						st.proj = append(st.proj, j)
						found = true
					}
				}
				if !found {
					return sqlstate.New(sqlstate.UndefinedColumn, "column \"%s\" of relation \"items\" does not exist", c)
				}
				if !p.acceptOp(",") {
					break
				}
			}
			if err := p.expectOp(")"); err != nil {
				return err
			}
		}
		if !p.isKw("from") && !p.isKw("to") {
			return p.errAt(p.peek())
		}
	}
	st.copyF = CopyFormat{Kind: "text", Delimiter: '\t', Null: `\N`}
	dir := p.next()
	if dir.s == "from" {
		st.kind = kCopyIn
		if err := p.expectKw("stdin"); err != nil {
			return err
		}
	} else {
		st.kind = kCopyOut
		if err := p.expectKw("stdout"); err != nil {
			return err
		}
	}
	p.acceptKw("with")
	wrapped := p.acceptOp("(")
	for p.peek().kind == 'i' {
		opt := p.next().s
		val := ""
		if t := p.peek(); t.kind == 's' || (t.kind == 'i' && opt == "format") || (t.kind == 'i' && (t.s == "true" || t.s == "false")) {
			val = p.next().s
		}
		switch opt {
		case "format":
			st.copyF.Kind = val
		case "csv", "binary", "text":
			st.copyF.Kind = opt
		case "header":
			st.copyF.Header = val != "false"
		case "delimiter":
			st.copyF.Delimiter = val[0]
		case "null":
			st.copyF.Null = val
		case "quote":
			st.copyF.Quote = val[0]
		case "force_quote":
			if err := p.expectOp("("); err != nil {
				return err
			}
			st.copyF.ForceQuote = make([]bool, 4)
			for {
				c, err := p.ident()
				if err != nil {
					return err
				}
				for j, ic := range itemCols {
					if ic.Name == c {
						st.copyF.ForceQuote[j] = true
					}
				}
				if !p.acceptOp(",") {
					break
				}
			}
			if err := p.expectOp(")"); err != nil {
				return err
			}
		default:
			return sqlstate.New(sqlstate.SyntaxError, "option \"%s\" not recognized", opt)
		}
		p.acceptOp(",")
	}
	if wrapped {
		if err := p.expectOp(")"); err != nil {
			return err
		}
	}
	if st.copyF.Kind == "csv" {
		if st.copyF.Delimiter == '\t' {
			st.copyF.Delimiter = ','
		}
		if st.copyF.Null == `\N` {
			st.copyF.Null = ""
		}
		if st.copyF.Quote == 0 {
			st.copyF.Quote = '"'
		}
		st.copyF.Escape = st.copyF.Quote
	}
	return nil
}

// ---- Statement ----

func (st *testStmt) ParamTypes() []*types.T { return st.params }
func (st *testStmt) Columns() exec.Schema   { return st.cols }
func (st *testStmt) SQL() string            { return st.sql }
func (st *testStmt) Close()                 {}

func (st *testStmt) Execute(ctx context.Context, params []any, notice func(Notice)) (Result, error) {
	s := st.s
	if s.tx == 'E' && st.kind != kCommit && st.kind != kRollback {
		return nil, sqlstate.New(sqlstate.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if len(params) != len(st.params) {
		return nil, fmt.Errorf("test engine: got %d params, want %d", len(params), len(st.params))
	}
	switch st.kind {
	case kSelect:
		return st.execSelect(ctx, params, notice)
	case kTable:
		return st.execTable()
	case kSet:
		return st.execSet()
	case kShow:
		v, ok := s.params[canonicalParam(st.name)]
		if st.name == "statement_timeout" {
			v, ok = s.timeout.String(), true
		}
		if !ok {
			return nil, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter \"%s\"", st.name)
		}
		return newMemResult(s.h.mem, st.cols, [][]any{{v}}, "SHOW"), nil
	case kBegin:
		if s.tx != 'I' {
			notice(Notice{Severity: "WARNING", Code: "25001", Message: "there is already a transaction in progress"})
		}
		s.tx = 'T'
		return &memResult{tag: "BEGIN"}, nil
	case kCommit:
		tag := "COMMIT"
		if s.tx == 'E' {
			tag = "ROLLBACK"
		}
		s.tx = 'I'
		return &memResult{tag: tag}, nil
	case kRollback:
		s.tx = 'I'
		return &memResult{tag: "ROLLBACK"}, nil
	case kTruncate:
		s.h.mu.Lock()
		s.h.items = nil
		s.h.mu.Unlock()
		return &memResult{tag: "TRUNCATE TABLE"}, nil
	case kCopyIn:
		return &copyInResult{s: s, f: st.copyF, proj: st.proj}, nil
	case kCopyOut:
		if st.inner != nil {
			res, err := st.inner.Execute(ctx, nil, notice)
			if err != nil {
				return nil, err
			}
			return &describedCopyOut{copyOutResult{Result: res, f: st.copyF}, st.inner.cols}, nil
		}
		tbl := &testStmt{s: s, kind: kTable, table: "items", proj: st.proj}
		for _, j := range st.proj {
			tbl.cols = append(tbl.cols, itemCols[j])
		}
		res, err := tbl.execTable()
		if err != nil {
			return nil, err
		}
		return &copyOutResult{Result: res, f: st.copyF}, nil
	}
	return nil, fmt.Errorf("test engine: unknown statement kind %d", st.kind)
}

func canonicalParam(name string) string {
	for _, k := range []string{"TimeZone", "DateStyle", "IntervalStyle", "application_name", "client_encoding"} {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

func (st *testStmt) execSet() (Result, error) {
	s := st.s
	switch strings.ToLower(st.name) {
	case "timezone":
		loc, err := types.LoadLocation(st.value)
		if err != nil {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"TimeZone\": \"%s\"", st.value)
		}
		s.loc = loc
		s.params["TimeZone"] = st.value
	case "statement_timeout":
		d, err := time.ParseDuration(st.value)
		if err != nil {
			ms, err2 := strconv.Atoi(st.value)
			if err2 != nil {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"statement_timeout\": \"%s\"", st.value)
			}
			d = time.Duration(ms) * time.Millisecond
		}
		s.timeout = d
	default:
		s.params[canonicalParam(st.name)] = st.value
	}
	return &memResult{tag: "SET"}, nil
}

func (st *testStmt) execSelect(ctx context.Context, params []any, notice func(Notice)) (Result, error) {
	row := make([]any, len(st.items))
	for i, it := range st.items {
		switch {
		case it.param > 0:
			row[i] = params[it.param-1]
			if row[i] != nil && !types.Equal(it.ptyp, it.typ) {
				v, err := types.ParseText(it.typ, types.FormatText(it.ptyp, row[i], st.s.loc), st.s.loc)
				if err != nil {
					return nil, err
				}
				row[i] = v
			}
		case it.lit != nil:
			v, err := types.ParseText(it.typ, *it.lit, st.s.loc)
			if err != nil {
				return nil, err
			}
			row[i] = v
		case it.fn == "pg_sleep_forever":
			return &sleepResult{h: st.s.h}, nil
		case it.fn == "raise":
			if len(it.args) < 2 {
				return nil, sqlstate.New(sqlstate.UndefinedFunction, "raise needs a code and a message")
			}
			e := sqlstate.New(it.args[0], "%s", it.args[1])
			if len(it.args) > 2 {
				e.Detail = it.args[2]
			}
			if len(it.args) > 3 {
				e.Hint = it.args[3]
			}
			return nil, e
		case it.fn == "plain_error":
			return nil, errors.New("plain failure without a code")
		case it.fn == "panic":
			panic("test engine panic")
		case it.fn == "notice":
			msg := strings.Join(it.args, " ")
			notice(Notice{Severity: "NOTICE", Code: "00000", Message: msg, Detail: "from the test engine"})
			row[i] = msg
		}
	}
	return newMemResult(st.s.h.mem, st.cols, [][]any{row}, "SELECT 1"), nil
}

func (st *testStmt) execTable() (Result, error) {
	mem := st.s.h.mem
	switch st.table {
	case "alltypes":
		return newMemResult(mem, allTypesCols, allTypesRows(), fmt.Sprintf("SELECT %d", len(allTypesRows()))), nil
	case "items":
		st.s.h.mu.Lock()
		rows := make([][]any, len(st.s.h.items))
		for i, r := range st.s.h.items {
			pr := make([]any, len(st.proj))
			for k, j := range st.proj {
				pr[k] = r[j]
			}
			rows[i] = pr
		}
		st.s.h.mu.Unlock()
		return newMemResult(mem, st.cols, rows, fmt.Sprintf("SELECT %d", len(rows))), nil
	case "series":
		res := &memResult{tag: fmt.Sprintf("SELECT %d", st.series)}
		for lo := 1; lo <= st.series; lo += 3 {
			var rows [][]any
			for v := lo; v < lo+3 && v <= st.series; v++ {
				rows = append(rows, []any{int64(v)})
			}
			res.recs = append(res.recs, buildRecord(mem, st.cols, rows))
		}
		return res, nil
	}
	return nil, fmt.Errorf("test engine: unknown table %s", st.table)
}

// ---- results ----

type memResult struct {
	recs []arrow.Record
	tag  string
}

func newMemResult(mem memory.Allocator, cols exec.Schema, rows [][]any, tag string) *memResult {
	return &memResult{recs: []arrow.Record{buildRecord(mem, cols, rows)}, tag: tag}
}

func (r *memResult) Next(ctx context.Context) (arrow.Record, error) {
	if len(r.recs) == 0 {
		return nil, io.EOF
	}
	rec := r.recs[0]
	r.recs = r.recs[1:]
	return rec, nil
}
func (r *memResult) Tag() string { return r.tag }
func (r *memResult) Close() {
	for _, rec := range r.recs {
		rec.Release()
	}
	r.recs = nil
}

type sleepResult struct{ h *testHandler }

func (r *sleepResult) Next(ctx context.Context) (arrow.Record, error) {
	select {
	case r.h.sleeping <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}
func (r *sleepResult) Tag() string { return "SELECT 1" }
func (r *sleepResult) Close()      {}

type copyOutResult struct {
	Result
	f CopyFormat
}

func (r *copyOutResult) CopyOut() CopyFormat { return r.f }

type describedCopyOut struct {
	copyOutResult
	cols exec.Schema
}

func (r *describedCopyOut) CopyColumns() exec.Schema { return r.cols }

type copyInResult struct {
	s    *testSession
	f    CopyFormat
	proj []int
	data []byte
	n    int
}

func (r *copyInResult) Next(ctx context.Context) (arrow.Record, error) { return nil, io.EOF }
func (r *copyInResult) Tag() string                                    { return fmt.Sprintf("COPY %d", r.n) }
func (r *copyInResult) Close()                                         {}
func (r *copyInResult) CopyIn() (CopyFormat, int)                      { return r.f, len(r.proj) }
func (r *copyInResult) Write(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.data = append(r.data, data...)
	return nil
}
func (r *copyInResult) Abort(reason string) {
	r.data = nil
	r.s.h.mu.Lock()
	r.s.h.lastAbort = reason
	r.s.h.mu.Unlock()
}

func (r *copyInResult) Finish(ctx context.Context) (string, error) {
	var fields [][]*string
	var err error
	switch r.f.Kind {
	case "binary":
		return r.finishBinary()
	case "csv":
		fields, err = parseCSV(r.data, r.f)
	default:
		fields, err = parseCopyText(r.data, r.f)
	}
	if err != nil {
		return "", err
	}
	var rows [][]any
	for ln, fs := range fields {
		if len(fs) != len(r.proj) {
			return "", sqlstate.New(sqlstate.BadCopyFileFormat, "missing or extra data for column").WithDetail("line %d has %d fields, want %d", ln+1, len(fs), len(r.proj))
		}
		row := make([]any, len(itemCols))
		for k, j := range r.proj {
			if fs[k] == nil {
				continue
			}
			v, err := types.ParseText(itemCols[j].Type, *fs[k], r.s.loc)
			if err != nil {
				return "", err
			}
			row[j] = v
		}
		rows = append(rows, row)
	}
	return r.apply(rows), nil
}

func (r *copyInResult) apply(rows [][]any) string {
	r.s.h.mu.Lock()
	r.s.h.items = append(r.s.h.items, rows...)
	r.s.h.mu.Unlock()
	r.n = len(rows)
	return fmt.Sprintf("COPY %d", len(rows))
}

func (r *copyInResult) finishBinary() (string, error) {
	b := r.data
	bad := sqlstate.New(sqlstate.BadCopyFileFormat, "invalid COPY file header")
	if len(b) < len(binaryCopyHeader) || !bytes.Equal(b[:11], binaryCopyHeader[:11]) {
		return "", bad
	}
	b = b[19:]
	var rows [][]any
	for len(b) > 0 { // like PostgreSQL, end of data at a tuple boundary ends the copy
		if len(b) < 2 {
			return "", sqlstate.New(sqlstate.BadCopyFileFormat, "unexpected EOF in COPY data")
		}
		n := int16(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n == -1 {
			break
		}
		if int(n) != len(r.proj) {
			return "", sqlstate.New(sqlstate.BadCopyFileFormat, "row field count is %d, expected %d", n, len(r.proj))
		}
		row := make([]any, len(itemCols))
		for _, j := range r.proj {
			if len(b) < 4 {
				return "", sqlstate.New(sqlstate.BadCopyFileFormat, "unexpected EOF in COPY data")
			}
			l := int32(binary.BigEndian.Uint32(b))
			b = b[4:]
			if l == -1 {
				continue
			}
			if l < 0 || int(l) > len(b) {
				return "", sqlstate.New(sqlstate.BadCopyFileFormat, "unexpected EOF in COPY data")
			}
			v, err := decodeBinary(itemCols[j].Type, b[:l])
			if err != nil {
				return "", sqlstate.New(sqlstate.InvalidBinaryRepresentation, "incorrect binary data format")
			}
			row[j] = v
			b = b[l:]
		}
		rows = append(rows, row)
	}
	return r.apply(rows), nil
}

func parseCopyText(data []byte, f CopyFormat) ([][]*string, error) {
	var out [][]*string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == `\.` {
			break
		}
		if line == "" {
			continue
		}
		var fields []*string
		for _, raw := range strings.Split(line, string(f.Delimiter)) {
			if raw == f.Null {
				fields = append(fields, nil)
				continue
			}
			var sb strings.Builder
			for i := 0; i < len(raw); i++ {
				if raw[i] != '\\' || i+1 == len(raw) {
					sb.WriteByte(raw[i])
					continue
				}
				i++
				switch raw[i] {
				case 't':
					sb.WriteByte('\t')
				case 'n':
					sb.WriteByte('\n')
				case 'r':
					sb.WriteByte('\r')
				case 'b':
					sb.WriteByte('\b')
				case 'f':
					sb.WriteByte('\f')
				case 'v':
					sb.WriteByte('\v')
				default:
					sb.WriteByte(raw[i])
				}
			}
			s := sb.String()
			fields = append(fields, &s)
		}
		out = append(out, fields)
	}
	return out, nil
}

func parseCSV(data []byte, f CopyFormat) ([][]*string, error) {
	var out [][]*string
	var row []*string
	s := string(data)
	skipHeader := f.Header
	i := 0
	for i < len(s) {
		if row == nil && strings.HasPrefix(s[i:], `\.`) {
			break
		}
		var field *string
		if s[i] == f.Quote {
			var sb strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, sqlstate.New(sqlstate.BadCopyFileFormat, "unterminated CSV quoted field")
				}
				if s[i] == f.Escape && i+1 < len(s) && s[i+1] == f.Quote {
					sb.WriteByte(f.Quote)
					i += 2
					continue
				}
				if s[i] == f.Quote {
					i++
					break
				}
				sb.WriteByte(s[i])
				i++
			}
			v := sb.String()
			field = &v
		} else {
			j := i
			for j < len(s) && s[j] != f.Delimiter && s[j] != '\n' && s[j] != '\r' {
				j++
			}
			if v := s[i:j]; v != f.Null {
				field = &v
			}
			i = j
		}
		row = append(row, field)
		if i < len(s) && s[i] == f.Delimiter {
			i++
			continue
		}
		if i < len(s) && s[i] == '\r' {
			i++
		}
		if i < len(s) && s[i] == '\n' {
			i++
		}
		if skipHeader {
			skipHeader, row = false, nil
			continue
		}
		out = append(out, row)
		row = nil
	}
	if row != nil {
		out = append(out, row)
	}
	return out, nil
}

// ---- Arrow helpers ----

func buildRecord(mem memory.Allocator, cols exec.Schema, rows [][]any) arrow.Record {
	sch := cols.Arrow()
	b := array.NewRecordBuilder(mem, sch)
	defer b.Release()
	for _, row := range rows {
		for j, v := range row {
			appendDatum(b.Field(j), cols[j].Type, v)
		}
	}
	return b.NewRecord()
}

func appendDatum(b array.Builder, t *types.T, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		bb.Append(v.(bool))
	case *array.Int16Builder:
		bb.Append(int16(v.(int64)))
	case *array.Int32Builder:
		bb.Append(int32(v.(int64)))
	case *array.Int64Builder:
		bb.Append(v.(int64))
	case *array.Uint32Builder:
		bb.Append(uint32(v.(types.OidD)))
	case *array.Float32Builder:
		bb.Append(float32(v.(float64)))
	case *array.Float64Builder:
		bb.Append(v.(float64))
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			bb.Append(x)
		case *apd.Decimal:
			bb.Append(x.Text('f'))
		default:
			panic(fmt.Sprintf("test engine: %T in a string column", v))
		}
	case *array.BinaryBuilder:
		bb.Append(v.([]byte))
	case *array.Date32Builder:
		bb.Append(arrow.Date32(v.(types.DateD)))
	case *array.Time64Builder:
		bb.Append(arrow.Time64(v.(types.TimeOfDay)))
	case *array.TimestampBuilder:
		bb.Append(arrow.Timestamp(v.(types.TimestampD)))
	case *array.MonthDayNanoIntervalBuilder:
		iv := v.(types.IntervalD)
		bb.Append(arrow.MonthDayNanoInterval{Months: iv.Months, Days: iv.Days, Nanoseconds: iv.Micros * 1000})
	case *array.ListBuilder:
		bb.Append(true)
		for _, e := range v.([]any) {
			appendDatum(bb.ValueBuilder(), t.Elem, e)
		}
	case *array.NullBuilder:
		bb.AppendNull()
	default:
		panic(fmt.Sprintf("test engine: no builder for %T", b))
	}
}

// ---- the alltypes table ----

var allTypesCols = exec.Schema{
	{Name: "b", Type: types.Bool},
	{Name: "i2", Type: types.Int2},
	{Name: "i4", Type: types.Int4},
	{Name: "i8", Type: types.Int8},
	{Name: "f4", Type: types.Float4},
	{Name: "f8", Type: types.Float8},
	{Name: "n", Type: types.Numeric},
	{Name: "t", Type: types.Text},
	{Name: "vc", Type: types.Varchar},
	{Name: "bp", Type: types.BPChar},
	{Name: "nm", Type: types.Name},
	{Name: "ch", Type: types.Char},
	{Name: "j", Type: types.JSON},
	{Name: "jb", Type: types.JSONB},
	{Name: "by", Type: types.Bytea},
	{Name: "d", Type: types.Date},
	{Name: "tm", Type: types.Time},
	{Name: "ts", Type: types.Timestamp},
	{Name: "tz", Type: types.TimestampTZ},
	{Name: "iv", Type: types.Interval},
	{Name: "o", Type: types.Oid},
	{Name: "rc", Type: types.RegClass},
	{Name: "ai", Type: types.ArrayOf(types.Int4)},
	{Name: "at", Type: types.ArrayOf(types.Text)},
	{Name: "af", Type: types.ArrayOf(types.Float8)},
	{Name: "atz", Type: types.ArrayOf(types.TimestampTZ)},
	{Name: "an", Type: types.ArrayOf(types.Numeric)},
	{Name: "ab", Type: types.ArrayOf(types.Bytea)},
}

func mustParse(t *types.T, s string) any {
	v, err := types.ParseText(t, s, time.UTC)
	if err != nil {
		panic(err)
	}
	return v
}

// allTypesText is the alltypes table as PostgreSQL prints it (TimeZone
// UTC); nil is NULL. allTypesRows parses it, so text output checks the
// round trip text → datum → Arrow → text.
var allTypesText = [][]*string{
	strs("t", "-32768", "-2147483648", "9223372036854775807", "1.5", "3.141592653589793", "12345.6789",
		"hello, world", "vc", "bp", "pg_class", "a", `{"a": 1}`, `{"b": [1, 2]}`, `\xdeadbeef`, "2024-02-29", "13:45:30.123456",
		"2024-01-02 03:04:05.678901", "2024-01-02 03:04:05+00", "1 year 2 mons 3 days 04:05:06.5", "12345", "1259",
		"{1,NULL,3}", `{"a b",NULL,"",x,"q\"uote","back\\slash"}`, "{1.5,-2,1e+100}", `{"2024-01-02 03:04:05+00"}`, "{1.50,-7}", `{"\\x00ff"}`),
	strs("f", "32767", "42", "-1", "-0.25", "-Infinity", "-0.000100",
		"héllo ☃\ttab", `with "quote"`, "x", "n", "z", "[]", "{}", `\x`, "1999-12-31", "00:00:00",
		"1970-01-01 00:00:00", "1999-12-31 23:59:59.5+00", "-00:00:01", "0", "0",
		"{}", "{}", "{NaN,Infinity}", "{}", "{NaN}", "{}"),
	make([]*string, len(allTypesCols)),
}

func strs(vs ...string) []*string {
	out := make([]*string, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}

func allTypesRows() [][]any {
	rows := make([][]any, len(allTypesText))
	for i, tr := range allTypesText {
		rows[i] = make([]any, len(tr))
		for j, s := range tr {
			if s != nil {
				rows[i][j] = mustParse(allTypesCols[j].Type, *s)
			}
		}
	}
	return rows
}
