package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanitydb/vanity/internal/freeport"
)

// process is a server this tool started; stop ends it by its PID.
type process struct {
	cmd  *exec.Cmd
	addr string
	dir  string
}

func (p *process) stop() {
	if p == nil || p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// rss returns the resident set size of the process in bytes.
func (p *process) rss() int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// startVanity starts the vanity binary on a free port, without
// persistence or logging, and waits until it serves.
func startVanity(bin string, extra ...string) (*process, error) {
	return startVanityWith(bin, nil, extra...)
}

// startVanityWith is startVanity with env (NAME=value) over this
// process's environment.
func startVanityWith(bin string, env []string, extra ...string) (*process, error) {
	dir, err := os.MkdirTemp("", "loadtest-vanity")
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port=0", "--no-db-persist", "--no-users-persist", "--no-logging", "--data-dir=" + dir}, extra...)
	cmd := exec.Command(bin, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, dir: dir}
	if p.addr, err = listenAddr(bufio.NewReader(out), extra); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// listenAddr reads the address vanity prints when it listens, or, when
// extra asks for a RESP listener, the RESP one (printed next): the port
// to measure.
func listenAddr(r *bufio.Reader, extra []string) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "vanity listening on ") {
		return "", fmt.Errorf("vanity did not start: %q %v", line, err)
	}
	addr := strings.TrimSpace(strings.TrimPrefix(line, "vanity listening on "))
	if slices.Contains(extra, "--resp-port=0") {
		line, err = r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "vanity RESP listening on ") {
			return "", fmt.Errorf("vanity did not start its RESP listener: %q %v", line, err)
		}
		addr = strings.TrimSpace(strings.TrimPrefix(line, "vanity RESP listening on "))
	}
	return addr, nil
}

// freePort picks a free loopback port (internal/freeport says where).
func freePort() (int, error) { return freeport.Port() }

// startRedis starts redis-server (Debian's package) on a free port with
// persistence off, unless extra arguments say otherwise.
func startRedis(bin string, extra ...string) (*process, error) {
	dir, err := os.MkdirTemp("", "loadtest-redis")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log")}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", p.addr)
		if err == nil {
			c.Close()
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("redis-server did not start on %s", p.addr)
		}
		time.Sleep(10 * time.Millisecond) // polling until the port accepts
	}
}

// redisInfo returns a field of INFO memory from a redis server.
func redisInfo(addr, field string) (int64, error) {
	body, err := redisBulk(addr, "INFO", "memory")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(body, "\r\n") {
		if strings.HasPrefix(l, field+":") {
			return strconv.ParseInt(strings.TrimPrefix(l, field+":"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in INFO", field)
}

func ioReadFull(wc *wire, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := wc.r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
