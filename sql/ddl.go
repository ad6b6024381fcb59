package sql

import (
	"strconv"
	"strings"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// The lambda DDL grammar: CREATE SOURCE, CREATE VIEW, ALTER VIEW|SOURCE,
// DROP, SHOW, REFRESH VIEW. Parsed by recursive descent on the token stream.

func (p *stmtParser) create(i int) Stmt {
	k := i + 1
	orReplace := false
	if p.kw(k, "or") && p.kw(k+1, "replace") {
		orReplace = true
		k += 2
	}
	switch {
	case p.kw(k, "source") && !orReplace:
		return p.createSource(i, k+1)
	case p.kw(k, "view"):
		return p.createView(i, k+1, orReplace)
	case p.kwAny(k, "temp", "temporary") && p.kw(k+1, "view"):
		p.unsupported(k, "CREATE TEMPORARY VIEW")
	case p.kw(k, "recursive") && p.kw(k+1, "view"):
		p.unsupported(k, "CREATE RECURSIVE VIEW")
	}
	p.unsupportedStmt(i)
	return nil
}

// createSource parses the rest of CREATE SOURCE from k (after SOURCE).
func (p *stmtParser) createSource(i, k int) Stmt {
	st := &CreateSource{stmtBase: p.base(i)}
	if p.kw(k, "if") {
		k = p.expectKw(p.expectKw(k+1, "not"), "exists")
		st.IfNotExists = true
	}
	st.Name, k = p.objectName(k)
	k = p.expectPunct(k, "(")
	end := p.closeOf(k - 1)
	seen := map[string]bool{}
	wmIdx := 0
	for k < end {
		if p.kw(k, "watermark") && p.kw(k+1, "for") {
			if st.Watermark != nil {
				p.fail(p.syntaxErrAt(k))
			}
			wmIdx = k
			st.Watermark, k = p.watermark(k)
		} else {
			var c ColumnDef
			c, k = p.columnDef(k)
			if seen[c.Name] {
				p.fail(sqlstate.New(sqlstate.DuplicateColumn, "column \"%s\" specified more than once", c.Name).WithPosition(c.Pos))
			}
			seen[c.Name] = true
			st.Columns = append(st.Columns, c)
		}
		if k == end {
			break
		}
		k = p.expectPunct(k, ",")
		if k == end {
			p.fail(p.syntaxErrAt(k))
		}
	}
	if st.Watermark != nil && !seen[st.Watermark.Column] {
		p.fail(sqlstate.New(sqlstate.UndefinedColumn, "column \"%s\" does not exist", st.Watermark.Column).WithPosition(p.pos(wmIdx + 2)))
	}
	k = end + 1
	if p.kw(k, "with") {
		st.Options, k = p.options(k + 1)
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) columnDef(k int) (ColumnDef, int) {
	c := ColumnDef{Pos: p.pos(k)}
	c.Name, k = p.colID(k)
	tn, j, ok := p.typeName(k, true)
	if !ok {
		p.fail(p.syntaxErrAt(k))
	}
	t, found := types.ByName(tn)
	if !found {
		p.fail(sqlstate.New(sqlstate.UndefinedObject, "type \"%s\" does not exist", tn).WithPosition(p.pos(k)))
	}
	c.TypeName, c.Type = tn, t
	k = j
	for {
		switch {
		case p.kw(k, "not") && p.kw(k+1, "null"):
			c.NotNull = true
			k += 2
		case p.kw(k, "null"):
			k++
		case p.kwAny(k, "primary", "unique", "check", "default", "references", "generated", "collate", "constraint"):
			name := toUpper(p.t(k).Val)
			if name == "PRIMARY" {
				name = "PRIMARY KEY"
			}
			p.fail(sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported on source columns", name).WithPosition(p.pos(k)))
		default:
			return c, k
		}
	}
}

// watermark parses WATERMARK FOR col AS col [- INTERVAL 'd' [unit]].
func (p *stmtParser) watermark(k int) (*Watermark, int) {
	w := &Watermark{Pos: p.pos(k)}
	w.Column, k = p.colID(k + 2)
	k = p.expectKw(k, "as")
	exprAt := k
	col, j := p.colID(k)
	refuse := func() {
		p.fail(sqlstate.New(sqlstate.FeatureNotSupported, "watermark expression must be %s - INTERVAL '…'", quoteIdent(w.Column)).
			WithPosition(p.pos(exprAt)))
	}
	if col != w.Column {
		refuse()
	}
	if p.isOp(j, "-") {
		if !p.kw(j+1, "interval") || p.t(j+2).Kind != TokString {
			refuse()
		}
		lit := p.t(j + 2)
		val := lit.Val
		j += 3
		if p.kwAny(j, "year", "month", "day", "hour", "minute", "second") {
			if _, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
				val = strings.TrimSpace(val) + " " + p.t(j).Val
			}
			j++
		}
		d, err := ParseDuration(val)
		if err != nil {
			e := sqlstate.As(err)
			p.fail(sqlstate.New(sqlstate.InvalidParameterValue, "invalid watermark lateness: \"%s\"", lit.Val).
				WithDetail("%s", e.Detail).WithPosition(p.pos(j - 1)))
		}
		w.Lateness = d
	}
	if !p.punct(j, ",") && !p.punct(j, ")") {
		refuse()
	}
	return w, j
}

// options parses "( key = value [, …] )" at k.
func (p *stmtParser) options(k int) (Options, int) {
	k = p.expectPunct(k, "(")
	end := p.closeOf(k - 1)
	var opts Options
	for {
		opt := Option{KeyPos: p.pos(k)}
		key, j := p.label(k)
		for p.punct(j, ".") {
			var part string
			part, j = p.label(j + 1)
			key += "." + part
		}
		opt.Key = key
		if p.isOp(j, "=") {
			opt.Pos = p.pos(j + 1)
			opt.Value, opt.Kind, j = p.optionValue(j + 1)
		} else {
			opt.Value, opt.Kind, opt.Pos = "true", OptIdent, opt.KeyPos
		}
		opts = append(opts, opt)
		if j == end {
			return opts, end + 1
		}
		k = p.expectPunct(j, ",")
	}
}

// optionValue reads a string, a signed number or a word.
func (p *stmtParser) optionValue(k int) (string, OptionValueKind, int) {
	t := p.t(k)
	switch t.Kind {
	case TokString:
		return t.Val, OptString, k + 1
	case TokInteger, TokNumber:
		return p.q[t.Pos:t.End], OptNumber, k + 1
	case TokIdent, TokQuotedIdent:
		return t.Val, OptIdent, k + 1
	case TokOp:
		if (t.Val == "-" || t.Val == "+") && (p.t(k+1).Kind == TokInteger || p.t(k+1).Kind == TokNumber) {
			n := p.t(k + 1)
			sign := t.Val
			if sign == "+" {
				sign = ""
			}
			return sign + p.q[n.Pos:n.End], OptNumber, k + 2
		}
	}
	p.fail(p.syntaxErrAt(k))
	return "", 0, 0
}

func (p *stmtParser) createView(i, k int, orReplace bool) Stmt {
	st := &CreateView{stmtBase: p.base(i), OrReplace: orReplace}
	st.Name, k = p.objectName(k)
	if p.punct(k, "(") {
		end := p.closeOf(k)
		st.Columns = p.names(k+1, end)
		k = end + 1
	}
	if p.kw(k, "with") {
		st.Options, k = p.options(k + 1)
	}
	k = p.expectKw(k, "as")
	end := p.end()
	for j := k; j < end; j++ {
		if p.match[j] > j {
			j = p.match[j]
			continue
		}
		if p.kw(j, "with") && p.kwAny(j+1, "check", "local", "cascaded") {
			p.unsupported(j, "WITH CHECK OPTION")
		}
	}
	st.Query = p.queryStmt(k, end)
	st.QueryText = st.Query.Text()
	return st
}

func (p *stmtParser) objectKind(k int) (ObjectKind, bool) {
	switch {
	case p.kw(k, "source"):
		return KindSource, true
	case p.kw(k, "view"):
		return KindView, true
	case p.kw(k, "table"):
		return KindTable, true
	}
	return "", false
}

func (p *stmtParser) alter(i int) Stmt {
	kind, ok := p.objectKind(i + 1)
	if !ok || kind == KindTable {
		p.unsupportedStmt(i)
	}
	st := &AlterOptions{stmtBase: p.base(i), Kind: kind}
	k := i + 2
	if p.kw(k, "if") && p.kw(k+1, "exists") {
		st.IfExists = true
		k += 2
	}
	st.Name, k = p.objectName(k)
	switch {
	case p.kw(k, "set") && p.punct(k+1, "("):
		st.Set, k = p.options(k + 1)
	case p.kw(k, "reset") && p.punct(k+1, "("):
		end := p.closeOf(k + 1)
		for j := k + 2; j < end; {
			key, n := p.label(j)
			for p.punct(n, ".") {
				var part string
				part, n = p.label(n + 1)
				key += "." + part
			}
			st.Reset = append(st.Reset, key)
			if n == end {
				break
			}
			j = p.expectPunct(n, ",")
			if j == end {
				p.fail(p.syntaxErrAt(j))
			}
		}
		if st.Reset == nil {
			p.fail(p.syntaxErrAt(end))
		}
		k = end + 1
	case p.t(k).Kind == TokIdent && p.t(k).Val != "set" && p.t(k).Val != "reset":
		p.unsupported(k, "ALTER "+string(kind)+" "+toUpper(p.t(k).Val))
	default:
		p.fail(p.syntaxErrAt(k))
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) drop(i int) Stmt {
	kind, ok := p.objectKind(i + 1)
	if !ok {
		p.unsupportedStmt(i)
	}
	st := &Drop{stmtBase: p.base(i), Kind: kind}
	k := i + 2
	if p.kw(k, "if") && p.kw(k+1, "exists") {
		st.IfExists = true
		k += 2
	}
	for {
		var n ObjectName
		n, k = p.objectName(k)
		st.Names = append(st.Names, n)
		if !p.punct(k, ",") {
			break
		}
		k++
	}
	switch {
	case p.kw(k, "cascade"):
		st.Cascade = true
		k++
	case p.kw(k, "restrict"):
		k++
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) show(i int) Stmt {
	k := i + 1
	base := p.base(i)
	switch {
	case p.kw(k, "sources") && p.t(k+1).Kind == TokEOF:
		return &ShowObjects{stmtBase: base, Kind: KindSource}
	case p.kw(k, "views") && p.t(k+1).Kind == TokEOF:
		return &ShowObjects{stmtBase: base, Kind: KindView}
	case p.kw(k, "create") && p.kwAny(k+1, "view", "source"):
		kind, _ := p.objectKind(k + 1)
		n, j := p.objectName(k + 2)
		p.expectEnd(j)
		return &ShowCreate{stmtBase: base, Kind: kind, Name: n}
	case p.kw(k, "time") && p.kw(k+1, "zone"):
		p.expectEnd(k + 2)
		return &ShowVar{stmtBase: base, Name: "timezone"}
	case p.kw(k, "transaction") && p.kw(k+1, "isolation") && p.kw(k+2, "level"):
		p.expectEnd(k + 3)
		return &ShowVar{stmtBase: base, Name: "transaction_isolation"}
	case p.kw(k, "session") && p.kw(k+1, "authorization"):
		p.expectEnd(k + 2)
		return &ShowVar{stmtBase: base, Name: "session_authorization"}
	case p.kw(k, "all"):
		p.expectEnd(k + 1)
		return &ShowVar{stmtBase: base, Name: "all"}
	}
	name, j := p.varName(k)
	p.expectEnd(j)
	return &ShowVar{stmtBase: base, Name: name}
}

// varName reads a possibly dotted setting name.
func (p *stmtParser) varName(k int) (string, int) {
	name, j := p.colID(k)
	for p.punct(j, ".") {
		var part string
		part, j = p.label(j + 1)
		name += "." + part
	}
	return name, j
}

func (p *stmtParser) refresh(i int) Stmt {
	k := i + 1
	if p.kw(k, "materialized") {
		p.unsupportedStmtWords(i, "REFRESH MATERIALIZED VIEW", "Use REFRESH VIEW: lambda views are refreshed by their batch layer.")
	}
	k = p.expectKw(k, "view")
	st := &Refresh{stmtBase: p.base(i)}
	st.Name, k = p.objectName(k)
	if p.kw(k, "full") {
		st.Full = true
		k++
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) unsupportedStmtWords(i int, name, hint string) {
	p.fail(sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported", name).WithHint("%s", hint).WithPosition(p.pos(i)))
}
