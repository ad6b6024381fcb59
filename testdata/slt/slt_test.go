package slt

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lambdasql/exec"
	"lambdasql/server"
)

var (
	rewrite  = flag.Bool("rewrite", false, "fill in expected query output and error codes in place from the server's answers")
	pgref    = flag.String("pgref", "", "run the \"# postgres: yes\" files against the PostgreSQL at this DSN instead (each in a fresh database); with -rewrite, re-derive their expected output")
	only     = flag.String("files", "", "run only the files whose base name matches this regexp")
	failsOut = flag.String("failures", "", "append every failure to this file as one JSON object per line")
)

// corpusDir is where the .slt files live: testdata/, this package's parent.
const corpusDir = ".."

// maxParallel bounds how many files (each with its own server) run at once.
const maxParallel = 2

var failMu sync.Mutex

func corpus(t *testing.T, names ...string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpusDir, "*.slt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no .slt files under testdata/")
	}
	var re *regexp.Regexp
	if *only != "" {
		re = regexp.MustCompile(*only)
	}
	var out []string
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".slt")
		if names != nil && !slices.Contains(names, base) {
			continue
		}
		if re != nil && !re.MatchString(base) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// TestSLT runs every .slt file against a fresh in-process server, under
// each layer its header lists. With -pgref it runs the PostgreSQL-only
// files against a real PostgreSQL instead.
func TestSLT(t *testing.T) {
	if *pgref != "" {
		runPostgres(t, corpus(t))
		return
	}
	runCorpus(t, corpus(t), *rewrite)
}

// TestSLTSmallBatches repeats a subset of the corpus with a batch size of
// 3 rows, so that every operator crosses record boundaries mid-result.
func TestSLTSmallBatches(t *testing.T) {
	if *pgref != "" || *rewrite {
		t.Skip("runs only against lambdasql, without -rewrite")
	}
	restore := exec.SetBatchSize(3)
	defer restore()
	runCorpus(t, corpus(t, "select_basic", "nulls", "aggregates", "joins"), false)
}

func runCorpus(t *testing.T, paths []string, rewrite bool) {
	sem := make(chan struct{}, maxParallel)
	for _, path := range paths {
		f, err := ParseFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			layers := f.Layers
			if len(layers) == 0 {
				layers = []string{""}
			}
			var edits []edit // rewrite edits, accumulated over the layers
			for _, layer := range layers {
				run := func(t *testing.T) {
					conn := startServer(t)
					r := &Runner{Conn: conn, Engine: EngineLambdaSQL, Layer: layer, Rewrite: rewrite, edits: edits}
					report(t, r.Run(t.Context(), f))
					edits = r.edits
				}
				if layer == "" {
					run(t)
				} else {
					t.Run(layer, run)
				}
			}
			if rewrite {
				r := &Runner{edits: edits}
				if changed, err := r.WriteRewrites(f); err != nil {
					t.Error(err)
				} else if changed {
					t.Logf("rewrote %s", f.Path)
				}
			}
		})
	}
}

// startServer starts a lambdasql server over a fresh data directory and
// returns a connection to it; both are closed when t ends.
func startServer(t *testing.T) *pgx.Conn {
	t.Helper()
	srv, err := server.Open(server.Config{
		DataDir: t.TempDir(),
		Listen:  "127.0.0.1:0",
		HTTP:    "",
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return connect(t, "postgres://lambdasql@"+srv.Addr()+"/lambdasql?sslmode=disable", nil)
}

func connect(t *testing.T, dsn string, params map[string]string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.ConnectTimeout = 10 * time.Second
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
	})
	return conn
}

// runPostgres runs the "# postgres: yes" files against the reference
// PostgreSQL given by -pgref.
func runPostgres(t *testing.T, paths []string) {
	for _, path := range paths {
		f, err := ParseFile(path)
		if err != nil {
			t.Error(err)
			continue
		}
		if !f.Postgres {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			fails, err := RunPostgres(t.Context(), *pgref, f, *rewrite)
			if err != nil {
				t.Fatal(err)
			}
			report(t, fails)
		})
	}
}

func report(t *testing.T, fails []Failure) {
	t.Helper()
	for _, f := range fails {
		t.Error(f.String())
	}
	if *failsOut == "" || len(fails) == 0 {
		return
	}
	failMu.Lock()
	defer failMu.Unlock()
	out, err := os.OpenFile(*failsOut, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Error(err)
		return
	}
	defer out.Close()
	enc := json.NewEncoder(out)
	for _, f := range fails {
		if err := enc.Encode(f); err != nil {
			t.Error(fmt.Errorf("write failures: %w", err))
		}
	}
}
