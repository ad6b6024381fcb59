package exec

// POSIX regular expressions: the operators ~, ~*, !~, !~* and
// regexp_replace, regexp_match(es), regexp_like, regexp_count,
// regexp_split_to_array and substring(text FROM pattern). They run on Go's
// RE2 engine after a translation of the PostgreSQL ARE syntax that differs
// cheaply (\m \M \y \Y word boundaries, [[:<:]] [[:>:]], \Z, '.' matching
// newlines by default); back-references and look-around, which RE2 lacks,
// are refused with 2201B. Compiled patterns are cached by text and flags.
// regexp_matches is set-returning: RegexpMatches gives its rows to the
// table function of the same name.

import (
	"regexp"
	"strings"

	"github.com/jackc/pgerrcode"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

var regexCache = &patternCache{max: 1024}

// reFlags are the parsed option letters of the regexp_* functions.
type reFlags struct {
	global, ci, newline, partialNL, inversePartialNL, expanded, quote bool
}

func parseREFlags(flags string) (reFlags, error) {
	var f reFlags
	for _, c := range flags {
		switch c {
		case 'g':
			f.global = true
		case 'i':
			f.ci = true
		case 'c':
			f.ci = false
		case 'n', 'm':
			f.newline = true
		case 's':
			f.newline, f.partialNL, f.inversePartialNL = false, false, false
		case 'p':
			f.partialNL = true
		case 'w':
			f.inversePartialNL = true
		case 'x':
			f.expanded = true
		case 't':
			f.expanded = false
		case 'q':
			f.quote = true
		case 'e':
		default:
			return f, errInvalidParam("invalid regular expression option: %q", string(c))
		}
	}
	return f, nil
}

// translateARE rewrites the PostgreSQL ARE constructs RE2 spells
// differently; expanded drops whitespace and #-comments outside brackets.
func translateARE(p string, expanded bool) string {
	var b strings.Builder
	inBracket := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if inBracket {
			if strings.HasPrefix(p[i:], "[:") {
				if j := strings.Index(p[i+2:], ":]"); j >= 0 {
					b.WriteString(p[i : i+2+j+2])
					i += 2 + j + 1
					continue
				}
			}
			b.WriteByte(c)
			if c == '\\' && i+1 < len(p) {
				i++
				b.WriteByte(p[i])
			} else if c == ']' {
				inBracket = false
			}
			continue
		}
		switch {
		case strings.HasPrefix(p[i:], "[[:<:]]") || strings.HasPrefix(p[i:], "[[:>:]]"):
			b.WriteString(`\b`)
			i += 6
		case c == '[':
			inBracket = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal member.
			if i+1 < len(p) && p[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
				b.WriteString(`\]`)
			}
		case c == '\\' && i+1 < len(p):
			i++
			switch p[i] {
			case 'm', 'M', 'y':
				b.WriteString(`\b`)
			case 'Y':
				b.WriteString(`\B`)
			case 'Z':
				b.WriteString(`\z`)
			default:
				b.WriteByte('\\')
				b.WriteByte(p[i])
			}
		case expanded && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
		case expanded && c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// compileRE compiles a PostgreSQL regular expression with flags.
func compileRE(pattern string, f reFlags) (*regexp.Regexp, error) {
	key := string([]byte{boolByte(f.ci), boolByte(f.newline), boolByte(f.partialNL), boolByte(f.inversePartialNL), boolByte(f.expanded), boolByte(f.quote)}) + pattern
	if re, ok := regexCache.get(key); ok {
		return re.(*regexp.Regexp), nil
	}
	var src string
	if f.quote {
		src = regexp.QuoteMeta(pattern)
	} else {
		src = translateARE(pattern, f.expanded)
	}
	opts := ""
	if f.ci {
		opts += "i"
	}
	switch {
	case f.newline:
		opts += "m"
	case f.partialNL:
	case f.inversePartialNL:
		opts += "sm"
	default:
		opts += "s"
	}
	if opts != "" {
		src = "(?" + opts + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return nil, sqlstate.New(pgerrcode.InvalidRegularExpression, "invalid regular expression: %s", msg)
	}
	regexCache.put(key, re)
	return re, nil
}

// regexOpKernel is ~ (ci false, negate false), ~*, !~ and !~*.
func regexOpKernel(ci, negate bool) Kernel {
	return dictAware(func(k *KernelCtx, args []Vec, n int) (Vec, error) {
		s, p := newStrCol(args[0]), newStrCol(args[1])
		f := reFlags{ci: ci}
		var re *regexp.Regexp
		if args[1].Arr == nil && args[1].Scalar != nil {
			var err error
			if re, err = compileRE(p.at(0), f); err != nil {
				return Vec{}, err
			}
		}
		return boolMap(args, n, func(i int) (bool, error) {
			r := re
			if r == nil {
				var err error
				if r, err = compileRE(p.at(i), f); err != nil {
					return false, err
				}
			}
			return r.MatchString(s.at(i)) != negate, nil
		})
	})
}

// expandReplacement writes PostgreSQL's replacement text for one match:
// \1…\9 insert a captured group, \& the whole match, \\ a backslash.
func expandReplacement(b *strings.Builder, repl, s string, m []int) {
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c != '\\' || i+1 >= len(repl) {
			b.WriteByte(c)
			continue
		}
		d := repl[i+1]
		switch {
		case d >= '1' && d <= '9':
			g := int(d - '0')
			if 2*g+1 < len(m) && m[2*g] >= 0 {
				b.WriteString(s[m[2*g]:m[2*g+1]])
			}
			i++
		case d == '&':
			b.WriteString(s[m[0]:m[1]])
			i++
		case d == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
}

// regexpReplace is regexp_replace(s, pattern, repl [, flags]).
func regexpReplace(s, pattern, repl, flags string) (string, error) {
	f, err := parseREFlags(flags)
	if err != nil {
		return "", err
	}
	re, err := compileRE(pattern, f)
	if err != nil {
		return "", err
	}
	limit := 1
	if f.global {
		limit = -1
	}
	ms := re.FindAllStringSubmatchIndex(s, limit)
	if len(ms) == 0 {
		return s, nil
	}
	var b strings.Builder
	prev := 0
	for _, m := range ms {
		b.WriteString(s[prev:m[0]])
		expandReplacement(&b, repl, s, m)
		prev = m[1]
	}
	b.WriteString(s[prev:])
	return b.String(), nil
}

// regexpMatch is regexp_match: the captured groups of the first match
// (the whole match when the pattern has no groups), NULL when none.
func regexpMatch(s, pattern, flags string) (any, error) {
	f, err := parseREFlags(flags)
	if err != nil {
		return nil, err
	}
	if f.global {
		return nil, errInvalidParam("regexp_match() does not support the \"global\" option").
			WithHint("Use the regexp_matches function instead.")
	}
	re, err := compileRE(pattern, f)
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, nil
	}
	return matchGroups(s, m), nil
}

// matchGroups is the text[] regexp_match(es) returns for one match: its
// parenthesized groups (NULL for one that did not take part), or the whole
// match when the pattern has none.
func matchGroups(s string, m []int) []any {
	if len(m) == 2 {
		return []any{s[m[0]:m[1]]}
	}
	out := make([]any, len(m)/2-1)
	for g := 1; g < len(m)/2; g++ {
		if m[2*g] >= 0 {
			out[g-1] = s[m[2*g]:m[2*g+1]]
		}
	}
	return out
}

// RegexpMatches is regexp_matches(s, pattern, flags): one text[] per
// match, every match with flag 'g', else at most the first.
func RegexpMatches(s, pattern, flags string) ([][]any, error) {
	f, err := parseREFlags(flags)
	if err != nil {
		return nil, err
	}
	re, err := compileRE(pattern, f)
	if err != nil {
		return nil, err
	}
	if !f.global {
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			return nil, nil
		}
		return [][]any{matchGroups(s, m)}, nil
	}
	all := re.FindAllStringSubmatchIndex(s, -1)
	out := make([][]any, 0, len(all))
	// Go skips an empty match right after a non-empty one ("b*" over "abc"
	// matches "", "b", "" at 3); PostgreSQL resumes its search where the
	// match ended and keeps it ("", "b", "" at 2, "" at 3). Look for it in
	// the rest of the string, unless the pattern asserts something about
	// the text before (^, \b), which the slice would not show.
	contextual := strings.Contains(re.String(), "^") || strings.Contains(re.String(), `\b`) ||
		strings.Contains(re.String(), `\B`) || strings.Contains(re.String(), `\A`)
	for i, m := range all {
		out = append(out, matchGroups(s, m))
		e := m[1]
		if m[0] == e || contextual || i+1 < len(all) && all[i+1][0] == e {
			continue
		}
		if r := re.FindStringSubmatchIndex(s[e:]); r != nil && r[0] == 0 && r[1] == 0 {
			for j := range r {
				if r[j] >= 0 {
					r[j] += e
				}
			}
			out = append(out, matchGroups(s, r))
		}
	}
	return out, nil
}

// regexpSubstring is substring(s FROM pattern): the first parenthesized
// group of the first match, or the whole match when there is none.
func regexpSubstring(s, pattern string) (any, error) {
	re, err := compileRE(pattern, reFlags{})
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil {
		return nil, nil
	}
	if len(m) > 2 {
		if m[2] < 0 {
			return nil, nil
		}
		return s[m[2]:m[3]], nil
	}
	return s[m[0]:m[1]], nil
}

func regexpSplit(s, pattern, flags string) ([]any, error) {
	f, err := parseREFlags(flags)
	if err != nil {
		return nil, err
	}
	if f.global {
		return nil, errInvalidParam("regexp_split_to_array() does not support the \"global\" option")
	}
	re, err := compileRE(pattern, f)
	if err != nil {
		return nil, err
	}
	// A zero-length match at either end of s or right after the previous
	// match does not split (PostgreSQL's rule).
	out := []any{}
	prev, lastEnd := 0, -1
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[0] == m[1] && (m[0] == 0 || m[0] >= len(s) || m[0] == lastEnd) {
			continue
		}
		out = append(out, s[prev:m[0]])
		prev, lastEnd = m[1], m[1]
	}
	out = append(out, s[prev:])
	return out, nil
}

func regexpCount(s, pattern string, start int64, flags string) (int64, error) {
	if start <= 0 {
		return 0, errInvalidParam("invalid value for parameter %q: %d", "start", start)
	}
	f, err := parseREFlags(flags)
	if err != nil {
		return 0, err
	}
	re, err := compileRE(pattern, f)
	if err != nil {
		return 0, err
	}
	return int64(len(re.FindAllStringIndex(s[byteOffset(s, start-1):], -1))), nil
}

// SimilarToEscape is similar_to_escape(pattern, escape): the SQL regular
// expression of SIMILAR TO as the anchored POSIX one PostgreSQL matches
// with ~ (x SIMILAR TO p is x ~ similar_to_escape(p)). % and _ become .*
// and ., ( a non-capturing group, . ^ $ and \ are literal, bracket
// expressions pass through, and the escape character (hasEsc false:
// none) quotes the next character, or with " marks the part that
// substring(… SIMILAR …) returns. Ported from PostgreSQL 15's
// similar_escape_internal (utils/adt/regexp.c).
func SimilarToEscape(pattern string, esc rune, hasEsc bool) (string, error) {
	var b strings.Builder
	b.WriteString("^(?:")
	afterEscape, inClass := false, false
	classPos := 0 // 1 right after '[', 2 after an initial '^' too
	quotes := 0
	for _, c := range pattern {
		switch {
		case afterEscape:
			if c == '"' && !inClass {
				switch quotes {
				case 0:
					b.WriteString("){1,1}?(")
				case 1:
					b.WriteString("){1,1}(?:")
				default:
					return "", sqlstate.New(pgerrcode.InvalidUseOfEscapeCharacter,
						"SQL regular expression may not contain more than two escape-double-quote separators")
				}
				quotes++
			} else {
				b.WriteByte('\\')
				b.WriteRune(c)
			}
			afterEscape = false
		case hasEsc && c == esc:
			afterEscape = true
		case inClass:
			if c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
			switch {
			case c == ']' && classPos > 2:
				inClass = false
			case c == '^':
				classPos++
			default:
				classPos = 3
			}
		case c == '[':
			b.WriteByte('[')
			inClass, classPos = true, 1
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteByte('.')
		case c == '(':
			b.WriteString("(?:")
		case c == '\\' || c == '.' || c == '^' || c == '$':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteString(")$")
	return b.String(), nil
}

func init() {
	Text, Bool, Int4 := types.Text, types.Bool, types.Int4
	textArr := types.ArrayOf(Text)
	for _, op := range []struct {
		name       string
		ci, negate bool
	}{{"~", false, false}, {"~*", true, false}, {"!~", false, true}, {"!~*", true, true}} {
		Register(&Func{Name: op.name, Args: sig(Text, Text), Ret: Bool, Kernel: regexOpKernel(op.ci, op.negate), Infix: true})
	}
	str := func(a any) string {
		if a == nil {
			return ""
		}
		return a.(string)
	}
	regFn("regexp_replace", sig(Text, Text, Text), Text, textFn(true, func(a []any) (any, error) {
		return regexpReplace(a[0].(string), a[1].(string), a[2].(string), "")
	}))
	regFn("regexp_replace", sig(Text, Text, Text, Text), Text, textFn(true, func(a []any) (any, error) {
		return regexpReplace(a[0].(string), a[1].(string), a[2].(string), a[3].(string))
	}))
	regFn("regexp_match", sig(Text, Text), textArr, textFn(true, func(a []any) (any, error) {
		return regexpMatch(a[0].(string), a[1].(string), "")
	}))
	regFn("regexp_match", sig(Text, Text, Text), textArr, textFn(true, func(a []any) (any, error) {
		return regexpMatch(a[0].(string), a[1].(string), a[2].(string))
	}))
	regFn("similar_to_escape", sig(Text), Text, textFn(true, func(a []any) (any, error) {
		return SimilarToEscape(a[0].(string), '\\', true)
	}))
	regFn("similar_to_escape", sig(Text, Text), Text, textFn(true, func(a []any) (any, error) {
		e := []rune(a[1].(string))
		if len(e) > 1 {
			return nil, sqlstate.New(sqlstate.InvalidEscapeSequence, "invalid escape string").
				WithHint("Escape string must be empty or one character.")
		}
		if len(e) == 0 {
			return SimilarToEscape(a[0].(string), 0, false)
		}
		return SimilarToEscape(a[0].(string), e[0], true)
	}))
	regFn("regexp_like", sig(Text, Text), Bool, regexOpKernel(false, false))
	regFn("regexp_like", sig(Text, Text, Text), Bool, textFn(true, func(a []any) (any, error) {
		f, err := parseREFlags(a[2].(string))
		if err != nil {
			return nil, err
		}
		if f.global {
			return nil, errInvalidParam("regexp_like() does not support the \"global\" option")
		}
		re, err := compileRE(a[1].(string), f)
		if err != nil {
			return nil, err
		}
		return re.MatchString(a[0].(string)), nil
	}))
	regFn("regexp_count", sig(Text, Text), Int4, textFn(true, func(a []any) (any, error) {
		return regexpCount(a[0].(string), a[1].(string), 1, "")
	}))
	regFn("regexp_count", sig(Text, Text, Int4), Int4, textFn(true, func(a []any) (any, error) {
		return regexpCount(a[0].(string), a[1].(string), a[2].(int64), "")
	}))
	regFn("regexp_count", sig(Text, Text, Int4, Text), Int4, textFn(true, func(a []any) (any, error) {
		return regexpCount(a[0].(string), a[1].(string), a[2].(int64), a[3].(string))
	}))
	regFn("regexp_split_to_array", sig(Text, Text), textArr, textFn(true, func(a []any) (any, error) {
		return regexpSplit(a[0].(string), a[1].(string), "")
	}))
	regFn("regexp_split_to_array", sig(Text, Text, Text), textArr, textFn(true, func(a []any) (any, error) {
		return regexpSplit(a[0].(string), a[1].(string), str(a[2]))
	}))
	regFn("substring", sig(Text, Text), Text, textFn(true, func(a []any) (any, error) {
		return regexpSubstring(a[0].(string), a[1].(string))
	}))
}
