package sql

import (
	"regexp"
	"strings"

	"lambdasql/sql/sqlstate"
)

// PostgreSQL binding powers, lowest first (the "Operator Precedence" table
// of the PostgreSQL documentation, section 4.1.6).
const (
	ppNone      = iota
	ppOr        // OR
	ppAnd       // AND
	ppNot       // NOT (prefix)
	ppIs        // IS, ISNULL, NOTNULL
	ppCmp       // < > = <= >= <> (non-associative)
	ppLike      // BETWEEN IN LIKE ILIKE SIMILAR (non-associative)
	ppOther     // any other operator, OPERATOR(…)
	ppAdd       // + -
	ppMul       // * / %
	ppExp       // ^
	ppAt        // AT TIME ZONE
	ppCollate   // COLLATE
	ppUnary     // unary + -
	ppSubscript // [ ]
	ppCast      // ::
)

// TiDB binding levels of emitted forms (MySQL's operator precedence as
// declared in TiDB's parser.y), lowest first. An operand is parenthesized
// when its level is below what the TiDB grammar needs at that place, so the
// tree TiDB builds is the tree PostgreSQL would build.
const (
	tpOr      = 1
	tpAnd     = 3
	tpNot     = 4
	tpBetween = 5
	tpCmp     = 6
	tpBitOr   = 7 // also the "bit expression" floor of comparisons, IN, BETWEEN and IS
	tpBitAnd  = 8
	tpShift   = 9
	tpAdd     = 10
	tpMul     = 11
	tpUnary   = 13
	tpAtom    = 100
)

// ex is a rewritten expression.
type ex struct {
	f      frag
	prec   int  // TiDB level of the outermost form
	pos    int  // original byte offset of the first token
	intLit bool // a bare integer literal
	null   bool // the NULL literal
}

func atomOf(f frag, pos int) ex { return ex{f: f, prec: tpAtom, pos: pos} }

func setGap(f frag, gap bool) frag {
	if len(f) == 0 || f[0].gap == gap {
		return f
	}
	g := append(frag(nil), f...)
	g[0].gap = gap
	return g
}

func leadGap(f frag) bool { return len(f) > 0 && f[0].gap }

// wrap parenthesizes e when its TiDB level is below min.
func wrap(e ex, min int) frag {
	if e.prec >= min {
		return e.f
	}
	g := leadGap(e.f)
	f := frag{{text: "(", orig: e.pos, gap: g}}
	f = append(f, setGap(e.f, false)...)
	return append(f, piece{text: ")", orig: e.pos})
}

// fcall builds name(arg, …) mapped to original offset at; gap is the space
// before the name.
func fcall(name string, at int, gap bool, args ...frag) frag {
	return callFrag(frag{{text: name, orig: at, gap: gap}}, at, args...)
}

// callFrag builds head(arg, …); the punctuation maps to original offset at.
func callFrag(head frag, at int, args ...frag) frag {
	f := append(frag(nil), head...)
	f = append(f, piece{text: "(", orig: at})
	for k, a := range args {
		if k > 0 {
			f = append(f, piece{text: ",", orig: at})
			a = setGap(a, true)
		} else {
			a = setGap(a, false)
		}
		f = append(f, a...)
	}
	return append(f, piece{text: ")", orig: at})
}

func strFrag(s string, at int) frag { return frag{{text: quoteString(s), orig: at}} }

// expr parses an expression at i whose operators bind tighter than rbp.
func (r *rewriter) expr(i, rbp int) (ex, int) {
	r.enter(i)
	defer r.leave()
	left, i := r.prefix(i)
	for {
		bp := r.infixBP(i)
		if bp <= rbp {
			return left, i
		}
		left, i = r.infix(left, i, bp)
	}
}

// startsExpr reports whether an expression can start at token i.
func (r *rewriter) startsExpr(i int) bool {
	t := r.t(i)
	switch t.Kind {
	case TokInteger, TokNumber, TokString, TokBitString, TokParam, TokQuotedIdent:
		return true
	case TokPunct:
		return t.Val == "("
	case TokOp:
		return isPrefixOp(t.Val)
	case TokIdent:
		switch pgCategory(t.Val) {
		case kwReserved:
			switch t.Val {
			case "null", "true", "false", "case", "cast", "array", "not", "current_catalog", "current_date",
				"current_role", "current_time", "current_timestamp", "current_user", "localtime",
				"localtimestamp", "session_user", "user", "system_user":
				return true
			}
			return false
		case kwTypeFunc:
			return r.punct(i+1, "(") || t.Val == "current_schema"
		}
		if t.Val == "operator" && r.punct(i+1, "(") {
			return true
		}
		return true
	}
	return false
}

// isPrefixOp reports whether op may be used as a prefix operator: + and -,
// and any operator PostgreSQL lexes as a generic Op (not = < > * / % ^ <= >=
// <> != => :=).
func isPrefixOp(op string) bool {
	switch op {
	case "+", "-":
		return true
	case "=", "<", ">", "*", "/", "%", "^", "<=", ">=", "<>", "!=", "=>", ":=":
		return false
	}
	return true
}

func (r *rewriter) prefix(i int) (ex, int) {
	t := r.t(i)
	switch {
	case t.Kind == TokIdent && t.Val == "not":
		x, j := r.expr(i+1, ppNot)
		f := frag{r.word(i, "not")}
		f = append(f, setGap(wrap(x, tpNot), true)...)
		return ex{f: f, prec: tpNot, pos: t.Pos}, j
	case t.Kind == TokOp && (t.Val == "-" || t.Val == "+"):
		x, j := r.expr(i+1, ppUnary)
		f := frag{r.tok(i)}
		f = append(f, wrap(x, tpUnary)...)
		return ex{f: f, prec: tpUnary, pos: t.Pos}, j
	case t.Kind == TokOp && t.Val == "~":
		x, j := r.expr(i+1, ppOther)
		f := frag{r.tok(i)}
		f = append(f, wrap(x, tpUnary)...)
		return ex{f: f, prec: tpUnary, pos: t.Pos}, j
	case t.Kind == TokOp && isPrefixOp(t.Val):
		x, j := r.expr(i+1, ppOther)
		return atomOf(fcall("__op", t.Pos, r.gapBefore(i), strFrag(t.Val, t.Pos), x.f), t.Pos), j
	case t.Kind == TokIdent && t.Val == "operator" && r.punct(i+1, "("):
		op, j := r.operatorName(i)
		x, k := r.expr(j, ppOther)
		return atomOf(fcall("__op", t.Pos, r.gapBefore(i), strFrag(op, t.Pos), x.f), t.Pos), k
	}
	return r.primary(i)
}

// infixBP returns the binding power of the infix or postfix operator at i,
// or ppNone when token i does not continue an expression.
func (r *rewriter) infixBP(i int) int {
	t := r.t(i)
	switch t.Kind {
	case TokIdent:
		switch t.Val {
		case "or":
			return ppOr
		case "and":
			return ppAnd
		case "is", "isnull", "notnull":
			return ppIs
		case "not":
			if r.kwAny(i+1, "between", "in", "like", "ilike", "similar") {
				return ppLike
			}
		case "between", "in", "like", "ilike", "similar":
			return ppLike
		case "at":
			if r.kw(i+1, "time") && r.kw(i+2, "zone") {
				return ppAt
			}
		case "collate":
			return ppCollate
		case "operator":
			if r.punct(i+1, "(") {
				return ppOther
			}
		}
	case TokOp:
		switch t.Val {
		case "=", "<", ">", "<=", ">=", "<>", "!=":
			return ppCmp
		case "+", "-":
			return ppAdd
		case "*", "/", "%":
			return ppMul
		case "^":
			return ppExp
		case "=>", ":=":
			return ppNone
		}
		return ppOther
	case TokPunct:
		switch t.Val {
		case "[":
			return ppSubscript
		case "::":
			return ppCast
		}
	}
	return ppNone
}

func (r *rewriter) infix(left ex, i, bp int) (ex, int) {
	t := r.t(i)
	if t.Kind == TokPunct {
		if t.Val == "::" {
			tn, j, ok := r.typeName(i+1, true)
			if !ok {
				r.fail(r.syntaxErrAt(i + 1))
			}
			return r.cast(left, tn, i+1), j
		}
		return r.subscript(left, i)
	}
	if t.Kind == TokOp {
		return r.binary(left, t.Val, i, i+1, bp)
	}
	switch t.Val {
	case "or", "and":
		x, j := r.expr(i+1, bp)
		lvl := tpOr
		if t.Val == "and" {
			lvl = tpAnd
		}
		f := append(frag(nil), wrap(left, lvl)...)
		w := r.word(i, t.Val)
		w.gap = true
		f = append(f, w)
		f = append(f, setGap(wrap(x, lvl+1), true)...)
		return ex{f: f, prec: lvl, pos: left.pos}, j
	case "is":
		return r.isExpr(left, i)
	case "isnull", "notnull":
		f := append(frag(nil), wrap(left, tpBitOr)...)
		f = append(f, piece{text: "is", orig: t.Pos, gap: true})
		if t.Val == "notnull" {
			f = append(f, piece{text: "not", orig: t.Pos, gap: true})
		}
		f = append(f, piece{text: "null", orig: t.Pos, gap: true})
		return ex{f: f, prec: tpCmp, pos: left.pos}, i + 1
	case "not", "between", "in", "like", "ilike", "similar":
		return r.predicate(left, i)
	case "at":
		x, j := r.expr(i+3, ppAt)
		return atomOf(fcall("__op", t.Pos, leadGap(left.f), strFrag("at time zone", t.Pos), left.f, x.f), left.pos), j
	case "collate":
		return left, r.skipCollation(i)
	case "operator":
		op, j := r.operatorName(i)
		return r.binary(left, op, i, j, bp)
	}
	r.fail(r.syntaxErrAt(i))
	return ex{}, 0
}

// operatorName reads OPERATOR(schema.op) at i and returns op and the index
// after the closing parenthesis.
func (r *rewriter) operatorName(i int) (string, int) {
	open := i + 1
	end := r.closeOf(open)
	k := open + 1
	for k < end && (r.t(k).Kind == TokIdent || r.t(k).Kind == TokQuotedIdent) && r.punct(k+1, ".") {
		k += 2
	}
	if k != end-1 || r.t(k).Kind != TokOp {
		r.fail(r.syntaxErrAt(k))
	}
	return r.t(k).Val, end + 1
}

// skipCollation consumes COLLATE name at i; the collation is dropped, but
// a name that is not one of PostgreSQL's fails with 42704.
func (r *rewriter) skipCollation(i int) int {
	k := i + 1
	var parts []string
	for {
		tk := r.t(k)
		if tk.Kind != TokIdent && tk.Kind != TokQuotedIdent {
			r.fail(r.syntaxErrAt(k))
		}
		parts = append(parts, tk.Val)
		k++
		if !r.punct(k, ".") {
			break
		}
		k++
	}
	name := parts[len(parts)-1]
	if len(parts) == 2 && parts[0] != "pg_catalog" && parts[0] != "public" {
		r.fail(sqlstate.New(sqlstate.InvalidSchemaName, "schema \"%s\" does not exist", parts[0]))
	}
	if len(parts) > 2 || !knownCollation(name) {
		r.fail(sqlstate.New(sqlstate.UndefinedObject, "collation \"%s\" for encoding \"UTF8\" does not exist", strings.Join(parts, ".")))
	}
	return k
}

// localeCollation matches the collations of pg_collation besides the
// fixed ones: libc locales ("en_US", "en_US.utf8", "de_DE.UTF-8") and ICU
// ones ("und-x-icu", "en-US-x-icu", "sr-Latn-RS-x-icu").
var localeCollation = regexp.MustCompile(`^(?:[a-z]{2,3}(?:_[A-Z]{2})?(?:\.(?:utf8|UTF-8))?(?:@[a-z]+)?|[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*-x-icu)$`)

// knownCollation reports whether PostgreSQL (15, UTF8 database) knows the
// collation name (case-sensitive: "C", not c).
func knownCollation(name string) bool {
	switch name {
	case "default", "C", "POSIX", "ucs_basic", "C.utf8", "C.UTF-8":
		return true
	}
	return localeCollation.MatchString(name)
}

var nativeCmp = map[string]string{"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "<>": "<>", "!=": "<>"}

// binary builds left op right; opIdx is the operator's first token and
// next the token after it.
func (r *rewriter) binary(left ex, op string, opIdx, next, bp int) (ex, int) {
	if r.kwAny(next, "any", "some", "all") && r.punct(next+1, "(") {
		return r.quantified(left, op, opIdx, next)
	}
	right, j := r.expr(next, bp)
	if bp == ppCmp && r.infixBP(j) == ppCmp {
		r.fail(r.syntaxErrAt(j))
	}
	return r.emitBinary(left, op, opIdx, right), j
}

func (r *rewriter) emitBinary(left ex, op string, opIdx int, right ex) ex {
	native := func(text string, lvl, lmin, rmin int) ex {
		f := append(frag(nil), wrap(left, lmin)...)
		f = append(f, piece{text: text, orig: r.t(opIdx).Pos, gap: true, exact: len(text) == r.t(opIdx).End-r.t(opIdx).Pos})
		f = append(f, setGap(wrap(right, rmin), true)...)
		return ex{f: f, prec: lvl, pos: left.pos}
	}
	if c, ok := nativeCmp[op]; ok {
		return native(c, tpCmp, tpBitOr, tpBitOr)
	}
	switch op {
	case "+", "-":
		return native(op, tpAdd, tpAdd, tpAdd+1)
	case "*", "/", "%":
		return native(op, tpMul, tpMul, tpMul+1)
	case "&":
		return native(op, tpBitAnd, tpBitAnd, tpBitAnd+1)
	case "|":
		return native(op, tpBitOr, tpBitOr, tpBitOr+1)
	case "<<", ">>":
		return native(op, tpShift, tpShift, tpShift+1)
	}
	pos := r.t(opIdx).Pos
	return atomOf(fcall("__op", pos, leadGap(left.f), strFrag(op, pos), left.f, right.f), left.pos)
}

// quantified handles "left op ANY|SOME|ALL (…)" with q at ANY/SOME/ALL.
func (r *rewriter) quantified(left ex, op string, opIdx, q int) (ex, int) {
	open := q + 1
	end := r.closeOf(open)
	quant := "any"
	if r.kw(q, "all") {
		quant = "all"
	}
	pos := r.t(opIdx).Pos
	if r.isQueryStart(open + 1) {
		sub := frag{r.synth(open, "(")}
		sub = append(sub, r.query(open+1, end)...)
		sub = append(sub, r.synth(end, ")"))
		if c, ok := nativeCmp[op]; ok {
			f := append(frag(nil), wrap(left, tpBitOr)...)
			f = append(f, piece{text: c, orig: pos, gap: true}, piece{text: quant, orig: r.t(q).Pos, gap: true})
			f = append(f, setGap(sub, true)...)
			return ex{f: f, prec: tpCmp, pos: left.pos}, end + 1
		}
		arr := fcall("__array_subquery", r.t(open).Pos, false, sub)
		return atomOf(fcall("__"+quant, pos, leadGap(left.f), strFrag(opName(op), pos), left.f, arr), left.pos), end + 1
	}
	e, k := r.expr(open+1, ppNone)
	if k != end {
		r.fail(r.syntaxErrAt(k))
	}
	return atomOf(fcall("__"+quant, pos, leadGap(left.f), strFrag(opName(op), pos), left.f, e.f), left.pos), end + 1
}

func opName(op string) string {
	if op == "!=" {
		return "<>"
	}
	return op
}

func (r *rewriter) isExpr(left ex, i int) (ex, int) {
	j := i + 1
	neg := r.kw(j, "not")
	if neg {
		j++
	}
	switch {
	case r.kwAny(j, "null", "true", "false", "unknown"):
		f := append(frag(nil), wrap(left, tpBitOr)...)
		f = append(f, r.word(i, "is"))
		f[len(f)-1].gap = true
		if neg {
			f = append(f, r.word(i+1, "not"))
		}
		f = append(f, r.word(j, r.t(j).Val))
		return ex{f: f, prec: tpCmp, pos: left.pos}, j + 1
	case r.kw(j, "distinct") && r.kw(j+1, "from"):
		x, k := r.expr(j+2, ppIs)
		name := "is distinct from"
		if neg {
			name = "is not distinct from"
		}
		pos := r.t(i).Pos
		return atomOf(fcall("__op", pos, leadGap(left.f), strFrag(name, pos), left.f, x.f), left.pos), k
	case r.kwAny(j, "document", "normalized", "json", "of") || r.kwAny(j, "nfc", "nfd", "nfkc", "nfkd"):
		r.unsupported(i, "IS "+strings.ToUpper(r.t(j).Val))
	}
	r.fail(r.syntaxErrAt(j))
	return ex{}, 0
}

// predicate handles [NOT] BETWEEN / IN / LIKE / ILIKE / SIMILAR at i.
func (r *rewriter) predicate(left ex, i int) (ex, int) {
	j := i
	neg := r.kw(j, "not")
	if neg {
		j++
	}
	kwTok := j
	f := append(frag(nil), wrap(left, tpBitOr)...)
	if neg {
		f = append(f, r.word(i, "not"))
		f[len(f)-1].gap = true
	}
	w := r.t(j).Val
	var res ex
	switch w {
	case "similar":
		// x [NOT] SIMILAR TO p [ESCAPE e] is x [!]~ similar_to_escape(p[, e]),
		// as PostgreSQL rewrites it.
		if !r.kw(j+1, "to") {
			r.fail(r.syntaxErrAt(j + 1))
		}
		pos := r.t(j).Pos
		pat, k := r.expr(j+2, ppLike)
		args := []frag{pat.f}
		if r.kw(k, "escape") {
			esc, k2 := r.expr(k+1, ppLike)
			args = append(args, esc.f)
			k = k2
		}
		op := "~"
		if neg {
			op = "!~"
		}
		re := fcall("similar_to_escape", pos, false, args...)
		res, j = atomOf(fcall("__op", pos, leadGap(left.f), strFrag(op, pos), setGap(left.f, false), re), left.pos), k
	case "between":
		bw := j
		f = append(f, r.word(j, "between"))
		f[len(f)-1].gap = true
		j++
		symmetric := r.kw(j, "symmetric")
		if symmetric || r.kw(j, "asymmetric") {
			j++
		}
		lo, k := r.expr(j, ppLike)
		if !r.kw(k, "and") {
			r.fail(r.syntaxErrAt(k))
		}
		hi, k2 := r.expr(k+1, ppLike)
		head := f
		between := func(lo, hi ex) frag {
			g := append(frag(nil), head...)
			g = append(g, setGap(wrap(lo, tpBitOr), true)...)
			g = append(g, r.word(k, "and"))
			g[len(g)-1].gap = true
			return append(g, setGap(wrap(hi, tpBitOr), true)...)
		}
		if !symmetric {
			res, j = ex{f: between(lo, hi), prec: tpBetween, pos: left.pos}, k2
			break
		}
		// x BETWEEN SYMMETRIC a AND b is (x BETWEEN a AND b OR x BETWEEN
		// b AND a), and NOT BETWEEN SYMMETRIC the AND of both negations,
		// as PostgreSQL expands it (transformAExprBetween).
		join := "or"
		if neg {
			join = "and"
		}
		g := frag{{text: "(", orig: left.pos, gap: leadGap(left.f)}}
		g = append(g, setGap(between(lo, hi), false)...)
		g = append(g, piece{text: join, orig: r.t(bw).Pos, gap: true})
		g = append(g, setGap(between(hi, lo), true)...)
		g = append(g, piece{text: ")", orig: left.pos})
		res, j = atomOf(g, left.pos), k2
	case "in":
		f = append(f, r.word(j, "in"))
		f[len(f)-1].gap = true
		open := j + 1
		if !r.punct(open, "(") {
			r.fail(r.syntaxErrAt(open))
		}
		end := r.closeOf(open)
		g := frag{r.tok(open)}
		g[0].gap = true
		if r.isQueryStart(open + 1) {
			g = append(g, r.query(open+1, end)...)
		} else {
			g = append(g, r.exprList(open+1, end)...)
		}
		g = append(g, r.tok(end))
		f = append(f, g...)
		res, j = ex{f: f, prec: tpCmp, pos: left.pos}, end+1
	case "like", "ilike":
		name := w
		if neg {
			name = "not " + w
		}
		if r.kwAny(j+1, "any", "some", "all") && r.punct(j+2, "(") {
			return r.quantified(left, name, kwTok, j+1)
		}
		f = append(f, r.word(j, w))
		f[len(f)-1].gap = true
		pat, k := r.expr(j+1, ppLike)
		f = append(f, setGap(wrap(pat, tpUnary), true)...)
		if r.kw(k, "escape") {
			esc, k2 := r.expr(k+1, ppLike)
			f = append(f, r.word(k, "escape"))
			f[len(f)-1].gap = true
			f = append(f, setGap(wrap(esc, tpUnary), true)...)
			k = k2
		}
		res, j = ex{f: f, prec: tpCmp, pos: left.pos}, k
	default:
		r.fail(r.syntaxErrAt(j))
	}
	if r.infixBP(j) == ppLike {
		r.fail(r.syntaxErrAt(j))
	}
	return res, j
}

// cast builds __cast(x, 'typ'); the call maps to the operand (where
// PostgreSQL reports cast errors) and the type string to the type name at
// token typeAt (where it reports unknown types).
func (r *rewriter) cast(x ex, typ string, typeAt int) ex {
	return atomOf(fcall("__cast", x.pos, leadGap(x.f), x.f, strFrag(typ, r.t(typeAt).Pos)), x.pos)
}

// subscript handles a[i] and a[lo:hi] with the bracket at i.
func (r *rewriter) subscript(left ex, i int) (ex, int) {
	end := r.closeOf(i)
	colon := -1
	for k := i + 1; k < end; k++ {
		if r.match[k] > k {
			k = r.match[k]
			continue
		}
		if r.punct(k, ":") {
			colon = k
			break
		}
	}
	pos := r.t(i).Pos
	bound := func(lo, hi int) frag {
		if lo == hi {
			return frag{{text: "null", orig: r.t(lo).Pos}}
		}
		e, k := r.expr(lo, ppNone)
		if k != hi {
			r.fail(r.syntaxErrAt(k))
		}
		return e.f
	}
	if colon < 0 {
		return atomOf(fcall("__subscript", pos, leadGap(left.f), left.f, bound(i+1, end)), left.pos), end + 1
	}
	return atomOf(fcall("__slice", pos, leadGap(left.f), left.f, bound(i+1, colon), bound(colon+1, end)), left.pos), end + 1
}

// exprList rewrites a comma-separated, non-empty expression list filling
// [lo, hi) exactly.
func (r *rewriter) exprList(lo, hi int) frag {
	var f frag
	k := lo
	for {
		e, j := r.expr(k, ppNone)
		f = append(f, e.f...)
		if j == hi {
			return f
		}
		if !r.punct(j, ",") {
			r.fail(r.syntaxErrAt(j))
		}
		f = append(f, r.tok(j))
		k = j + 1
	}
}

// exprs parses a comma-separated expression list filling [lo, hi) exactly.
func (r *rewriter) exprs(lo, hi int) []ex {
	var out []ex
	k := lo
	for {
		e, j := r.expr(k, ppNone)
		out = append(out, e)
		if j == hi {
			return out
		}
		if !r.punct(j, ",") {
			r.fail(r.syntaxErrAt(j))
		}
		k = j + 1
	}
}
