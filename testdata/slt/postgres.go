package slt

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
)

var dbNameRe = regexp.MustCompile(`[^a-z0-9_]`)

// RunPostgres runs one parsed file against the PostgreSQL at adminDSN (a
// role that may create databases), in a database "slt_<file>" created for
// the run and dropped after it, as engine "postgresql": records under
// "skipif lambdasql" run, records under "onlyif lambdasql" do not. The
// session starts with TimeZone=UTC, as lambdasql's sessions do. With
// rewrite, the expected output is filled in from PostgreSQL's answers and
// written back to f's file. It returns the failures (none when rewriting
// succeeded); err is set when the run itself could not happen.
func RunPostgres(ctx context.Context, adminDSN string, f *File, rewrite bool) ([]Failure, error) {
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return nil, err
	}
	defer admin.Close(context.Background())
	db := "slt_" + dbNameRe.ReplaceAllString(f.Name, "_")
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
		return nil, err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		return nil, err
	}
	defer admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
	u, err := url.Parse(adminDSN)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + db
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.RuntimeParams["TimeZone"] = "UTC"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", db, err)
	}
	defer conn.Close(context.Background())
	r := &Runner{Conn: conn, Engine: EnginePostgreSQL, Rewrite: rewrite}
	fails := r.Run(ctx, f)
	if rewrite {
		if _, err := r.WriteRewrites(f); err != nil {
			return fails, err
		}
	}
	return fails, nil
}
