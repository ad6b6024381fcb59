package sql

import "lambdasql/sql/sqlstate"

// isQueryStart reports whether a query starts at token i (the first token
// inside a bracket, or of a statement): SELECT, WITH, VALUES, TABLE, or a
// parenthesized query that is the whole content or is followed by a set
// operation or a trailing clause.
func (r *rewriter) isQueryStart(i int) bool {
	if r.kwAny(i, "select", "with", "values", "table") {
		return true
	}
	if !r.punct(i, "(") || i >= len(r.match) || r.match[i] < i || !r.isQueryStart(i+1) {
		return false
	}
	n := r.match[i] + 1
	t := r.t(n)
	return t.Kind == TokEOF || t.Kind == TokPunct && t.Val == ")" ||
		r.kwAny(n, "union", "intersect", "except", "order", "limit", "offset", "fetch", "for")
}

// limitState collects LIMIT, OFFSET and FETCH of one query level.
type limitState struct {
	limit, offset       *ex
	limitSeen, offsSeen bool
	at                  int // first token of the first clause
}

func (l *limitState) seen() bool { return l.limitSeen || l.offsSeen }

// maxLimit is what LIMIT gets when only OFFSET was given.
const maxLimit = "18446744073709551615"

// query rewrites a query expression in tokens [lo, hi).
func (r *rewriter) query(lo, hi int) frag {
	r.enter(lo)
	defer r.leave()
	var f, lock frag
	var lim limitState
	i := lo
	for i < hi {
		switch {
		case r.kw(i, "with"):
			i = r.withClause(&f, i)
		case r.kw(i, "select"):
			i = r.selectClause(&f, i)
		case r.kw(i, "from"):
			i = r.fromClause(&f, i)
		case r.kwAny(i, "where", "having"):
			e, j := r.expr(i+1, ppNone)
			f = append(f, r.kwp(i, r.t(i).Val))
			f = append(f, setGap(e.f, true)...)
			i = j
		case r.kw(i, "group") && r.kw(i+1, "by"):
			i = r.groupBy(&f, i)
		case r.kw(i, "window"):
			i = r.windowClause(&f, i)
		case r.kw(i, "order") && r.kw(i+1, "by"):
			items, j := r.sortItems(i + 2)
			f = append(f, r.kwp(i, "order"), r.kwp(i+1, "by"))
			f = append(f, r.sortFrag(items)...)
			i = j
		case r.kwAny(i, "limit", "offset", "fetch"):
			i = r.limitClause(&lim, i)
		case r.kw(i, "for"):
			i = r.lockingClause(&lock, i)
		case r.kwAny(i, "union", "intersect", "except"):
			if lim.seen() || lock != nil {
				r.fail(r.syntaxErrAt(i))
			}
			f = append(f, r.kwp(i, r.t(i).Val))
			i++
			if r.kwAny(i, "all", "distinct") {
				f = append(f, r.kwp(i, r.t(i).Val))
				i++
			}
		case r.kw(i, "values"):
			i = r.valuesClause(&f, i)
		case r.kw(i, "table"):
			i = r.tableClause(&f, i)
		case r.punct(i, "(") && r.isQueryStart(i+1):
			end := r.closeOf(i)
			f = append(f, r.tok(i))
			f = append(f, r.query(i+1, end)...)
			f = append(f, r.tok(end))
			i = end + 1
		default:
			r.fail(r.syntaxErrAt(i))
		}
	}
	f = append(f, r.limitFrag(&lim)...)
	return append(f, lock...)
}

func (r *rewriter) selectClause(f *frag, i int) int {
	*f = append(*f, r.kwp(i, "select"))
	k := i + 1
	var on frag // DISTINCT ON (…): __distinct_on(…), emitted after the list
	switch {
	case r.kw(k, "distinct"):
		*f = append(*f, r.kwp(k, "distinct"))
		if r.kw(k+1, "on") {
			if !r.punct(k+2, "(") {
				r.fail(r.syntaxErrAt(k + 2))
			}
			end := r.closeOf(k + 2)
			if end == k+3 {
				r.fail(r.syntaxErrAt(end))
			}
			var args []frag
			for _, e := range r.exprs(k+3, end) {
				args = append(args, e.f)
			}
			on = fcall("__distinct_on", r.t(k+1).Pos, true, args...)
			k = end
		}
		k++
	case r.kw(k, "all"):
		k++
	}
	if !r.startsExpr(k) && !r.isOp(k, "*") {
		if on != nil {
			*f = append(*f, on...)
		}
		return k // an empty target list; TiDB reports it
	}
	for {
		if r.isOp(k, "*") {
			p := r.tok(k)
			p.gap = true
			*f = append(*f, p)
			k++
		} else {
			e, j := r.expr(k, ppNone)
			*f = append(*f, setGap(e.f, true)...)
			k = j
			switch t := r.t(k); {
			case r.kw(k, "as"):
				nt := r.t(k + 1)
				if nt.Kind != TokIdent && nt.Kind != TokQuotedIdent {
					r.fail(r.syntaxErrAt(k + 1))
				}
				n := r.name(k + 1)
				n.gap = true
				*f = append(*f, r.kwp(k, "as"), n)
				k += 2
			case t.Kind == TokQuotedIdent || t.Kind == TokIdent && (pgCategory(t.Val) == kwNone || pgCategory(t.Val) == kwColName):
				n := r.name(k)
				n.gap = true
				*f = append(*f, n)
				k++
			}
		}
		if !r.punct(k, ",") {
			break
		}
		*f = append(*f, r.tok(k))
		k++
	}
	if on != nil {
		*f = append(*f, piece{text: ",", orig: on[0].orig})
		*f = append(*f, on...)
	}
	if r.kw(k, "into") {
		r.unsupported(k, "SELECT INTO")
	}
	return k
}

func (r *rewriter) fromClause(f *frag, i int) int {
	*f = append(*f, r.kwp(i, "from"))
	return r.fromList(f, i+1)
}

func (r *rewriter) fromList(f *frag, k int) int {
	k = r.fromItem(f, k)
	for {
		switch {
		case r.punct(k, ","):
			*f = append(*f, r.tok(k))
			k = r.fromItem(f, k+1)
		case r.kwAny(k, "join", "inner", "left", "right", "full", "cross", "natural"):
			k = r.join(f, k)
		default:
			return k
		}
	}
}

func (r *rewriter) join(f *frag, k int) int {
	natural := r.kw(k, "natural") // still to be emitted
	naturalTok := -1
	if natural {
		naturalTok = k
		k++
	}
	full := -1 // the FULL token
	switch {
	case r.kw(k, "full"):
		full = k
		k++
		if r.kw(k, "outer") {
			k++
		}
	case r.kw(k, "cross") && !natural:
		*f = append(*f, r.kwp(k, "cross"))
		k++
	case r.kw(k, "inner"):
		if natural { // TiDB has no NATURAL INNER JOIN: NATURAL JOIN is the same
			*f = append(*f, r.kwp(k-1, "natural"))
			natural = false
		} else {
			*f = append(*f, r.kwp(k, "inner"))
		}
		k++
	case r.kwAny(k, "left", "right"):
		if natural {
			*f = append(*f, r.kwp(k-1, "natural"))
			natural = false
		}
		*f = append(*f, r.kwp(k, r.t(k).Val))
		k++
		if r.kw(k, "outer") {
			*f = append(*f, r.kwp(k, "outer"))
			k++
		}
	}
	if !r.kw(k, "join") {
		r.fail(r.syntaxErrAt(k))
	}
	switch {
	case full >= 0:
		// TiDB has no FULL JOIN; PostgreSQL has no STRAIGHT_JOIN.
		*f = append(*f, r.kwp(full, "straight_join"))
	case natural:
		*f = append(*f, r.kwp(k-1, "natural"), r.kwp(k, "join"))
	default:
		*f = append(*f, r.kwp(k, "join"))
	}
	k = r.fromItem(f, k+1)
	if naturalTok >= 0 {
		if r.kwAny(k, "on", "using") {
			r.fail(r.syntaxErrAt(k))
		}
		if full >= 0 {
			on := r.kwp(naturalTok, "on")
			mark := r.synth(naturalTok, "__natural()")
			mark.gap = true
			*f = append(*f, on, mark)
		}
		return k
	}
	switch {
	case r.kw(k, "on"):
		e, j := r.expr(k+1, ppNone)
		*f = append(*f, r.kwp(k, "on"))
		*f = append(*f, setGap(e.f, true)...)
		return j
	case r.kw(k, "using"):
		*f = append(*f, r.kwp(k, "using"))
		open := k + 1
		if !r.punct(open, "(") {
			r.fail(r.syntaxErrAt(open))
		}
		end := r.closeOf(open)
		*f = append(*f, r.kwp(open, "("))
		*f = append(*f, r.nameList(open+1, end)...)
		*f = append(*f, r.tok(end))
		if r.kw(end+1, "as") {
			r.unsupported(end+1, "an alias for JOIN USING")
		}
		return end + 1
	}
	if full >= 0 {
		r.fail(r.syntaxErrAt(k)) // FULL JOIN needs ON or USING
	}
	return k
}

// nameList rewrites "a, b, c" filling [lo, hi) exactly.
func (r *rewriter) nameList(lo, hi int) frag {
	var f frag
	for k := lo; k < hi; k++ {
		if t := r.t(k); t.Kind != TokIdent && t.Kind != TokQuotedIdent {
			r.fail(r.syntaxErrAt(k))
		}
		f = append(f, r.name(k))
		k++
		if k == hi {
			break
		}
		if !r.punct(k, ",") {
			r.fail(r.syntaxErrAt(k))
		}
		f = append(f, r.tok(k))
	}
	if len(f) == 0 {
		r.fail(r.syntaxErrAt(hi))
	}
	return f
}

// names returns the identifiers of "a, b, c" filling [lo, hi) exactly.
func (r *rewriter) names(lo, hi int) []string {
	var out []string
	for k := lo; k < hi; k++ {
		t := r.t(k)
		if t.Kind != TokIdent && t.Kind != TokQuotedIdent {
			r.fail(r.syntaxErrAt(k))
		}
		out = append(out, t.Val)
		k++
		if k == hi {
			break
		}
		if !r.punct(k, ",") {
			r.fail(r.syntaxErrAt(k))
		}
	}
	if len(out) == 0 {
		r.fail(r.syntaxErrAt(hi))
	}
	return out
}

func (r *rewriter) fromItem(f *frag, k int) int {
	lateral := r.kw(k, "lateral")
	if lateral {
		k++
	}
	if r.kw(k, "rows") && r.kw(k+1, "from") {
		r.unsupported(k, "ROWS FROM")
	}
	if r.kw(k, "only") {
		k++
	}
	switch t := r.t(k); {
	case r.punct(k, "("):
		end := r.closeOf(k)
		if r.isQueryStart(k + 1) {
			if lateral {
				*f = append(*f, r.kwp(k-1, "lateral"))
			}
			p := r.tok(k)
			p.gap = true
			*f = append(*f, p)
			*f = append(*f, r.query(k+1, end)...)
		} else {
			if lateral {
				r.fail(r.syntaxErrAt(k + 1))
			}
			p := r.tok(k)
			p.gap = true
			*f = append(*f, p)
			if j := r.fromList(f, k+1); j != end {
				r.fail(r.syntaxErrAt(j))
			}
		}
		*f = append(*f, r.tok(end))
		k = end + 1
	case t.Kind == TokQuotedIdent || t.Kind == TokIdent && pgCategory(t.Val) != kwReserved:
		parts, star, j := r.nameChain(k)
		if star {
			r.fail(r.syntaxErrAt(j - 1))
		}
		if r.punct(j, "(") {
			call, j2 := r.call(parts, j, true)
			name := tableFuncPrefix + renderText(call.f)
			*f = append(*f, piece{text: quoteIdent(name), orig: t.Pos, gap: true})
			j = j2
			if r.kw(j, "with") && r.kw(j+1, "ordinality") {
				r.unsupported(j, "WITH ORDINALITY")
			}
		} else {
			if lateral {
				r.fail(r.syntaxErrAt(k))
			}
			*f = append(*f, setGap(r.chainFrag(parts), true)...)
			if r.isOp(j, "*") {
				j++
			}
		}
		k = j
	default:
		r.fail(r.syntaxErrAt(k))
	}
	if r.kw(k, "tablesample") {
		r.unsupported(k, "TABLESAMPLE")
	}
	return r.alias(f, k)
}

// alias rewrites an optional "[AS] name [(col, …)]" after a FROM item.
func (r *rewriter) alias(f *frag, k int) int {
	asTok := -1
	if r.kw(k, "as") {
		asTok = k
		k++
		if t := r.t(k); t.Kind != TokIdent && t.Kind != TokQuotedIdent {
			r.fail(r.syntaxErrAt(k))
		}
	} else if t := r.t(k); !(t.Kind == TokQuotedIdent || t.Kind == TokIdent && (pgCategory(t.Val) == kwNone || pgCategory(t.Val) == kwColName)) {
		return k
	}
	at := k
	if asTok < 0 {
		asTok = k
	}
	*f = append(*f, r.kwp(asTok, "as"))
	if !r.punct(k+1, "(") {
		n := r.name(k)
		n.gap = true
		*f = append(*f, n)
		return k + 1
	}
	end := r.closeOf(k + 1)
	name := r.t(at).Val
	for _, c := range r.names(k+2, end) {
		name += "\x01" + c
	}
	*f = append(*f, piece{text: quoteIdent(name), orig: r.t(at).Pos, gap: true})
	return end + 1
}

func (r *rewriter) groupBy(f *frag, i int) int {
	*f = append(*f, r.kwp(i, "group"), r.kwp(i+1, "by"))
	k := i + 2
	if r.kw(k, "distinct") {
		*f = append(append(*f, fcall("__group_distinct", r.t(k).Pos, true)...), piece{text: ",", orig: r.t(k).Pos})
		k++
	} else if r.kw(k, "all") {
		k++
	}
	for {
		e, j := r.groupingElem(k)
		*f = append(*f, setGap(e, true)...)
		k = j
		if !r.punct(k, ",") {
			return k
		}
		*f = append(*f, r.tok(k))
		k++
	}
}

// groupingElem rewrites one element of GROUP BY or of GROUPING SETS (…):
// () becomes __gset(), ROLLUP (…) and CUBE (…) become __rollup(…) and
// __cube(…), GROUPING SETS (…) becomes __grouping_sets(…) of its rewritten
// elements; anything else is an expression (a parenthesized list (a, b)
// reaches TiDB as a row expression, which the binder reads as one set).
func (r *rewriter) groupingElem(k int) (frag, int) {
	pos, g := r.t(k).Pos, r.gapBefore(k)
	switch {
	case r.punct(k, "(") && r.punct(k+1, ")"):
		return fcall("__gset", pos, g), k + 2
	case r.kwAny(k, "rollup", "cube") && r.punct(k+1, "("):
		end := r.closeOf(k + 1)
		if end == k+2 {
			r.fail(r.syntaxErrAt(end))
		}
		var args []frag
		for _, e := range r.exprs(k+2, end) {
			args = append(args, e.f)
		}
		return fcall("__"+r.t(k).Val, pos, g, args...), end + 1
	case r.kw(k, "grouping") && r.kw(k+1, "sets") && r.punct(k+2, "("):
		end := r.closeOf(k + 2)
		var args []frag
		j := k + 3
		for {
			a, next := r.groupingElem(j)
			args = append(args, a)
			j = next
			if !r.punct(j, ",") {
				break
			}
			j++
		}
		if j != end {
			r.fail(r.syntaxErrAt(j))
		}
		return fcall("__grouping_sets", pos, g, args...), end + 1
	}
	e, j := r.expr(k, ppNone)
	return e.f, j
}

func (r *rewriter) windowClause(f *frag, i int) int {
	*f = append(*f, r.kwp(i, "window"))
	k := i + 1
	for {
		if t := r.t(k); t.Kind != TokIdent && t.Kind != TokQuotedIdent {
			r.fail(r.syntaxErrAt(k))
		}
		n := r.name(k)
		n.gap = true
		if !r.kw(k+1, "as") || !r.punct(k+2, "(") {
			r.fail(r.syntaxErrAt(k + 1))
		}
		end := r.closeOf(k + 2)
		*f = append(*f, n, r.kwp(k+1, "as"), r.kwp(k+2, "("))
		*f = append(*f, r.windowSpec(k+3, end)...)
		*f = append(*f, r.tok(end))
		k = end + 1
		if !r.punct(k, ",") {
			return k
		}
		*f = append(*f, r.tok(k))
		k++
	}
}

func (r *rewriter) limitClause(l *limitState, i int) int {
	if !l.seen() {
		l.at = i
	}
	dupLimit := func() {
		if l.limitSeen {
			r.fail(sqlstate.New(sqlstate.SyntaxError, "multiple LIMIT clauses not allowed").WithPosition(charPos(r.q, r.t(i).Pos)))
		}
		l.limitSeen = true
	}
	switch r.t(i).Val {
	case "limit":
		dupLimit()
		if r.kw(i+1, "all") {
			return i + 2
		}
		e, k := r.expr(i+1, ppNone)
		if r.punct(k, ",") {
			r.fail(sqlstate.New(sqlstate.SyntaxError, "LIMIT #,# syntax is not supported").
				WithHint("Use separate LIMIT and OFFSET clauses.").WithPosition(charPos(r.q, r.t(i).Pos)))
		}
		if !e.null {
			l.limit = &e
		}
		return k
	case "offset":
		if l.offsSeen {
			r.fail(sqlstate.New(sqlstate.SyntaxError, "multiple OFFSET clauses not allowed").WithPosition(charPos(r.q, r.t(i).Pos)))
		}
		l.offsSeen = true
		e, k := r.expr(i+1, ppNone)
		if r.kwAny(k, "row", "rows") {
			k++
		}
		if !e.null {
			l.offset = &e
		}
		return k
	}
	// FETCH { FIRST | NEXT } [ count ] { ROW | ROWS } { ONLY | WITH TIES }
	if !r.kwAny(i+1, "first", "next") {
		r.fail(r.syntaxErrAt(i + 1))
	}
	dupLimit()
	k := i + 2
	count := atomOf(frag{{text: "1", orig: r.t(i).Pos}}, r.t(i).Pos)
	count.intLit = true
	if !r.kwAny(k, "row", "rows") {
		count, k = r.expr(k, ppNone)
	}
	if !r.kwAny(k, "row", "rows") {
		r.fail(r.syntaxErrAt(k))
	}
	k++
	switch {
	case r.kw(k, "only"):
		k++
	case r.kw(k, "with") && r.kw(k+1, "ties"):
		r.unsupported(k, "FETCH FIRST … WITH TIES")
	default:
		r.fail(r.syntaxErrAt(k))
	}
	if !count.null {
		l.limit = &count
	}
	return k
}

// limitFrag renders the collected LIMIT/OFFSET as TiDB's LIMIT n OFFSET m.
// A value other than an integer literal becomes "?" and is parsed on its
// own and put back into the AST (TiDB's LIMIT takes only literals).
func (r *rewriter) limitFrag(l *limitState) frag {
	if l.limit == nil && l.offset == nil {
		return nil
	}
	at := r.t(l.at).Pos
	value := func(e *ex) piece {
		if e.intLit {
			p := e.f[0]
			p.gap = true
			return p
		}
		m := r.newMark()
		r.subs = append(r.subs, limitSub{mark: m, expr: e.f, pos: e.pos})
		return piece{text: "?", orig: e.pos, gap: true, mark: m}
	}
	f := frag{{text: "limit", orig: at, gap: true}}
	if l.limit != nil {
		f = append(f, value(l.limit))
	} else {
		f = append(f, piece{text: maxLimit, orig: at, gap: true})
	}
	if l.offset != nil {
		f = append(f, piece{text: "offset", orig: at, gap: true}, value(l.offset))
	}
	return f
}

// lockingClause rewrites FOR UPDATE / SHARE clauses; PostgreSQL's NO KEY
// UPDATE and KEY SHARE become UPDATE and SHARE.
func (r *rewriter) lockingClause(f *frag, i int) int {
	k := i
	for r.kw(k, "for") {
		*f = append(*f, r.kwp(k, "for"))
		k++
		switch {
		case r.kw(k, "update"), r.kw(k, "share"):
			*f = append(*f, r.kwp(k, r.t(k).Val))
			k++
		case r.kw(k, "no") && r.kw(k+1, "key") && r.kw(k+2, "update"):
			*f = append(*f, r.kwp(k+2, "update"))
			k += 3
		case r.kw(k, "key") && r.kw(k+1, "share"):
			*f = append(*f, r.kwp(k+1, "share"))
			k += 2
		default:
			r.fail(r.syntaxErrAt(k))
		}
		if r.kw(k, "of") {
			*f = append(*f, r.kwp(k, "of"))
			k++
			for {
				if t := r.t(k); t.Kind != TokIdent && t.Kind != TokQuotedIdent {
					r.fail(r.syntaxErrAt(k))
				}
				parts, _, j := r.nameChain(k)
				*f = append(*f, setGap(r.chainFrag(parts), true)...)
				k = j
				if !r.punct(k, ",") {
					break
				}
				*f = append(*f, r.tok(k))
				k++
			}
		}
		switch {
		case r.kw(k, "nowait"):
			*f = append(*f, r.kwp(k, "nowait"))
			k++
		case r.kw(k, "skip") && r.kw(k+1, "locked"):
			*f = append(*f, r.kwp(k, "skip"), r.kwp(k+1, "locked"))
			k += 2
		}
	}
	return k
}

// valuesClause rewrites VALUES (…), (…) outside INSERT as VALUES ROW(…), ROW(…).
func (r *rewriter) valuesClause(f *frag, i int) int {
	*f = append(*f, r.kwp(i, "values"))
	k := i + 1
	for {
		if !r.punct(k, "(") {
			r.fail(r.syntaxErrAt(k))
		}
		end := r.closeOf(k)
		if end == k+1 {
			r.fail(r.syntaxErrAt(end))
		}
		*f = append(*f, piece{text: "row", orig: r.t(k).Pos, gap: true}, piece{text: "(", orig: r.t(k).Pos})
		*f = append(*f, setGap(r.exprList(k+1, end), false)...)
		*f = append(*f, r.tok(end))
		k = end + 1
		if !r.punct(k, ",") {
			return k
		}
		*f = append(*f, r.tok(k))
		k++
	}
}

// tableClause rewrites TABLE name as SELECT * FROM name.
func (r *rewriter) tableClause(f *frag, i int) int {
	k := i + 1
	if r.kw(k, "only") {
		k++
	}
	if t := r.t(k); t.Kind != TokQuotedIdent && !(t.Kind == TokIdent && pgCategory(t.Val) != kwReserved) {
		r.fail(r.syntaxErrAt(k))
	}
	parts, star, j := r.nameChain(k)
	if star {
		r.fail(r.syntaxErrAt(j - 1))
	}
	pos := r.t(i).Pos
	*f = append(*f, piece{text: "select", orig: pos, gap: true}, piece{text: "*", orig: pos, gap: true}, piece{text: "from", orig: pos, gap: true})
	*f = append(*f, setGap(r.chainFrag(parts), true)...)
	if r.isOp(j, "*") {
		j++
	}
	return j
}

func (r *rewriter) withClause(f *frag, i int) int {
	*f = append(*f, r.kwp(i, "with"))
	k := i + 1
	if r.kw(k, "recursive") {
		*f = append(*f, r.kwp(k, "recursive"))
		k++
	}
	for {
		if t := r.t(k); t.Kind != TokQuotedIdent && !(t.Kind == TokIdent && pgCategory(t.Val) != kwReserved) {
			r.fail(r.syntaxErrAt(k))
		}
		n := r.name(k)
		n.gap = true
		*f = append(*f, n)
		k++
		if r.punct(k, "(") {
			end := r.closeOf(k)
			*f = append(*f, r.tok(k))
			*f = append(*f, r.nameList(k+1, end)...)
			*f = append(*f, r.tok(end))
			k = end + 1
		}
		if !r.kw(k, "as") {
			r.fail(r.syntaxErrAt(k))
		}
		*f = append(*f, r.kwp(k, "as"))
		k++
		if r.kw(k, "materialized") {
			k++
		} else if r.kw(k, "not") && r.kw(k+1, "materialized") {
			k += 2
		}
		if !r.punct(k, "(") {
			r.fail(r.syntaxErrAt(k))
		}
		end := r.closeOf(k)
		if !r.isQueryStart(k + 1) {
			if r.kwAny(k+1, "insert", "update", "delete", "merge") {
				r.unsupported(k+1, "data-modifying statements in WITH")
			}
			r.fail(r.syntaxErrAt(k + 1))
		}
		p := r.tok(k)
		p.gap = true
		*f = append(*f, p)
		*f = append(*f, r.query(k+1, end)...)
		*f = append(*f, r.tok(end))
		k = end + 1
		if r.kwAny(k, "search", "cycle") {
			r.unsupported(k, toUpper(r.t(k).Val)+" clause")
		}
		if !r.punct(k, ",") {
			return k
		}
		*f = append(*f, r.tok(k))
		k++
	}
}

// insert rewrites INSERT INTO t [(cols)] {VALUES … | query | DEFAULT VALUES}
// in tokens [lo, hi).
func (r *rewriter) insert(lo, hi int) frag {
	// ON CONFLICT and RETURNING anywhere at the top level are refused first,
	// so the error names them rather than a syntax error inside the query.
	for k := lo; k < hi; k++ {
		if r.match[k] > k {
			k = r.match[k]
			continue
		}
		if r.kw(k, "on") && r.kw(k+1, "conflict") {
			r.unsupported(k, "ON CONFLICT")
		}
		if r.kw(k, "returning") {
			r.unsupported(k, "RETURNING")
		}
	}
	if !r.kw(lo+1, "into") {
		r.fail(r.syntaxErrAt(lo + 1))
	}
	f := frag{r.word(lo, "insert"), r.kwp(lo+1, "into")}
	k := lo + 2
	if t := r.t(k); t.Kind != TokQuotedIdent && !(t.Kind == TokIdent && pgCategory(t.Val) != kwReserved) {
		r.fail(r.syntaxErrAt(k))
	}
	parts, star, j := r.nameChain(k)
	if star {
		r.fail(r.syntaxErrAt(j - 1))
	}
	f = append(f, setGap(r.chainFrag(parts), true)...)
	k = j
	if r.kw(k, "as") {
		// The alias only serves ON CONFLICT, which is refused.
		if t := r.t(k + 1); t.Kind != TokQuotedIdent && !(t.Kind == TokIdent && pgCategory(t.Val) != kwReserved) {
			r.fail(r.syntaxErrAt(k + 1))
		}
		k += 2
	}
	if r.punct(k, "(") && !r.isQueryStart(k+1) {
		end := r.closeOf(k)
		p := r.tok(k)
		p.gap = true
		f = append(f, p)
		f = append(f, r.nameList(k+1, end)...)
		f = append(f, r.tok(end))
		k = end + 1
	}
	if r.kw(k, "overriding") {
		r.unsupported(k, "OVERRIDING")
	}
	switch {
	case r.kw(k, "default") && r.kw(k+1, "values"):
		pos := r.t(k).Pos
		f = append(f, piece{text: "()", orig: pos, gap: true}, piece{text: "values", orig: pos, gap: true}, piece{text: "()", orig: pos, gap: true})
		k += 2
	case r.kw(k, "values"):
		f = append(f, r.kwp(k, "values"))
		k++
		for {
			if !r.punct(k, "(") {
				r.fail(r.syntaxErrAt(k))
			}
			end := r.closeOf(k)
			if end == k+1 {
				r.fail(r.syntaxErrAt(end))
			}
			p := r.tok(k)
			p.gap = true
			f = append(f, p)
			for m := k + 1; m < end; {
				if r.kw(m, "default") {
					f = append(f, r.kwp(m, "default"))
					m++
				} else {
					e, j := r.expr(m, ppNone)
					f = append(f, e.f...)
					m = j
				}
				if m == end {
					break
				}
				if !r.punct(m, ",") {
					r.fail(r.syntaxErrAt(m))
				}
				f = append(f, r.tok(m))
				m++
				if m == end {
					r.fail(r.syntaxErrAt(m))
				}
			}
			f = append(f, r.tok(end))
			k = end + 1
			if !r.punct(k, ",") {
				break
			}
			f = append(f, r.tok(k))
			k++
		}
	case r.isQueryStart(k):
		f = append(f, r.query(k, hi)...)
		k = hi
	default:
		r.fail(r.syntaxErrAt(k))
	}
	if k != hi {
		r.fail(r.syntaxErrAt(k))
	}
	return f
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
