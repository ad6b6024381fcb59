// Command pgref runs the "# postgres: yes" files of the sqllogictest
// corpus against a real PostgreSQL, each in a database of its own, and
// reports where PostgreSQL disagrees with the expected output; with
// -rewrite it fills the expected output in from PostgreSQL's answers. It
// is how the corpus's expectations are derived, and works while the
// server package does not build (go test ./testdata/slt -args -pgref=DSN
// does the same through the test binary):
//
//	go run ./testdata/slt/pgref -dsn 'postgres://postgres@127.0.0.1:5432/postgres' -rewrite testdata/*.slt
//
// With -engine lambdasql it instead runs any file over one connection to
// an already running lambdasql at -dsn (a fresh data directory per file is
// the caller's business), for checking a file against a separately built
// binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"

	"lambdasql/testdata/slt"
)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL to run against (a role that may create databases)")
	rewrite := flag.Bool("rewrite", false, "fill in expected output in place")
	engine := flag.String("engine", slt.EnginePostgreSQL, "postgresql, or lambdasql to run over one connection to a running lambdasql")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pgref [-dsn DSN] [-rewrite] file.slt…")
		os.Exit(2)
	}
	failed := 0
	for _, path := range flag.Args() {
		f, err := slt.ParseFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if *engine == slt.EngineLambdaSQL {
			fails, err := runLambdaSQL(*dsn, f, *rewrite)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
				os.Exit(1)
			}
			for _, fl := range fails {
				fmt.Println(fl.String())
			}
			failed += len(fails)
			continue
		}
		if !f.Postgres {
			fmt.Printf("%s: skipped (no \"# postgres: yes\" header)\n", path)
			continue
		}
		fails, err := slt.RunPostgres(context.Background(), *dsn, f, *rewrite)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(1)
		}
		for _, fl := range fails {
			fmt.Println(fl.String())
		}
		failed += len(fails)
	}
	fmt.Printf("%d failures\n", failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func runLambdaSQL(dsn string, f *slt.File, rewrite bool) ([]slt.Failure, error) {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	r := &slt.Runner{Conn: conn, Engine: slt.EngineLambdaSQL, Rewrite: rewrite}
	fails := r.Run(ctx, f)
	if rewrite {
		_, err = r.WriteRewrites(f)
	}
	return fails, err
}
