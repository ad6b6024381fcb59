package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"lambdasql/server"
	"lambdasql/wire"
)

// inproc is a lambdasql server running inside lambdabench on a temporary
// data directory and a loopback port.
type inproc struct {
	srv  *server.Server
	dir  string
	url  string
	once sync.Once
}

// startInproc opens a fresh data directory and starts serving on
// 127.0.0.1 at a free port. The server logs warnings and errors only.
func startInproc() (*inproc, error) {
	dir, err := os.MkdirTemp("", "lambdabench-data-")
	if err != nil {
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Open(server.Config{DataDir: dir, Listen: "127.0.0.1:0", Logger: logger, MaxConnections: 200})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("open lambdasql: %w", err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start lambdasql: %w", err)
	}
	return &inproc{srv: srv, dir: dir, url: fmt.Sprintf("postgres://lambdasql@%s/lambdasql?sslmode=disable", srv.Addr())}, nil
}

// close stops the server and removes its data directory; later calls do
// nothing.
func (p *inproc) close() {
	p.once.Do(func() {
		if err := p.srv.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "close lambdasql: %v\n", err)
		}
		os.RemoveAll(p.dir)
	})
}

// connect opens a pgx connection to the server.
func (p *inproc) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, p.url)
}

// engineRows runs query through the server's wire.Handler interface, as
// the protocol layer does, without encoding or sending anything: the
// "engine only" figure. It returns the number of rows.
func (p *inproc) engineRows(ctx context.Context, query string) (int64, error) {
	sess, err := p.srv.NewSession(ctx, wire.SessionStart{User: "lambdasql", Database: "lambdasql",
		Params: map[string]string{"application_name": "lambdabench"}, RemoteAddr: "127.0.0.1:0"})
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	stmts, err := sess.Prepare(ctx, query, nil)
	if err != nil {
		return 0, err
	}
	if len(stmts) != 1 {
		return 0, fmt.Errorf("expected one statement, got %d", len(stmts))
	}
	st := stmts[0]
	defer st.Close()
	res, err := st.Execute(ctx, nil, func(wire.Notice) {})
	if err != nil {
		return 0, err
	}
	defer res.Close()
	var n int64
	for {
		rec, err := res.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += rec.NumRows()
		rec.Release()
	}
}

// waitFor polls cond every interval until it returns true, returns an
// error, or timeout passes.
func waitFor(ctx context.Context, timeout, interval time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// prepare parses and plans query in a fresh session without running it.
func (p *inproc) prepare(ctx context.Context, query string) error {
	sess, err := p.srv.NewSession(ctx, wire.SessionStart{User: "lambdasql", Database: "lambdasql", RemoteAddr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer sess.Close()
	stmts, err := sess.Prepare(ctx, query, nil)
	for _, st := range stmts {
		st.Close()
	}
	return err
}
