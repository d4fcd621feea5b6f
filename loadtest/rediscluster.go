package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// redisCluster is a Redis Cluster this tool started: masters and replicas
// of redis-server on free loopback ports, joined by redis-cli --cluster
// create. Redis replicates asynchronously: a write is acknowledged by its
// master alone.
type redisCluster struct {
	procs   []*process
	masters []string
	slots   [16384]int // slot -> index into masters
}

func startRedisCluster(bin string, masters, replicasPer int) (*redisCluster, error) {
	rc := &redisCluster{}
	var addrs []string
	for i := 0; i < masters*(1+replicasPer); i++ {
		dir, err := os.MkdirTemp("", "loadtest-rcluster")
		if err != nil {
			rc.stop()
			return nil, err
		}
		// The cluster bus listens on its own free port: by default it is
		// the client port + 10000, which can fall in the kernel's
		// ephemeral range and be held by some outgoing connection (the
		// server then exits at start).
		bus, err := freePort()
		if err != nil {
			rc.stop()
			return nil, err
		}
		p, err := startRedisIn(bin, dir, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-port", strconv.Itoa(bus), "--appendonly", "no")
		if err != nil {
			rc.stop()
			return nil, err
		}
		p.dir = dir
		rc.procs = append(rc.procs, p)
		addrs = append(addrs, p.addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicasPer), "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		rc.stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		var info string
		var err error
		for _, a := range addrs { // every node agrees, so none answers MOVED for a slot we route to it
			info, err = redisBulk(a, "CLUSTER", "INFO")
			ok = ok && err == nil && strings.Contains(info, "cluster_state:ok")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			rc.stop()
			return nil, fmt.Errorf("redis cluster not ok: %q %v", info, err)
		}
		time.Sleep(100 * time.Millisecond) // polling until the cluster forms
	}
	if err := rc.loadSlots(addrs[0]); err != nil {
		rc.stop()
		return nil, err
	}
	return rc, nil
}

func (rc *redisCluster) stop() {
	for _, p := range rc.procs {
		p.stop()
	}
}

// loadSlots reads which master serves each slot (CLUSTER SHARDS is newer
// than Debian's redis; each node's CLUSTER NODES line lists its slots).
func (rc *redisCluster) loadSlots(addr string) error {
	out, err := redisBulk(addr, "CLUSTER", "NODES")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 9 || !strings.Contains(f[2], "master") {
			continue
		}
		hostport := f[1]
		if i := strings.IndexByte(hostport, '@'); i >= 0 {
			hostport = hostport[:i]
		}
		idx := len(rc.masters)
		rc.masters = append(rc.masters, hostport)
		for _, r := range f[8:] {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				continue
			}
			for s := a; s <= b && s < len(rc.slots); s++ {
				rc.slots[s] = idx
			}
		}
	}
	if len(rc.masters) == 0 {
		return errors.New("redis cluster: no masters in CLUSTER NODES")
	}
	return nil
}

// crc16 is CRC-16/XMODEM, Redis Cluster's key hash.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// slotOf is a key's hash slot (hash tags are not used by the workload).
func slotOf(key []byte) int { return int(crc16(key) % 16384) }

// runRedisCluster drives GET or SET against the cluster, closed loop, one
// request in flight per client; each client keeps a connection to every
// master and sends each request to its key's master.
func runRedisCluster(rc *redisCluster, w *workload, conns int, warmup, d time.Duration) (*result, error) {
	var mu sync.Mutex
	total := &result{}
	value := make([]byte, w.valueLen)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	from := time.Now().Add(warmup)
	to := from.Add(d)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wires := make([]*wire, len(rc.masters))
		for i, a := range rc.masters {
			wc, err := dial(a)
			if err != nil {
				return nil, err
			}
			wires[i] = wc
		}
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			defer func() {
				for _, wc := range wires {
					wc.nc.Close()
				}
			}()
			local := &result{}
			g := newKeyGen(w, uint64(c+1))
			var buf []byte
			for seq := 0; ; seq++ {
				now := time.Now()
				if now.After(to) {
					break
				}
				key := g.next()
				wc := wires[rc.slots[slotOf(key)]]
				buf = redisProto{}.appendOp(buf[:0], w.pick(g, seq), key, value)
				wc.w.Write(buf)
				if err := wc.w.Flush(); err != nil {
					errs <- err
					return
				}
				bad, err := redisProto{}.readReply(wc.r)
				if err != nil {
					errs <- err
					return
				}
				if bad {
					local.errors++
				}
				if done := time.Now(); done.After(from) && done.Before(to) {
					local.lat.record(done.Sub(now))
					local.requests++
					local.ops++
				}
			}
			mu.Lock()
			total.add(local)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	total.elapsed = d
	return total, nil
}

// fillRedisCluster writes keys 0..n-1 through their masters, pipelined.
func fillRedisCluster(rc *redisCluster, n, valueLen int) error {
	wires := make([]*wire, len(rc.masters))
	for i, a := range rc.masters {
		wc, err := dial(a)
		if err != nil {
			return err
		}
		defer wc.nc.Close()
		wires[i] = wc
	}
	value := make([]byte, valueLen)
	pending := make([]int, len(wires))
	var key []byte
	flush := func() error {
		for i, wc := range wires {
			if err := wc.w.Flush(); err != nil {
				return err
			}
			for ; pending[i] > 0; pending[i]-- {
				if bad, err := (redisProto{}).readReply(wc.r); err != nil || bad {
					return fmt.Errorf("fill: %v (error reply %v)", err, bad)
				}
			}
		}
		return nil
	}
	for i := 0; i < n; i++ {
		key = keyName(key[:0], i)
		m := rc.slots[slotOf(key)]
		wires[m].w.Write(redisProto{}.appendOp(nil, opSet, key, value))
		pending[m]++
		if i%256 == 255 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// redisBulk sends a command whose reply is a bulk string and returns it.
func redisBulk(addr string, args ...string) (string, error) {
	wc, line, err := redisRequest(addr, args...)
	if wc != nil {
		defer wc.nc.Close()
	}
	if err != nil {
		return "", err
	}
	if len(line) == 0 || line[0] != '$' {
		return "", fmt.Errorf("redis: %s", line)
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil || n < 0 {
		return "", fmt.Errorf("redis: %s", line)
	}
	body := make([]byte, n+2)
	if _, err := ioReadFull(wc, body); err != nil {
		return "", err
	}
	return string(body[:n]), nil
}
