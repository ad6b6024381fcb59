package stream

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"lambdasql/sql/sqlstate"
)

func TestKafkaSASL(t *testing.T) {
	for _, tc := range []struct {
		mechanism string // ours
		kfake     string
		producer  sasl.Mechanism
	}{
		{"plain", "PLAIN", plain.Auth{User: "ingest", Pass: "s3cret"}.AsMechanism()},
		{"scram-sha-256", "SCRAM-SHA-256", scram.Auth{User: "ingest", Pass: "s3cret"}.AsSha256Mechanism()},
		{"scram-sha-512", "SCRAM-SHA-512", scram.Auth{User: "ingest", Pass: "s3cret"}.AsSha512Mechanism()},
	} {
		t.Run(tc.mechanism, func(t *testing.T) {
			c := newCluster(t, kfake.EnableSASL(), kfake.Superuser(tc.kfake, "ingest", "s3cret"))
			addrs := c.ListenAddrs()
			produce(t, addrs, 1, events(0, 5), kgo.SASL(tc.producer))

			cfg := telemetryConfig(addrs)
			cfg.SASL = KafkaSASL{Mechanism: tc.mechanism, Username: "ingest", Password: "s3cret"}
			l := openLog(t, cfg)
			es := readTo(t, l, 1, 0, 5, 100)
			if ids, _ := rowsOf(es); !slices.Equal(ids, userIDs(0, 5)) {
				t.Fatalf("rows = %v", ids)
			}
			releaseAll(es)

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cfg.SASL.Password = "wrong"
			// A Kafka broker answers a failed authentication with
			// SASL_AUTHENTICATION_FAILED (28000, see
			// TestKafkaConnectErrorCodes); kfake just hangs up (08006).
			_, err := NewKafkaLog(ctx, cfg)
			if code := sqlstate.CodeOf(err); code != sqlstate.InvalidAuthorizationSpecification && code != sqlstate.ConnectionFailure {
				t.Fatalf("wrong password: %v (%s)", err, code)
			}
		})
	}
}

func TestKafkaTLS(t *testing.T) {
	dir := t.TempDir()
	cert, caFile := selfSigned(t, dir)
	c := newCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	addrs := c.ListenAddrs()
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	produce(t, addrs, 2, events(0, 5), kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))

	cfg := telemetryConfig(addrs)
	cfg.TLS = KafkaTLS{Enabled: true, CAFile: caFile}
	l := openLog(t, cfg)
	es := readTo(t, l, 2, 0, 5, 100)
	if ids, _ := rowsOf(es); !slices.Equal(ids, userIDs(0, 5)) {
		t.Fatalf("rows = %v", ids)
	}
	releaseAll(es)

	// Without the CA the self-signed certificate is refused.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg.TLS = KafkaTLS{Enabled: true}
	if _, err := NewKafkaLog(ctx, cfg); sqlstate.CodeOf(err) != sqlstate.ConnectionFailure {
		t.Fatalf("untrusted certificate: %v", err)
	}
}

func TestKafkaConnectErrorCodes(t *testing.T) {
	k := &KafkaLog{cfg: KafkaConfig{Topic: "t"}, brokers: "b:9092"}
	for _, tc := range []struct {
		err  error
		code string
	}{
		{sarama.Wrap(sarama.ErrOutOfBrokers, sarama.ErrSASLAuthenticationFailed), sqlstate.InvalidAuthorizationSpecification},
		{sarama.ErrTopicAuthorizationFailed, sqlstate.InvalidAuthorizationSpecification},
		{sarama.ErrUnknownTopicOrPartition, sqlstate.UndefinedObject},
		{sarama.Wrap(sarama.ErrOutOfBrokers, io.EOF), sqlstate.ConnectionFailure},
	} {
		err := k.connectError(tc.err)
		if sqlstate.CodeOf(err) != tc.code || !strings.Contains(err.Error(), "b:9092") {
			t.Errorf("connectError(%v) = %v (%s), want %s", tc.err, err, sqlstate.CodeOf(err), tc.code)
		}
	}
}

// selfSigned makes a self-signed certificate for 127.0.0.1 and writes it,
// as the CA to trust, to dir.
func selfSigned(t *testing.T, dir string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kfake"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, caFile
}
