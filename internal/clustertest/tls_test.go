package clustertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/tlsconf"
	"github.com/vanitydb/vanity/node/rpc"
)

// TestInternalRPCOverTLS runs a replicated cluster whose nodes and routers
// talk mutual TLS, and checks that a peer without a certificate the
// cluster's CA signed cannot call a node, even with the secret.
func TestInternalRPCOverTLS(t *testing.T) {
	dir := t.TempDir()
	certs, err := tlsconf.WriteTestCerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := tlsconf.LoadRPC(certs.ServerCert, certs.ServerKey, certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	c := New(t, 3, 1, Options{Replicas: 3, RPCTLS: rt})
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	for i := 0; i < 50; i++ {
		expect(t, cl, fmt.Sprintf("SET:INT (2)k%d %d", i%10, i), "OK")
	}
	expect(t, cl, "GET (2)k9", "OK:INT 49", "DB_SIZE", "OK:INT 10")

	addr := c.Nodes[0].Service.RPCAddr()
	call := func(cl *rpc.Client, within time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		start := time.Now()
		_, err := cl.Call(ctx, rpc.KindPing, nil)
		t.Logf("%v after %v", err, time.Since(start))
		return err
	}
	plain := rpc.NewClient(addr, c.secret, 1)
	defer plain.Close()
	if err := call(plain, time.Second); err == nil { // both wait for the other to speak first: a timeout
		t.Error("a plain connection with the secret called a node that requires TLS")
	}
	stranger, err := tlsconf.Client(certs.CA, "", "", tlsconf.RPCServerName) // trusts the node, shows no certificate
	if err != nil {
		t.Fatal(err)
	}
	anon := rpc.NewClient(addr, c.secret, 1).UseTLS(stranger)
	defer anon.Close()
	if err := call(anon, 5*time.Second); err == nil {
		t.Error("a peer without a client certificate called a node")
	}
	member := rpc.NewClient(addr, c.secret, 1).UseTLS(rt.Client)
	defer member.Close()
	if err := call(member, 5*time.Second); err != nil {
		t.Errorf("a member's call: %v", err)
	}
}
