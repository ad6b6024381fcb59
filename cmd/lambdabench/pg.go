package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgCluster is a private PostgreSQL cluster under a temporary directory,
// listening on 127.0.0.1 at a free port, with PostgreSQL's default
// durability settings (fsync, synchronous_commit and full_page_writes on).
// It never touches the machine's own clusters.
type pgCluster struct {
	dir     string
	bindir  string
	port    int
	cred    *syscall.Credential // run the server as this user (root cannot)
	version string
	url     string
}

// errNoPostgres means no PostgreSQL server binaries were found.
var errNoPostgres = errors.New("no PostgreSQL server found (apt-get install -y postgresql)")

// pgBindir finds the directory of initdb, pg_ctl and postgres: $PG_BINDIR,
// the newest /usr/lib/postgresql/*/bin, or the directory of initdb on
// $PATH.
func pgBindir() (string, error) {
	if d := os.Getenv("PG_BINDIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	return "", errNoPostgres
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startPG initializes and starts a private cluster. Call stop to shut it
// down and remove its files.
func startPG(ctx context.Context) (*pgCluster, error) {
	bindir, err := pgBindir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "lambdabench-pg-")
	if err != nil {
		return nil, err
	}
	c := &pgCluster{dir: dir, bindir: bindir}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres user to run PostgreSQL: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	for try := 0; ; try++ {
		c.port, err = freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=50", c.port, dir)
		out, err := c.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
		if err == nil {
			break
		}
		if try == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
		}
	}
	c.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	conn, err := pgx.Connect(ctx, c.url)
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&c.version); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// run runs a PostgreSQL program as the cluster's user.
func (c *pgCluster) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bindir, prog), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// stop shuts the cluster down and removes its directory.
func (c *pgCluster) stop() {
	data := filepath.Join(c.dir, "data")
	if out, err := c.run(context.Background(), "pg_ctl", "-D", data, "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		if !strings.Contains(string(out), "is not running") && !strings.Contains(string(out), "No such file") {
			fmt.Fprintf(os.Stderr, "stop PostgreSQL: %v\n%s", err, out)
		}
	}
	os.RemoveAll(c.dir)
}

func (c *pgCluster) connect(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, c.url) }
