package wire

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/xdg-go/scram"

	"lambdasql/sql/sqlstate"
)

// Startup packet codes (https://www.postgresql.org/docs/current/protocol-message-formats.html).
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
	// maxStartupPacket is MAX_STARTUP_PACKET_LENGTH of PostgreSQL.
	maxStartupPacket = 10000
	scramMechanism   = "SCRAM-SHA-256"
)

// startup runs the exchange up to the first ReadyForQuery: SSL and GSS
// negotiation, the startup packet (or a cancel request), the connection
// limit, authentication and the session. It reports whether the
// connection continues.
func (c *conn) startup() bool {
	s := c.srv
	_ = c.nc.SetDeadline(time.Now().Add(s.cfg.AuthTimeout))
	params, ok := c.readStartup()
	if !ok {
		return false
	}
	reject := c.reject
	if s.closing.Load() {
		return reject(fatalError(codeCannotConnectNow, "the database system is shutting down"))
	}
	if s.stats.active.Load() > int64(s.cfg.MaxConnections) {
		return reject(fatalError(sqlstate.TooManyConnections, "sorry, too many clients already"))
	}
	user := params["user"]
	if user == "" {
		return reject(fatalError(sqlstate.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet"))
	}
	c.user = user
	db := params["database"]
	if db == "" {
		db = user
	}
	if !c.authenticate(user) {
		return false
	}
	c.send(&pgproto3.AuthenticationOk{})

	c.pid = s.nextPID.Add(1)
	var key [4]byte
	_, _ = rand.Read(key[:])
	c.secret = binary.BigEndian.Uint32(key[:])
	start := SessionStart{User: user, Database: db, Params: params, RemoteAddr: addrString(c.remote), BackendPID: c.pid}
	err := c.safely(func() error {
		var err error
		c.sess, err = s.h.NewSession(c.ctx, start)
		return err
	})
	if err == nil && c.sess == nil {
		err = errors.New("BUG: Handler.NewSession returned no Session and no error")
	}
	if err != nil {
		c.sess = nil
		e, _ := c.toSQLError(nil, err)
		e.Severity = "FATAL"
		return reject(e)
	}
	c.reportParams()
	c.send(&pgproto3.BackendKeyData{ProcessID: uint32(c.pid), SecretKey: c.secret})
	s.register(c)
	_ = c.nc.SetDeadline(time.Time{})
	c.readyForQuery()
	return !c.dead
}

// readStartup reads startup packets until a StartupMessage, answering
// SSLRequest and GSSENCRequest on the way and serving a CancelRequest. It
// returns the startup parameters.
func (c *conn) readStartup() (map[string]string, bool) {
	s := c.srv
	for range 4 { // SSL, GSS, then the startup message: a few rounds at most
		hdr, err := c.rd.Next(4)
		if err != nil {
			c.startupReadFailed(err)
			return nil, false
		}
		n := int(binary.BigEndian.Uint32(hdr)) - 4
		if n < 4 || n > maxStartupPacket-4 {
			c.reject(protocolError("invalid length of startup packet"))
			return nil, false
		}
		body, err := c.rd.Next(n)
		if err != nil {
			c.startupReadFailed(err)
			return nil, false
		}
		code := binary.BigEndian.Uint32(body)
		switch code {
		case sslRequestCode:
			if c.rconn != c.nc {
				c.reject(protocolError("SSL negotiation after TLS was established"))
				return nil, false
			}
			if s.tlsConf == nil {
				if !c.writeByte('N') {
					return nil, false
				}
				continue
			}
			if c.rd.buffered() > 0 {
				// Bytes sent before the handshake would be read as if they
				// came over TLS (CVE-2021-23222): refuse them.
				c.reject(protocolError("received unencrypted data after SSL request"))
				return nil, false
			}
			if !c.writeByte('S') {
				return nil, false
			}
			tc := tls.Server(c.nc, s.tlsConf)
			if err := tc.Handshake(); err != nil {
				s.log.Debug("wire: TLS handshake failed", "remote", addrString(c.remote), "err", err)
				return nil, false
			}
			c.rconn = tc
		case gssEncRequestCode:
			if !c.writeByte('N') {
				return nil, false
			}
		case cancelRequestCode:
			if n == 12 {
				s.cancel(int32(binary.BigEndian.Uint32(body[4:])), binary.BigEndian.Uint32(body[8:]))
			}
			return nil, false
		default:
			major, minor := code>>16, code&0xffff
			if major != 3 {
				c.reject(protocolError("unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", major, minor))
				return nil, false
			}
			params, unknown, ok := parseStartupParams(body[4:])
			if !ok {
				c.reject(protocolError("invalid startup packet layout: expected terminator as last byte"))
				return nil, false
			}
			if minor > 0 || len(unknown) > 0 {
				// A newer client (protocol 3.2) or protocol options we do
				// not know: tell it what we speak; it continues with 3.0.
				c.wbuf = appendNegotiateProtocolVersion(c.wbuf, 0, unknown)
			}
			return params, true
		}
	}
	c.reject(protocolError("too many startup packets"))
	return nil, false
}

// parseStartupParams reads the name/value pairs of a StartupMessage.
// Names starting with "_pq_." are protocol options; none is supported.
func parseStartupParams(b []byte) (params map[string]string, unknown []string, ok bool) {
	params = map[string]string{}
	for {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return nil, nil, false
		}
		if i == 0 {
			return params, unknown, len(b) == 1
		}
		name := string(b[:i])
		b = b[i+1:]
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			return nil, nil, false
		}
		if len(name) > 5 && name[:5] == "_pq_." {
			unknown = append(unknown, name)
		} else {
			params[name] = string(b[:j])
		}
		b = b[j+1:]
	}
}

// appendNegotiateProtocolVersion appends the NegotiateProtocolVersion
// message ('v'), which pgproto3/v2 lacks.
func appendNegotiateProtocolVersion(buf []byte, minor uint32, options []string) []byte {
	start := len(buf)
	buf = append(buf, 'v', 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint32(buf, minor)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(options)))
	for _, o := range options {
		buf = append(buf, o...)
		buf = append(buf, 0)
	}
	binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
	return buf
}

// writeByte answers SSLRequest/GSSENCRequest.
func (c *conn) writeByte(b byte) bool {
	c.wbuf = append(c.wbuf, b)
	return c.flush() == nil
}

func (c *conn) startupReadFailed(err error) {
	switch {
	case errors.Is(err, errShutdown):
		c.reject(fatalError(codeCannotConnectNow, "the database system is shutting down"))
	default:
		var tooLarge *errMessageTooLarge
		if errors.As(err, &tooLarge) {
			c.reject(protocolError("invalid length of startup packet"))
			return
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.srv.log.Info("wire: startup timed out", "remote", addrString(c.remote))
		}
	}
}

// authenticate runs the configured authentication for user. On failure it
// has sent the FATAL error.
func (c *conn) authenticate(user string) bool {
	s := c.srv
	switch s.cfg.Auth {
	case AuthTrust:
		if !isLocalAddr(c.remote) {
			s.stats.authFailures.Add(1)
			e := fatalError(sqlstate.InvalidAuthorizationSpecification,
				"trust authentication refused for user \"%s\" from non-local address %s", user, addrString(c.remote))
			e.Hint = "Trust authentication accepts only loopback connections; configure password or scram authentication with a users file for remote clients."
			return c.reject(e)
		}
		return true
	case AuthPassword:
		c.send(&pgproto3.AuthenticationCleartextPassword{})
		_ = c.be.SetAuthType(pgproto3.AuthTypeCleartextPassword)
		msg, ok := c.authMessage()
		if !ok {
			return false
		}
		pm, isPW := msg.(*pgproto3.PasswordMessage)
		if !isPW {
			c.reject(protocolError("expected password response, got message type %q", messageType(msg)))
			return false
		}
		cred := s.users.Load().users[user]
		if cred == nil || !cred.checkPassword(pm.Password) {
			return c.authFailed(user)
		}
	case AuthSCRAM:
		c.send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}})
		_ = c.be.SetAuthType(pgproto3.AuthTypeSASL)
		msg, ok := c.authMessage()
		if !ok {
			return false
		}
		init, isInit := msg.(*pgproto3.SASLInitialResponse)
		if !isInit {
			c.reject(protocolError("expected SASL response, got message type %q", messageType(msg)))
			return false
		}
		if init.AuthMechanism != scramMechanism {
			c.reject(protocolError("client selected an invalid SASL authentication mechanism"))
			return false
		}
		creds := mockSCRAM()
		if cred := s.users.Load().users[user]; cred != nil {
			creds = cred.scram
		}
		// PostgreSQL clients leave the SCRAM user name empty: the startup
		// packet's user is authoritative, so the lookup ignores it.
		srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
		if err != nil {
			return c.authFailed(user)
		}
		conv := srv.NewConversation()
		first, err := conv.Step(string(init.Data))
		if err != nil {
			return c.authFailed(user)
		}
		c.send(&pgproto3.AuthenticationSASLContinue{Data: []byte(first)})
		_ = c.be.SetAuthType(pgproto3.AuthTypeSASLContinue)
		msg, ok = c.authMessage()
		if !ok {
			return false
		}
		resp, isResp := msg.(*pgproto3.SASLResponse)
		if !isResp {
			c.reject(protocolError("expected SASL response, got message type %q", messageType(msg)))
			return false
		}
		final, err := conv.Step(string(resp.Data))
		if err != nil || !conv.Valid() {
			return c.authFailed(user)
		}
		c.send(&pgproto3.AuthenticationSASLFinal{Data: []byte(final)})
	}
	_ = c.be.SetAuthType(pgproto3.AuthTypeOk)
	return true
}

// authMessage reads a client message during authentication.
func (c *conn) authMessage() (pgproto3.FrontendMessage, bool) {
	msg, err := c.receive()
	if err != nil {
		c.srv.stats.rejected.Add(1)
		c.readFailed(err)
		return nil, false
	}
	return msg, true
}

func (c *conn) authFailed(user string) bool {
	c.srv.stats.authFailures.Add(1)
	return c.reject(fatalError(sqlstate.InvalidPassword, "password authentication failed for user \"%s\"", user))
}

// reject ends a connection that did not get a session, counting it.
func (c *conn) reject(e *sqlstate.Error) bool {
	c.srv.stats.rejected.Add(1)
	c.fatal(e)
	return false
}

// isLocalAddr reports whether trust authentication may accept addr:
// loopback TCP, Unix sockets and in-process pipes (net.Pipe).
func isLocalAddr(addr net.Addr) bool {
	switch a := addr.(type) {
	case nil:
		return false
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	if slices.Contains([]string{"unix", "unixpacket", "pipe"}, addr.Network()) {
		return true
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		host = addr.String()
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
