package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cmdDurability compares Vanity's WAL and snapshots with Redis's AOF and
// RDB: write throughput under each fsync policy, restart time with the
// same data, and file sizes.
func cmdDurability(args []string) error {
	var o options
	fs := flag.NewFlagSet("durability", flag.ExitOnError)
	o.flags(fs)
	restartKeys := fs.Int("restart-keys", 1000000, "keys for the restart and size comparison")
	fs.Parse(args)
	for _, policy := range []string{"always", "everysec"} {
		for _, target := range []string{"vanity", "redis"} {
			proc, err := startPersistent(&o, target, policy)
			if err != nil {
				return err
			}
			p, _ := protoFor(target)
			w := &workload{name: "set", ops: []op{opSet}, keys: o.keys, valueLen: o.value}
			r, err := runClosed(proc.addr, p, w, o.conns, o.depth, o.warmup, o.duration)
			proc.stop()
			if err != nil {
				return err
			}
			fmt.Printf("SET c%d fsync=%-8s %-7s %8.0f ops/s  p50 %v  p99 %v\n", o.conns, policy, target,
				r.throughput(), r.lat.quantile(0.5), r.lat.quantile(0.99))
		}
	}
	return restartComparison(&o, *restartKeys)
}

// startPersistent starts a server that persists into a fresh directory.
func startPersistent(o *options, target, policy string) (*process, error) {
	dir, err := os.MkdirTemp("", "loadtest-durable")
	if err != nil {
		return nil, err
	}
	var p *process
	switch target {
	case "vanity":
		p, err = startVanityIn(o.vanityBin, dir, "--fsync="+policy)
	case "vanity-resp":
		p, err = startVanityIn(o.vanityBin, dir, "--fsync="+policy, "--resp-port=0")
	default:
		p, err = startRedisIn(o.redisBin, dir, "--appendonly", "yes", "--appendfsync", policy)
	}
	if p != nil {
		p.dir = dir
	}
	return p, err
}

// startVanityIn starts vanity persisting in dir (no logging).
func startVanityIn(bin, dir string, extra ...string) (*process, error) {
	args := append([]string{"--port=0", "--no-logging", "--data-dir=" + dir, "--no-users-persist"}, extra...)
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd}
	if p.addr, err = listenAddr(bufio.NewReader(out), extra); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startRedisIn starts redis-server with its files in dir.
func startRedisIn(bin, dir string, extra ...string) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"), "--save", ""}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if err := waitRedisReady(p.addr, 60*time.Second, cmd.Process.Pid); err != nil {
		p.stop()
		if log, _ := os.ReadFile(filepath.Join(dir, "redis.log")); len(log) > 0 {
			err = fmt.Errorf("%w; its log ends: %s", err, lastLines(log, 3))
		}
		return nil, err
	}
	return p, nil
}

// exited reports whether child process pid has exited (a zombie not yet
// waited for, or gone).
func exited(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z'
}

// lastLines returns the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// waitRedisReady polls until PING answers PONG (not LOADING), unless the
// server, process pid (0: not known), has exited.
func waitRedisReady(addr string, limit time.Duration, pid int) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if pid != 0 && exited(pid) {
			return fmt.Errorf("redis at %s exited at start", addr)
		}
		if wc, err := dial(addr); err == nil {
			wc.w.Write(appendCmd(nil, []byte("PING")))
			wc.w.Flush()
			line, err := readLine(wc.r)
			wc.nc.Close()
			if err == nil && string(line) == "+PONG" {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond) // polling until loading ends
	}
	return fmt.Errorf("redis at %s not ready after %v", addr, limit)
}

func redisCommand(addr string, args ...string) (string, error) {
	wc, line, err := redisRequest(addr, args...)
	if wc != nil {
		wc.nc.Close()
	}
	return string(line), err
}

// redisRequest sends one command on a new connection and returns the
// connection (to read the rest of the reply, then close) and the reply's
// first line.
func redisRequest(addr string, args ...string) (*wire, []byte, error) {
	wc, err := dial(addr)
	if err != nil {
		return nil, nil, err
	}
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	wc.w.Write(appendCmd(nil, bs...))
	if err := wc.w.Flush(); err != nil {
		return wc, nil, err
	}
	line, err := readLine(wc.r)
	return wc, line, err
}

func dirSize(dir string) int64 {
	var total int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}

// restartComparison fills keys, persists, kills the server with SIGKILL
// and times the restart until it serves, for Vanity (snapshot; WAL only)
// and Redis (RDB; AOF).
func restartComparison(o *options, keys int) error {
	type variant struct {
		name, target string
		extra        []string
		persist      func(addr string) error
	}
	vanityPersist := func(addr string) error {
		wc, err := dial(addr)
		if err != nil {
			return err
		}
		defer wc.nc.Close()
		p := vanityProto{}
		p.login(wc)
		wc.w.Write(appendFrame(p, nil, func(b []byte) []byte { return append(b, "PERSIST"...) }))
		wc.w.Flush()
		_, err = p.readReply(wc.r)
		return err
	}
	variants := []variant{
		{"vanity snapshot", "vanity", []string{"--fsync=everysec"}, vanityPersist},
		{"vanity WAL + size-triggered snapshots", "vanity", []string{"--fsync=everysec", "--snapshot-interval=0"}, nil},
		{"redis RDB", "redis", nil, func(addr string) error { _, err := redisCommand(addr, "SAVE"); return err }},
		{"redis AOF", "redis", []string{"--appendonly", "yes", "--appendfsync", "everysec"}, func(addr string) error {
			// Let the everysec fsync catch up, as the WAL variant does at exit.
			time.Sleep(1500 * time.Millisecond)
			return nil
		}},
	}
	for _, v := range variants {
		dir, err := os.MkdirTemp("", "loadtest-restart")
		if err != nil {
			return err
		}
		start := func() (*process, time.Duration, error) {
			t0 := time.Now()
			var p *process
			var err error
			if v.target == "vanity" {
				p, err = startVanityIn(o.vanityBin, dir, v.extra...)
			} else {
				p, err = startRedisIn(o.redisBin, dir, v.extra...)
			}
			return p, time.Since(t0), err
		}
		p, _, err := start()
		if err != nil {
			return err
		}
		proto, _ := protoFor(v.target)
		if err := fill(p.addr, proto, keys, o.value); err != nil {
			p.stop()
			return err
		}
		if v.persist != nil {
			if err := v.persist(p.addr); err != nil {
				p.stop()
				return err
			}
		} else {
			time.Sleep(1500 * time.Millisecond) // the everysec policy's window
		}
		p.cmd.Process.Kill()
		p.cmd.Wait()
		size := dirSize(dir)
		p, took, err := start()
		if err != nil {
			return err
		}
		p.dir = dir
		fmt.Printf("restart %-38s %d keys: ready in %v; files %.1f MiB\n", v.name, keys, took.Round(time.Millisecond), float64(size)/(1<<20))
		p.stop()
	}
	return nil
}
