package sql

import (
	"strings"

	"lambdasql/sql/sqlstate"
)

// copyStmt parses COPY in both option syntaxes and checks the options the
// way PostgreSQL's ProcessCopyOptions does.
func (p *stmtParser) copyStmt(i int) Stmt {
	st := &Copy{stmtBase: p.base(i)}
	k := i + 1
	legacyBinary := false
	if p.kw(k, "binary") {
		legacyBinary = true
		k++
	}
	if p.punct(k, "(") {
		end := p.closeOf(k)
		if !p.isQueryStart(k + 1) {
			p.fail(p.syntaxErrAt(k + 1))
		}
		st.Query = p.queryStmt(k+1, end)
		k = end + 1
	} else {
		n, j := p.objectName(k)
		st.Table = &n
		k = j
		if p.punct(k, "(") {
			end := p.closeOf(k)
			st.Columns = p.names(k+1, end)
			k = end + 1
		}
	}
	switch {
	case p.kw(k, "from"):
		st.From = true
	case p.kw(k, "to"):
	default:
		p.fail(p.syntaxErrAt(k))
	}
	if st.From && st.Query != nil {
		p.fail(p.syntaxErrAt(k))
	}
	k++
	switch t := p.t(k); {
	case p.kw(k, "stdin") && st.From, p.kw(k, "stdout") && !st.From:
		st.Stdio = true
	case t.Kind == TokString:
		st.File = t.Val
	case p.kw(k, "program"):
		p.unsupported(k, "COPY PROGRAM")
	default:
		p.fail(p.syntaxErrAt(k))
	}
	k++
	o := copyOpts{p: p, st: st, given: map[string]bool{}}
	if legacyBinary {
		o.setFormat("binary", i+1)
	}
	if p.kw(k, "with") {
		k++
	}
	if p.punct(k, "(") {
		k = o.modern(k)
	} else {
		k = o.legacy(k)
	}
	if p.kw(k, "where") {
		p.unsupported(k, "COPY FROM … WHERE")
	}
	p.expectEnd(k)
	o.finish(i)
	return st
}

type copyOpts struct {
	p     *stmtParser
	st    *Copy
	given map[string]bool
	pos   map[string]int // token index of each option, for error positions
	quote *string
	esc   *string
	delim *string
	null  *string
}

func (o *copyOpts) once(name string, at int) {
	if o.given[name] {
		o.p.fail(sqlstate.New(sqlstate.SyntaxError, "conflicting or redundant options").WithPosition(o.p.pos(at)))
	}
	o.given[name] = true
	if o.pos == nil {
		o.pos = map[string]int{}
	}
	o.pos[name] = at
}

func (o *copyOpts) setFormat(f string, at int) {
	o.once("format", at)
	switch f {
	case "text", "csv", "binary":
		o.st.Format = CopyFormat(f)
	default:
		o.p.fail(sqlstate.New(sqlstate.InvalidParameterValue, "COPY format \"%s\" not recognized", f).WithPosition(o.p.pos(at)))
	}
}

// modern parses the parenthesized option list at k.
func (o *copyOpts) modern(k int) int {
	p := o.p
	end := p.closeOf(k)
	j := k + 1
	for {
		name, n := p.label(j)
		at := j
		switch name {
		case "force_quote", "force_not_null", "force_null":
			if p.isOp(n, "*") {
				if name != "force_quote" {
					p.fail(p.syntaxErrAt(n))
				}
				o.once(name, at)
				o.st.ForceQuoteAll = true
				n++
			} else {
				if !p.punct(n, "(") {
					p.fail(p.syntaxErrAt(n))
				}
				ce := p.closeOf(n)
				o.columnList(name, at, p.names(n+1, ce))
				n = ce + 1
			}
		default:
			val, has := "", false
			if n != end && !p.punct(n, ",") {
				val, _, n = p.optionValue(n)
				has = true
			}
			o.option(name, val, has, at)
		}
		if n == end {
			return end + 1
		}
		j = p.expectPunct(n, ",")
	}
}

func (o *copyOpts) columnList(name string, at int, cols []string) {
	o.once(name, at)
	switch name {
	case "force_quote":
		o.st.ForceQuote = cols
	case "force_not_null":
		o.st.ForceNotNull = cols
	case "force_null":
		o.st.ForceNull = cols
	}
}

func (o *copyOpts) option(name, val string, has bool, at int) {
	p := o.p
	needVal := func() {
		if !has {
			p.fail(sqlstate.New(sqlstate.SyntaxError, "%s requires a parameter", name).WithPosition(p.pos(at)))
		}
	}
	boolVal := func() bool {
		if !has {
			return true
		}
		switch strings.ToLower(val) {
		case "true", "on", "1", "yes":
			return true
		case "false", "off", "0", "no":
			return false
		}
		p.fail(sqlstate.New(sqlstate.InvalidParameterValue, "%s requires a Boolean value", name).WithPosition(p.pos(at)))
		return false
	}
	switch name {
	case "format":
		needVal()
		o.setFormat(strings.ToLower(val), at)
	case "freeze":
		o.once(name, at)
		o.st.Freeze = boolVal()
	case "delimiter":
		needVal()
		o.once(name, at)
		o.delim = &val
	case "null":
		needVal()
		o.once(name, at)
		o.null = &val
	case "default":
		needVal()
		o.once(name, at)
		v := val
		o.st.Default = &v
	case "header":
		o.once(name, at)
		if has && strings.EqualFold(val, "match") {
			o.st.Header, o.st.HeaderMatch = true, true
		} else {
			o.st.Header = boolVal()
		}
	case "quote":
		needVal()
		o.once(name, at)
		o.quote = &val
	case "escape":
		needVal()
		o.once(name, at)
		o.esc = &val
	case "encoding":
		needVal()
		o.once(name, at)
		o.st.Encoding = val
	default:
		p.fail(sqlstate.New(sqlstate.SyntaxError, "option \"%s\" not recognized", name).WithPosition(p.pos(at)))
	}
}

// legacy parses the pre-9.0 option syntax: BINARY, DELIMITER [AS] 'c',
// NULL [AS] 'x', CSV, HEADER, QUOTE [AS] 'q', ESCAPE [AS] 'e', FORCE QUOTE
// cols|*, FORCE NOT NULL cols, ENCODING 'x', FREEZE.
func (o *copyOpts) legacy(k int) int {
	p := o.p
	str := func(j int) (string, int) {
		if p.kw(j, "as") {
			j++
		}
		t := p.t(j)
		if t.Kind != TokString {
			p.fail(p.syntaxErrAt(j))
		}
		return t.Val, j + 1
	}
	cols := func(j int) ([]string, int) {
		var out []string
		for {
			c, n := p.colID(j)
			out = append(out, c)
			if !p.punct(n, ",") {
				return out, n
			}
			j = n + 1
		}
	}
	for {
		at := k
		switch {
		case p.kw(k, "binary"):
			o.setFormat("binary", at)
			k++
		case p.kw(k, "csv"):
			o.setFormat("csv", at)
			k++
		case p.kw(k, "header"):
			o.option("header", "", false, at)
			k++
		case p.kw(k, "freeze"):
			o.option("freeze", "", false, at)
			k++
		case p.kwAny(k, "delimiter", "null", "quote", "escape", "encoding"):
			var v string
			v, k = str(k + 1)
			o.option(p.t(at).Val, v, true, at)
		case p.kw(k, "force") && p.kw(k+1, "quote"):
			if p.isOp(k+2, "*") {
				o.once("force_quote", at)
				o.st.ForceQuoteAll = true
				k += 3
			} else {
				var c []string
				c, k = cols(k + 2)
				o.columnList("force_quote", at, c)
			}
		case p.kw(k, "force") && p.kw(k+1, "not") && p.kw(k+2, "null"):
			var c []string
			c, k = cols(k + 3)
			o.columnList("force_not_null", at, c)
		case p.kw(k, "force") && p.kw(k+1, "null"):
			var c []string
			c, k = cols(k + 2)
			o.columnList("force_null", at, c)
		default:
			return k
		}
	}
}

// finish applies PostgreSQL's defaults and consistency checks.
func (o *copyOpts) finish(i int) {
	p, st := o.p, o.st
	if st.Format == "" {
		st.Format = CopyText
	}
	csv := st.Format == CopyCSV
	errAt := func(code, name, format string, args ...any) {
		at := i
		if k, ok := o.pos[name]; ok {
			at = k
		}
		p.fail(sqlstate.New(code, format, args...).WithPosition(p.pos(at)))
	}
	if st.Format == CopyBinary {
		switch {
		case o.delim != nil:
			errAt(sqlstate.SyntaxError, "delimiter", "cannot specify DELIMITER in BINARY mode")
		case o.null != nil:
			errAt(sqlstate.SyntaxError, "null", "cannot specify NULL in BINARY mode")
		case st.Header:
			errAt(sqlstate.FeatureNotSupported, "header", "cannot specify HEADER in BINARY mode")
		case st.Default != nil:
			errAt(sqlstate.SyntaxError, "default", "cannot specify DEFAULT in BINARY mode")
		}
	}
	st.Delimiter, st.Null = "\t", `\N`
	if csv {
		st.Delimiter, st.Null, st.Quote = ",", "", `"`
	}
	if o.delim != nil {
		st.Delimiter = *o.delim
	}
	if o.null != nil {
		st.Null = *o.null
	}
	if len(st.Delimiter) != 1 {
		errAt(sqlstate.FeatureNotSupported, "delimiter", "COPY delimiter must be a single one-byte character")
	}
	if st.Delimiter == "\n" || st.Delimiter == "\r" {
		errAt(sqlstate.InvalidParameterValue, "delimiter", "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(st.Null, "\r\n") {
		errAt(sqlstate.InvalidParameterValue, "null", "COPY null representation cannot use newline or carriage return")
	}
	if !csv && strings.Contains(`\.abcdefghijklmnopqrstuvwxyz0123456789`, st.Delimiter) && st.Format != CopyBinary {
		errAt(sqlstate.InvalidParameterValue, "delimiter", "COPY delimiter cannot be \"%s\"", st.Delimiter)
	}
	if st.HeaderMatch && !st.From {
		errAt(sqlstate.FeatureNotSupported, "header", "cannot use \"match\" with HEADER in COPY TO")
	}
	if o.quote != nil {
		if !csv {
			errAt(sqlstate.FeatureNotSupported, "quote", "COPY quote available only in CSV mode")
		}
		st.Quote = *o.quote
	}
	if csv && len(st.Quote) != 1 {
		errAt(sqlstate.FeatureNotSupported, "quote", "COPY quote must be a single one-byte character")
	}
	if csv && st.Delimiter == st.Quote {
		errAt(sqlstate.InvalidParameterValue, "quote", "COPY delimiter and quote must be different")
	}
	if o.esc != nil {
		if !csv {
			errAt(sqlstate.FeatureNotSupported, "escape", "COPY escape available only in CSV mode")
		}
		st.Escape = *o.esc
	} else if csv {
		st.Escape = st.Quote
	}
	if csv && len(st.Escape) != 1 {
		errAt(sqlstate.FeatureNotSupported, "escape", "COPY escape must be a single one-byte character")
	}
	if st.ForceQuote != nil || st.ForceQuoteAll {
		if !csv {
			errAt(sqlstate.FeatureNotSupported, "force_quote", "COPY force quote available only in CSV mode")
		}
		if st.From {
			errAt(sqlstate.FeatureNotSupported, "force_quote", "COPY force quote only available using COPY TO")
		}
	}
	if st.ForceNotNull != nil {
		if !csv {
			errAt(sqlstate.FeatureNotSupported, "force_not_null", "COPY force not null available only in CSV mode")
		}
		if !st.From {
			errAt(sqlstate.FeatureNotSupported, "force_not_null", "COPY force not null only available using COPY FROM")
		}
	}
	if st.ForceNull != nil {
		if !csv {
			errAt(sqlstate.FeatureNotSupported, "force_null", "COPY force null available only in CSV mode")
		}
		if !st.From {
			errAt(sqlstate.FeatureNotSupported, "force_null", "COPY force null only available using COPY FROM")
		}
	}
	if strings.Contains(st.Null, st.Delimiter) {
		errAt(sqlstate.InvalidParameterValue, "null", "COPY delimiter must not appear in the NULL specification")
	}
	if csv && strings.Contains(st.Null, st.Quote) {
		errAt(sqlstate.InvalidParameterValue, "null", "CSV quote character must not appear in the NULL specification")
	}
	if st.Default != nil && !st.From {
		errAt(sqlstate.FeatureNotSupported, "default", "COPY DEFAULT only available using COPY FROM")
	}
	if st.Format == CopyBinary {
		st.Delimiter, st.Null, st.Quote, st.Escape = "", "", "", ""
	}
}
