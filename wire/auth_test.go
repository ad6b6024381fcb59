package wire

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xdg-go/scram"
)

// writeCert writes a self-signed certificate for 127.0.0.1 and returns
// the file paths.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lambdasql test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLS(t *testing.T) {
	cert, key := writeCert(t)
	ts := startServer(t, Config{TLSCertFile: cert, TLSKeyFile: key})
	for _, mode := range []string{"require", "prefer"} {
		conn := ts.pgx(t, "sslmode="+mode)
		if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
			t.Errorf("sslmode=%s: connection is not TLS", mode)
		}
		mustSelect1(t, conn)
	}
	// TLS is offered, not required.
	conn := ts.pgx(t, "sslmode=disable")
	if _, ok := conn.PgConn().Conn().(*tls.Conn); ok {
		t.Error("sslmode=disable got TLS")
	}
	mustSelect1(t, conn)
	// lib/pq too.
	db, err := sql.Open("postgres", fmt.Sprintf("postgres://tester@%s/testdb?sslmode=require", ts.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(testCtx(t), "SELECT 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("lib/pq over TLS: %v", err)
	}
	// Plaintext sent along with the SSLRequest is refused (CVE-2021-23222).
	nc := ts.dial(t)
	nc.Write(append([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}, startupPacket(map[string]string{"user": "tester"})...))
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(nc)
	if !bytes.Contains(b, []byte("received unencrypted data after SSL request")) {
		t.Errorf("buffer stuffing: %q", b)
	}
}

func TestNoTLS(t *testing.T) {
	ts := startServer(t, Config{})
	_, err := pgx.Connect(testCtx(t), ts.dsn("sslmode=require"))
	if err == nil || !strings.Contains(err.Error(), "refused TLS") {
		t.Fatalf("sslmode=require without TLS: %v", err)
	}
	conn := ts.pgx(t, "sslmode=prefer")
	if _, ok := conn.PgConn().Conn().(*tls.Conn); ok {
		t.Error("got TLS from a server without it")
	}
	mustSelect1(t, conn)
}

// scramVerifier builds a verifier as PostgreSQL stores it.
func scramVerifier(t *testing.T, password string) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	c, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := c.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: 4096})
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$4096:%s$%s:%s", enc(salt), enc(cred.StoredKey), enc(cred.ServerKey))
}

func writeUsers(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPasswordAuth(t *testing.T) {
	cert, key := writeCert(t)
	users := writeUsers(t, "# users", "", "alice:s3cret:with:colons", "bob:"+scramVerifier(t, "bobpw"))
	for _, method := range []string{"scram", "password"} {
		t.Run(method, func(t *testing.T) {
			ts := startServer(t, Config{Auth: method, UsersFile: users, TLSCertFile: cert, TLSKeyFile: key})
			url := func(user, pw, ssl string) string {
				return fmt.Sprintf("postgres://%s:%s@%s/db?sslmode=%s", user, pw, ts.addr, ssl)
			}
			for _, ssl := range []string{"disable", "require"} {
				for _, up := range [][2]string{{"alice", "s3cret:with:colons"}, {"bob", "bobpw"}} {
					conn, err := pgx.Connect(testCtx(t), url(up[0], up[1], ssl))
					if err != nil {
						t.Fatalf("%s over %s: %v", up[0], ssl, err)
					}
					mustSelect1(t, conn)
					conn.Close(testCtx(t))
				}
			}
			for _, up := range [][2]string{{"alice", "wrong"}, {"bob", "s3cret:with:colons"}, {"nobody", "x"}} {
				_, err := pgx.Connect(testCtx(t), url(up[0], up[1], "disable"))
				wantCode(t, err, "28P01")
				if !strings.Contains(err.Error(), fmt.Sprintf(`password authentication failed for user "%s"`, up[0])) {
					t.Errorf("message: %v", err)
				}
			}
			if s := ts.srv.Stats(); s.AuthFailures != 3 || s.ConnectionsRejected != 3 {
				t.Errorf("stats %+v", s)
			}
			// lib/pq speaks both methods too.
			db, err := sql.Open("postgres", url("bob", "bobpw", "disable"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.PingContext(testCtx(t)); err != nil {
				t.Fatalf("lib/pq: %v", err)
			}
			// Remote clients are welcome with a password.
			rts := startServerOn(t, Config{Auth: method, UsersFile: users}, remoteListener(t))
			conn, err := pgx.Connect(testCtx(t), fmt.Sprintf("postgres://alice:s3cret:with:colons@%s/db?sslmode=disable", rts.addr))
			if err != nil {
				t.Fatalf("remote with password: %v", err)
			}
			conn.Close(testCtx(t))
		})
	}
}

func TestReloadUsers(t *testing.T) {
	users := writeUsers(t, "carol:old")
	ts := startServer(t, Config{Auth: "scram", UsersFile: users})
	dsn := func(pw string) string { return fmt.Sprintf("postgres://carol:%s@%s/db?sslmode=disable", pw, ts.addr) }
	conn, err := pgx.Connect(testCtx(t), dsn("old"))
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(testCtx(t))
	if err := os.WriteFile(users, []byte("carol:new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.ReloadUsers(); err != nil {
		t.Fatal(err)
	}
	_, err = pgx.Connect(testCtx(t), dsn("old"))
	wantCode(t, err, "28P01")
	if conn, err = pgx.Connect(testCtx(t), dsn("new")); err != nil {
		t.Fatal(err)
	}
	conn.Close(testCtx(t))
	if err := os.WriteFile(users, []byte("no colon here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.ReloadUsers(); err == nil {
		t.Fatal("a malformed users file loaded")
	}
	for _, bad := range []string{"x:SCRAM-SHA-256$abc", "x:SCRAM-SHA-256$4096:c2FsdA==$AAAA:BBBB", ":pw"} {
		if _, err := loadUsers(writeUsers(t, bad)); err == nil {
			t.Errorf("loaded %q", bad)
		}
	}
}

// remoteListener is a loopback listener whose connections report a
// non-local remote address (a documentation address: nothing is sent
// there), to exercise the trust check end to end.
func remoteListener(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return fakeRemoteListener{ln}
}

type fakeRemoteListener struct{ net.Listener }

func (l fakeRemoteListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return fakeRemoteConn{c}, nil
}

type fakeRemoteConn struct{ net.Conn }

func (fakeRemoteConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP("203.0.113.7"), Port: 40000}
}

func TestTrustOnlyLocal(t *testing.T) {
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	for _, c := range []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1")}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.8.9.10")}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1")}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1")}, true},
		{&net.UnixAddr{Name: "/tmp/.s.PGSQL.5433", Net: "unix"}, true},
		{p1.RemoteAddr(), true},
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3")}, false},
		{&net.TCPAddr{IP: net.ParseIP("192.168.0.10")}, false},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}, false},
		{&net.TCPAddr{IP: net.IPv4zero}, false},
		{nil, false},
	} {
		if got := isLocalAddr(c.addr); got != c.want {
			t.Errorf("isLocalAddr(%v) = %v", c.addr, got)
		}
	}
	ts := startServerOn(t, Config{}, remoteListener(t))
	_, err := pgx.Connect(testCtx(t), ts.dsn())
	wantCode(t, err, "28000")
	if !strings.Contains(err.Error(), "203.0.113.7") {
		t.Errorf("message: %v", err)
	}
	if s := ts.srv.Stats(); s.AuthFailures != 1 {
		t.Errorf("stats %+v", s)
	}
}
