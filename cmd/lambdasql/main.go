// Command lambdasql is the lambdasql server: a Lambda-architecture SQL
// engine speaking the PostgreSQL protocol.
//
//	lambdasql serve [flags]   serve the data directory
//	lambdasql demo  [flags]   serve, with the demo source, views and a
//	                          generator of IoT telemetry
//
// Every flag has an environment variable: --data is LAMBDASQL_DATA,
// --listen LAMBDASQL_LISTEN, and so on.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lambdasql/server"
)

type options struct {
	data, listen, http, auth, users, tlsCert, tlsKey string
	maxConns, maxMsg                                 int
	idle, stmtTimeout                                time.Duration
	queryMem                                         string
	logLevel                                         string
	demoRate                                         int
	demoDevices                                      int
	demoBackfill                                     time.Duration
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envDur(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func flags(fs *flag.FlagSet, o *options, demo bool) {
	fs.StringVar(&o.data, "data", envOr("LAMBDASQL_DATA", "./data"), "data directory (LAMBDASQL_DATA)")
	fs.StringVar(&o.listen, "listen", envOr("LAMBDASQL_LISTEN", "127.0.0.1:5433"), "PostgreSQL protocol address (LAMBDASQL_LISTEN)")
	fs.StringVar(&o.http, "http", envOr("LAMBDASQL_HTTP", "127.0.0.1:8080"), "metrics, health and status page address; empty disables (LAMBDASQL_HTTP)")
	fs.StringVar(&o.auth, "auth", envOr("LAMBDASQL_AUTH", "trust"), "authentication: trust (loopback only), password or scram (LAMBDASQL_AUTH)")
	fs.StringVar(&o.users, "users", envOr("LAMBDASQL_USERS", ""), "users file for password/scram auth, lines user:password (LAMBDASQL_USERS)")
	fs.StringVar(&o.tlsCert, "tls-cert", envOr("LAMBDASQL_TLS_CERT", ""), "TLS certificate PEM file (LAMBDASQL_TLS_CERT)")
	fs.StringVar(&o.tlsKey, "tls-key", envOr("LAMBDASQL_TLS_KEY", ""), "TLS key PEM file (LAMBDASQL_TLS_KEY)")
	fs.IntVar(&o.maxConns, "max-connections", envInt("LAMBDASQL_MAX_CONNECTIONS", 100), "maximum client connections (LAMBDASQL_MAX_CONNECTIONS)")
	fs.IntVar(&o.maxMsg, "max-message-bytes", envInt("LAMBDASQL_MAX_MESSAGE_BYTES", 64<<20), "maximum protocol message size (LAMBDASQL_MAX_MESSAGE_BYTES)")
	fs.DurationVar(&o.idle, "idle-timeout", envDur("LAMBDASQL_IDLE_TIMEOUT", 0), "close connections idle this long; 0 = never (LAMBDASQL_IDLE_TIMEOUT)")
	fs.DurationVar(&o.stmtTimeout, "statement-timeout", envDur("LAMBDASQL_STATEMENT_TIMEOUT", 0), "cancel statements running this long; 0 = never (LAMBDASQL_STATEMENT_TIMEOUT)")
	fs.StringVar(&o.queryMem, "query-memory", envOr("LAMBDASQL_QUERY_MEMORY", "4GiB"), "per-query memory limit for operator state, e.g. 512MiB; 0 = unlimited (LAMBDASQL_QUERY_MEMORY)")
	fs.StringVar(&o.logLevel, "log-level", envOr("LAMBDASQL_LOG_LEVEL", "info"), "log level: debug, info, warn, error (LAMBDASQL_LOG_LEVEL)")
	if demo {
		fs.IntVar(&o.demoRate, "demo-rate", envInt("LAMBDASQL_DEMO_RATE", 2000), "demo events per second (LAMBDASQL_DEMO_RATE)")
		fs.IntVar(&o.demoDevices, "demo-devices", envInt("LAMBDASQL_DEMO_DEVICES", 10000), "demo device count (LAMBDASQL_DEMO_DEVICES)")
		fs.DurationVar(&o.demoBackfill, "demo-backfill", envDur("LAMBDASQL_DEMO_BACKFILL", 3*time.Hour), "history generated on first start (LAMBDASQL_DEMO_BACKFILL)")
	}
}

func parseSize(s string) (int64, error) {
	v := strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		s string
		m int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(v, u.s) {
			v, mult = strings.TrimSuffix(v, u.s), u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

func usage() {
	fmt.Fprintf(os.Stderr, `lambdasql — a Lambda-architecture SQL engine speaking the PostgreSQL protocol

Usage:
  lambdasql serve [flags]   serve the data directory
  lambdasql demo  [flags]   serve with the demo source, views and a telemetry generator
  lambdasql help            this text

Run "lambdasql serve --help" or "lambdasql demo --help" for the flags.
Every flag can also be set by its environment variable (shown in the help).
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd := os.Args[1]
	switch cmd {
	case "serve", "demo":
	case "help", "-h", "--help":
		usage()
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		var o options
		flags(fs, &o, true)
		fmt.Fprintln(os.Stderr, "\nFlags:")
		fs.SetOutput(os.Stderr)
		fs.PrintDefaults()
		return
	default:
		fmt.Fprintf(os.Stderr, "lambdasql: unknown command %q\n\n", cmd)
		usage()
		os.Exit(2)
	}
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	var o options
	flags(fs, &o, cmd == "demo")
	fs.Parse(os.Args[2:])
	level := slog.LevelInfo
	switch strings.ToLower(o.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	qm, err := parseSize(o.queryMem)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lambdasql: --query-memory: %v\n", err)
		os.Exit(2)
	}
	cfg := server.Config{
		DataDir: o.data, Listen: o.listen, HTTP: o.http, Auth: o.auth, UsersFile: o.users,
		TLSCert: o.tlsCert, TLSKey: o.tlsKey, MaxConnections: o.maxConns, MaxMessageBytes: o.maxMsg,
		IdleTimeout: o.idle, StatementTimeout: o.stmtTimeout, QueryMemory: qm, Logger: logger,
	}
	srv, err := server.Open(cfg)
	if err != nil {
		logger.Error("cannot open the data directory", "err", err)
		os.Exit(1)
	}
	if err := srv.Start(); err != nil {
		logger.Error("cannot start", "err", err)
		srv.Close()
		os.Exit(1)
	}
	if cmd == "demo" {
		if err := startDemo(srv, o, logger); err != nil {
			logger.Error("demo failed to start", "err", err)
			srv.Close()
			os.Exit(1)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	s := <-sig
	logger.Info("shutting down", "signal", s.String())
	if err := srv.Close(); err != nil {
		logger.Error("shutdown", "err", err)
		os.Exit(1)
	}
}
