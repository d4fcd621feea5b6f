// Package secret resolves the cluster secret of vanity-node and
// vanity-router from their flags, and keeps a cluster's internal ports
// closed to strangers by default: without a secret a binary refuses to
// start unless told it is insecure, and then only on loopback addresses.
// It also keeps the debug endpoints on loopback unless told otherwise.
package secret

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
)

// ErrNoSecret is returned when a cluster binary has no secret and was not
// told to run without one.
var ErrNoSecret = errors.New("no cluster secret")

// ErrNotLoopback is returned for an address that must be on loopback.
var ErrNotLoopback = errors.New("not a loopback address")

// ErrReadableFile is returned for a secret file that others may read.
var ErrReadableFile = errors.New("secret file readable by others")

// Resolve returns the cluster secret: value if set, else the contents of
// file (which others must not be able to read), else, with insecure, none
// at all, provided every one of addrs is on loopback.
func Resolve(value, file string, insecure bool, addrs ...string) ([]byte, error) {
	switch {
	case value != "" && file != "":
		return nil, errors.New("give the cluster secret once: --secret or --secret-file, not both")
	case value != "":
		return []byte(value), nil
	case file != "":
		return readFile(file)
	case !insecure:
		return nil, fmt.Errorf("%w: set --secret-file (a file only its owner can read), --secret or "+
			"VANITY_CLUSTER_SECRET, the same on every node and router; or --insecure to run without one "+
			"on loopback addresses only (internal RPC and gossip would then accept anyone who reaches them)", ErrNoSecret)
	}
	for _, a := range addrs {
		if err := Loopback(a); err != nil {
			return nil, fmt.Errorf("--insecure runs on loopback only: %w", err)
		}
	}
	return nil, nil
}

// readFile reads a secret file, refusing one that its group or others
// may read or write.
func readFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; make it readable by its owner only (chmod 600 %s)",
			ErrReadableFile, path, perm, path)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("secret file %s: %w", path, fs.ErrInvalid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, fmt.Errorf("%w: %s is empty", ErrNoSecret, path)
	}
	return []byte(s), nil
}

// Loopback checks that addr (host:port) is on a loopback interface: an
// IP address in 127.0.0.0/8 or ::1, or "localhost". An empty host (every
// interface) is not.
func Loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotLoopback, addr)
}

// DebugAddr checks a debug HTTP address: on loopback, unless public says
// the operator wants it reachable from elsewhere (the endpoints answer
// anyone who reaches them: profiles, digests, statistics).
func DebugAddr(addr string, public bool) error {
	if addr == "" || public {
		return nil
	}
	if err := Loopback(addr); err != nil {
		return fmt.Errorf("debug address: %w (the debug endpoints answer anyone who reaches them: reach them through a tunnel, or allow it with the debug-public flag)", err)
	}
	return nil
}

// Flags are a cluster binary's flags for the secret: --secret (or
// VANITY_CLUSTER_SECRET), --secret-file and --insecure.
type Flags struct {
	value, file *string
	insecure    *bool
}

// AddFlags defines the secret's flags on fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	return &Flags{
		value: fs.String("secret", os.Getenv("VANITY_CLUSTER_SECRET"),
			"cluster secret (or VANITY_CLUSTER_SECRET; --secret-file keeps it off the command line)"),
		file: fs.String("secret-file", "", "file holding the cluster secret, readable by its owner only"),
		insecure: fs.Bool("insecure", false,
			"run without a cluster secret, on loopback addresses only: internal RPC and gossip accept anyone"),
	}
}

// Resolve is Resolve with the flags' values.
func (f *Flags) Resolve(addrs ...string) ([]byte, error) {
	return Resolve(*f.value, *f.file, *f.insecure, addrs...)
}
