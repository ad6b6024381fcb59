package sql

import "strings"

// Function calls: argument lists, the special argument syntaxes of
// extract/substring/position/trim/overlay, and the aggregate and window
// tails (WITHIN GROUP, FILTER, OVER).

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
		return callFrag(head, pos, args...)
	case r.kw(k, "from"):
		a, j := r.expr(k+1, ppNone)
		if r.kw(j, "for") {
			b, j2 := r.expr(j+1, ppNone)
			if j2 != end {
				r.fail(r.syntaxErrAt(j2))
			}
			return callFrag(head, pos, x.f, a.f, b.f)
		}
		if j != end {
			r.fail(r.syntaxErrAt(j))
		}
		return callFrag(head, pos, x.f, a.f)
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
		return callFrag(head, pos, x.f, a, b.f)
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
		return callFrag(head, pos, args...)
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
	return callFrag(head, pos, args...)
}
