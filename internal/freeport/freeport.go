// Package freeport picks loopback ports for tests and the load generator.
//
// A port the kernel hands out for "127.0.0.1:0" comes from its ephemeral
// range, the range it also draws every outgoing connection's local port
// from. A test that gives a port up for a moment — a node killed and
// started again on its address, a child process told which port to bind —
// can find it taken by another process's connection meanwhile ("bind:
// address already in use"). Ports picked here lie below that range, where
// the kernel never assigns one on its own; only another picker (or a
// service listening there) can hold one, and the pick checks for that.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// lowest is the first port picked: clear of the well-known and most
// registered service ports.
const lowest = 10000

// ErrNone is returned when no free port was found in the tries allowed.
var ErrNone = errors.New("freeport: no free loopback port found below the ephemeral range")

var (
	mu    sync.Mutex
	given = map[int]bool{} // ports this process has handed out
)

// Addr returns "127.0.0.1:port" for a port free for both TCP and UDP
// (gossip binds both) and not handed out before by this process.
func Addr() (string, error) {
	p, err := Port()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(p), nil
}

// Port is Addr's port alone.
func Port() (int, error) {
	hi := ephemeralStart()
	mu.Lock()
	defer mu.Unlock()
	for range 200 {
		p := lowest + rand.IntN(hi-lowest)
		if given[p] || !free(p) {
			continue
		}
		given[p] = true
		return p, nil
	}
	return 0, ErrNone
}

// free reports whether p can be bound on loopback for TCP and UDP now.
func free(p int) bool {
	addr := fmt.Sprintf("127.0.0.1:%d", p)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	u.Close()
	return true
}

// ephemeralStart is the first port of the kernel's ephemeral range
// (Linux's default when it cannot be read).
func ephemeralStart() int {
	const linuxDefault = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return linuxDefault
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= lowest+1000 {
		return linuxDefault
	}
	return n
}
