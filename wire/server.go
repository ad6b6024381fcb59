package wire

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// syscallEMFILE is the accept error of a process out of file descriptors.
var syscallEMFILE = syscall.EMFILE

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
var ErrServerClosed = errors.New("wire: server closed")

// Stats is a snapshot of a server's counters, for the metrics layer. All
// counts are totals since NewServer except ConnectionsActive.
type Stats struct {
	ConnectionsAccepted uint64 // TCP connections accepted (cancel requests included)
	ConnectionsActive   int64  // connections open now (as ConnectionCount)
	ConnectionsRejected uint64 // closed before a session started: too many clients, refused or failed authentication, protocol errors
	AuthFailures        uint64 // failed password or SCRAM exchanges, and trust refused
	CancelRequests      uint64 // CancelRequest packets received (matching or not)
	Statements          uint64 // statements executed (Execute calls on the Handler)
	Errors              uint64 // ErrorResponse messages sent (FATAL included)
	BytesIn, BytesOut   uint64 // protocol bytes read and written (TLS payload, not records)
}

type counters struct {
	accepted, rejected, authFailures, cancels atomic.Uint64
	statements, errors, bytesIn, bytesOut     atomic.Uint64
	active                                    atomic.Int64
	crashes                                   atomic.Uint64 // panics in wire's own code (bugs), for tests
}

// Server serves the PostgreSQL protocol to a Handler. Its methods are safe
// for concurrent use.
type Server struct {
	cfg     Config
	h       Handler
	log     *slog.Logger
	tlsConf *tls.Config
	users   atomic.Pointer[userDB]

	closing atomic.Bool
	nextPID atomic.Int32
	stats   counters

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	byPID     map[int32]*conn
	addr      net.Addr
	connWG    sync.WaitGroup
}

// NewServer checks cfg, loads the TLS key pair and the users file, and
// returns a server that is not yet listening.
func NewServer(cfg Config, h Handler) (*Server, error) {
	if h == nil {
		return nil, errors.New("wire: nil Handler")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		h:         h,
		log:       cfg.Logger,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*conn]struct{}{},
		byPID:     map[int32]*conn{},
	}
	if s.tlsConf, err = cfg.loadTLS(); err != nil {
		return nil, err
	}
	if cfg.UsersFile != "" {
		if err := s.ReloadUsers(); err != nil {
			return nil, err
		}
	}
	// Process IDs only need to be unique per server; start away from 0
	// so that they look like PIDs to tools that print them.
	s.nextPID.Store(int32(1000 + time.Now().UnixNano()%9000))
	return s, nil
}

// ReloadUsers re-reads Config.UsersFile; connections authenticating after
// it returns use the new file. On error the old users stay in force.
func (s *Server) ReloadUsers() error {
	db, err := loadUsers(s.cfg.UsersFile)
	if err != nil {
		return err
	}
	s.users.Store(db)
	return nil
}

// ListenAndServe listens on Config.Listen and serves until Shutdown.
func (s *Server) ListenAndServe() error {
	if s.closing.Load() {
		return ErrServerClosed
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("wire: listen: %w", err)
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln until Shutdown (it then returns
// ErrServerClosed) or a permanent accept error. Serve closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	if s.addr == nil {
		s.addr = ln.Addr()
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscallEMFILE) {
				// Out of file descriptors or a transient failure: wait and
				// retry as net/http does, rather than spin or stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("wire: accept failed; retrying", "err", err, "delay", backoff)
				time.Sleep(backoff)
				continue
			}
			return fmt.Errorf("wire: accept: %w", err)
		}
		backoff = 0
		s.serveConn(nc)
	}
}

// serveConn starts the goroutine of one accepted connection.
func (s *Server) serveConn(nc net.Conn) {
	s.stats.accepted.Add(1)
	s.stats.active.Add(1)
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		s.stats.active.Add(-1)
		_ = nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.connWG.Done()
		defer func() {
			s.mu.Lock()
			delete(s.conns, c)
			if c.pid != 0 && s.byPID[c.pid] == c {
				delete(s.byPID, c.pid)
			}
			s.mu.Unlock()
			s.stats.active.Add(-1)
		}()
		c.serve()
	}()
}

// Addr returns the address of the first listener Serve was given, nil
// before that.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ConnectionCount returns the number of open client connections, those
// still in startup included.
func (s *Server) ConnectionCount() int { return int(s.stats.active.Load()) }

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		ConnectionsAccepted: s.stats.accepted.Load(),
		ConnectionsActive:   s.stats.active.Load(),
		ConnectionsRejected: s.stats.rejected.Load(),
		AuthFailures:        s.stats.authFailures.Load(),
		CancelRequests:      s.stats.cancels.Load(),
		Statements:          s.stats.statements.Load(),
		Errors:              s.stats.errors.Load(),
		BytesIn:             s.stats.bytesIn.Load(),
		BytesOut:            s.stats.bytesOut.Load(),
	}
}

// Shutdown stops accepting, cancels running statements and closes every
// connection with FATAL 57P01 "terminating connection due to administrator
// command". It waits for the connections to end; when ctx ends first it
// closes their sockets and returns ctx.Err(). Shutdown may be called more
// than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Closing the sockets ends every connection blocked on the
		// network; one stuck in a Handler call that ignores its context
		// ends when that call returns.
		s.mu.Lock()
		for c := range s.conns {
			_ = c.nc.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// register makes c reachable by cancel requests.
func (s *Server) register(c *conn) {
	s.mu.Lock()
	s.byPID[c.pid] = c
	s.mu.Unlock()
}

// cancel serves a CancelRequest: it cancels the running statement of the
// connection with that process ID when the secret key matches. Like
// PostgreSQL it answers nothing either way.
func (s *Server) cancel(pid int32, key uint32) {
	s.stats.cancels.Add(1)
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeEq(int32(c.secret), int32(key)) != 1 {
		s.log.Debug("wire: cancel request for unknown backend", "pid", pid)
		return
	}
	c.cancelRunning(errCancelRequest)
}
