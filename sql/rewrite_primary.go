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
	case TokInteger, TokNumber:
		return r.number(i), i + 1
	case TokString, TokParam:
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
			if end == i+2 || len(r.exprs(i+2, end)) < 2 {
				// TiDB's ROW constructor needs two fields.
				r.unsupported(i, "ROW with fewer than two fields")
			}
			f := frag{r.tok(i), r.tok(i + 1)}
			f[1].gap = false
			f = append(f, r.exprList(i+2, end)...)
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
// '…', double precision '1', pg_catalog.int4 '1', date '…', timestamp '…'
// (TiDB's own DATE/TIMESTAMP literals would not keep PostgreSQL's types).
func (r *rewriter) typedLit(i int) (ex, int, bool) {
	tn, j, ok := r.typeName(i, false)
	if !ok || r.t(j).Kind != TokString {
		return ex{}, 0, false
	}
	pos := r.t(i).Pos
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

// number emits a numeric literal. Redundant leading zeros are dropped; a
// literal TiDB cannot hold (more digits than its decimal type's nine 9-digit
// words, or an exponent form outside float64's range) becomes
// __cast('…', 'numeric'), which is what PostgreSQL makes of it anyway.
func (r *rewriter) number(i int) ex {
	t := r.t(i)
	text := t.Val
	mant, exp := text, ""
	if k := strings.IndexAny(text, "eE"); k >= 0 {
		mant, exp = text[:k], text[k:]
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	trimmed := strings.TrimLeft(intPart, "0")
	if trimmed == "" && intPart != "" {
		trimmed = "0" // keep one zero: 000.5 is 0.5, .5 stays .5
	}
	if hasDot {
		mant = trimmed + "." + frac
	} else {
		mant = trimmed
	}
	text = mant + exp
	words := func(n int) int { return (n + 8) / 9 }
	fits := words(len(trimmed))+words(len(frac)) <= 9
	if exp != "" {
		// TiDB reads exponent forms as double; one that overflows, or
		// underflows to zero, would not be the number written.
		f, err := strconv.ParseFloat(text, 64)
		fits = err == nil && (f != 0 || strings.Trim(mant, "0.") == "")
	}
	if !fits {
		return atomOf(fcall("__cast", t.Pos, r.gapBefore(i), strFrag(text, t.Pos), strFrag("numeric", t.Pos)), t.Pos)
	}
	p := r.tok(i)
	p.text = text
	p.exact = len(text) == t.End-t.Pos
	e := atomOf(frag{p}, t.Pos)
	e.intLit = t.Kind == TokInteger
	return e
}
