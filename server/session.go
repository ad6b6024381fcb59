package server

import (
	"context"
	"strings"
	"sync"
	"time"

	"lambdasql/exec"
	"lambdasql/planner"
	"lambdasql/sql"
	"lambdasql/sql/sqlstate"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// txState is a session's transaction block state.
type txState uint8

const (
	txIdle   txState = iota // no transaction block
	txOpen                  // inside BEGIN … COMMIT
	txFailed                // an error inside the block: everything fails until ROLLBACK
)

// Session is one client connection's state: settings, transaction block,
// cursors and SQL-level prepared statements.
type Session struct {
	srv      *Server
	user     string
	database string
	pid      int32
	remote   string

	settings map[string]string // lower-case name → value (session level)
	local    map[string]string // SET LOCAL values, cleared at transaction end
	loc      *time.Location
	tx       txState
	txRO     bool

	cursors  map[string]*cursor
	prepared map[string]*sqlPrepared

	actMu       sync.Mutex
	query       string
	state       string
	queryStart  time.Time
	backendTime time.Time
}

func newSession(s *Server, start wire.SessionStart) *Session {
	sess := &Session{
		srv:         s,
		user:        start.User,
		database:    start.Database,
		pid:         start.BackendPID,
		remote:      start.RemoteAddr,
		settings:    map[string]string{},
		local:       map[string]string{},
		loc:         time.UTC,
		cursors:     map[string]*cursor{},
		prepared:    map[string]*sqlPrepared{},
		state:       "idle",
		backendTime: time.Now(),
	}
	if sess.user == "" {
		sess.user = "lambdasql"
	}
	if sess.database == "" {
		sess.database = sess.user
	}
	sess.settings["session_authorization"] = sess.user
	// Startup parameters act as SET for known settings.
	for k, v := range start.Params {
		switch strings.ToLower(k) {
		case "user", "database", "options", "replication":
			continue
		}
		if st, ok := lookupSetting(k); ok && !st.readOnly {
			if v2, err := sess.normalize(st, v); err == nil {
				sess.settings[strings.ToLower(st.name)] = v2
				if strings.EqualFold(st.name, "TimeZone") {
					sess.loc, _ = types.LoadLocation(v2)
				}
			}
		}
	}
	return sess
}

func (s *Session) normalize(st *setting, v string) (string, error) {
	if st.check != nil {
		return st.check(v)
	}
	return v, nil
}

// Setting returns the current value of a setting (implements
// exec.SessionInfo).
func (s *Session) Setting(name string) (string, bool) {
	st, ok := lookupSetting(name)
	if !ok {
		// Custom dotted settings (SET my.var = …) are allowed.
		if v, ok := s.local[strings.ToLower(name)]; ok {
			return v, true
		}
		v, ok := s.settings[strings.ToLower(name)]
		return v, ok
	}
	key := strings.ToLower(st.name)
	if v, ok := s.local[key]; ok {
		return v, true
	}
	if v, ok := s.settings[key]; ok {
		return v, true
	}
	switch key {
	case "lambda.query_memory":
		return humanSize(s.srv.cfg.QueryMemory), true
	case "max_connections":
		if s.srv.cfg.MaxConnections > 0 {
			return itoa(s.srv.cfg.MaxConnections), true
		}
	case "ssl":
		if s.srv.cfg.TLSCert != "" {
			return "on", true
		}
	}
	return st.def, true
}

// User implements exec.SessionInfo.
func (s *Session) User() string { return s.user }

// Database implements exec.SessionInfo.
func (s *Session) Database() string { return s.database }

// BackendPID implements exec.SessionInfo.
func (s *Session) BackendPID() int32 { return s.pid }

// SearchPath implements exec.SessionInfo.
func (s *Session) SearchPath() []string {
	v, _ := s.Setting("search_path")
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.Trim(strings.TrimSpace(p), "\"")
		if p == "$user" || p == "" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// SetConfig implements set_config().
func (s *Session) SetConfig(name, value string, local bool) error {
	return s.set(name, []string{value}, local, false)
}

// set applies SET name = values.
func (s *Session) set(name string, values []string, local, toDefault bool) error {
	st, ok := lookupSetting(name)
	key := strings.ToLower(name)
	if !ok {
		if !strings.Contains(name, ".") {
			return sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		// Custom placeholder variables (my.setting) as PostgreSQL allows.
		val := strings.Join(values, ", ")
		if local {
			s.local[key] = val
		} else {
			s.settings[key] = val
		}
		return nil
	}
	key = strings.ToLower(st.name)
	if st.readOnly {
		return sqlstate.New("55P02", "parameter %q cannot be changed", st.name)
	}
	var val string
	if toDefault {
		val = st.def
	} else {
		val = strings.Join(values, ", ")
		var err error
		if val, err = s.normalize(st, val); err != nil {
			return err
		}
	}
	if key == "transaction_isolation" || key == "transaction_read_only" {
		local = true
	}
	if local {
		if s.tx == txIdle {
			// SET LOCAL outside a transaction block only warns in
			// PostgreSQL; it has no lasting effect.
			return nil
		}
		s.local[key] = val
	} else {
		s.settings[key] = val
	}
	if key == "timezone" {
		loc, err := types.LoadLocation(val)
		if err == nil {
			s.loc = loc
		}
	}
	return nil
}

func (s *Session) reset(name string) error {
	if strings.EqualFold(name, "all") {
		keep := s.settings["session_authorization"]
		s.settings = map[string]string{"session_authorization": keep}
		s.loc = time.UTC
		return nil
	}
	st, ok := lookupSetting(name)
	if !ok {
		delete(s.settings, strings.ToLower(name))
		return nil
	}
	if st.readOnly {
		return sqlstate.New("55P02", "parameter %q cannot be changed", st.name)
	}
	delete(s.settings, strings.ToLower(st.name))
	if strings.EqualFold(st.name, "TimeZone") {
		s.loc = time.UTC
	}
	return nil
}

// ParameterStatus implements wire.Session.
func (s *Session) ParameterStatus() map[string]string {
	out := map[string]string{}
	for _, st := range settingList {
		if st.reportable {
			v, _ := s.Setting(st.name)
			out[st.name] = v
		}
	}
	return out
}

// Location implements wire.Session.
func (s *Session) Location() *time.Location { return s.loc }

// StatementTimeout implements wire.Session.
func (s *Session) StatementTimeout() time.Duration {
	v, _ := s.Setting("statement_timeout")
	d, err := parseSettingDuration(v)
	if err != nil {
		return 0
	}
	return d
}

// TxStatus implements wire.Session.
func (s *Session) TxStatus() byte {
	switch s.tx {
	case txOpen:
		return 'T'
	case txFailed:
		return 'E'
	}
	return 'I'
}

// Fail implements wire.Session.
func (s *Session) Fail() {
	if s.tx == txOpen {
		s.tx = txFailed
	}
}

// Close implements wire.Session.
func (s *Session) Close() {
	for name, c := range s.cursors {
		c.close()
		delete(s.cursors, name)
	}
	s.srv.dropSession(s.pid)
}

func (s *Session) endTx() {
	s.tx = txIdle
	s.txRO = false
	s.local = map[string]string{}
	for name, c := range s.cursors {
		if !c.hold {
			c.close()
			delete(s.cursors, name)
		}
	}
}

// readMode returns the session's lambda.read setting.
func (s *Session) readMode() planner.ReadMode {
	v, _ := s.Setting("lambda.read")
	m, _ := planner.ParseReadMode(v)
	return m
}

// setActivity records what the session runs, for pg_stat_activity.
func (s *Session) setActivity(query, state string) {
	s.actMu.Lock()
	s.query, s.state = query, state
	if state == "active" {
		s.queryStart = time.Now()
	}
	s.actMu.Unlock()
}

// Activity returns the session's current query, state and start time.
func (s *Session) Activity() (query, state string, start, backendStart time.Time) {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	return s.query, s.state, s.queryStart, s.backendTime
}

// execCtx builds the execution context of one statement.
func (s *Session) execCtx(ctx context.Context, params []any) *exec.Ctx {
	return &exec.Ctx{
		Mem:     exec.NewMemTracker(s.srv.cfg.QueryMemory),
		Now:     types.TimestampOf(time.Now()),
		Loc:     s.loc,
		Params:  params,
		Session: s,
		Catalog: s.srv.catalogInfo(),
		Context: ctx,
	}
}

// Prepare implements wire.Session.
func (s *Session) Prepare(ctx context.Context, query string, paramOIDs []uint32) ([]wire.Statement, error) {
	stmts, err := sql.Parse(query)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Statement, 0, len(stmts))
	for _, st := range stmts {
		ps, err := s.prepareStmt(ctx, st, paramOIDs, len(stmts) > 1)
		if err != nil {
			for _, p := range out {
				p.Close()
			}
			return nil, err
		}
		out = append(out, ps)
	}
	return out, nil
}
