package sql

// The rewriter turns one PostgreSQL statement (a query or an INSERT) into
// text that github.com/pingcap/tidb/pkg/parser accepts in SQL mode
// ANSI_QUOTES | PIPES_AS_CONCAT | NO_BACKSLASH_ESCAPES, together with a
// position map from every byte of the rewritten text back to the user's
// text. It is a small recursive-descent parser over the token stream that
// knows PostgreSQL's clause structure and operator precedence, and prints
// each construct either as itself or as a call of a synthetic function.
//
// # Conventions the binder relies on
//
// Names. Unquoted identifiers arrive folded to lower case; quoted ones keep
// their case. Any name that is a TiDB keyword is emitted double-quoted, so
// TiDB reads it as an identifier. Compare names with CIStr.O, never CIStr.L:
// "Foo" and foo are different names in PostgreSQL. A function name
// qualified with pg_catalog loses its qualifier.
//
// Parameters. $1, $2 … are left as they are; TiDB reads them as column
// references named "$1". The binder treats a ColumnNameExpr whose name is
// $<digits> as a parameter. In LIMIT and OFFSET, where TiDB accepts only
// literals, the parser substitutes the parsed expression back into the AST
// after TiDB is done, so $1 appears there the same way.
//
// Literals. TRUE and FALSE are TiDB ValueExprs holding int64 1/0 whose type
// carries mysql.IsBooleanFlag; that flag tells them from 1 and 0. Strings are
// plain '…' literals holding the decoded value (E'…', U&'…' and dollar quotes
// are decoded here). DATE '…' and TIMESTAMP '…' are left to TiDB.
//
// ORDER BY. Without __nulls_first/__nulls_last the order is PostgreSQL's
// default (NULLS LAST for ASC, NULLS FIRST for DESC), which is not TiDB's.
//
// Dropped forms: COLLATE <name> (everywhere), LIMIT ALL, LIMIT NULL, the
// MATERIALIZED / NOT MATERIALIZED hints of a CTE, ONLY before a table name,
// LATERAL before a function in FROM (functions in FROM are always lateral in
// PostgreSQL). OFFSET and FETCH FIRST become LIMIT n OFFSET m (an OFFSET
// without a limit gets LIMIT 18446744073709551615).
//
// # Synthetic functions
//
// Every PostgreSQL construct TiDB cannot parse becomes a call of a function
// whose name starts with two underscores. Operator and type names are string
// literals, lower-case, single-spaced:
//
//	__cast(x, 'type')            x::type, CAST(x AS type), type 'literal'. 'type' is the
//	                             type as written, normalized: 'double precision',
//	                             'varchar(20)', 'numeric(10,2)', 'text[]',
//	                             'timestamp(3) with time zone', 'pg_catalog.regclass',
//	                             '"char"'; resolve it with types.ByName. INTERVAL '1' HOUR
//	                             becomes __cast('1 hour', 'interval'). B'0101' and X'1F'
//	                             become __cast('b0101', 'bit') and __cast('x1F', 'bit').
//	__array(a, b, …)             ARRAY[a, b, …]; ARRAY[[1,2],[3,4]] nests; ARRAY[] is __array().
//	__array_subquery((q))        ARRAY(q): the one argument is a scalar subquery.
//	__any('op', x, arr)          x op ANY (arr) and x op SOME (arr) when arr is not a
//	__all('op', x, arr)          subquery, or when op is not a comparison TiDB knows
//	                             (then arr is __array_subquery((q))). op is '=', '<>',
//	                             '<', '~', 'like', 'not ilike', … x = ANY (SELECT …)
//	                             stays a TiDB subquery comparison.
//	__op('op', a, b)             binary operators TiDB lacks or reads differently: '||'
//	__op('op', a)                (TiDB's concat() would lose PostgreSQL's meaning for
//	                             arrays and jsonb), '^' (power; TiDB's ^ is xor), '#'
//	                             (xor), '~', '~*', '!~', '!~*', '~~', '->', '->>', '@>',
//	                             '<@', '&&', '<=>', any OPERATOR(schema.op) whose op is not
//	                             native, 'is distinct from', 'is not distinct from',
//	                             'at time zone'; the one-argument form is a prefix operator
//	                             ('|/', '||/', '@', '!!', …).
//	__subscript(a, i)            a[i]
//	__slice(a, lo, hi)           a[lo:hi]; a missing bound is NULL.
//	__field(x, 'name')           (x).name, field selection from a composite value.
//	__agg_distinct(f(args))      f(DISTINCT args) for an aggregate TiDB's grammar does
//	                             not take DISTINCT for (count, sum, avg, min, max,
//	                             group_concat, stddev_*, var_* keep TiDB's own form).
//	__agg_order(f(args), k1, 'asc'|'desc', k2, …)
//	                             f(args ORDER BY k1 [DESC], …), e.g. string_agg, array_agg.
//	__within_group(f(args), k1, 'asc'|'desc', …)
//	                             f(args) WITHIN GROUP (ORDER BY k1 [DESC], …).
//	__agg_filter(agg, cond)      agg FILTER (WHERE cond). Wrappers nest in this order,
//	                             innermost first: __agg_distinct, __agg_order or
//	                             __within_group, __agg_filter. None of them takes OVER.
//	__distinct_on(e1, …)         SELECT DISTINCT ON (e1, …) list becomes SELECT DISTINCT list,
//	                             __distinct_on(e1, …): the last select-list item is the marker.
//	__gset(a, …)                 in GROUP BY: () is __gset(); ROLLUP (…), CUBE (…) and
//	__rollup(…), __cube(…)       GROUPING SETS (…) become __rollup, __cube and
//	__grouping_sets(…)           __grouping_sets of their elements (an element (a, b)
//	                             stays a row expression: one set of keys). GROUP BY
//	__group_distinct()           DISTINCT puts __group_distinct() first in the list.
//	__nulls_first(e)             ORDER BY e [ASC|DESC] NULLS FIRST (the direction stays
//	__nulls_last(e)              outside: ORDER BY __nulls_first(e) DESC). The binder
//	                             unwraps these before resolving ORDER BY ordinals and
//	                             output-column names.
//
// Other renames: extract(f FROM x) → date_part('f', x); substring(x FROM a
// FOR b) → substring(x, a, b) (FOR alone gives start 1); overlay(x PLACING y
// FROM a FOR b) → overlay(x, y, a, b); trim(x, chars) → btrim/ltrim/rtrim;
// stddev → stddev_samp and variance → var_samp (TiDB would read them as the
// population forms); user and current_role → current_user(), session_user →
// session_user(), current_catalog → current_database(), current_schema →
// current_schema(); x ISNULL / x NOTNULL → x IS [NOT] NULL; VALUES (…), (…)
// outside INSERT → VALUES ROW(…), ROW(…); TABLE t → SELECT * FROM t; INSERT …
// DEFAULT VALUES → INSERT … () VALUES ().
//
// # FROM items
//
// A column alias list is folded into the alias: t AS x(a, b), (subquery) x(a,
// b) and g(i) emit the alias as one quoted identifier "x\x01a\x01b" (name,
// then each column name, separated by byte 0x01; see SplitAlias). A function
// in FROM (read_parquet('…'), generate_series(1, 10), unnest(a),
// pg_catalog.foo(…)) becomes a table whose quoted name is byte 0x02 followed
// by the rewritten call text, "\x02generate_series(1, 10)", followed by its
// alias if any; ParseTableFunc turns such a name back into the function name
// and TiDB argument expressions.
//
// # Joins
//
// TiDB has no FULL JOIN, so FULL [OUTER] JOIN becomes STRAIGHT_JOIN (which
// PostgreSQL does not have), keeping its ON or USING: the binder reads
// ast.Join.StraightJoin as FULL. NATURAL FULL JOIN x becomes STRAIGHT_JOIN x
// ON __natural(). NATURAL INNER JOIN becomes NATURAL JOIN.
//
// # Refused forms (0A000, with the position of the keyword)
//
// window frames in GROUPS mode or with EXCLUDE, RANGE offsets other than a
// single-unit interval, FETCH … WITH TIES, WITH ORDINALITY, ROWS FROM,
// TABLESAMPLE, SELECT INTO, ON CONFLICT, RETURNING, named and VARIADIC
// arguments, OVER on a function TiDB has no window form for or on an
// aggregate with FILTER / ORDER BY / DISTINCT wrappers, IS DOCUMENT / IS
// NORMALIZED / IS JSON.

import (
	"sort"
	"strconv"
	"strings"

	"lambdasql/sql/sqlstate"
)

// piece is one run of rewritten text and the original byte it came from.
type piece struct {
	text  string
	orig  int  // byte offset in the original query this text maps to
	exact bool // text has the same length as the original token, so offsets inside map 1:1
	gap   bool // a space precedes this piece
	mark  int  // nonzero: record the rewritten offset of this piece under this id
}

// frag is a sequence of pieces; the rewriter builds its output from frags.
type frag []piece

// posSeg records where one piece landed in the rewritten text.
type posSeg struct {
	rw, n, orig int
	exact       bool
}

// posMap maps byte offsets of a rewritten text to byte offsets of the
// original query.
type posMap struct {
	segs []posSeg
	end  int // original offset for positions at or past the end of the rewritten text
}

// orig returns the original byte offset of rewritten byte offset rw.
func (m *posMap) orig(rw int) int {
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].rw > rw }) - 1
	if i < 0 {
		if len(m.segs) > 0 {
			return m.segs[0].orig
		}
		return m.end
	}
	s := m.segs[i]
	if rw < s.rw+s.n {
		if s.exact {
			return s.orig + (rw - s.rw)
		}
		return s.orig
	}
	// In the space after a piece: the next piece, or the end.
	if i+1 < len(m.segs) {
		return m.segs[i+1].orig
	}
	return m.end
}

type charClass uint8

const (
	clsOther charClass = iota
	clsWord
	clsQuote
	clsOp
)

func classOf(c byte) charClass {
	switch {
	case isIdentCont(c):
		return clsWord
	case c == '"' || c == '\'' || c == '`':
		return clsQuote
	case isOpChar(c):
		return clsOp
	}
	return clsOther
}

// needSpace reports whether two pieces would glue into one token if written
// side by side: words, quoted names and strings, and operator characters.
func needSpace(prev, next byte) bool {
	a, b := classOf(prev), classOf(next)
	switch {
	case a == clsOp && b == clsOp:
		return true
	case (a == clsWord || a == clsQuote) && (b == clsWord || b == clsQuote):
		return true
	}
	return false
}

// render writes f out. marks maps each nonzero piece mark to its offset.
func render(f frag, end int) (string, posMap, map[int]int) {
	var b strings.Builder
	m := posMap{end: end}
	var marks map[int]int
	for _, p := range f {
		if p.text == "" {
			continue
		}
		if b.Len() > 0 {
			s := b.String()
			prev, next := s[len(s)-1], p.text[0]
			gap := p.gap && prev != '(' && prev != '[' && next != ')' && next != ']' && next != ','
			if gap || needSpace(prev, next) {
				b.WriteByte(' ')
			}
		}
		if p.mark != 0 {
			if marks == nil {
				marks = map[int]int{}
			}
			marks[p.mark] = b.Len()
		}
		m.segs = append(m.segs, posSeg{rw: b.Len(), n: len(p.text), orig: p.orig, exact: p.exact})
		b.WriteString(p.text)
	}
	return b.String(), m, marks
}

// renderText is render without the map, for text embedded in names.
func renderText(f frag) string {
	s, _, _ := render(f, 0)
	return s
}

// bailout carries a statement error up through the recursive descent; it is
// recovered at the entry points (rewriteStmt, parseStmt) and never leaves
// the package. Errors in a statement are terminal, so unwinding with panic
// keeps the grammar code readable.
type bailout struct{ err error }

func catch(err *error) {
	if x := recover(); x != nil {
		b, ok := x.(bailout)
		if !ok {
			panic(x)
		}
		*err = b.err
	}
}

// maxDepth bounds bracket nesting and expression recursion so hostile input
// cannot exhaust the stack.
const maxDepth = 1000

// rewriter holds one statement's tokens. toks ends with a TokEOF token that
// stands for the statement's terminator (';' or the end of the query).
type rewriter struct {
	q     string
	toks  []Token
	match []int // index of the partner of ( ) [ ], -1 for other tokens
	depth int
	marks int
	subs  []limitSub
}

// limitSub is a LIMIT or OFFSET value emitted as "?" and substituted back
// into the AST after TiDB parsed the statement.
type limitSub struct {
	mark int
	expr frag
	pos  int
}

// newRewriter prepares the tokens of one statement: toks must end with the
// terminator token, which is turned into TokEOF (keeping its position and
// text for error messages).
func newRewriter(q string, toks []Token) (*rewriter, error) {
	r := &rewriter{q: q, toks: toks, match: make([]int, len(toks))}
	last := &r.toks[len(r.toks)-1]
	last.Kind = TokEOF
	var stack []int
	for i, t := range r.toks {
		r.match[i] = -1
		if t.Kind != TokPunct {
			continue
		}
		switch t.Val {
		case "(", "[":
			stack = append(stack, i)
			if len(stack) > maxDepth {
				return nil, r.tooDeep(i)
			}
		case ")", "]":
			want := "("
			if t.Val == "]" {
				want = "["
			}
			if len(stack) == 0 || r.toks[stack[len(stack)-1]].Val != want {
				return nil, r.syntaxErrAt(i)
			}
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			r.match[o], r.match[i] = i, o
		}
	}
	if len(stack) > 0 {
		return nil, r.syntaxErrAt(len(r.toks) - 1)
	}
	return r, nil
}

func (r *rewriter) tooDeep(i int) error {
	return sqlstate.New(sqlstate.StatementTooComplex, "stack depth limit exceeded").
		WithHint("The statement nests parentheses or expressions more than %d levels deep.", maxDepth).
		WithPosition(charPos(r.q, r.toks[i].Pos))
}

// t returns token i, or the terminator past the end.
func (r *rewriter) t(i int) Token {
	if i >= len(r.toks) {
		return r.toks[len(r.toks)-1]
	}
	return r.toks[i]
}

func (r *rewriter) kw(i int, w string) bool {
	t := r.t(i)
	return t.Kind == TokIdent && t.Val == w
}

func (r *rewriter) kwAny(i int, ws ...string) bool {
	t := r.t(i)
	if t.Kind != TokIdent {
		return false
	}
	for _, w := range ws {
		if t.Val == w {
			return true
		}
	}
	return false
}

func (r *rewriter) punct(i int, p string) bool {
	t := r.t(i)
	return t.Kind == TokPunct && t.Val == p
}

func (r *rewriter) isOp(i int, o string) bool {
	t := r.t(i)
	return t.Kind == TokOp && t.Val == o
}

// closeOf returns the index of the bracket closing the one at i.
func (r *rewriter) closeOf(i int) int {
	if i < len(r.match) && r.match[i] > i {
		return r.match[i]
	}
	r.fail(r.syntaxErrAt(i))
	return 0
}

func (r *rewriter) fail(err error) { panic(bailout{err}) }

// syntaxErrAt is PostgreSQL's "syntax error at or near" for token i.
func (r *rewriter) syntaxErrAt(i int) error {
	return syntaxError(r.q, r.t(i))
}

func syntaxError(q string, t Token) error {
	text := q[t.Pos:t.End]
	if t.Kind == TokEOF && text == "" {
		return sqlstate.New(sqlstate.SyntaxError, "syntax error at end of input").WithPosition(charPos(q, t.Pos))
	}
	return sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \"%s\"", text).WithPosition(charPos(q, t.Pos))
}

// unsupported fails with 0A000 "<feature> is not supported" at token i.
func (r *rewriter) unsupported(i int, feature string) {
	r.fail(sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported", feature).WithPosition(charPos(r.q, r.t(i).Pos)))
}

func (r *rewriter) enter(i int) {
	r.depth++
	if r.depth > maxDepth {
		r.fail(r.tooDeep(i))
	}
}

func (r *rewriter) leave() { r.depth-- }

func (r *rewriter) gapBefore(i int) bool {
	return i > 0 && i < len(r.toks) && r.toks[i].Pos > r.toks[i-1].End
}

// tok emits token i as itself: words lower-cased, strings re-quoted.
func (r *rewriter) tok(i int) piece {
	t := r.t(i)
	var text string
	switch t.Kind {
	case TokIdent:
		text = t.Val
	case TokQuotedIdent:
		text = quoteIdent(t.Val)
	case TokString:
		text = quoteString(t.Val)
	case TokInteger, TokNumber, TokParam, TokOp, TokPunct:
		text = t.Val
	case TokEOF:
		text = ""
	default:
		text = r.q[t.Pos:t.End]
	}
	return piece{text: text, orig: t.Pos, exact: len(text) == t.End-t.Pos, gap: r.gapBefore(i)}
}

// word emits a keyword (lower case) for token i.
func (r *rewriter) word(i int, w string) piece {
	t := r.t(i)
	return piece{text: w, orig: t.Pos, exact: len(w) == t.End-t.Pos, gap: r.gapBefore(i)}
}

// synth is generated text mapped to the original offset of token i.
func (r *rewriter) synth(i int, s string) piece {
	return piece{text: s, orig: r.t(i).Pos}
}

// name emits token i as an identifier TiDB reads as a name.
func (r *rewriter) name(i int) piece {
	t := r.t(i)
	text := t.Val
	if t.Kind == TokQuotedIdent || needsQuote(t.Val) {
		text = quoteIdent(t.Val)
	}
	return piece{text: text, orig: t.Pos, exact: len(text) == t.End-t.Pos, gap: r.gapBefore(i)}
}

// needsQuote reports whether an (already folded) identifier must be quoted
// for TiDB: a TiDB keyword, a word starting with '_' (TiDB reads _utf8mb4,
// _binary … as charset introducers), or anything that is not a plain ASCII
// word.
func needsQuote(s string) bool {
	if s == "" || tidbKeywords[s] || s[0] == '_' {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			return true
		}
	}
	return false
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// SplitAlias splits an alias emitted for "name(col, …)" (the name, then
// each column, separated by byte 0x01) into the alias and its column names.
// An alias without columns is returned unchanged with nil columns.
func SplitAlias(alias string) (name string, cols []string) {
	parts := strings.Split(alias, "\x01")
	if len(parts) == 1 {
		return alias, nil
	}
	return parts[0], parts[1:]
}

// tableFuncPrefix starts the name of a table that stands for a function
// call in FROM.
const tableFuncPrefix = "\x02"

func (r *rewriter) newMark() int {
	r.marks++
	return r.marks
}

func itoa(n int) string { return strconv.Itoa(n) }
