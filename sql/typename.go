package sql

import "strings"

// typeName parses a PostgreSQL type name starting at token i and returns
// its normalized text (lower case, single spaces, modifiers without spaces:
// "double precision", "varchar(20)", "numeric(10,2)", "timestamp(3) with
// time zone", "text[]", "pg_catalog.regclass", "\"char\"") and the index
// after it. ok is false when no type name starts at i; then nothing is
// consumed. Array suffixes ([], [n], ARRAY, ARRAY[n]) are read only when
// arrays is true. A reserved keyword never starts a type name.
func (r *rewriter) typeName(i int, arrays bool) (text string, next int, ok bool) {
	t := r.t(i)
	var b strings.Builder
	switch t.Kind {
	case TokQuotedIdent:
	case TokIdent:
		if pgCategory(t.Val) == kwReserved {
			return "", i, false
		}
	default:
		return "", i, false
	}
	j := i
	if t.Kind == TokIdent {
		switch t.Val {
		case "double":
			if r.kw(j+1, "precision") {
				b.WriteString("double precision")
				j += 2
				return r.typeSuffix(&b, j, arrays)
			}
		case "character", "char", "nchar", "national":
			w := t.Val
			j++
			if w == "national" {
				if !r.kwAny(j, "character", "char") {
					return "", i, false
				}
				w = "national " + r.t(j).Val
				j++
			}
			if r.kw(j, "varying") {
				w += " varying"
				j++
			}
			b.WriteString(w)
			j = r.typeMods(&b, j)
			return r.typeSuffix(&b, j, arrays)
		case "bit":
			j++
			b.WriteString("bit")
			if r.kw(j, "varying") {
				b.WriteString(" varying")
				j++
			}
			j = r.typeMods(&b, j)
			return r.typeSuffix(&b, j, arrays)
		case "time", "timestamp":
			b.WriteString(t.Val)
			j = r.typeMods(&b, j+1)
			if r.kwAny(j, "with", "without") && r.kw(j+1, "time") && r.kw(j+2, "zone") {
				b.WriteString(" " + r.t(j).Val + " time zone")
				j += 3
			}
			return r.typeSuffix(&b, j, arrays)
		case "interval":
			b.WriteString("interval")
			j++
			j = r.intervalFields(&b, j)
			j = r.typeMods(&b, j)
			return r.typeSuffix(&b, j, arrays)
		}
	}
	// A generic, possibly qualified, name.
	for {
		tk := r.t(j)
		if tk.Kind == TokQuotedIdent {
			if isPlainLower(tk.Val) && tk.Val != "char" {
				b.WriteString(tk.Val)
			} else {
				b.WriteString(quoteIdent(tk.Val))
			}
		} else if tk.Kind == TokIdent {
			b.WriteString(tk.Val)
		} else {
			return "", i, false
		}
		j++
		if r.punct(j, ".") && (r.t(j+1).Kind == TokIdent || r.t(j+1).Kind == TokQuotedIdent) {
			b.WriteByte('.')
			j++
			continue
		}
		break
	}
	j = r.typeMods(&b, j)
	return r.typeSuffix(&b, j, arrays)
}

// typeMods reads an optional modifier list "(10, 2)" at j.
func (r *rewriter) typeMods(b *strings.Builder, j int) int {
	if !r.punct(j, "(") {
		return j
	}
	end := r.match[j]
	if end < 0 {
		return j
	}
	var mods []string
	for k := j + 1; k < end; k++ {
		tk := r.t(k)
		switch {
		case tk.Kind == TokPunct && tk.Val == ",":
			continue
		case tk.Kind == TokInteger || tk.Kind == TokNumber || tk.Kind == TokIdent:
			mods = append(mods, tk.Val)
		case tk.Kind == TokOp && (tk.Val == "-" || tk.Val == "+") && (r.t(k+1).Kind == TokInteger || r.t(k+1).Kind == TokNumber):
			mods = append(mods, tk.Val+r.t(k+1).Val)
			k++
		case tk.Kind == TokString:
			mods = append(mods, quoteString(tk.Val))
		default:
			// Not a modifier list (e.g. the argument list of a call).
			return j
		}
		if !r.punct(k+1, ",") && k+1 != end {
			return j
		}
	}
	b.WriteString("(" + strings.Join(mods, ",") + ")")
	return end + 1
}

// intervalFields reads an optional interval qualifier (YEAR, DAY TO SECOND, …).
func (r *rewriter) intervalFields(b *strings.Builder, j int) int {
	if !r.kwAny(j, "year", "month", "day", "hour", "minute", "second") {
		return j
	}
	b.WriteString(" " + r.t(j).Val)
	j++
	if r.kw(j, "to") && r.kwAny(j+1, "month", "hour", "minute", "second") {
		b.WriteString(" to " + r.t(j+1).Val)
		j += 2
	}
	return j
}

func (r *rewriter) typeSuffix(b *strings.Builder, j int, arrays bool) (string, int, bool) {
	if arrays {
		for {
			if r.punct(j, "[") && r.match[j] > j {
				end := r.match[j]
				if end == j+1 || end == j+2 && r.t(j+1).Kind == TokInteger {
					b.WriteString("[]")
					j = end + 1
					continue
				}
			}
			if r.kw(j, "array") {
				b.WriteString("[]")
				j++
				if r.punct(j, "[") && r.match[j] == j+2 && r.t(j+1).Kind == TokInteger {
					j += 3
				}
				continue
			}
			break
		}
	}
	return b.String(), j, true
}

// isPlainLower reports whether a quoted name reads the same unquoted.
func isPlainLower(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}
