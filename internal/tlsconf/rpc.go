package tlsconf

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
)

// RPCServerName is the name every certificate of the internal RPC carries
// (a DNS subject alternative name): one certificate can serve a whole
// cluster, whatever the nodes' addresses.
const RPCServerName = "vanity-rpc"

// RPC is the mutual TLS of the internal RPC (nodes and routers): each
// process presents its certificate and accepts only peers whose
// certificate the cluster's CA signed. The secret's HMAC handshake still
// runs inside.
type RPC struct {
	Server, Client *tls.Config
}

// RPCFlags are the flags that turn it on.
type RPCFlags struct{ cert, key, ca *string }

// AddRPCFlags defines --rpc-tls-cert, --rpc-tls-key and --rpc-tls-ca on fs.
func AddRPCFlags(fs *flag.FlagSet) *RPCFlags {
	return &RPCFlags{
		cert: fs.String("rpc-tls-cert", "", "encrypt the internal RPC with mutual TLS: this process's certificate (PEM, DNS name "+RPCServerName+")"),
		key:  fs.String("rpc-tls-key", "", "the key of --rpc-tls-cert (PEM)"),
		ca:   fs.String("rpc-tls-ca", "", "the CA that signed every node's and router's --rpc-tls-cert (PEM)"),
	}
}

// Load returns the configurations, or nil when no flag was given.
func (f *RPCFlags) Load() (*RPC, error) {
	if *f.cert == "" && *f.key == "" && *f.ca == "" {
		return nil, nil
	}
	if *f.cert == "" || *f.key == "" || *f.ca == "" {
		return nil, errors.New("tls: the internal RPC needs --rpc-tls-cert, --rpc-tls-key and --rpc-tls-ca together")
	}
	return LoadRPC(*f.cert, *f.key, *f.ca)
}

// LoadRPC builds RPC from PEM files.
func LoadRPC(certFile, keyFile, caFile string) (*RPC, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: loading the RPC certificate: %w", err)
	}
	pool, err := loadPool(caFile)
	if err != nil {
		return nil, err
	}
	return &RPC{
		Server: &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13},
		Client: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ServerName: RPCServerName,
			MinVersion: tls.VersionTLS13},
	}, nil
}

// ServerConfig is the listener's configuration; nil for a nil RPC.
func (r *RPC) ServerConfig() *tls.Config {
	if r == nil {
		return nil
	}
	return r.Server
}

// ClientConfig is the dialer's configuration; nil for a nil RPC.
func (r *RPC) ClientConfig() *tls.Config {
	if r == nil {
		return nil
	}
	return r.Client
}
