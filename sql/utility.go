package sql

import (
	"strconv"

	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
)

// Session, transaction, cursor and prepared-statement commands.

func (p *stmtParser) set(i int) Stmt {
	k := i + 1
	base := p.base(i)
	local := false
	switch {
	case p.kw(k, "session") && !p.kwAny(k+1, "characteristics", "authorization"):
		k++
	case p.kw(k, "local"):
		local = true
		k++
	}
	switch {
	case p.kw(k, "session") && p.kw(k+1, "characteristics"):
		k = p.expectKw(p.expectKw(k+2, "as"), "transaction")
		m, j := p.txnModes(k)
		p.expectEnd(j)
		return &SetTransaction{stmtBase: base, Session: true, Modes: m}
	case p.kw(k, "transaction"):
		if p.kw(k+1, "snapshot") {
			p.unsupported(k+1, "SET TRANSACTION SNAPSHOT")
		}
		m, j := p.txnModes(k + 1)
		p.expectEnd(j)
		return &SetTransaction{stmtBase: base, Modes: m}
	case p.kw(k, "time") && p.kw(k+1, "zone"):
		st := &SetVar{stmtBase: base, Local: local, Name: "timezone"}
		j := k + 2
		switch {
		case p.kwAny(j, "local", "default"):
			st.Default = true
			j++
		case p.kw(j, "interval"):
			p.unsupported(j, "SET TIME ZONE INTERVAL")
		default:
			var v string
			v, j = p.setValue(j)
			st.Values = []string{v}
		}
		p.expectEnd(j)
		return st
	case p.kw(k, "names"):
		return p.setSpecial(base, local, "client_encoding", k+1)
	case p.kw(k, "schema"):
		return p.setSpecial(base, local, "search_path", k+1)
	case p.kw(k, "role"):
		return p.setSpecial(base, local, "role", k+1)
	case p.kw(k, "session") && p.kw(k+1, "authorization"):
		return p.setSpecial(base, local, "session_authorization", k+2)
	}
	name, j := p.varName(k)
	if !p.kw(j, "to") && !p.isOp(j, "=") {
		p.fail(p.syntaxErrAt(j))
	}
	st := &SetVar{stmtBase: base, Local: local, Name: name}
	j++
	if p.kw(j, "default") {
		st.Default = true
		p.expectEnd(j + 1)
		return st
	}
	for {
		var v string
		v, j = p.setValue(j)
		st.Values = append(st.Values, v)
		if !p.punct(j, ",") {
			break
		}
		j++
	}
	p.expectEnd(j)
	return st
}

// setSpecial parses the single value of SET NAMES / SCHEMA / ROLE /
// SESSION AUTHORIZATION.
func (p *stmtParser) setSpecial(base stmtBase, local bool, name string, k int) Stmt {
	st := &SetVar{stmtBase: base, Local: local, Name: name}
	if p.kw(k, "default") {
		st.Default = true
		k++
	} else {
		var v string
		v, k = p.setValue(k)
		st.Values = []string{v}
	}
	p.expectEnd(k)
	return st
}

// setValue reads one SET value: a string, a signed number, or a word
// (ON, true, an identifier).
func (p *stmtParser) setValue(k int) (string, int) {
	v, _, j := p.optionValue(k)
	return v, j
}

func (p *stmtParser) reset(i int) Stmt {
	k := i + 1
	base := p.base(i)
	name := ""
	switch {
	case p.kw(k, "all"):
		name, k = "all", k+1
	case p.kw(k, "time") && p.kw(k+1, "zone"):
		name, k = "timezone", k+2
	case p.kw(k, "session") && p.kw(k+1, "authorization"):
		name, k = "session_authorization", k+2
	case p.kw(k, "transaction") && p.kw(k+1, "isolation") && p.kw(k+2, "level"):
		name, k = "transaction_isolation", k+3
	case p.kw(k, "role"):
		name, k = "role", k+1
	default:
		name, k = p.varName(k)
	}
	p.expectEnd(k)
	return &ResetVar{stmtBase: base, Name: name}
}

// txnModes reads transaction modes, optionally separated by commas.
func (p *stmtParser) txnModes(k int) (TxnModes, int) {
	var m TxnModes
	first := true
	for {
		j := k
		if !first && p.punct(j, ",") {
			j++
		}
		switch {
		case p.kw(j, "isolation") && p.kw(j+1, "level"):
			j += 2
			switch {
			case p.kw(j, "serializable"):
				m.Isolation = "serializable"
				j++
			case p.kw(j, "repeatable") && p.kw(j+1, "read"):
				m.Isolation = "repeatable read"
				j += 2
			case p.kw(j, "read") && p.kwAny(j+1, "committed", "uncommitted"):
				m.Isolation = "read " + p.t(j+1).Val
				j += 2
			default:
				p.fail(p.syntaxErrAt(j))
			}
		case p.kw(j, "read") && p.kwAny(j+1, "only", "write"):
			ro := p.kw(j+1, "only")
			m.ReadOnly = &ro
			j += 2
		case p.kw(j, "deferrable"):
			t := true
			m.Deferrable = &t
			j++
		case p.kw(j, "not") && p.kw(j+1, "deferrable"):
			f := false
			m.Deferrable = &f
			j += 2
		default:
			return m, k
		}
		k = j
		first = false
	}
}

func (p *stmtParser) transaction(i int) Stmt {
	st := &Transaction{stmtBase: p.base(i)}
	k := i + 1
	w := p.t(i).Val
	switch w {
	case "begin", "start":
		if w == "start" {
			k = p.expectKw(k, "transaction")
		} else if p.kwAny(k, "work", "transaction") {
			k++
		}
		st.Kind = TxnBegin
		st.Modes, k = p.txnModes(k)
	case "commit", "end", "rollback", "abort":
		if p.kw(k, "prepared") {
			p.unsupported(i, toUpper(w)+" PREPARED")
		}
		if p.kwAny(k, "work", "transaction") {
			k++
		}
		st.Kind = TxnCommit
		if w == "rollback" || w == "abort" {
			st.Kind = TxnRollback
		}
		if w == "rollback" && p.kw(k, "to") {
			k++
			if p.kw(k, "savepoint") {
				k++
			}
			st.Kind = TxnRollbackTo
			st.Savepoint, k = p.colID(k)
			break
		}
		if p.kw(k, "and") {
			k++
			if p.kw(k, "no") {
				k++
			} else {
				st.Chain = true
			}
			k = p.expectKw(k, "chain")
		}
	case "savepoint":
		st.Kind = TxnSavepoint
		st.Savepoint, k = p.colID(k)
	case "release":
		if p.kw(k, "savepoint") {
			k++
		}
		st.Kind = TxnRelease
		st.Savepoint, k = p.colID(k)
	}
	p.expectEnd(k)
	return st
}

var explainOptions = setOf(`analyze verbose costs settings generic_plan buffers wal timing summary format`)

func (p *stmtParser) explain(i int) Stmt {
	st := &Explain{stmtBase: p.base(i), Format: "text", Options: map[string]string{}}
	k := i + 1
	if p.punct(k, "(") && !p.isQueryStart(k+1) {
		end := p.closeOf(k)
		j := k + 1
		for {
			name, n := p.label(j)
			if name == "analyse" {
				name = "analyze"
			}
			if !explainOptions[name] {
				p.fail(sqlstate.New(sqlstate.SyntaxError, "unrecognized EXPLAIN option \"%s\"", name).WithPosition(p.pos(j)))
			}
			val := "true"
			if n != end && !p.punct(n, ",") {
				val, _, n = p.optionValue(n)
			}
			st.Options[name] = val
			switch name {
			case "format":
				switch val {
				case "text", "xml", "json", "yaml":
					st.Format = val
				default:
					p.fail(sqlstate.New(sqlstate.InvalidParameterValue, "unrecognized value for EXPLAIN option \"format\": \"%s\"", val).WithPosition(p.pos(n - 1)))
				}
			case "analyze", "verbose":
				b, err := types.ParseBool(val)
				if err != nil {
					p.fail(sqlstate.New(sqlstate.InvalidParameterValue, "%s requires a Boolean value", name).WithPosition(p.pos(n - 1)))
				}
				if name == "analyze" {
					st.Analyze = b
				} else {
					st.Verbose = b
				}
			}
			if n == end {
				break
			}
			j = p.expectPunct(n, ",")
		}
		k = end + 1
	} else {
		if p.kwAny(k, "analyze", "analyse") {
			st.Analyze = true
			st.Options["analyze"] = "true"
			k++
		}
		if p.kw(k, "verbose") {
			st.Verbose = true
			st.Options["verbose"] = "true"
			k++
		}
	}
	if !p.startsExplainable(k) {
		p.fail(p.syntaxErrAt(k))
	}
	st.Stmt = p.statement(k)
	return st
}

func (p *stmtParser) startsExplainable(k int) bool {
	return p.isQueryStart(k) || p.kwAny(k, "insert", "update", "delete", "merge", "execute", "declare") ||
		p.kw(k, "create") && (p.kw(k+1, "view") || p.kw(k+1, "or") && p.kw(k+2, "replace") && p.kw(k+3, "view"))
}

func (p *stmtParser) declare(i int) Stmt {
	st := &DeclareCursor{stmtBase: p.base(i)}
	k := i + 1
	st.Name, k = p.colID(k)
	for {
		switch {
		case p.kw(k, "binary"):
			st.Binary = true
			k++
			continue
		case p.kwAny(k, "insensitive", "asensitive"):
			k++
			continue
		case p.kw(k, "no") && p.kw(k+1, "scroll"):
			k += 2
			continue
		case p.kw(k, "scroll"):
			st.Scroll = true
			k++
			continue
		}
		break
	}
	k = p.expectKw(k, "cursor")
	if p.kwAny(k, "with", "without") && p.kw(k+1, "hold") {
		st.Hold = p.kw(k, "with")
		k += 2
	}
	k = p.expectKw(k, "for")
	st.Query = p.queryStmt(k, p.end())
	return st
}

func (p *stmtParser) fetch(i int) Stmt {
	st := &Fetch{stmtBase: p.base(i), Move: p.kw(i, "move"), Count: 1}
	k := i + 1
	signed := func(j int) (int64, int, bool) {
		neg := false
		if p.isOp(j, "-") || p.isOp(j, "+") {
			neg = p.isOp(j, "-")
			j++
		}
		t := p.t(j)
		if t.Kind != TokInteger {
			return 0, j, false
		}
		n, err := strconv.ParseInt(t.Val, 10, 64)
		if err != nil {
			p.fail(sqlstate.New(sqlstate.NumericValueOutOfRange, "value \"%s\" is out of range for type bigint", t.Val).WithPosition(p.pos(j)))
		}
		if neg {
			n = -n
		}
		return n, j + 1, true
	}
	switch {
	case p.kw(k, "next"):
		k++
	case p.kw(k, "prior"):
		st.Direction = FetchBackward
		k++
	case p.kw(k, "first"):
		st.Direction = FetchAbsolute
		k++
	case p.kw(k, "last"):
		st.Direction, st.Count = FetchAbsolute, -1
		k++
	case p.kwAny(k, "absolute", "relative"):
		st.Direction = FetchAbsolute
		if p.kw(k, "relative") {
			st.Direction = FetchRelative
		}
		n, j, ok := signed(k + 1)
		if !ok {
			p.fail(p.syntaxErrAt(j))
		}
		st.Count, k = n, j
	case p.kw(k, "all"):
		st.All = true
		k++
	case p.kwAny(k, "forward", "backward"):
		if p.kw(k, "backward") {
			st.Direction = FetchBackward
		}
		k++
		if p.kw(k, "all") {
			st.All = true
			k++
		} else if n, j, ok := signed(k); ok {
			st.Count, k = n, j
		}
	default:
		if n, j, ok := signed(k); ok {
			st.Count, k = n, j
		}
	}
	if st.All {
		st.Count = 0
	}
	if st.Count < 0 && (st.Direction == FetchForward || st.Direction == FetchBackward) {
		st.Count = -st.Count
		st.Direction = FetchBackward - st.Direction // forward ↔ backward
	}
	if p.kwAny(k, "from", "in") {
		k++
	}
	st.Cursor, k = p.colID(k)
	p.expectEnd(k)
	return st
}

func (p *stmtParser) closeCursor(i int) Stmt {
	st := &CloseCursor{stmtBase: p.base(i)}
	k := i + 1
	if p.kw(k, "all") {
		st.All = true
		k++
	} else {
		st.Name, k = p.colID(k)
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) prepare(i int) Stmt {
	k := i + 1
	if p.kw(k, "transaction") {
		p.unsupported(i, "PREPARE TRANSACTION")
	}
	st := &Prepare{stmtBase: p.base(i)}
	st.Name, k = p.colID(k)
	if p.punct(k, "(") {
		end := p.closeOf(k)
		j := k + 1
		for {
			tn, n, ok := p.typeName(j, true)
			if !ok {
				p.fail(p.syntaxErrAt(j))
			}
			t, found := types.ByName(tn)
			if !found {
				p.fail(sqlstate.New(sqlstate.UndefinedObject, "type \"%s\" does not exist", tn).WithPosition(p.pos(j)))
			}
			st.ParamTypes = append(st.ParamTypes, t)
			if n == end {
				break
			}
			j = p.expectPunct(n, ",")
		}
		k = end + 1
	}
	k = p.expectKw(k, "as")
	if !p.isQueryStart(k) && !p.kwAny(k, "insert", "update", "delete", "merge") {
		p.fail(p.syntaxErrAt(k))
	}
	st.Stmt = p.statement(k)
	return st
}

func (p *stmtParser) execute(i int) Stmt {
	st := &Execute{stmtBase: p.base(i)}
	k := i + 1
	st.Name, k = p.colID(k)
	if p.punct(k, "(") {
		end := p.closeOf(k)
		f := frag{{text: "select", orig: p.t(k).Pos}}
		f = append(f, setGap(p.exprList(k+1, end), true)...)
		parsed := p.finish(f, k+1, end)
		st.Args = &Query{stmtBase: p.rangeBase(k+1, end), Parsed: parsed}
		k = end + 1
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) deallocate(i int) Stmt {
	st := &Deallocate{stmtBase: p.base(i)}
	k := i + 1
	if p.kw(k, "prepare") {
		k++
	}
	if p.kw(k, "all") {
		st.All = true
		k++
	} else {
		st.Name, k = p.colID(k)
	}
	p.expectEnd(k)
	return st
}

func (p *stmtParser) discard(i int) Stmt {
	k := i + 1
	what := ""
	switch {
	case p.kwAny(k, "all", "plans", "sequences", "temp"):
		what = p.t(k).Val
	case p.kw(k, "temporary"):
		what = "temp"
	default:
		p.fail(p.syntaxErrAt(k))
	}
	p.expectEnd(k + 1)
	return &Discard{stmtBase: p.base(i), What: what}
}

// ignored parses LISTEN, UNLISTEN, NOTIFY, CHECKPOINT, VACUUM and ANALYZE.
// VACUUM and ANALYZE take whatever follows (options and table lists).
func (p *stmtParser) ignored(i int) Stmt {
	w := p.t(i).Val
	k := i + 1
	switch w {
	case "listen":
		_, k = p.colID(k)
	case "unlisten":
		if p.isOp(k, "*") {
			k++
		} else {
			_, k = p.colID(k)
		}
	case "notify":
		_, k = p.colID(k)
		if p.punct(k, ",") {
			if p.t(k+1).Kind != TokString {
				p.fail(p.syntaxErrAt(k + 1))
			}
			k += 2
		}
	case "checkpoint":
	case "vacuum", "analyze", "analyse":
		k = p.end()
	}
	p.expectEnd(k)
	if w == "analyse" {
		w = "analyze"
	}
	return &IgnoredUtility{stmtBase: p.base(i), Name: toUpper(w)}
}
