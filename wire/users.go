package wire

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
)

// scramIterations is the PBKDF2 iteration count given to plain passwords
// of the users file (PostgreSQL's scram_iterations default).
const scramIterations = 4096

// userDB is a loaded users file. It is immutable; ReloadUsers swaps it.
type userDB struct {
	users map[string]*userCred
}

// userCred is what the server knows of one user's secret.
type userCred struct {
	plain string                  // the password when the file holds it in clear, else ""
	scram scram.StoredCredentials // SCRAM-SHA-256 credentials, always set
}

// loadUsers parses a users file (see Config.UsersFile).
func loadUsers(path string) (*userDB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wire: read users file: %w", err)
	}
	db := &userDB{users: map[string]*userCred{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, secret, ok := strings.Cut(line, ":")
		if !ok || user == "" || secret == "" {
			return nil, fmt.Errorf("wire: users file %s line %d: want user:password or user:SCRAM-SHA-256$…", path, n)
		}
		cred := &userCred{}
		if strings.HasPrefix(secret, "SCRAM-SHA-256$") {
			cred.scram, err = parseVerifier(secret)
			if err != nil {
				return nil, fmt.Errorf("wire: users file %s line %d: %w", path, n, err)
			}
		} else {
			cred.plain = secret
			salt := make([]byte, 16)
			if _, err := rand.Read(salt); err != nil {
				return nil, err
			}
			cred.scram, err = deriveSCRAM(secret, scram.KeyFactors{Salt: string(salt), Iters: scramIterations})
			if err != nil {
				return nil, fmt.Errorf("wire: users file %s line %d: %w", path, n, err)
			}
		}
		db.users[user] = cred
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("wire: read users file: %w", err)
	}
	return db, nil
}

// parseVerifier parses PostgreSQL's SCRAM-SHA-256 verifier
// (https://www.postgresql.org/docs/current/catalog-pg-authid.html):
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64 parts.
func parseVerifier(s string) (scram.StoredCredentials, error) {
	var out scram.StoredCredentials
	bad := fmt.Errorf("malformed SCRAM-SHA-256 verifier")
	parts := strings.Split(strings.TrimPrefix(s, "SCRAM-SHA-256$"), "$")
	if len(parts) != 2 {
		return out, bad
	}
	iterStr, saltStr, ok := strings.Cut(parts[0], ":")
	if !ok {
		return out, bad
	}
	storedStr, serverStr, ok := strings.Cut(parts[1], ":")
	if !ok {
		return out, bad
	}
	iters, err := strconv.Atoi(iterStr)
	if err != nil || iters <= 0 {
		return out, bad
	}
	salt, err1 := base64.StdEncoding.DecodeString(saltStr)
	stored, err2 := base64.StdEncoding.DecodeString(storedStr)
	server, err3 := base64.StdEncoding.DecodeString(serverStr)
	if err1 != nil || err2 != nil || err3 != nil || len(salt) == 0 || len(stored) != 32 || len(server) != 32 {
		return out, bad
	}
	out.Salt = string(salt)
	out.Iters = iters
	out.StoredKey = stored
	out.ServerKey = server
	return out, nil
}

// deriveSCRAM computes the SCRAM-SHA-256 credentials of password. Like
// PostgreSQL it applies SASLprep and falls back to the raw password when
// SASLprep rejects it.
func deriveSCRAM(password string, kf scram.KeyFactors) (scram.StoredCredentials, error) {
	c, err := scram.SHA256.NewClient("", password, "")
	if err != nil {
		if c, err = scram.SHA256.NewClientUnprepped("", password, ""); err != nil {
			return scram.StoredCredentials{}, err
		}
	}
	return c.GetStoredCredentialsWithError(kf)
}

// checkPassword verifies a cleartext password against the stored secret,
// in constant time with respect to the secret.
func (u *userCred) checkPassword(pw string) bool {
	if pw == "" {
		return false
	}
	if u.plain != "" {
		return subtle.ConstantTimeCompare([]byte(pw), []byte(u.plain)) == 1
	}
	got, err := deriveSCRAM(pw, u.scram.KeyFactors)
	if err != nil {
		return false
	}
	return hmac.Equal(got.StoredKey, u.scram.StoredKey)
}

// mockSCRAM returns credentials no password matches, so that an unknown
// user goes through the whole exchange and fails like a wrong password
// (PostgreSQL's mock authentication: the reply does not reveal which users
// exist).
func mockSCRAM() scram.StoredCredentials {
	b := make([]byte, 80)
	_, _ = rand.Read(b)
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(b[:16]), Iters: scramIterations},
		StoredKey:  b[16:48],
		ServerKey:  b[48:80],
	}
}
