package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// sourceOptionSpec lists the options of CREATE SOURCE (json.path.<column>
// is added per column).
func sourceOptionSpec(cols []sql.ColumnDef) map[string]sql.OptionKind {
	spec := map[string]sql.OptionKind{
		"connector":        sql.EnumOption("embedded", "kafka"),
		"event_time":       sql.StringOption,
		"lateness":         sql.DurationOption(0),
		"idle_timeout":     sql.DurationOption(0),
		"max_future":       sql.DurationOption(0),
		"partitions":       sql.IntOption,
		"capture_interval": sql.DurationOption(100 * time.Millisecond),
		"capture_size":     sql.StringOption,
		"compression":      sql.EnumOption("zstd", "snappy"),
		"topic":            sql.StringOption,
		"brokers":          sql.StringOption,
		"format":           sql.EnumOption("json"),
		"start":            sql.EnumOption("earliest", "latest"),
		"client_id":        sql.StringOption,
		"tls":              sql.BoolOption,
		"tls.ca":           sql.StringOption,
		"tls.cert":         sql.StringOption,
		"tls.key":          sql.StringOption,
		"tls.insecure":     sql.BoolOption,
		"sasl.mechanism":   sql.EnumOption("plain", "scram-sha-256", "scram-sha-512"),
		"sasl.username":    sql.StringOption,
		"sasl.password":    sql.StringOption,
	}
	for _, c := range cols {
		spec["json.path."+c.Name] = sql.StringOption
	}
	return spec
}

var viewOptionSpec = map[string]sql.OptionKind{
	"window":         sql.DurationOption(time.Second),
	"hop":            sql.DurationOption(time.Second),
	"session_gap":    sql.DurationOption(time.Second),
	"lateness":       sql.DurationOption(0),
	"batch_interval": sql.DurationOption(time.Second),
	"retention":      sql.DurationOption(0),
	"emit":           sql.EnumOption("update", "close"),
}

// Options that ALTER VIEW may change without a rebuild.
var alterableViewOptions = map[string]bool{"batch_interval": true, "retention": true, "emit": true}

func (s *Session) ddl(ctx context.Context, st sql.Stmt, notice func(wire.Notice)) (wire.Result, error) {
	if s.tx != txIdle {
		return nil, sqlstate.New(sqlstate.ActiveSQLTransaction, "%s cannot run inside a transaction block", ddlVerb(st))
	}
	switch x := st.(type) {
	case *sql.CreateSource:
		return s.createSource(ctx, x, notice)
	case *sql.CreateView:
		return s.createView(ctx, x, notice)
	case *sql.Drop:
		return s.drop(ctx, x, notice)
	case *sql.AlterOptions:
		return s.alter(ctx, x)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement is not supported")
}

func ddlVerb(st sql.Stmt) string {
	switch x := st.(type) {
	case *sql.CreateSource:
		return "CREATE SOURCE"
	case *sql.CreateView:
		return "CREATE VIEW"
	case *sql.Drop:
		return "DROP " + string(x.Kind)
	case *sql.AlterOptions:
		return "ALTER " + string(x.Kind)
	}
	return "DDL"
}

func optionMap(opts sql.Options) map[string]string {
	m := map[string]string{}
	for _, o := range opts {
		m[o.Key] = o.Value
	}
	return m
}

func (s *Session) createSource(ctx context.Context, x *sql.CreateSource, notice func(wire.Notice)) (wire.Result, error) {
	if x.Name.Schema != "" && x.Name.Schema != "public" {
		return nil, sqlstate.New(sqlstate.InvalidSchemaName, "sources live in schema \"public\", not %q", x.Name.Schema)
	}
	name := x.Name.Name
	if err := sql.ValidateOptions(x.Options, sourceOptionSpec(x.Columns)); err != nil {
		return nil, err
	}
	if len(x.Columns) == 0 {
		return nil, sqlstate.New(sqlstate.SyntaxError, "a source needs at least one column").WithPosition(x.Name.Pos)
	}
	seen := map[string]bool{}
	var cols []catalog.Column
	for _, c := range x.Columns {
		if seen[c.Name] {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", c.Name).WithPosition(c.Pos)
		}
		if c.Name == "_layer" {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column name \"_layer\" is reserved").WithPosition(c.Pos)
		}
		seen[c.Name] = true
		if c.Type.Family == types.FamArray || c.Type.Family == types.FamRecord || c.Type.Family == types.FamVoid {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "columns of type %s are not supported in sources", c.Type.Name).WithPosition(c.Pos)
		}
		cols = append(cols, catalog.ColumnOf(c.Name, c.Type, c.NotNull))
	}
	opts := optionMap(x.Options)
	eventTime := opts["event_time"]
	var lateness time.Duration
	if x.Watermark != nil {
		if eventTime != "" && eventTime != x.Watermark.Column {
			return nil, sqlstate.New(sqlstate.SyntaxError, "WATERMARK FOR %q conflicts with event_time = %q", x.Watermark.Column, eventTime).WithPosition(x.Watermark.Pos)
		}
		eventTime = x.Watermark.Column
		lateness = x.Watermark.Lateness
		if _, ok := opts["lateness"]; ok {
			return nil, sqlstate.New(sqlstate.SyntaxError, "give the lateness either in WATERMARK FOR or as the lateness option, not both").WithPosition(x.Watermark.Pos)
		}
	}
	if d, ok, _ := x.Options.Duration("lateness"); ok {
		lateness = d
	}
	if eventTime == "" {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "source %q needs an event-time column", name).
			WithHint("Add WITH (event_time = 'column') or WATERMARK FOR column AS column - INTERVAL '…' to the column list.")
	}
	etIdx := -1
	for i, c := range x.Columns {
		if c.Name == eventTime {
			etIdx = i
		}
	}
	if etIdx < 0 {
		return nil, sqlstate.New(sqlstate.UndefinedColumn, "event-time column %q does not exist in source %q", eventTime, name)
	}
	if f := x.Columns[etIdx].Type.Family; f != types.FamTimestampTZ && f != types.FamTimestamp {
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "event-time column %q must be timestamptz or timestamp, not %s", eventTime, x.Columns[etIdx].Type.Name).
			WithHint("Declare it TIMESTAMPTZ: lambdasql parses RFC 3339 text and epoch seconds, milliseconds or microseconds into it.")
	}
	cols[etIdx].NotNull = true
	connector := opts["connector"]
	if connector == "" {
		connector = "embedded"
		opts["connector"] = connector
	}
	partitions := 1
	if n, ok, _ := x.Options.Int("partitions"); ok {
		if n < 1 || n > 256 {
			o, _ := x.Options.Get("partitions")
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for option \"partitions\": %q", o.Value).
				WithDetail("Between 1 and 256 partitions are supported.").WithPosition(o.Pos)
		}
		if connector == "kafka" {
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "option \"partitions\" applies to embedded sources: a Kafka source reads every partition of its topic")
		}
		partitions = int(n)
	}
	if connector == "kafka" {
		for _, k := range []string{"topic", "brokers"} {
			if opts[k] == "" {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "a Kafka source needs the option %q", k)
			}
		}
	} else {
		for _, k := range []string{"topic", "brokers", "format", "start", "client_id", "sasl.mechanism", "tls"} {
			if _, ok := opts[k]; ok {
				o, _ := x.Options.Get(k)
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "option %q applies to Kafka sources only", k).WithPosition(o.KeyPos)
			}
		}
	}
	if v, ok := opts["capture_size"]; ok {
		if _, err := parseByteSize(v); err != nil {
			o, _ := x.Options.Get("capture_size")
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for option \"capture_size\": %q", v).
				WithDetail("Use a size such as '64MB' or '256MiB'.").WithPosition(o.Pos)
		}
	}
	skipped := false
	err := s.srv.cat.Update(func(tx *catalog.Tx) error {
		if _, ok := tx.Sources[name]; ok || tx.Views[name] != nil || lookupSystemTable("pg_catalog", name) != nil {
			if x.IfNotExists {
				skipped = true
				return catalog.ErrNoChange
			}
			return sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists", name).WithPosition(x.Name.Pos)
		}
		tx.Sources[name] = &catalog.Source{OID: tx.NewOID(), Name: name, Columns: cols, Options: opts, EventTime: eventTime,
			Lateness: lateness, Partitions: partitions, SQL: x.Text(), Created: time.Now().UTC()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if skipped {
		notice(wire.Notice{Severity: "NOTICE", Code: "42P07", Message: fmt.Sprintf("relation %q already exists, skipping", name)})
		return tagResult("CREATE SOURCE"), nil
	}
	if err := s.srv.sourceCreated(ctx, name); err != nil {
		return nil, err
	}
	return tagResult("CREATE SOURCE"), nil
}

// parseByteSize parses "256MB", "64MiB", "1GB", "1048576".
func parseByteSize(v string) (int64, error) {
	s := strings.TrimSpace(strings.ToUpper(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			mult = u.m
			break
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q", v)
	}
	return n * mult, nil
}

// viewWindow reads and checks the window options of a view.
func viewWindow(opts sql.Options) (planner.WindowSpec, bool, error) {
	var w planner.WindowSpec
	size, hasWin, _ := opts.Duration("window")
	hop, hasHop, _ := opts.Duration("hop")
	gap, hasGap, _ := opts.Duration("session_gap")
	lambda := hasWin || hasHop || hasGap
	if !lambda {
		for _, k := range []string{"lateness", "batch_interval", "retention", "emit"} {
			if o, ok := opts.Get(k); ok {
				return w, false, sqlstate.New(sqlstate.InvalidParameterValue, "option %q needs a windowed view", k).
					WithHint("Add window = '…' (or session_gap = '…') to make it a lambda view.").WithPosition(o.KeyPos)
			}
		}
		return w, false, nil
	}
	switch {
	case hasGap && (hasWin || hasHop):
		o, _ := opts.Get("session_gap")
		return w, true, sqlstate.New(sqlstate.InvalidParameterValue, "session_gap cannot be combined with window or hop").WithPosition(o.KeyPos)
	case hasHop && !hasWin:
		o, _ := opts.Get("hop")
		return w, true, sqlstate.New(sqlstate.InvalidParameterValue, "hop needs window: hopping windows of size window advance by hop").WithPosition(o.KeyPos)
	case hasHop && (hop > size || size%hop != 0):
		o, _ := opts.Get("hop")
		return w, true, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for option \"hop\": %q", o.Value).
			WithDetail("The window size (%s) must be a multiple of the hop.", size).WithPosition(o.Pos)
	}
	if hasWin && (time.Duration(24*time.Hour)%size != 0 && size%(24*time.Hour) != 0) {
		// Any size works; windows are aligned to the epoch.
	}
	w.Size, w.Hop, w.Gap = size, hop, gap
	if hop == size {
		w.Hop = 0
	}
	return w, true, nil
}

func (s *Session) createView(ctx context.Context, x *sql.CreateView, notice func(wire.Notice)) (wire.Result, error) {
	if x.Name.Schema != "" && x.Name.Schema != "public" {
		return nil, sqlstate.New(sqlstate.InvalidSchemaName, "views live in schema \"public\", not %q", x.Name.Schema)
	}
	name := x.Name.Name
	if err := sql.ValidateOptions(x.Options, viewOptionSpec); err != nil {
		return nil, err
	}
	w, lambda, err := viewWindow(x.Options)
	if err != nil {
		return nil, err
	}
	ec := s.execCtx(ctx, nil)
	rels := s.srv.relations(s)
	b := &planner.Binder{Cat: rels, Ctx: ctx, Exec: ec, Pos: x.Query.PositionAt}
	view := &catalog.View{Name: name, Options: optionMap(x.Options), SQL: x.Text(), Query: x.QueryText, Lambda: lambda, Created: time.Now().UTC()}
	var cols []exec.Column
	if lambda {
		lp, src, err := s.srv.compileLambda(b, x.Query, w)
		if err != nil {
			return nil, err
		}
		view.Source = src
		cols = lp.Out
	} else {
		node, err := b.BindQuery(x.Query.Node)
		if err != nil {
			return nil, err
		}
		if len(b.Params) > 0 {
			return nil, sqlstate.New(sqlstate.UndefinedParameter, "there is no parameter $1").WithHint("Views cannot have parameters.")
		}
		cols = node.Schema()
	}
	if len(x.Columns) > 0 {
		if len(x.Columns) > len(cols) {
			return nil, sqlstate.New(sqlstate.SyntaxError, "CREATE VIEW specifies more column names than columns")
		}
		for i, n := range x.Columns {
			cols[i].Name = n
		}
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if seen[c.Name] {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", c.Name)
		}
		seen[c.Name] = true
		view.Columns = append(view.Columns, catalog.ColumnOf(c.Name, c.Type, false))
	}
	replaced := false
	err = s.srv.cat.Update(func(tx *catalog.Tx) error {
		if tx.Sources[name] != nil || lookupSystemTable("pg_catalog", name) != nil {
			return sqlstate.New(sqlstate.WrongObjectType, "%q is not a view", name).WithPosition(x.Name.Pos)
		}
		old, exists := tx.Views[name]
		if exists && !x.OrReplace {
			return sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists", name).WithPosition(x.Name.Pos)
		}
		if exists {
			replaced = true
			view.OID = old.OID
			view.Generation = old.Generation + 1
			view.Created = old.Created
		} else {
			view.OID = tx.NewOID()
		}
		if exists && old.Lambda && lambda {
			// The old definition keeps serving while the new one is built;
			// the switch happens when the rebuild publishes.
			cp := *old
			cp.Pending = view
			tx.Views[name] = &cp
			return nil
		}
		tx.Views[name] = view
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.srv.viewCreated(ctx, name, replaced, notice); err != nil {
		return nil, err
	}
	return tagResult("CREATE VIEW"), nil
}

// compileLambda finds the view's source and compiles its LambdaPlan.
func (s *Server) compileLambda(b *planner.Binder, q *sql.Query, w planner.WindowSpec) (*planner.LambdaPlan, string, error) {
	srcName, err := lambdaSourceName(q)
	if err != nil {
		return nil, "", err
	}
	snap := s.cat.Snapshot()
	src, ok := snap.Sources[srcName]
	if !ok {
		if _, isView := snap.Views[srcName]; isView {
			return nil, "", sqlstate.New(sqlstate.WrongObjectType, "%q is a view: lambda views are defined over sources", srcName)
		}
		return nil, "", sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", srcName)
	}
	rel := &planner.Relation{OID: src.OID, Schema: "public", Name: src.Name, Kind: planner.RelSource, Columns: sourceColumns(src)}
	lp, err := b.CompileLambdaView(q.Node, rel, src.EventTime, w)
	if err != nil {
		return nil, "", err
	}
	return lp, src.Name, nil
}

func (s *Session) drop(ctx context.Context, x *sql.Drop, notice func(wire.Notice)) (wire.Result, error) {
	var dropped []string
	kind := x.Kind
	err := s.srv.cat.Update(func(tx *catalog.Tx) error {
		dropped = nil
		for _, n := range x.Names {
			name := n.Name
			switch kind {
			case sql.KindSource:
				if _, ok := tx.Sources[name]; !ok {
					if tx.Views[name] != nil {
						return sqlstate.New(sqlstate.WrongObjectType, "%q is not a source", name).WithHint("Use DROP VIEW to remove a view.")
					}
					if x.IfExists {
						notice(wire.Notice{Severity: "NOTICE", Code: "00000", Message: fmt.Sprintf("source %q does not exist, skipping", name)})
						continue
					}
					return sqlstate.New(sqlstate.UndefinedTable, "source %q does not exist", name).WithPosition(n.Pos)
				}
				var deps []string
				for _, v := range sortedViews(tx.Views) {
					if v.Source == name || viewMentions(v, name) {
						deps = append(deps, v.Name)
					}
				}
				if len(deps) > 0 && !x.Cascade {
					return sqlstate.New(sqlstate.DependentObjectsStillExist, "cannot drop source %s because other objects depend on it", name).
						WithDetail("view %s depends on source %s", strings.Join(deps, ", "), name).
						WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
				}
				for _, d := range deps {
					delete(tx.Views, d)
					delete(tx.Batch, d)
					dropped = append(dropped, "view:"+d)
				}
				delete(tx.Sources, name)
				delete(tx.Manifests, name)
				dropped = append(dropped, "source:"+name)
			case sql.KindView, sql.KindTable:
				if _, ok := tx.Views[name]; !ok {
					if tx.Sources[name] != nil {
						return sqlstate.New(sqlstate.WrongObjectType, "%q is not a view", name).WithHint("Use DROP SOURCE to remove a source.")
					}
					if x.IfExists {
						notice(wire.Notice{Severity: "NOTICE", Code: "00000", Message: fmt.Sprintf("view %q does not exist, skipping", name)})
						continue
					}
					return sqlstate.New(sqlstate.UndefinedTable, "view %q does not exist", name).WithPosition(n.Pos)
				}
				var deps []string
				for _, v := range sortedViews(tx.Views) {
					if v.Name != name && viewMentions(v, name) {
						deps = append(deps, v.Name)
					}
				}
				if len(deps) > 0 && !x.Cascade {
					return sqlstate.New(sqlstate.DependentObjectsStillExist, "cannot drop view %s because other objects depend on it", name).
						WithDetail("view %s depends on view %s", strings.Join(deps, ", "), name).
						WithHint("Use DROP ... CASCADE to drop the dependent objects too.")
				}
				for _, d := range deps {
					delete(tx.Views, d)
					delete(tx.Batch, d)
					dropped = append(dropped, "view:"+d)
				}
				delete(tx.Views, name)
				delete(tx.Batch, name)
				dropped = append(dropped, "view:"+name)
			}
		}
		if len(dropped) == 0 {
			return catalog.ErrNoChange
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range dropped {
		kind, name, _ := strings.Cut(d, ":")
		s.srv.objectDropped(kind, name)
	}
	tag := "DROP SOURCE"
	if x.Kind != sql.KindSource {
		tag = "DROP VIEW"
	}
	return tagResult(tag), nil
}

func sortedViews(m map[string]*catalog.View) []*catalog.View {
	out := make([]*catalog.View, 0, len(m))
	for _, k := range sortedKeysOf(m) {
		out = append(out, m[k])
	}
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// viewMentions reports whether an ordinary view's definition reads name.
func viewMentions(v *catalog.View, name string) bool {
	stmts, err := sql.Parse(v.Query)
	if err != nil || len(stmts) != 1 {
		return strings.Contains(strings.ToLower(v.Query), strings.ToLower(name))
	}
	q, ok := stmts[0].(*sql.Query)
	if !ok {
		return false
	}
	return strings.Contains(" "+q.Rewritten+" ", name)
}

func (s *Session) alter(ctx context.Context, x *sql.AlterOptions) (wire.Result, error) {
	name := x.Name.Name
	tag := "ALTER " + string(x.Kind)
	err := s.srv.cat.Update(func(tx *catalog.Tx) error {
		switch x.Kind {
		case sql.KindView:
			v, ok := tx.Views[name]
			if !ok {
				if x.IfExists {
					return catalog.ErrNoChange
				}
				return sqlstate.New(sqlstate.UndefinedTable, "view %q does not exist", name).WithPosition(x.Name.Pos)
			}
			if !v.Lambda {
				return sqlstate.New(sqlstate.WrongObjectType, "view %q has no options: it is not a windowed view", name)
			}
			if err := sql.ValidateOptions(x.Set, viewOptionSpec); err != nil {
				return err
			}
			cp := *v
			cp.Options = map[string]string{}
			for k, val := range v.Options {
				cp.Options[k] = val
			}
			for _, o := range x.Set {
				if !alterableViewOptions[o.Key] {
					return sqlstate.New(sqlstate.FeatureNotSupported, "option %q cannot be changed with ALTER VIEW", o.Key).
						WithHint("Changing the windowing changes the view's rows: use CREATE OR REPLACE VIEW, which rebuilds both layers.").WithPosition(o.KeyPos)
				}
				cp.Options[o.Key] = o.Value
			}
			for _, k := range x.Reset {
				if !alterableViewOptions[k] {
					return sqlstate.New(sqlstate.FeatureNotSupported, "option %q cannot be reset with ALTER VIEW", k)
				}
				delete(cp.Options, k)
			}
			tx.Views[name] = &cp
		case sql.KindSource:
			src, ok := tx.Sources[name]
			if !ok {
				if x.IfExists {
					return catalog.ErrNoChange
				}
				return sqlstate.New(sqlstate.UndefinedTable, "source %q does not exist", name).WithPosition(x.Name.Pos)
			}
			cp := *src
			cp.Options = map[string]string{}
			for k, val := range src.Options {
				cp.Options[k] = val
			}
			alterable := map[string]sql.OptionKind{"idle_timeout": sql.DurationOption(0), "max_future": sql.DurationOption(0),
				"capture_interval": sql.DurationOption(100 * time.Millisecond), "capture_size": sql.StringOption}
			if err := sql.ValidateOptions(x.Set, alterable); err != nil {
				return err
			}
			for _, o := range x.Set {
				cp.Options[o.Key] = o.Value
			}
			for _, k := range x.Reset {
				if _, ok := alterable[k]; !ok {
					return sqlstate.New(sqlstate.FeatureNotSupported, "option %q cannot be reset with ALTER SOURCE", k)
				}
				delete(cp.Options, k)
			}
			tx.Sources[name] = &cp
		default:
			return sqlstate.New(sqlstate.FeatureNotSupported, "ALTER %s is not supported", x.Kind)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.srv.objectAltered(string(x.Kind), name)
	return tagResult(tag), nil
}
