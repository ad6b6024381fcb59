package wire

import (
	"context"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"lambdasql/exec"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

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
