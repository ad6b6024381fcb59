package sql

import (
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"lambdasql/sql/sqlstate"
)

// TokenKind classifies a lexical token of PostgreSQL text.
type TokenKind uint8

// Token kinds.
const (
	TokEOF         TokenKind = iota // end of input; Pos = End = len(text)
	TokIdent                        // unquoted identifier or keyword; Val is folded to lower case
	TokQuotedIdent                  // "…" or U&"…"; Val is the name exactly as written (quotes removed)
	TokInteger                      // 42, 1_000, 0x1F; Val is the value in decimal digits
	TokNumber                       // 1.5, .5, 1e10; Val is the literal without '_' separators
	TokString                       // '…', E'…', U&'…', N'…', $$…$$; Val is the decoded value
	TokBitString                    // B'0101' or X'1F'; Val is "b0101" or "x1F" (prefix letter, then the digits)
	TokParam                        // $1; Val is "$1"
	TokOp                           // an operator; Val is its text (e.g. "::" is TokPunct, "<=" is TokOp)
	TokPunct                        // ( ) [ ] , ; : :: . ..; Val is its text
)

var tokenKindNames = [...]string{"EOF", "Ident", "QuotedIdent", "Integer", "Number", "String", "BitString", "Param", "Op", "Punct"}

func (k TokenKind) String() string {
	if int(k) < len(tokenKindNames) {
		return tokenKindNames[k]
	}
	return "Token(" + strconv.Itoa(int(k)) + ")"
}

// Token is one lexical token. Pos and End are byte offsets into the text
// given to Lex: text[Pos:End] is the token as written, including quotes,
// prefixes and, for a string continued across lines ('a'\n'b'), every part.
type Token struct {
	Kind TokenKind
	Val  string
	Pos  int
	End  int
}

// maxIdentLen is NAMEDATALEN-1: PostgreSQL truncates longer identifiers.
const maxIdentLen = 63

// Lex splits PostgreSQL text into tokens following PostgreSQL's lexical
// rules (standard_conforming_strings on). Comments and whitespace are
// dropped; the last token is always TokEOF. A malformed token (an
// unterminated string, quoted identifier or comment, a zero-length quoted
// identifier, a bad escape) is a *sqlstate.Error with SQLSTATE 42601
// (22025/22021 for escapes that decode to invalid text) and Position set to
// the 1-based character position of the token.
func Lex(text string) ([]Token, error) {
	// PostgreSQL verifies the encoding of the whole query before parsing it.
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == 0 || r == utf8.RuneError && size <= 1 {
			return nil, sqlstate.New(sqlstate.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x%02x", text[i]).
				WithPosition(charPos(text, i))
		}
		i += size
	}
	l := lexer{src: text}
	if err := l.run(); err != nil {
		return nil, err
	}
	return l.toks, nil
}

type lexer struct {
	src  string
	pos  int
	toks []Token
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}
func isIdentCont(c byte) bool { return isIdentStart(c) || isDigit(c) || c == '$' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isOpChar reports whether c may appear in a PostgreSQL operator name.
func isOpChar(c byte) bool { return strings.IndexByte("~!@#^&|`?+-*/%<>=", c) >= 0 }

// charPos converts a byte offset in s to a 1-based character position.
func charPos(s string, off int) int {
	if off < 0 {
		off = 0
	}
	if off > len(s) {
		off = len(s)
	}
	return utf8.RuneCountInString(s[:off]) + 1
}

func (l *lexer) errAt(code string, off int, format string, args ...any) error {
	return sqlstate.New(code, format, args...).WithPosition(charPos(l.src, off))
}

// nearErr is PostgreSQL's scanner error: "<msg> at or near "<rest>"".
func (l *lexer) nearErr(msg string, off int) error {
	return l.errAt(sqlstate.SyntaxError, off, "%s at or near \"%s\"", msg, l.src[off:])
}

func (l *lexer) emit(k TokenKind, val string, start int) {
	l.toks = append(l.toks, Token{Kind: k, Val: val, Pos: start, End: l.pos})
}

func (l *lexer) run() error {
	for {
		if err := l.skipSpace(); err != nil {
			return err
		}
		if l.pos >= len(l.src) {
			l.toks = append(l.toks, Token{Kind: TokEOF, Pos: len(l.src), End: len(l.src)})
			return nil
		}
		start := l.pos
		c := l.src[l.pos]
		var err error
		switch {
		case c == '\'':
			err = l.quotedString(start, start, 0)
		case c == '"':
			err = l.quotedIdent(start, start, false)
		case isDigit(c) || c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1]):
			err = l.number(start)
		case isIdentStart(c):
			err = l.word(start)
		case c == '$':
			err = l.dollar(start)
		case strings.IndexByte("()[],;", c) >= 0:
			l.pos++
			l.emit(TokPunct, string(c), start)
		case c == ':':
			switch {
			case strings.HasPrefix(l.src[l.pos:], "::"):
				l.pos += 2
				l.emit(TokPunct, "::", start)
			case strings.HasPrefix(l.src[l.pos:], ":="):
				l.pos += 2
				l.emit(TokOp, ":=", start)
			default:
				l.pos++
				l.emit(TokPunct, ":", start)
			}
		case c == '.':
			if strings.HasPrefix(l.src[l.pos:], "..") {
				l.pos += 2
				l.emit(TokPunct, "..", start)
			} else {
				l.pos++
				l.emit(TokPunct, ".", start)
			}
		case isOpChar(c):
			l.operator(start)
		default:
			_, n := utf8.DecodeRuneInString(l.src[l.pos:])
			err = l.errAt(sqlstate.SyntaxError, start, "syntax error at or near \"%s\"", l.src[start:start+n])
		}
		if err != nil {
			return err
		}
	}
}

// skipSpace skips whitespace, -- comments and nested /* */ comments.
func (l *lexer) skipSpace() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case isSpace(c):
			l.pos++
		case c == '-' && strings.HasPrefix(l.src[l.pos:], "--"):
			if i := strings.IndexByte(l.src[l.pos:], '\n'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(l.src)
			}
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			start := l.pos
			depth := 0
			for {
				if l.pos >= len(l.src) {
					return l.nearErr("unterminated /* comment", start)
				}
				if strings.HasPrefix(l.src[l.pos:], "/*") {
					depth++
					l.pos += 2
				} else if strings.HasPrefix(l.src[l.pos:], "*/") {
					depth--
					l.pos += 2
					if depth == 0 {
						break
					}
				} else {
					l.pos++
				}
			}
		default:
			return nil
		}
	}
	return nil
}

// operator scans an operator with PostgreSQL's rules: the longest run of
// operator characters, cut before an embedded comment start, and a
// multi-character operator may end in + or - only if it contains one of
// ~ ! @ # % ^ & | ` ? (so "x=-1" is "=" followed by "-").
func (l *lexer) operator(start int) {
	i := start
	for i < len(l.src) && isOpChar(l.src[i]) {
		if i > start && (strings.HasPrefix(l.src[i:], "--") || strings.HasPrefix(l.src[i:], "/*")) {
			break
		}
		i++
	}
	n := i - start
	op := l.src[start:i]
	if n > 1 && (op[n-1] == '+' || op[n-1] == '-') && !strings.ContainsAny(op[:n-1], "~!@#^&|`?%") {
		for n > 1 && (op[n-1] == '+' || op[n-1] == '-') {
			n--
		}
	}
	l.pos = start + n
	l.emit(TokOp, l.src[start:l.pos], start)
}

func (l *lexer) number(start int) error {
	src := l.src
	i := start
	// Non-decimal integers (PostgreSQL 16): 0x1F, 0o17, 0b101.
	if src[i] == '0' && i+2 < len(src) && strings.IndexByte("xXoObB", src[i+1]) >= 0 {
		base := map[byte]int{'x': 16, 'o': 8, 'b': 2}[src[i+1]|0x20]
		j := i + 2
		var digits strings.Builder
		for j < len(src) {
			c := src[j]
			if c == '_' && j+1 < len(src) && digitVal(src[j+1]) < base && digits.Len() > 0 {
				j++
				continue
			}
			if digitVal(c) >= base {
				break
			}
			digits.WriteByte(c)
			j++
		}
		if digits.Len() > 0 {
			v, ok := new(big.Int).SetString(digits.String(), base)
			if ok {
				l.pos = j
				l.emit(TokInteger, v.String(), start)
				return nil
			}
		}
	}
	var b strings.Builder
	digits := func() {
		for i < len(src) {
			c := src[i]
			if isDigit(c) {
				b.WriteByte(c)
				i++
			} else if c == '_' && i+1 < len(src) && isDigit(src[i+1]) && i > start && isDigit(src[i-1]) {
				i++
			} else {
				return
			}
		}
	}
	kind := TokInteger
	digits()
	if i < len(src) && src[i] == '.' && !strings.HasPrefix(src[i:], "..") {
		kind = TokNumber
		b.WriteByte('.')
		i++
		digits()
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			kind = TokNumber
			b.WriteString(src[i:j])
			i = j
			digits()
		}
	}
	l.pos = i
	l.emit(kind, b.String(), start)
	return nil
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

// foldIdent lower-cases ASCII letters (PostgreSQL folds only ASCII in
// multibyte encodings) and truncates to NAMEDATALEN-1 bytes.
func foldIdent(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return truncIdent(string(b))
}

func truncIdent(s string) string {
	if len(s) <= maxIdentLen {
		return s
	}
	n := maxIdentLen
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func (l *lexer) word(start int) error {
	i := start
	for i < len(l.src) && isIdentCont(l.src[i]) {
		i++
	}
	w := l.src[start:i]
	if i < len(l.src) {
		next := l.src[i]
		switch {
		case len(w) == 1 && next == '\'':
			switch w[0] | 0x20 {
			case 'e':
				return l.quotedString(start, i, 'e')
			case 'n':
				return l.quotedString(start, i, 0)
			case 'b', 'x':
				return l.quotedString(start, i, w[0]|0x20)
			}
		case len(w) == 1 && (w[0]|0x20) == 'u' && next == '&' && i+1 < len(l.src):
			switch l.src[i+1] {
			case '\'':
				return l.quotedString(start, i+1, 'u')
			case '"':
				return l.quotedIdent(start, i+1, true)
			}
		}
	}
	l.pos = i
	l.emit(TokIdent, foldIdent(w), start)
	return nil
}

func (l *lexer) dollar(start int) error {
	src := l.src
	i := start + 1
	if i < len(src) && isDigit(src[i]) {
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		l.pos = i
		l.emit(TokParam, src[start:i], start)
		return nil
	}
	// $tag$ … $tag$: the tag is an identifier without '$'.
	for i < len(src) && (isIdentStart(src[i]) || i > start+1 && isDigit(src[i])) {
		i++
	}
	if i >= len(src) || src[i] != '$' {
		return l.errAt(sqlstate.SyntaxError, start, "syntax error at or near \"$\"")
	}
	delim := src[start : i+1]
	end := strings.Index(src[i+1:], delim)
	if end < 0 {
		return l.nearErr("unterminated dollar-quoted string", start)
	}
	body := src[i+1 : i+1+end]
	l.pos = i + 1 + end + len(delim)
	if !utf8.ValidString(body) {
		return l.errAt(sqlstate.CharacterNotInRepertoire, start, "invalid byte sequence for encoding \"UTF8\"")
	}
	l.emit(TokString, body, start)
	return nil
}

// quotedString scans a string constant whose opening quote is at q; start
// is where the token begins (its prefix). kind is 0 for a standard string,
// 'e' for E'…', 'u' for U&'…', 'b'/'x' for bit strings. Adjacent constants
// separated by whitespace that includes a newline are one constant.
func (l *lexer) quotedString(start, q int, kind byte) error {
	src := l.src
	var b strings.Builder
	i := q
	for {
		// i is at an opening quote.
		i++
		for {
			if i >= len(src) {
				switch kind {
				case 'b':
					return l.nearErr("unterminated bit string literal", start)
				case 'x':
					return l.nearErr("unterminated hexadecimal string literal", start)
				}
				return l.nearErr("unterminated quoted string", start)
			}
			c := src[i]
			if c == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				i++
				break
			}
			if c == '\\' && kind == 'e' {
				n, err := l.escape(&b, i, start)
				if err != nil {
					return err
				}
				i += n
				continue
			}
			b.WriteByte(c)
			i++
		}
		// Continuation: whitespace (and -- comments) containing a newline, then a quote.
		j, newline := i, false
		for j < len(src) {
			c := src[j]
			if isSpace(c) {
				if c == '\n' || c == '\r' {
					newline = true
				}
				j++
			} else if strings.HasPrefix(src[j:], "--") {
				k := strings.IndexByte(src[j:], '\n')
				if k < 0 {
					j = len(src)
					break
				}
				j += k
			} else {
				break
			}
		}
		if newline && j < len(src) && src[j] == '\'' {
			i = j
			continue
		}
		l.pos = i
		break
	}
	val := b.String()
	switch kind {
	case 'b', 'x':
		l.emit(TokBitString, string(kind)+val, start)
		return nil
	case 'u':
		esc := byte('\\')
		if e, ok, err := l.uescape(); err != nil {
			return err
		} else if ok {
			esc = e
		}
		dec, err := decodeUnicodeEscapes(val, esc)
		if err != nil {
			return l.errAt(sqlstate.InvalidEscapeSequence, start, "%s", err.Error())
		}
		val = dec
	}
	if strings.IndexByte(val, 0) >= 0 {
		return l.errAt(sqlstate.CharacterNotInRepertoire, start, "invalid byte sequence for encoding \"UTF8\": 0x00")
	}
	if !utf8.ValidString(val) {
		return l.errAt(sqlstate.CharacterNotInRepertoire, start, "invalid byte sequence for encoding \"UTF8\"")
	}
	l.emit(TokString, val, start)
	return nil
}

// escape decodes one backslash escape of an E'…' string at src[i] into b and
// returns the number of bytes consumed.
func (l *lexer) escape(b *strings.Builder, i, start int) (int, error) {
	src := l.src
	if i+1 >= len(src) {
		return 1, nil // the loop reports the missing quote
	}
	c := src[i+1]
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'v':
		b.WriteByte('\v')
	case '0', '1', '2', '3', '4', '5', '6', '7':
		n, v := 1, 0
		for n <= 3 && i+n < len(src) && src[i+n] >= '0' && src[i+n] <= '7' {
			v = v*8 + int(src[i+n]-'0')
			n++
		}
		b.WriteByte(byte(v))
		return n, nil
	case 'x':
		n, v := 2, 0
		for n <= 3 && i+n < len(src) && digitVal(src[i+n]) < 16 {
			v = v*16 + digitVal(src[i+n])
			n++
		}
		if n == 2 { // "\x" without digits is a plain x
			b.WriteByte('x')
			return 2, nil
		}
		b.WriteByte(byte(v))
		return n, nil
	case 'u', 'U':
		width := 4
		if c == 'U' {
			width = 8
		}
		r, ok := hexRune(src, i+2, width)
		if !ok {
			return 0, l.errAt(sqlstate.InvalidEscapeSequence, start, "invalid Unicode escape")
		}
		n := 2 + width
		if r >= 0xD800 && r <= 0xDBFF { // a surrogate pair: \uD83D\uDE00
			if i+n+1 < len(src) && src[i+n] == '\\' && (src[i+n+1] == 'u' || src[i+n+1] == 'U') {
				w2 := 4
				if src[i+n+1] == 'U' {
					w2 = 8
				}
				lo, ok := hexRune(src, i+n+2, w2)
				if ok && lo >= 0xDC00 && lo <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
					n += 2 + w2
				} else {
					return 0, l.errAt(sqlstate.InvalidEscapeSequence, start, "invalid Unicode surrogate pair")
				}
			} else {
				return 0, l.errAt(sqlstate.InvalidEscapeSequence, start, "invalid Unicode surrogate pair")
			}
		}
		if r == 0 || r > utf8.MaxRune || r >= 0xD800 && r <= 0xDFFF {
			return 0, l.errAt(sqlstate.InvalidEscapeSequence, start, "invalid Unicode escape value")
		}
		b.WriteRune(r)
		return n, nil
	default:
		// Any other character stands for itself (\\, \', …).
		_, size := utf8.DecodeRuneInString(src[i+1:])
		b.WriteString(src[i+1 : i+1+size])
		return 1 + size, nil
	}
	return 2, nil
}

func hexRune(s string, i, width int) (rune, bool) {
	if i+width > len(s) {
		return 0, false
	}
	var r rune
	for k := 0; k < width; k++ {
		d := digitVal(s[i+k])
		if d >= 16 {
			return 0, false
		}
		r = r*16 + rune(d)
	}
	return r, true
}

// uescape consumes an optional UESCAPE 'c' clause after a U& literal.
func (l *lexer) uescape() (byte, bool, error) {
	save := l.pos
	if err := l.skipSpace(); err != nil {
		return 0, false, err
	}
	if len(l.src)-l.pos >= 7 && strings.EqualFold(l.src[l.pos:l.pos+7], "uescape") &&
		(l.pos+7 == len(l.src) || !isIdentCont(l.src[l.pos+7])) {
		at := l.pos
		l.pos += 7
		if err := l.skipSpace(); err != nil {
			return 0, false, err
		}
		s := l.src[l.pos:]
		if len(s) >= 3 && s[0] == '\'' && s[2] == '\'' && s[1] != '\'' && !isSpace(s[1]) && s[1] != '"' && s[1] != '+' && digitVal(s[1]) >= 16 {
			l.pos += 3
			return s[1], true, nil
		}
		return 0, false, l.errAt(sqlstate.SyntaxError, at, "invalid Unicode escape character")
	}
	l.pos = save
	return 0, false, nil
}

// decodeUnicodeEscapes decodes U&'…' and U&"…" escapes: <esc>XXXX,
// <esc>+XXXXXX and <esc><esc>.
func decodeUnicodeEscapes(s string, esc byte) (string, error) {
	if strings.IndexByte(s, esc) < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != esc {
			b.WriteByte(s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == esc {
			b.WriteByte(esc)
			i += 2
			continue
		}
		width, at := 4, i+1
		if i+1 < len(s) && s[i+1] == '+' {
			width, at = 6, i+2
		}
		r, ok := hexRune(s, at, width)
		if !ok {
			return "", errInvalidUnicodeEscape
		}
		i = at + width
		if r >= 0xD800 && r <= 0xDBFF {
			w2, at2 := 4, i+1
			if i+1 < len(s) && s[i+1] == '+' {
				w2, at2 = 6, i+2
			}
			lo, ok := rune(0), false
			if i < len(s) && s[i] == esc {
				lo, ok = hexRune(s, at2, w2)
			}
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return "", errInvalidUnicodeEscape
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			i = at2 + w2
		}
		if r == 0 || r > utf8.MaxRune || r >= 0xD800 && r <= 0xDFFF {
			return "", errInvalidUnicodeEscape
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

var errInvalidUnicodeEscape = sqlstate.New(sqlstate.InvalidEscapeSequence, "invalid Unicode escape")

// quotedIdent scans "…" (q is the opening quote). unicode is true for U&"…".
func (l *lexer) quotedIdent(start, q int, unicode bool) error {
	src := l.src
	var b strings.Builder
	i := q + 1
	for {
		if i >= len(src) {
			return l.nearErr("unterminated quoted identifier", start)
		}
		if src[i] == '"' {
			if i+1 < len(src) && src[i+1] == '"' {
				b.WriteByte('"')
				i += 2
				continue
			}
			i++
			break
		}
		b.WriteByte(src[i])
		i++
	}
	l.pos = i
	val := b.String()
	if unicode {
		esc := byte('\\')
		if e, ok, err := l.uescape(); err != nil {
			return err
		} else if ok {
			esc = e
		}
		dec, err := decodeUnicodeEscapes(val, esc)
		if err != nil {
			return l.errAt(sqlstate.InvalidEscapeSequence, start, "%s", err.Error())
		}
		val = dec
	}
	if val == "" {
		return l.errAt(sqlstate.SyntaxError, start, "zero-length delimited identifier at or near \"\"\"\"")
	}
	if strings.IndexByte(val, 0) >= 0 || !utf8.ValidString(val) {
		return l.errAt(sqlstate.CharacterNotInRepertoire, start, "invalid byte sequence for encoding \"UTF8\"")
	}
	l.emit(TokQuotedIdent, truncIdent(val), start)
	return nil
}
