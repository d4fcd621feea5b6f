package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// netnsUsable reports whether the test may create network namespaces
// (root and iproute2).
func netnsUsable() bool {
	if os.Geteuid() != 0 {
		return false
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return false
	}
	return exec.Command("ip", "netns", "list").Run() == nil
}

// ipCmd runs ip with args and fails the test on an error.
func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// freeSubnet returns an octet o such that no address of 10.o.0.0/16 is on
// this machine.
func freeSubnet(t *testing.T) int {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for o := 200; o < 250; o++ {
		used := false
		for _, a := range addrs {
			used = used || strings.HasPrefix(a.String(), fmt.Sprintf("10.%d.", o))
		}
		if !used {
			return o
		}
	}
	t.Skip("no free 10.x subnet for the namespaces")
	return 0
}

// TestMultiMachineExample runs docs/cluster.md's multi-machine example with
// each node in a network namespace of its own (its own address, as a
// machine has) and the router on the host: the same node command on every
// "machine" (a --join list naming all of them, a secret file), started in
// any order, then a write and a read through the router. It removes every
// namespace and link it made.
func TestMultiMachineExample(t *testing.T) {
	if testing.Short() || !netnsUsable() {
		t.Skip("needs root and iproute2 to create network namespaces")
	}
	dir := t.TempDir()
	buildBinaries(t, dir)
	var tagBytes [2]byte
	rand.Read(tagBytes[:])
	tag, o := hex.EncodeToString(tagBytes[:]), freeSubnet(t)
	br := "vm" + tag + "br"
	ipCmd(t, "link", "add", br, "type", "bridge")
	t.Cleanup(func() { exec.Command("ip", "link", "del", br).Run() })
	ipCmd(t, "addr", "add", fmt.Sprintf("10.%d.0.1/24", o), "dev", br)
	ipCmd(t, "link", "set", br, "up")
	nodeIP := func(i int) string { return fmt.Sprintf("10.%d.0.%d", o, 10+i) }
	var ns [3]string
	for i := range ns {
		ns[i] = fmt.Sprintf("vm%sn%d", tag, i)
		host, peer := fmt.Sprintf("vm%sh%d", tag, i), fmt.Sprintf("vm%sp%d", tag, i)
		ipCmd(t, "netns", "add", ns[i])
		name := ns[i]
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		ipCmd(t, "link", "add", host, "type", "veth", "peer", "name", peer)
		t.Cleanup(func() { exec.Command("ip", "link", "del", host).Run() })
		ipCmd(t, "link", "set", peer, "netns", ns[i])
		ipCmd(t, "link", "set", host, "master", br, "up")
		ipCmd(t, "-n", ns[i], "addr", "add", nodeIP(i)+"/24", "dev", peer)
		ipCmd(t, "-n", ns[i], "link", "set", "lo", "up")
		ipCmd(t, "-n", ns[i], "link", "set", peer, "up")
	}

	// The docs' commands: a secret file on every machine, then the same
	// node command on each (only the names and addresses differ).
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("multi-machine-test-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	var gossip []string
	for i := range ns {
		gossip = append(gossip, nodeIP(i)+":7946")
	}
	for _, i := range []int{2, 0, 1} {
		start(t, "ip", filepath.Join(dir, fmt.Sprintf("node%d.log", i)), "netns", "exec", ns[i],
			filepath.Join(dir, "vanity-node"), "--name", fmt.Sprintf("n%d", i+1),
			"--data-dir", filepath.Join(dir, fmt.Sprintf("data%d", i)), "--rpc", nodeIP(i)+":9956",
			"--gossip", gossip[i], "--join", strings.Join(gossip, ","), "--secret-file", secret,
			"--partitions", "64", "--fast-gossip")
	}
	routerLog := filepath.Join(dir, "router.log")
	start(t, filepath.Join(dir, "vanity-router"), routerLog, "--host", "127.0.0.1", "--port", "0",
		"--gossip", fmt.Sprintf("10.%d.0.1:7947", o), "--rpc", fmt.Sprintf("10.%d.0.1:0", o),
		"--join", gossip[0], "--min-nodes", "3", "--secret-file", secret, "--fast-gossip") // the nodes' 64 partitions, learned
	setAndGet(t, waitListening(t, routerLog, 120*time.Second), "across", "machines")
}
