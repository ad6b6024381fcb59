package wire

import (
	"context"
	"net"
	osexec "os/exec"
	"strings"
	"testing"
	"time"
)

// TestPsql runs the real psql client against the server.
func TestPsql(t *testing.T) {
	path, err := osexec.LookPath("psql")
	if err != nil {
		t.Skip("psql not on PATH")
	}
	ts := startServer(t, Config{})
	host, port, _ := net.SplitHostPort(ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := osexec.CommandContext(ctx, path, "-X", "-h", host, "-p", port, "-U", "tester", "-d", "testdb")
	cmd.Env = []string{"PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "PAGER=cat", "LANG=C.UTF-8", "PGTZ=UTC"}
	cmd.Stdin = strings.NewReader("SELECT 1 AS one;\nSELEC 1;\nSELECT * FROM series(3);\n\\q\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		" one \n-----\n   1\n(1 row)\n",
		"ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC 1;\n        ^\n",
		" n \n---\n 1\n 2\n 3\n(3 rows)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("psql output lacks %q:\n%s", want, got)
		}
	}
	eventually(t, "psql's session to close", func() bool {
		ts.h.mu.Lock()
		defer ts.h.mu.Unlock()
		return ts.h.closed == 1
	})

	// SCRAM over TLS, and a wrong password.
	cert, key := writeCert(t)
	ts = startServer(t, Config{Auth: "scram", UsersFile: writeUsers(t, "dana:pw"), TLSCertFile: cert, TLSKeyFile: key})
	host, port, _ = net.SplitHostPort(ts.addr)
	for _, c := range []struct{ pw, want string }{
		{"pw", "SSL connection"},
		{"bad", `password authentication failed for user "dana"`},
	} {
		cmd = osexec.CommandContext(ctx, path, "-X", "-h", host, "-p", port, "-U", "dana", "-d", "db", "-c", "\\conninfo")
		cmd.Env = []string{"PGSSLMODE=require", "PGPASSWORD=" + c.pw, "PGCONNECT_TIMEOUT=10", "LANG=C.UTF-8"}
		out, _ = cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) {
			t.Errorf("password %q: psql said %s", c.pw, out)
		}
	}
}
