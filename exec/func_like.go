package exec

// LIKE and ILIKE: like(text, pattern, escape) and ilike(…) return bool.
// A pattern is compiled once (cached by pattern, escape and case mode)
// into a matcher: the common shapes — exact, 'abc%', '%abc', '%abc%',
// 'abc%xyz' and '%' — are byte comparisons without regular expressions;
// other patterns use a segment matcher in which '_' matches exactly one
// character (UTF-8 code point) and '%' any run of characters. ILIKE
// compares lower-cased text (Unicode case mapping, a byte loop for ASCII).

import (
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v15/arrow/array"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// likeItem is one element of a LIKE segment: a literal run, or n '_'
// wildcards when lit is empty.
type likeItem struct {
	lit string
	n   int
}

// likeSeg is the part of a pattern between two '%'.
type likeSeg []likeItem

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	kind byte   // 'a' any, 'e' exact, 'p' prefix, 's' suffix, 'c' contains, 'b' prefix+suffix, 'g' general
	lit  string // the literal of the simple kinds ('b': prefix)
	lit2 string // the suffix of kind 'b'
	ci   bool
	// general matcher: segments between '%'; hasPct is false when the
	// pattern has no '%' at all.
	segs   []likeSeg
	hasPct bool
	// badTail is set for a pattern ending in the escape character: like
	// PostgreSQL, matching fails with 22025 only when text remains at that
	// point, so the matcher here is for "the rest of the pattern, then at
	// least one character".
	badTail bool
}

var likeCache = &patternCache{max: 1024}

// compileLike compiles pattern with escape character esc ("" disables
// escaping) for LIKE (ci false) or ILIKE.
func compileLike(pattern, esc string, ci bool) (*likeMatcher, error) {
	key := string([]byte{boolByte(ci)}) + esc + "\x00" + pattern
	if m, ok := likeCache.get(key); ok {
		return m.(*likeMatcher), nil
	}
	m, err := buildLike(pattern, esc, ci)
	if err != nil {
		return nil, err
	}
	likeCache.put(key, m)
	return m, nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func buildLike(pattern, esc string, ci bool) (*likeMatcher, error) {
	var escR rune = -1
	switch utf8.RuneCountInString(esc) {
	case 0:
	case 1:
		escR, _ = utf8.DecodeRuneInString(esc)
	default:
		return nil, sqlstate.New(sqlstate.InvalidEscapeSequence, "invalid escape string").
			WithHint("Escape string must be empty or one character.")
	}
	if ci {
		pattern = strings.ToLower(pattern)
		if escR >= 0 {
			// The escape character itself is not folded.
			escR = []rune(strings.ToLower(string(escR)))[0]
		}
	}
	m := &likeMatcher{ci: ci}
	var segs []likeSeg
	var cur likeSeg
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			cur = append(cur, likeItem{lit: lit.String()})
			lit.Reset()
		}
	}
	underscores := false
	for i := 0; i < len(pattern); {
		r, sz := utf8.DecodeRuneInString(pattern[i:])
		i += sz
		switch {
		case r == escR:
			if i >= len(pattern) {
				var esc2 string
				if escR >= 0 {
					esc2 = string(escR)
				}
				inner, err := buildLike(pattern[:i-sz]+"_%", esc2, false)
				if err != nil {
					return nil, err
				}
				inner.ci, inner.badTail = ci, true
				return inner, nil
			}
			r2, sz2 := utf8.DecodeRuneInString(pattern[i:])
			i += sz2
			lit.WriteRune(r2)
		case r == '%':
			flush()
			segs = append(segs, cur)
			cur = nil
			m.hasPct = true
		case r == '_':
			flush()
			underscores = true
			if len(cur) > 0 && cur[len(cur)-1].lit == "" {
				cur[len(cur)-1].n++
			} else {
				cur = append(cur, likeItem{n: 1})
			}
		default:
			lit.WriteRune(r)
		}
	}
	flush()
	segs = append(segs, cur)
	m.segs = segs
	if underscores {
		m.kind = 'g'
		return m, nil
	}
	// Only literals and '%': pick a fast path.
	litOf := func(s likeSeg) string {
		if len(s) == 0 {
			return ""
		}
		return s[0].lit
	}
	// Drop empty middle segments ('%%').
	inner := segs[1:max(len(segs)-1, 1)]
	nonEmpty := 0
	for _, s := range inner {
		if len(s) > 0 {
			nonEmpty++
		}
	}
	first, last := litOf(segs[0]), litOf(segs[len(segs)-1])
	switch {
	case !m.hasPct:
		m.kind, m.lit = 'e', first
	case nonEmpty == 0 && first == "" && last == "":
		m.kind = 'a'
	case nonEmpty == 0 && last == "":
		m.kind, m.lit = 'p', first
	case nonEmpty == 0 && first == "":
		m.kind, m.lit = 's', last
	case nonEmpty == 0:
		m.kind, m.lit, m.lit2 = 'b', first, last
	case nonEmpty == 1 && first == "" && last == "":
		for _, s := range inner {
			if len(s) > 0 {
				m.kind, m.lit = 'c', s[0].lit
			}
		}
	default:
		m.kind = 'g'
	}
	return m, nil
}

// match reports whether s matches; s is already lower-cased for ILIKE.
func (m *likeMatcher) match(s string) bool {
	switch m.kind {
	case 'a':
		return true
	case 'e':
		return s == m.lit
	case 'p':
		return strings.HasPrefix(s, m.lit)
	case 's':
		return strings.HasSuffix(s, m.lit)
	case 'c':
		return strings.Contains(s, m.lit)
	case 'b':
		return len(s) >= len(m.lit)+len(m.lit2) && strings.HasPrefix(s, m.lit) && strings.HasSuffix(s, m.lit2)
	}
	return m.matchGeneral(s)
}

// matchColumn sets bit i of out when row i of a String array (given by
// its raw offsets and data) matches, inverted by negate. The pattern
// kind is switched on once, outside the row loop.
func (m *likeMatcher) matchColumn(offs []int32, data []byte, n int, negate bool, out []byte) {
	set := func(i int, ok bool) {
		if ok != negate {
			out[i>>3] |= 1 << (i & 7)
		}
	}
	lit := m.lit
	switch m.kind {
	case 'a':
		for i := 0; i < n; i++ {
			set(i, true)
		}
	case 'e':
		for i := 0; i < n; i++ {
			set(i, unsafeString(data[offs[i]:offs[i+1]]) == lit)
		}
	case 'p':
		for i := 0; i < n; i++ {
			v := data[offs[i]:offs[i+1]]
			set(i, len(v) >= len(lit) && unsafeString(v[:len(lit)]) == lit)
		}
	case 's':
		for i := 0; i < n; i++ {
			v := data[offs[i]:offs[i+1]]
			set(i, len(v) >= len(lit) && unsafeString(v[len(v)-len(lit):]) == lit)
		}
	case 'c':
		for i := 0; i < n; i++ {
			set(i, strings.Contains(unsafeString(data[offs[i]:offs[i+1]]), lit))
		}
	default:
		for i := 0; i < n; i++ {
			set(i, m.match(unsafeString(data[offs[i]:offs[i+1]])))
		}
	}
}

// segAt matches seg at byte p of s and returns the end, or -1.
func segAt(s string, p int, seg likeSeg) int {
	for _, it := range seg {
		if it.lit != "" {
			if !strings.HasPrefix(s[p:], it.lit) {
				return -1
			}
			p += len(it.lit)
			continue
		}
		for j := 0; j < it.n; j++ {
			if p >= len(s) {
				return -1
			}
			if s[p] < utf8.RuneSelf {
				p++
			} else {
				_, sz := utf8.DecodeRuneInString(s[p:])
				p += sz
			}
		}
	}
	return p
}

// segChars is the number of characters seg matches.
func segChars(seg likeSeg) int {
	n := 0
	for _, it := range seg {
		if it.lit != "" {
			n += utf8.RuneCountInString(it.lit)
		} else {
			n += it.n
		}
	}
	return n
}

// matchGeneral matches segment by segment: the first is anchored at the
// start, the last at the end, and each middle one takes its leftmost
// occurrence — optimal because every segment matches a fixed number of
// characters.
func (m *likeMatcher) matchGeneral(s string) bool {
	segs := m.segs
	if !m.hasPct {
		return segAt(s, 0, segs[0]) == len(s)
	}
	pos := segAt(s, 0, segs[0])
	if pos < 0 {
		return false
	}
	last := segs[len(segs)-1]
	// Byte offset where the last segment must start.
	lastStart := len(s)
	for c := segChars(last); c > 0; c-- {
		if lastStart == 0 {
			return false
		}
		_, sz := utf8.DecodeLastRuneInString(s[:lastStart])
		lastStart -= sz
	}
	if lastStart < pos {
		return false
	}
	for _, seg := range segs[1 : len(segs)-1] {
		if len(seg) == 0 {
			continue
		}
		found := -1
		for p := pos; p <= lastStart; {
			if seg[0].lit != "" {
				j := strings.Index(s[p:lastStart], seg[0].lit)
				if j < 0 {
					return false
				}
				p += j
			}
			if e := segAt(s[:lastStart], p, seg); e >= 0 {
				found = e
				break
			}
			if p >= len(s) {
				break
			}
			_, sz := utf8.DecodeRuneInString(s[p:])
			p += sz
		}
		if found < 0 {
			return false
		}
		pos = found
	}
	return segAt(s, lastStart, last) == len(s)
}

// likeKernel evaluates like/ilike (ci) with an optional escape argument;
// negate gives NOT LIKE (the !~~ operators).
func likeKernel(ci, negate bool) Kernel {
	return dictAware(func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		s, p := newStrCol(args[0]), newStrCol(args[1])
		esc := strCol{s: `\`}
		if len(args) > 2 {
			esc = newStrCol(args[2])
		}
		var m *likeMatcher
		constPat := args[1].Arr == nil && (len(args) < 3 || args[2].Arr == nil)
		if constPat && !anyNullScalar(args[1:]) {
			var err error
			if m, err = compileLike(p.at(0), esc.at(0), ci); err != nil {
				return Vec{}, err
			}
		}
		if sa, ok := args[0].Arr.(*array.String); ok && m != nil && !m.badTail && n > 0 {
			offs, data := rawStrings(sa)
			if ci {
				// ASCII text lower-cases in one pass with unchanged offsets.
				src := data[offs[0]:offs[n]]
				if !isASCII(src) {
					goto rows
				}
				low := make([]byte, len(data))
				for j := int(offs[0]); j < int(offs[n]); j++ {
					c := data[j]
					if c >= 'A' && c <= 'Z' {
						c += 'a' - 'A'
					}
					low[j] = c
				}
				data = low
			}
			vals := make([]byte, (n+7)/8)
			m.matchColumn(offs, data, n, negate, vals)
			return Vec{Arr: newBoolArray(vals, validityAnd(n, sa), n)}, nil
		}
	rows:
		var lowBuf []byte
		return boolMap(args, n, func(i int) (bool, error) {
			mm := m
			if mm == nil {
				var err error
				if mm, err = compileLike(p.at(i), esc.at(i), ci); err != nil {
					return false, err
				}
			}
			v := s.at(i)
			if ci && mm.kind != 'a' {
				lowBuf = appendLower(lowBuf[:0], v)
				v = unsafeString(lowBuf)
			}
			if mm.badTail {
				if mm.match(v) {
					return false, errLikeTail()
				}
				return negate, nil
			}
			return mm.match(v) != negate, nil
		})
	})
}

func init() {
	Text, Bool := types.Text, types.Bool
	for _, ci := range []bool{false, true} {
		name, op, nop := "like", "~~", "!~~"
		if ci {
			name, op, nop = "ilike", "~~*", "!~~*"
		}
		regFn(name, sig(Text, Text), Bool, likeKernel(ci, false))
		regFn(name, sig(Text, Text, Text), Bool, likeKernel(ci, false))
		Register(&Func{Name: op, Args: sig(Text, Text), Ret: Bool, Kernel: likeKernel(ci, false), Infix: true},
			&Func{Name: nop, Args: sig(Text, Text), Ret: Bool, Kernel: likeKernel(ci, true), Infix: true})
	}
	regFn("like_escape", sig(Text, Text), Text, textFn(true, func(a []any) (any, error) {
		return likeEscape(a[0].(string), a[1].(string))
	}))
}

func errLikeTail() error {
	return sqlstate.New(sqlstate.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
}

// likeEscape rewrites pattern so that esc becomes the backslash escape.
func likeEscape(pattern, esc string) (string, error) {
	if esc == `\` {
		return pattern, nil
	}
	var b strings.Builder
	escR := rune(-1)
	if esc != "" {
		if utf8.RuneCountInString(esc) != 1 {
			return "", sqlstate.New(sqlstate.InvalidEscapeSequence, "invalid escape string").
				WithHint("Escape string must be empty or one character.")
		}
		escR, _ = utf8.DecodeRuneInString(esc)
	}
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == escR:
			if i+1 >= len(rs) {
				return "", errLikeTail()
			}
			i++
			b.WriteByte('\\')
			b.WriteRune(rs[i])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
