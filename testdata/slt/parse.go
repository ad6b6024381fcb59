package slt

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Kind is the kind of a record.
type Kind int

// The record kinds.
const (
	StatementOK Kind = iota
	StatementError
	Query
	Halt
	WaitCaughtUp
	WaitView
)

// SortMode says how a query's rows are ordered before comparing.
type SortMode int

// The sort modes: NoSort keeps the server's order (the query must fix it
// with ORDER BY), RowSort sorts whole rows, ValueSort sorts every value
// on its own.
const (
	NoSort SortMode = iota
	RowSort
	ValueSort
)

func (m SortMode) String() string {
	switch m {
	case RowSort:
		return "rowsort"
	case ValueSort:
		return "valuesort"
	}
	return "nosort"
}

// Cond is one skipif/onlyif line in front of a record.
type Cond struct {
	Only bool   // onlyif (true) or skipif (false)
	Name string // an engine name ("lambdasql", "postgresql") or "layer=NAME"
}

// Record is one directive of a file.
type Record struct {
	Kind  Kind
	Line  int    // 1-based line of the directive
	SQL   string // statement or query text; the object name for waits
	Conds []Cond
	// Bug is the text of a "# BUG: …" comment right in front of the
	// record (and its skipif/onlyif lines): a known gap.
	Bug string

	// StatementError: the expected SQLSTATE ("" = any) and an optional
	// regular expression the message must match.
	ErrCode string
	ErrRe   *regexp.Regexp

	// Query.
	Types    string
	Sort     SortMode
	Label    string
	Expected [][]string // fields of each expected line
	HasSep   bool       // the record had a ---- line

	// For rewriting: the 0-based line index of the directive, and the
	// half-open range of lines holding "----" and the expected rows (or,
	// without ----, the insertion point after the SQL).
	headIdx          int
	resFrom, resUpTo int
}

// File is a parsed .slt file.
type File struct {
	Path     string
	Name     string   // base name without .slt
	Layers   []string // from "# layers:"; nil means run once with the default
	Postgres bool     // "# postgres: yes": every statement runs on plain PostgreSQL
	Records  []*Record
	lines    []string
}

// ParseFile reads and parses one .slt file.
func ParseFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, string(b))
}

var sqlstateRe = regexp.MustCompile(`^[0-9A-Z]{5}$`)

// Parse parses the text of a .slt file; path is used in messages.
func Parse(path, text string) (*File, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	f := &File{Path: path, Name: strings.TrimSuffix(filepath.Base(path), ".slt"), lines: lines}
	errf := func(i int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, i+1, fmt.Sprintf(format, args...))
	}
	var conds []Cond
	bug := ""
	i := 0
	// sqlBlock collects lines up to a blank line or ----.
	sqlBlock := func() (string, int) {
		start := i
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && strings.TrimSpace(lines[i]) != "----" {
			i++
		}
		return strings.Join(lines[start:i], "\n"), i
	}
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			bug = ""
			i++
			continue
		}
		if strings.HasPrefix(line, "#") {
			h := strings.TrimSpace(strings.TrimPrefix(line, "#"))
			if v, ok := strings.CutPrefix(h, "BUG:"); ok {
				bug = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(h, "layers:"); ok {
				f.Layers = strings.Fields(v)
				for _, l := range f.Layers {
					if l != "merged" && l != "batch" && l != "speed" {
						return nil, errf(i, "unknown layer %q (want merged, batch or speed)", l)
					}
				}
			} else if v, ok := strings.CutPrefix(h, "postgres:"); ok {
				f.Postgres = strings.TrimSpace(v) == "yes"
			}
			i++
			continue
		}
		fields := strings.Fields(line)
		head := i
		switch fields[0] {
		case "skipif", "onlyif":
			if len(fields) < 2 {
				return nil, errf(i, "%s needs a name", fields[0])
			}
			conds = append(conds, Cond{Only: fields[0] == "onlyif", Name: fields[1]})
			i++
			continue
		}
		// add appends the record this line starts, with the BUG comment
		// in front of it.
		pendingBug := bug
		bug = ""
		add := func(r *Record) {
			r.Bug = pendingBug
			f.Records = append(f.Records, r)
		}
		switch fields[0] {
		case "halt":
			add(&Record{Kind: Halt, Line: i + 1, Conds: conds, headIdx: head})
			conds = nil
			i++
			continue
		case "wait":
			if len(fields) != 3 || (fields[1] != "caught-up" && fields[1] != "view") {
				return nil, errf(i, "want \"wait caught-up <source>\" or \"wait view <view>\"")
			}
			k := WaitCaughtUp
			if fields[1] == "view" {
				k = WaitView
			}
			add(&Record{Kind: k, Line: i + 1, SQL: fields[2], Conds: conds, headIdx: head})
			conds = nil
			i++
			continue
		case "statement":
			r := &Record{Line: i + 1, Conds: conds, headIdx: head}
			conds = nil
			switch {
			case len(fields) == 2 && fields[1] == "ok":
				r.Kind = StatementOK
			case len(fields) >= 2 && fields[1] == "error":
				r.Kind = StatementError
				rest := fields[2:]
				if len(rest) > 0 && sqlstateRe.MatchString(rest[0]) {
					r.ErrCode = rest[0]
					rest = rest[1:]
				}
				if len(rest) > 0 {
					re, err := regexp.Compile(strings.Join(rest, " "))
					if err != nil {
						return nil, errf(i, "bad error regexp: %v", err)
					}
					r.ErrRe = re
				}
			default:
				return nil, errf(i, "want \"statement ok\" or \"statement error [SQLSTATE [regexp]]\"")
			}
			i++
			r.SQL, _ = sqlBlock()
			if r.SQL == "" {
				return nil, errf(head, "statement without SQL")
			}
			if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
				return nil, errf(i, "a statement has no result block")
			}
			add(r)
		case "query":
			r := &Record{Kind: Query, Line: i + 1, Conds: conds, headIdx: head}
			conds = nil
			if len(fields) < 2 {
				return nil, errf(i, "query needs column types")
			}
			r.Types = fields[1]
			for _, w := range fields[2:] {
				switch w {
				case "nosort":
					r.Sort = NoSort
				case "rowsort":
					r.Sort = RowSort
				case "valuesort":
					r.Sort = ValueSort
				default:
					if r.Label != "" {
						return nil, errf(i, "unexpected %q in query header", w)
					}
					r.Label = w
				}
			}
			i++
			r.SQL, _ = sqlBlock()
			if r.SQL == "" {
				return nil, errf(head, "query without SQL")
			}
			r.resFrom, r.resUpTo = i, i
			if i < len(lines) && strings.TrimSpace(lines[i]) == "----" {
				r.HasSep = true
				i++
				for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
					r.Expected = append(r.Expected, strings.Fields(lines[i]))
					i++
				}
				r.resUpTo = i
			}
			add(r)
		default:
			return nil, errf(i, "unknown directive %q", fields[0])
		}
	}
	if len(conds) > 0 {
		return nil, errf(len(lines)-1, "skipif/onlyif at the end of the file")
	}
	return f, nil
}

// Applies reports whether r runs on engine (and, for lambdasql, layer):
// skipif NAME skips it where NAME names the engine or "layer=<layer>";
// onlyif NAME runs it only there. Names of other engines are ignored as
// in sqllogictest.
func (r *Record) Applies(engine, layer string) bool {
	for _, c := range r.Conds {
		match := c.Name == engine || (layer != "" && c.Name == "layer="+layer)
		if c.Only && !match {
			return false
		}
		if !c.Only && match {
			return false
		}
	}
	return true
}

// appliesWithout reports whether r would run on engine and layer if the
// skipif condition c were removed.
func (r *Record) appliesWithout(c Cond, engine, layer string) bool {
	rest := &Record{}
	for _, x := range r.Conds {
		if x != c {
			rest.Conds = append(rest.Conds, x)
		}
	}
	return len(rest.Conds) < len(r.Conds) && rest.Applies(engine, layer)
}
