package sql

import (
	"strconv"
	"strings"
)

// kwp emits keyword w for token i with a space before it.
func (r *rewriter) kwp(i int, w string) piece {
	p := r.word(i, w)
	p.gap = true
	return p
}

// primary parses an operand: a literal, parameter, name, call, or a
// bracketed or keyword-led construct.
func (r *rewriter) primary(i int) (ex, int) {
	t := r.t(i)
	switch t.Kind {
	case TokInteger:
		e := atomOf(frag{r.tok(i)}, t.Pos)
		e.intLit = true
		return e, i + 1
	case TokNumber, TokString, TokParam:
		return atomOf(frag{r.tok(i)}, t.Pos), i + 1
	case TokBitString:
		return atomOf(fcall("__cast", t.Pos, r.gapBefore(i), strFrag(t.Val, t.Pos), strFrag("bit", t.Pos)), t.Pos), i + 1
	case TokPunct:
		if t.Val == "(" {
			return r.parenExpr(i)
		}
	case TokQuotedIdent:
		return r.nameExpr(i)
	case TokIdent:
		return r.wordExpr(i)
	}
	r.fail(r.syntaxErrAt(i))
	return ex{}, 0
}

func (r *rewriter) parenExpr(i int) (ex, int) {
	end := r.closeOf(i)
	f := frag{r.tok(i)}
	if r.isQueryStart(i + 1) {
		f = append(f, r.query(i+1, end)...)
	} else {
		if end == i+1 {
			r.fail(r.syntaxErrAt(end))
		}
		f = append(f, r.exprList(i+1, end)...)
	}
	f = append(f, r.tok(end))
	e := atomOf(f, r.t(i).Pos)
	j := end + 1
	for r.punct(j, ".") {
		nt := r.t(j + 1)
		if nt.Kind == TokIdent || nt.Kind == TokQuotedIdent {
			e = atomOf(fcall("__field", nt.Pos, leadGap(e.f), e.f, strFrag(nt.Val, nt.Pos)), e.pos)
			j += 2
			continue
		}
		if r.isOp(j+1, "*") {
			r.unsupported(j+1, "(composite).*")
		}
		r.fail(r.syntaxErrAt(j + 1))
	}
	return e, j
}

// wordExpr handles a primary that starts with an unquoted word.
func (r *rewriter) wordExpr(i int) (ex, int) {
	t := r.t(i)
	w := t.Val
	pos := t.Pos
	g := r.gapBefore(i)
	callNoArgs := func(name string) (ex, int) {
		return atomOf(frag{{text: name, orig: pos, gap: g}, {text: "(", orig: pos}, {text: ")", orig: pos}}, pos), i + 1
	}
	switch w {
	case "null":
		e := atomOf(frag{r.tok(i)}, pos)
		e.null = true
		return e, i + 1
	case "true", "false":
		return atomOf(frag{r.tok(i)}, pos), i + 1
	case "case":
		return r.caseExpr(i)
	case "cast":
		if r.punct(i+1, "(") {
			return r.castExpr(i)
		}
	case "array":
		if r.punct(i+1, "[") {
			end := r.closeOf(i + 1)
			return atomOf(fcall("__array", pos, g, r.arrayElems(i+1, end)...), pos), end + 1
		}
		if r.punct(i+1, "(") {
			end := r.closeOf(i + 1)
			if !r.isQueryStart(i + 2) {
				r.fail(r.syntaxErrAt(i + 2))
			}
			sub := frag{r.tok(i + 1)}
			sub = append(sub, r.query(i+2, end)...)
			sub = append(sub, r.tok(end))
			return atomOf(fcall("__array_subquery", pos, g, sub), pos), end + 1
		}
	case "exists":
		if r.punct(i+1, "(") {
			end := r.closeOf(i + 1)
			if !r.isQueryStart(i + 2) {
				r.fail(r.syntaxErrAt(i + 2))
			}
			f := frag{r.tok(i), r.tok(i + 1)}
			f[1].gap = true
			f = append(f, r.query(i+2, end)...)
			f = append(f, r.tok(end))
			return atomOf(f, pos), end + 1
		}
	case "row":
		if r.punct(i+1, "(") {
			end := r.closeOf(i + 1)
			f := frag{r.tok(i), r.tok(i + 1)}
			f[1].gap = false
			if end > i+2 {
				f = append(f, r.exprList(i+2, end)...)
			}
			f = append(f, r.tok(end))
			return atomOf(f, pos), end + 1
		}
	case "interval":
		if e, j, ok := r.intervalLit(i); ok {
			return e, j
		}
	case "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp":
		f := frag{r.tok(i)}
		j := i + 1
		if w != "current_date" && r.punct(j, "(") && r.t(j+1).Kind == TokInteger && r.punct(j+2, ")") {
			f = append(f, piece{text: "(" + r.t(j+1).Val + ")", orig: r.t(j).Pos})
			j += 3
		}
		return atomOf(f, pos), j
	case "current_user":
		return atomOf(frag{r.tok(i)}, pos), i + 1
	case "current_role", "user":
		return callNoArgs("current_user")
	case "session_user":
		return callNoArgs("session_user")
	case "system_user":
		return callNoArgs("system_user")
	case "current_catalog":
		return callNoArgs("current_database")
	case "current_schema":
		if r.punct(i+1, "(") && r.punct(i+2, ")") {
			e, _ := callNoArgs("current_schema")
			return e, i + 3
		}
		return callNoArgs("current_schema")
	}
	cat := pgCategory(w)
	if cat == kwReserved {
		r.fail(r.syntaxErrAt(i))
	}
	if e, j, ok := r.typedLit(i); ok {
		return e, j
	}
	if cat == kwTypeFunc && !r.punct(i+1, "(") {
		r.fail(r.syntaxErrAt(i))
	}
	return r.nameExpr(i)
}

// nameExpr parses a column reference (a.b.c, t.*) or a function call.
func (r *rewriter) nameExpr(i int) (ex, int) {
	if r.t(i).Kind == TokQuotedIdent {
		if e, j, ok := r.typedLit(i); ok {
			return e, j
		}
	}
	parts, star, j := r.nameChain(i)
	if !star && r.punct(j, "(") {
		return r.call(parts, j, false)
	}
	f := r.chainFrag(parts)
	if star {
		f = append(f, piece{text: ".*", orig: r.t(j - 1).Pos})
	}
	return atomOf(f, r.t(i).Pos), j
}

// nameChain reads name(.name)*[.*] at i.
func (r *rewriter) nameChain(i int) (parts []int, star bool, next int) {
	parts = []int{i}
	j := i + 1
	for r.punct(j, ".") {
		nt := r.t(j + 1)
		if nt.Kind == TokIdent || nt.Kind == TokQuotedIdent {
			parts = append(parts, j+1)
			j += 2
			continue
		}
		if r.isOp(j+1, "*") {
			return parts, true, j + 2
		}
		break
	}
	return parts, false, j
}

func (r *rewriter) chainFrag(parts []int) frag {
	var f frag
	for k, p := range parts {
		n := r.name(p)
		if k > 0 {
			f = append(f, piece{text: ".", orig: r.t(p).Pos - 1})
			n.gap = false
		}
		f = append(f, n)
	}
	return f
}

// typedLit parses "type 'literal'" (interval aside): int '1', timestamptz
// '…', double precision '1', pg_catalog.int4 '1'. DATE '…' and TIMESTAMP
// '…' stay as they are; TiDB reads them.
func (r *rewriter) typedLit(i int) (ex, int, bool) {
	tn, j, ok := r.typeName(i, false)
	if !ok || r.t(j).Kind != TokString {
		return ex{}, 0, false
	}
	pos := r.t(i).Pos
	if (tn == "date" || tn == "timestamp") && j == i+1 {
		f := frag{r.tok(i), r.tok(j)}
		return atomOf(f, pos), j + 1, true
	}
	if strings.HasPrefix(tn, "interval") && tn != "interval" {
		// interval hour '1' is not PostgreSQL; the qualifier comes after the literal.
		return ex{}, 0, false
	}
	lit := r.t(j)
	return atomOf(fcall("__cast", pos, r.gapBefore(i), strFrag(lit.Val, lit.Pos), strFrag(tn, pos)), pos), j + 1, true
}

var intervalUnits = map[string]bool{"year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true}

// intervalLit parses INTERVAL [(p)] 'literal' [qualifier].
func (r *rewriter) intervalLit(i int) (ex, int, bool) {
	j := i + 1
	if r.punct(j, "(") && r.t(j+1).Kind == TokInteger && r.punct(j+2, ")") {
		j += 3
	}
	lit := r.t(j)
	if lit.Kind != TokString {
		return ex{}, 0, false
	}
	j++
	val := lit.Val
	if r.kwAny(j, "year", "month", "day", "hour", "minute", "second") {
		unit := r.t(j).Val
		j++
		if r.punct(j, "(") && r.t(j+1).Kind == TokInteger && r.punct(j+2, ")") {
			j += 3
		}
		to := false
		if r.kw(j, "to") && r.kwAny(j+1, "month", "hour", "minute", "second") {
			j += 2
			to = true
			if r.punct(j, "(") && r.t(j+1).Kind == TokInteger && r.punct(j+2, ")") {
				j += 3
			}
		}
		// A bare number takes the unit: INTERVAL '1' HOUR is one hour.
		if _, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil && !to {
			val = strings.TrimSpace(val) + " " + unit
		}
	}
	pos := r.t(i).Pos
	return atomOf(fcall("__cast", pos, r.gapBefore(i), strFrag(val, lit.Pos), strFrag("interval", pos)), pos), j, true
}

func (r *rewriter) caseExpr(i int) (ex, int) {
	f := frag{r.tok(i)}
	k := i + 1
	if !r.kw(k, "when") {
		e, j := r.expr(k, ppNone)
		f = append(f, setGap(e.f, true)...)
		k = j
	}
	if !r.kw(k, "when") {
		r.fail(r.syntaxErrAt(k))
	}
	for r.kw(k, "when") {
		c, j := r.expr(k+1, ppNone)
		if !r.kw(j, "then") {
			r.fail(r.syntaxErrAt(j))
		}
		v, j2 := r.expr(j+1, ppNone)
		f = append(f, r.kwp(k, "when"))
		f = append(f, setGap(c.f, true)...)
		f = append(f, r.kwp(j, "then"))
		f = append(f, setGap(v.f, true)...)
		k = j2
	}
	if r.kw(k, "else") {
		e, j := r.expr(k+1, ppNone)
		f = append(f, r.kwp(k, "else"))
		f = append(f, setGap(e.f, true)...)
		k = j
	}
	if !r.kw(k, "end") {
		r.fail(r.syntaxErrAt(k))
	}
	f = append(f, r.kwp(k, "end"))
	return atomOf(f, r.t(i).Pos), k + 1
}

func (r *rewriter) castExpr(i int) (ex, int) {
	open := i + 1
	end := r.closeOf(open)
	e, k := r.expr(open+1, ppNone)
	if !r.kw(k, "as") {
		r.fail(r.syntaxErrAt(k))
	}
	tn, j, ok := r.typeName(k+1, true)
	if !ok {
		r.fail(r.syntaxErrAt(k + 1))
	}
	if j != end {
		r.fail(r.syntaxErrAt(j))
	}
	pos := r.t(i).Pos
	return atomOf(fcall("__cast", pos, r.gapBefore(i), e.f, strFrag(tn, r.t(k+1).Pos)), pos), end + 1
}

// arrayElems rewrites the elements of ARRAY[…] (the brackets at open and end).
func (r *rewriter) arrayElems(open, end int) []frag {
	var out []frag
	k := open + 1
	for k < end {
		if r.punct(k, "[") {
			e := r.closeOf(k)
			out = append(out, fcall("__array", r.t(k).Pos, false, r.arrayElems(k, e)...))
			k = e + 1
		} else {
			x, j := r.expr(k, ppNone)
			out = append(out, x.f)
			k = j
		}
		if k == end {
			break
		}
		if !r.punct(k, ",") {
			r.fail(r.syntaxErrAt(k))
		}
		k++
		if k == end {
			r.fail(r.syntaxErrAt(k))
		}
	}
	return out
}

// funcName returns how a function name is emitted and its plain name (""
// when qualified or quoted, so the special forms do not apply).
func (r *rewriter) funcName(parts []int) (frag, string) {
	if len(parts) == 2 && r.t(parts[0]).Kind == TokIdent && r.t(parts[0]).Val == "pg_catalog" {
		parts = parts[1:]
	}
	if len(parts) > 1 {
		return r.chainFrag(parts), ""
	}
	t := r.t(parts[0])
	p := r.name(parts[0])
	if t.Kind == TokQuotedIdent {
		return frag{p}, ""
	}
	name := t.Val
	switch name {
	case "stddev":
		name = "stddev_samp"
	case "variance":
		name = "var_samp"
	}
	p.text = name
	if tidbKeywords[name] && !tidbGrammarFuncs[name] {
		p.text = quoteIdent(name)
	}
	p.exact = p.text == r.q[t.Pos:t.End]
	return frag{p}, name
}

// call parses a function call whose name is parts and whose argument list
// opens at open. inFrom skips the aggregate and window tails.
func (r *rewriter) call(parts []int, open int, inFrom bool) (ex, int) {
	head, fn := r.funcName(parts)
	head = setGap(head, r.gapBefore(parts[0]))
	pos := r.t(parts[0]).Pos
	end := r.closeOf(open)
	lp := piece{text: "(", orig: r.t(open).Pos}
	rp := piece{text: ")", orig: r.t(end).Pos}
	var core frag
	special := true
	switch fn {
	case "extract":
		core = r.extractCall(open, end, pos)
	case "substring":
		core = r.substringCall(open, end, head)
	case "position":
		core = r.positionCall(open, end, head)
	case "trim":
		core = r.trimCall(open, end, head)
	case "overlay":
		core = r.overlayCall(open, end, head)
	default:
		special = false
	}
	var distinct bool
	var order []sortItem
	if !special {
		core = append(frag(nil), head...)
		core = append(core, lp)
		k := open + 1
		switch {
		case k == end:
		case r.isOp(k, "*") && k+1 == end:
			core = append(core, r.tok(k))
			k++
		default:
			if r.kw(k, "distinct") {
				distinct = true
				k++
			} else if r.kw(k, "all") {
				k++
			}
			for {
				if r.kw(k, "variadic") {
					r.unsupported(k, "VARIADIC")
				}
				if (r.t(k).Kind == TokIdent || r.t(k).Kind == TokQuotedIdent) && (r.isOp(k+1, "=>") || r.isOp(k+1, ":=")) {
					r.unsupported(k, "named arguments")
				}
				e, j := r.expr(k, ppNone)
				core = append(core, e.f...)
				k = j
				if !r.punct(k, ",") {
					break
				}
				core = append(core, r.tok(k))
				k++
			}
			if r.kw(k, "order") && r.kw(k+1, "by") {
				order, k = r.sortItems(k + 2)
			}
		}
		if k != end {
			r.fail(r.syntaxErrAt(k))
		}
		core = append(core, rp)
	}
	j := end + 1
	if inFrom {
		return atomOf(core, pos), j
	}
	if distinct {
		if tidbDistinctAggs[fn] {
			at := len(head) + 1
			core = append(append(append(frag(nil), core[:at]...), piece{text: "distinct", orig: r.t(open + 1).Pos}), core[at:]...)
		} else {
			core = fcall("__agg_distinct", pos, leadGap(core), core)
		}
	}
	wrapped := (distinct && !tidbDistinctAggs[fn]) || order != nil
	if order != nil {
		core = fcall("__agg_order", pos, leadGap(core), append([]frag{core}, sortArgs(order)...)...)
	}
	if r.kw(j, "within") && r.kw(j+1, "group") && r.punct(j+2, "(") {
		gend := r.closeOf(j + 2)
		if !r.kw(j+3, "order") || !r.kw(j+4, "by") {
			r.fail(r.syntaxErrAt(j + 3))
		}
		if order != nil {
			r.fail(r.syntaxErrAt(j))
		}
		items, k := r.sortItems(j + 5)
		if k != gend {
			r.fail(r.syntaxErrAt(k))
		}
		core = fcall("__within_group", pos, leadGap(core), append([]frag{core}, sortArgs(items)...)...)
		wrapped = true
		j = gend + 1
	}
	if r.kw(j, "filter") && r.punct(j+1, "(") {
		gend := r.closeOf(j + 1)
		if !r.kw(j+2, "where") {
			r.fail(r.syntaxErrAt(j + 2))
		}
		c, k := r.expr(j+3, ppNone)
		if k != gend {
			r.fail(r.syntaxErrAt(k))
		}
		core = fcall("__agg_filter", pos, leadGap(core), core, c.f)
		wrapped = true
		j = gend + 1
	}
	if r.kw(j, "over") {
		switch {
		case distinct:
			r.unsupported(j, "DISTINCT in a window function")
		case wrapped:
			r.unsupported(j, "OVER on an aggregate with FILTER, ORDER BY or WITHIN GROUP")
		case !tidbWindowFuncs[fn]:
			name := fn
			if name == "" {
				name = renderText(head)
			}
			r.unsupported(j, "window function "+name)
		}
		core = append(core, r.kwp(j, "over"))
		if r.punct(j+1, "(") {
			gend := r.closeOf(j + 1)
			core = append(core, r.tok(j+1))
			core[len(core)-1].gap = true
			core = append(core, r.windowSpec(j+2, gend)...)
			core = append(core, r.tok(gend))
			j = gend + 1
		} else if r.t(j+1).Kind == TokIdent || r.t(j+1).Kind == TokQuotedIdent {
			n := r.name(j + 1)
			n.gap = true
			core = append(core, n)
			j += 2
		} else {
			r.fail(r.syntaxErrAt(j + 1))
		}
	}
	return atomOf(core, pos), j
}

func (r *rewriter) extractCall(open, end, pos int) frag {
	ft := r.t(open + 1)
	if ft.Kind != TokIdent && ft.Kind != TokString || !r.kw(open+2, "from") {
		r.fail(r.syntaxErrAt(open + 1))
	}
	e, k := r.expr(open+3, ppNone)
	if k != end {
		r.fail(r.syntaxErrAt(k))
	}
	return fcall("date_part", pos, r.gapBefore(open-1), strFrag(strings.ToLower(ft.Val), ft.Pos), e.f)
}

func (r *rewriter) argsCall(head frag, pos int, args ...frag) frag {
	f := fcall("x", pos, false, args...)
	return append(append(frag(nil), head...), f[1:]...)
}

func (r *rewriter) substringCall(open, end int, head frag) frag {
	pos := r.t(open).Pos
	x, k := r.expr(open+1, ppNone)
	switch {
	case k == end || r.punct(k, ","):
		args := []frag{x.f}
		if k != end {
			for _, e := range r.exprs(k+1, end) {
				args = append(args, e.f)
			}
		}
		return r.argsCall(head, pos, args...)
	case r.kw(k, "from"):
		a, j := r.expr(k+1, ppNone)
		if r.kw(j, "for") {
			b, j2 := r.expr(j+1, ppNone)
			if j2 != end {
				r.fail(r.syntaxErrAt(j2))
			}
			return r.argsCall(head, pos, x.f, a.f, b.f)
		}
		if j != end {
			r.fail(r.syntaxErrAt(j))
		}
		return r.argsCall(head, pos, x.f, a.f)
	case r.kw(k, "for"):
		b, j := r.expr(k+1, ppNone)
		a := frag{{text: "1", orig: r.t(k).Pos}}
		if r.kw(j, "from") {
			e, j2 := r.expr(j+1, ppNone)
			a, j = e.f, j2
		}
		if j != end {
			r.fail(r.syntaxErrAt(j))
		}
		return r.argsCall(head, pos, x.f, a, b.f)
	case r.kw(k, "similar"):
		r.unsupported(k, "substring with SIMILAR")
	}
	r.fail(r.syntaxErrAt(k))
	return nil
}

func (r *rewriter) positionCall(open, end int, head frag) frag {
	a, k := r.expr(open+1, ppLike)
	if !r.kw(k, "in") {
		r.fail(r.syntaxErrAt(k))
	}
	b, j := r.expr(k+1, ppLike)
	if j != end {
		r.fail(r.syntaxErrAt(j))
	}
	f := append(frag(nil), head...)
	f = append(f, piece{text: "(", orig: r.t(open).Pos})
	f = append(f, setGap(wrap(a, tpBitOr), false)...)
	f = append(f, r.kwp(k, "in"))
	f = append(f, setGap(wrap(b, tpBitOr), true)...)
	return append(f, piece{text: ")", orig: r.t(end).Pos})
}

func (r *rewriter) trimCall(open, end int, head frag) frag {
	k := open + 1
	dir := ""
	if r.kwAny(k, "both", "leading", "trailing") {
		dir = r.t(k).Val
		k++
	}
	pos := r.t(open).Pos
	native := func(chars *ex, from ex) frag {
		f := append(frag(nil), head...)
		f = append(f, piece{text: "(", orig: pos})
		if dir != "" {
			f = append(f, piece{text: dir, orig: pos})
		}
		if chars != nil {
			f = append(f, setGap(chars.f, dir != "")...)
		}
		if dir != "" || chars != nil {
			f = append(f, piece{text: "from", orig: pos, gap: true})
		}
		f = append(f, setGap(from.f, dir != "" || chars != nil)...)
		return append(f, piece{text: ")", orig: r.t(end).Pos})
	}
	if r.kw(k, "from") {
		s, j := r.expr(k+1, ppNone)
		if j != end {
			r.fail(r.syntaxErrAt(j))
		}
		if dir == "" {
			dir = "both"
		}
		return native(nil, s)
	}
	first, j := r.expr(k, ppNone)
	switch {
	case r.kw(j, "from"):
		s, j2 := r.expr(j+1, ppNone)
		if j2 != end {
			r.fail(r.syntaxErrAt(j2))
		}
		return native(&first, s)
	case r.punct(j, ","):
		chars, j2 := r.expr(j+1, ppNone)
		if j2 != end {
			r.fail(r.syntaxErrAt(j2))
		}
		name := map[string]string{"": "btrim", "both": "btrim", "leading": "ltrim", "trailing": "rtrim"}[dir]
		return fcall(name, r.t(open-1).Pos, leadGap(head), first.f, chars.f)
	case j == end:
		return native(nil, first)
	}
	r.fail(r.syntaxErrAt(j))
	return nil
}

func (r *rewriter) overlayCall(open, end int, head frag) frag {
	pos := r.t(open).Pos
	x, k := r.expr(open+1, ppNone)
	if !r.kw(k, "placing") {
		if k != end && !r.punct(k, ",") {
			r.fail(r.syntaxErrAt(k))
		}
		args := []frag{x.f}
		if k != end {
			for _, e := range r.exprs(k+1, end) {
				args = append(args, e.f)
			}
		}
		return r.argsCall(head, pos, args...)
	}
	y, j := r.expr(k+1, ppNone)
	if !r.kw(j, "from") {
		r.fail(r.syntaxErrAt(j))
	}
	a, j2 := r.expr(j+1, ppNone)
	args := []frag{x.f, y.f, a.f}
	if r.kw(j2, "for") {
		b, j3 := r.expr(j2+1, ppNone)
		args = append(args, b.f)
		j2 = j3
	}
	if j2 != end {
		r.fail(r.syntaxErrAt(j2))
	}
	return r.argsCall(head, pos, args...)
}

// sortItem is one ORDER BY key.
type sortItem struct {
	key  frag // the key, wrapped in __nulls_first/__nulls_last when asked
	dir  string
	dirI int // token index of the direction keyword, or -1
	pos  int
}

// sortItems parses "key [ASC|DESC|USING op] [NULLS FIRST|LAST], …" at k.
func (r *rewriter) sortItems(k int) ([]sortItem, int) {
	var items []sortItem
	for {
		e, j := r.expr(k, ppNone)
		it := sortItem{key: e.f, dirI: -1, pos: e.pos}
		switch {
		case r.kwAny(j, "asc", "desc"):
			it.dir, it.dirI = r.t(j).Val, j
			j++
		case r.kw(j, "using"):
			switch {
			case r.isOp(j+1, "<"):
				it.dir = "asc"
			case r.isOp(j+1, ">"):
				it.dir = "desc"
			default:
				r.unsupported(j, "ORDER BY USING")
			}
			it.dirI = j
			j += 2
		}
		if r.kw(j, "nulls") && r.kwAny(j+1, "first", "last") {
			name := "__nulls_" + r.t(j+1).Val
			it.key = fcall(name, e.pos, leadGap(e.f), e.f)
			j += 2
		}
		items = append(items, it)
		if !r.punct(j, ",") {
			return items, j
		}
		k = j + 1
	}
}

// sortArgs renders sort keys as key, 'asc'|'desc' argument pairs.
func sortArgs(items []sortItem) []frag {
	var out []frag
	for _, it := range items {
		dir := it.dir
		if dir == "" {
			dir = "asc"
		}
		out = append(out, it.key, strFrag(dir, it.pos))
	}
	return out
}

// sortFrag renders sort keys as an ORDER BY list.
func (r *rewriter) sortFrag(items []sortItem) frag {
	var f frag
	for n, it := range items {
		if n > 0 {
			f = append(f, piece{text: ",", orig: it.pos})
		}
		f = append(f, setGap(it.key, true)...)
		if it.dir != "" {
			f = append(f, r.kwp(it.dirI, it.dir))
		}
	}
	return f
}

// windowSpec rewrites the inside of OVER (…) or WINDOW w AS (…).
func (r *rewriter) windowSpec(lo, hi int) frag {
	var f frag
	k := lo
	if (r.t(k).Kind == TokIdent || r.t(k).Kind == TokQuotedIdent) && !r.kwAny(k, "partition", "order", "rows", "range", "groups") {
		f = append(f, r.name(k))
		k++
	}
	if r.kw(k, "partition") && r.kw(k+1, "by") {
		f = append(f, r.kwp(k, "partition"), r.kwp(k+1, "by"))
		k += 2
		for {
			e, j := r.expr(k, ppNone)
			f = append(f, setGap(e.f, true)...)
			k = j
			if !r.punct(k, ",") {
				break
			}
			f = append(f, r.tok(k))
			k++
		}
	}
	if r.kw(k, "order") && r.kw(k+1, "by") {
		items, j := r.sortItems(k + 2)
		f = append(f, r.kwp(k, "order"), r.kwp(k+1, "by"))
		f = append(f, r.sortFrag(items)...)
		k = j
	}
	if r.kwAny(k, "rows", "range", "groups") {
		mode := r.t(k).Val
		if mode == "groups" {
			r.unsupported(k, "GROUPS window frames")
		}
		f = append(f, r.kwp(k, mode))
		k++
		if r.kw(k, "between") {
			f = append(f, r.kwp(k, "between"))
			k = r.frameBound(&f, k+1, mode)
			if !r.kw(k, "and") {
				r.fail(r.syntaxErrAt(k))
			}
			f = append(f, r.kwp(k, "and"))
			k = r.frameBound(&f, k+1, mode)
		} else {
			k = r.frameBound(&f, k, mode)
		}
		if r.kw(k, "exclude") {
			r.unsupported(k, "EXCLUDE in window frames")
		}
	}
	if k != hi {
		r.fail(r.syntaxErrAt(k))
	}
	return f
}

func (r *rewriter) frameBound(f *frag, k int, mode string) int {
	switch {
	case r.kw(k, "unbounded") && r.kwAny(k+1, "preceding", "following"):
		*f = append(*f, r.kwp(k, "unbounded"), r.kwp(k+1, r.t(k+1).Val))
		return k + 2
	case r.kw(k, "current") && r.kw(k+1, "row"):
		*f = append(*f, r.kwp(k, "current"), r.kwp(k+1, "row"))
		return k + 2
	}
	var j int
	if mode == "range" && r.kw(k, "interval") && r.t(k+1).Kind == TokString {
		// TiDB takes RANGE offsets as INTERVAL n UNIT.
		lit := r.t(k + 1)
		val := lit.Val
		j = k + 2
		if r.kwAny(j, "year", "month", "day", "hour", "minute", "second") {
			val += " " + r.t(j).Val
			j++
		}
		n, unit, ok := singleUnitInterval(val)
		if !ok {
			r.unsupported(k, "RANGE offset "+quoteString(lit.Val))
		}
		*f = append(*f, r.kwp(k, "interval"), piece{text: n, orig: lit.Pos, gap: true}, piece{text: unit, orig: lit.Pos, gap: true})
	} else {
		e, j2 := r.expr(k, ppNone)
		*f = append(*f, setGap(e.f, true)...)
		j = j2
	}
	if !r.kwAny(j, "preceding", "following") {
		r.fail(r.syntaxErrAt(j))
	}
	*f = append(*f, r.kwp(j, r.t(j).Val))
	return j + 1
}

// singleUnitInterval reads "<number> <unit>" (PostgreSQL unit spellings)
// and returns TiDB's number and unit keyword.
func singleUnitInterval(s string) (string, string, bool) {
	fs := strings.Fields(strings.ToLower(s))
	if len(fs) == 1 {
		// "1h", "5min": split a glued unit.
		i := 0
		for i < len(fs[0]) && (isDigit(fs[0][i]) || fs[0][i] == '.') {
			i++
		}
		if i == 0 || i == len(fs[0]) {
			return "", "", false
		}
		fs = []string{fs[0][:i], fs[0][i:]}
	}
	if len(fs) != 2 {
		return "", "", false
	}
	if _, err := strconv.ParseFloat(fs[0], 64); err != nil || strings.HasPrefix(fs[0], "-") {
		return "", "", false
	}
	units := map[string]string{
		"us": "microsecond", "usec": "microsecond", "usecs": "microsecond", "microsecond": "microsecond", "microseconds": "microsecond",
		"s": "second", "sec": "second", "secs": "second", "second": "second", "seconds": "second",
		"m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
		"h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
		"d": "day", "day": "day", "days": "day",
		"w": "week", "week": "week", "weeks": "week",
		"mon": "month", "mons": "month", "month": "month", "months": "month",
		"y": "year", "yr": "year", "yrs": "year", "year": "year", "years": "year",
	}
	u, ok := units[fs[1]]
	return fs[0], u, ok
}
