package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"lambdasql/catalog"
	"lambdasql/exec"
	"lambdasql/sql/types"
	"lambdasql/wire"
)

// Config is everything a server needs; cmd/lambdasql fills it from flags
// and environment variables.
type Config struct {
	DataDir          string
	Listen           string // PostgreSQL protocol address
	HTTP             string // metrics, health and status page address ("" = off)
	Auth             string // trust, password, scram
	UsersFile        string
	TLSCert, TLSKey  string
	MaxConnections   int
	MaxMessageBytes  int
	IdleTimeout      time.Duration
	StatementTimeout time.Duration
	QueryMemory      int64 // bytes per query, 0 = unlimited
	Logger           *slog.Logger
}

// processOnce sets the process-wide values version() and
// pg_postmaster_start_time() report, once.
var processOnce sync.Once

// Server is a running lambdasql.
type Server struct {
	cfg     Config
	log     *slog.Logger
	cat     *catalog.Catalog
	wire    *wire.Server
	started time.Time
	nextPID atomic.Int32

	sessMu   sync.Mutex
	sessions map[int32]*Session

	engine   *engine
	obs      observer
	ln       net.Listener
	closeMu  sync.Mutex
	closed   bool
	serveErr chan error
}

// Open opens the data directory and prepares a server; Start begins
// serving.
func Open(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	cat, err := catalog.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, cat: cat, started: time.Now(), sessions: map[int32]*Session{}, obs: noObserver{}}
	s.nextPID.Store(int32(os.Getpid()%10000) * 10)
	processOnce.Do(func() {
		exec.ServerStartTime = s.started
		exec.ServerVersionString = fmt.Sprintf("PostgreSQL %s (lambdasql %s) on x86_64-pc-linux-gnu, compiled by Go, 64-bit", ServerVersion, Version)
	})
	if err := s.startEngine(); err != nil {
		cat.Close()
		return nil, err
	}
	return s, nil
}

// Catalog returns the server's catalog.
func (s *Server) Catalog() *catalog.Catalog { return s.cat }

// DataDir returns the absolute data directory.
func (s *Server) DataDir() string {
	abs, err := filepath.Abs(s.cfg.DataDir)
	if err != nil {
		return s.cfg.DataDir
	}
	return abs
}

// Start listens on cfg.Listen and serves in the background.
func (s *Server) Start() error {
	ws, err := wire.NewServer(wire.Config{
		Listen:           s.cfg.Listen,
		TLSCertFile:      s.cfg.TLSCert,
		TLSKeyFile:       s.cfg.TLSKey,
		Auth:             s.cfg.Auth,
		UsersFile:        s.cfg.UsersFile,
		MaxMessageBytes:  s.cfg.MaxMessageBytes,
		MaxConnections:   s.cfg.MaxConnections,
		IdleTimeout:      s.cfg.IdleTimeout,
		StatementTimeout: s.cfg.StatementTimeout,
		Logger:           s.log,
	}, s)
	if err != nil {
		return err
	}
	s.wire = ws
	wire.RegNamer = s.regNamer
	wire.RegParser = func(t *types.T, v string) (any, error) { return exec.RegIn(s.catalogInfo(), t, v) }
	addr := s.cfg.Listen
	if addr == "" {
		addr = "127.0.0.1:5433"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- ws.Serve(ln) }()
	s.log.Info("lambdasql listening", "addr", ln.Addr().String(), "data", s.DataDir())
	if s.cfg.HTTP != "" {
		if err := s.startHTTP(); err != nil {
			return err
		}
	}
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops serving (cancelling running statements), then closes the
// data directory.
func (s *Server) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	var errs []error
	s.stopHTTP()
	if s.wire != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.wire.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	if s.engine != nil {
		s.engine.stop()
	}
	if err := s.cat.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// NewSession implements wire.Handler.
func (s *Server) NewSession(ctx context.Context, start wire.SessionStart) (wire.Session, error) {
	sess := newSession(s, start)
	s.sessMu.Lock()
	s.sessions[sess.pid] = sess
	s.sessMu.Unlock()
	return sess, nil
}

func (s *Server) dropSession(pid int32) {
	s.sessMu.Lock()
	delete(s.sessions, pid)
	s.sessMu.Unlock()
}

// Sessions returns the live sessions (pg_stat_activity).
func (s *Server) Sessions() []*Session {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	out := make([]*Session, 0, len(s.sessions))
	for _, x := range s.sessions {
		out = append(out, x)
	}
	return out
}
