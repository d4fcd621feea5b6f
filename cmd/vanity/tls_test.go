package main

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/tlsconf"
)

// TestTLS: with --tls-cert the client port speaks TLS only: the Go client,
// its pool and the CLI get through with the CA; a plain client does not;
// with --tls-client-ca a client needs a certificate that CA signed.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certs, err := tlsconf.WriteTestCerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, dir, "--no-db-persist", "--no-users-persist", "--no-logging",
		"--tls-cert="+certs.ServerCert, "--tls-key="+certs.ServerKey, "--resp-port=0")
	respAddr := s.line("vanity RESP listening on ")
	cfg, err := tlsconf.Client(certs.CA, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	c := s.dialAs(client.Options{TLS: cfg})
	expect(t, c, "SET:STR (1)k (2)v1", "OK", "GET (1)k", "OK:STR (2)v1")

	// The RESP port speaks TLS too.
	rc := redis.NewClient(&redis.Options{Addr: respAddr, Password: "vanity", TLSConfig: cfg, DisableIdentity: true})
	defer rc.Close()
	if v, err := rc.Get(context.Background(), "k").Result(); err != nil || v != "v1" {
		t.Errorf("go-redis over TLS: %q, %v", v, err)
	}
	plain := redis.NewClient(&redis.Options{Addr: respAddr, Password: "vanity", DisableIdentity: true, MaxRetries: -1})
	defer plain.Close()
	if err := plain.Ping(context.Background()).Err(); err == nil {
		t.Error("a plain Redis client was served on a TLS RESP port")
	}

	db, err := client.Open(context.Background(), s.addr, client.Options{TLS: cfg, PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.GetString(context.Background(), "k"); err != nil || v != "v1" {
		t.Errorf("the pool over TLS: %q, %v", v, err)
	}

	host, port, _ := net.SplitHostPort(s.addr)
	out, err := exec.Command(vanityBin, "cli", "-h", host, "-p", port, "--tls-ca", certs.CA, "get", "k").CombinedOutput()
	if err != nil || string(out) != "\"v1\"\n" {
		t.Errorf("the CLI over TLS: %q, %v", out, err)
	}
	if _, err := client.Dial(s.addr, client.Options{Timeout: 2 * time.Second}); err == nil {
		t.Error("a plain client logged in to a TLS port")
	}
	untrusted := &tls.Config{MinVersion: tls.VersionTLS12} // the system's roots: not our test CA
	if _, err := client.Dial(s.addr, client.Options{TLS: untrusted}); err == nil {
		t.Error("a client that does not trust the server's CA connected")
	}

	mutual := start(t, dir, "--no-db-persist", "--no-users-persist", "--no-logging",
		"--tls-cert="+certs.ServerCert, "--tls-key="+certs.ServerKey, "--tls-client-ca="+certs.CA)
	if _, err := client.Dial(mutual.addr, client.Options{TLS: cfg, Timeout: 2 * time.Second}); err == nil {
		t.Error("a client without a certificate logged in to a server that requires one")
	}
	withCert, err := tlsconf.Client(certs.CA, certs.ClientCert, certs.ClientKey, "")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, mutual.dialAs(client.Options{TLS: withCert}), "PING", "PONG:STR (0)")
}

// TestTLSFlagsRefused: a certificate without its key stops the server
// with a message naming the flags.
func TestTLSFlagsRefused(t *testing.T) {
	cmd := exec.Command(vanityBin, "--port=0", "--no-db-persist", "--tls-cert=x.pem")
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--tls-cert and --tls-key") {
		t.Errorf("a certificate without a key: %q, %v", out, err)
	}
}
