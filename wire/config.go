package wire

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Authentication methods accepted in Config.Auth.
const (
	AuthTrust    = "trust"    // no password; loopback and local connections only
	AuthPassword = "password" // cleartext password (use with TLS)
	AuthSCRAM    = "scram"    // SCRAM-SHA-256
)

// Defaults applied by NewServer to zero Config fields.
const (
	DefaultListen          = "127.0.0.1:5433"
	DefaultMaxMessageBytes = 64 << 20
	DefaultMaxConnections  = 100
	DefaultAuthTimeout     = time.Minute
	// minMaxMessageBytes keeps room for the largest startup packet
	// PostgreSQL accepts (10000 bytes).
	minMaxMessageBytes = 16 << 10
)

// Config configures a Server. The zero value (after defaults) listens on
// 127.0.0.1:5433 with trust authentication and no TLS.
type Config struct {
	// Listen is the TCP address ListenAndServe listens on.
	Listen string
	// TLSCertFile and TLSKeyFile are PEM files; TLS is offered (SSLRequest
	// answered 'S') when both are set. Clients may still connect without
	// TLS.
	TLSCertFile, TLSKeyFile string
	// Auth is "trust" (the default), "password" (cleartext password
	// message) or "scram" (SCRAM-SHA-256, also spelled "scram-sha-256").
	// Trust accepts only connections from loopback (or Unix-socket,
	// in-process) addresses; a remote client is refused with FATAL 28000.
	Auth string
	// UsersFile lists the users password and scram authentication accept,
	// one per line as "user:secret". secret is either the plain password or
	// a SCRAM verifier exactly as PostgreSQL stores it in pg_authid.rolpassword:
	//
	//	SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>
	//
	// Both kinds work with both methods: a cleartext password is checked
	// against a verifier, and a plain password gets a random salt when the
	// file is loaded. Blank lines and lines starting with '#' are ignored;
	// the user name ends at the first ':' (a password may contain ':').
	// Required for password and scram; see (*Server).ReloadUsers.
	UsersFile string
	// MaxMessageBytes bounds every message a client sends, its 5 header
	// bytes included (default 64 MiB, at least 16 KiB). A larger message
	// ends the connection with FATAL 54000 "message too large".
	MaxMessageBytes int
	// MaxConnections bounds open client connections (default 100). Past it
	// a new client gets FATAL 53300 "sorry, too many clients already"
	// before authentication. Cancel requests are always served.
	MaxConnections int
	// IdleTimeout closes a connection that waits longer than this for its
	// next command after ReadyForQuery, with FATAL 57P05 (25P03 inside a
	// transaction block). 0 disables it.
	IdleTimeout time.Duration
	// StatementTimeout is the default statement timeout; a session's own
	// statement_timeout applies when smaller (or when this is 0). 0: none.
	StatementTimeout time.Duration
	// AuthTimeout bounds the startup exchange (TLS handshake and
	// authentication included); default one minute.
	AuthTimeout time.Duration
	// Logger receives connection errors and internal errors; nil discards.
	Logger *slog.Logger
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	switch strings.ToLower(c.Auth) {
	case "", AuthTrust:
		c.Auth = AuthTrust
	case AuthPassword, "cleartext":
		c.Auth = AuthPassword
	case AuthSCRAM, "scram-sha-256":
		c.Auth = AuthSCRAM
	default:
		return c, fmt.Errorf("wire: unknown auth method %q (want trust, password or scram)", c.Auth)
	}
	if c.Auth != AuthTrust && c.UsersFile == "" {
		return c, fmt.Errorf("wire: auth method %s needs a users file", c.Auth)
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return c, fmt.Errorf("wire: TLS needs both a certificate and a key file")
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxMessageBytes < minMaxMessageBytes {
		c.MaxMessageBytes = minMaxMessageBytes
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = DefaultAuthTimeout
	}
	if c.IdleTimeout < 0 || c.StatementTimeout < 0 {
		return c, fmt.Errorf("wire: timeouts must not be negative")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// loadTLS reads the certificate pair, nil when TLS is not configured.
func (c Config) loadTLS() (*tls.Config, error) {
	if c.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("wire: load TLS key pair: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
