package sql

import (
	"strconv"
	"strings"
)

// ORDER BY keys and window specifications.

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
