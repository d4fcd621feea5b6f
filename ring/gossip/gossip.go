// Package gossip keeps the cluster's membership with hashicorp/serf: every
// router and storage node runs one, tagged with its role and internal RPC
// address (a node also with the partitions it serves, parts.go, and the
// cluster's shape, shape.go: its partition and replica counts, which a
// router learns from the nodes; and whether it reads compact stamps,
// stamps.go); membership changes are coalesced and
// reported on a channel.
//
// Gossip is encrypted with a key derived from the cluster secret (serf's
// keyring takes a 32-byte AES key: SHA-256 of the secret), so only members
// that know the secret can join or read the traffic.
//
// A member that fails stays a member (State Failed) until it comes back,
// leaves gracefully, is removed by an administrator (Remove), or stays
// unreachable longer than ReapTimeout; only then does it leave the ring. A
// flapping node therefore never reshuffles data.
//
// Gossip is safe for concurrent use. Start launches serf's goroutines and
// one of its own that forwards events; Shutdown stops them all.
package gossip

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// Roles.
const (
	RoleNode   = "node"
	RoleRouter = "router"
	RoleAdmin  = "admin" // a short-lived member running an admin command
)

// State of a member.
type State int

const (
	Alive State = iota
	Failed
	Leaving
	Left
)

func (s State) String() string { return [...]string{"alive", "failed", "leaving", "left"}[s] }

// Member is one router or node.
type Member struct {
	Name  string
	Role  string
	RPC   string // internal RPC address
	Addr  string // gossip address
	State State
	Tags  map[string]string
}

// Config configures gossip.
type Config struct {
	Name      string
	Role      string
	BindAddr  string // host:port for gossip (UDP and TCP)
	Advertise string // host:port others use; default BindAddr
	RPCAddr   string
	Join      []string
	// JoinTimeout bounds how long Start keeps trying to reach a member
	// of Join (default 2 minutes): the members of a new cluster may start
	// in any order, each naming the others.
	JoinTimeout time.Duration
	Secret      []byte
	ReapTimeout time.Duration // default 24h
	Fast        bool          // LAN-local timings for tests
	Tags        map[string]string
	Logger      *slog.Logger
}

// Gossip is a running membership agent.
type Gossip struct {
	cfg     Config
	serf    *serf.Serf
	events  chan serf.Event
	changes chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	tags    map[string]string
	// leaving is held through a Leave, and taken by Shutdown: serf's
	// Leave panics ("leave after shutdown") when a Shutdown comes between
	// its broadcast and its memberlist leave (a node stopped while an
	// operator's leave runs).
	leaving sync.Mutex
}

func splitHostPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	return host, p, err
}

// Start joins (or founds) the cluster.
func Start(cfg Config) (*Gossip, error) {
	if cfg.Name == "" || cfg.BindAddr == "" {
		return nil, errors.New("gossip: a name and a bind address are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ReapTimeout == 0 {
		cfg.ReapTimeout = 24 * time.Hour
	}
	ml := memberlist.DefaultLANConfig()
	if cfg.Fast {
		ml = memberlist.DefaultLocalConfig()
	}
	// News (a join, a tag change) is gossiped RetransmitMult*log10(n+1)
	// times in all. memberlist's local preset of 2 lets news die out in a
	// small cluster before it reaches everyone, which then waits for the
	// next full state exchange; measured on 5 nodes, a third of joins took
	// 15-30 s to be seen everywhere. Both knobs below bound that wait.
	ml.RetransmitMult = max(ml.RetransmitMult, 4)
	if cfg.Fast {
		ml.PushPullInterval = 2 * time.Second
	} else {
		ml.PushPullInterval = 10 * time.Second
	}
	host, port, err := splitHostPort(cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("gossip: bind address: %w", err)
	}
	ml.BindAddr, ml.BindPort = host, port
	adv := cfg.Advertise
	if adv == "" {
		adv = cfg.BindAddr
	}
	if ahost, aport, err := splitHostPort(adv); err == nil {
		ml.AdvertiseAddr, ml.AdvertisePort = ahost, aport
	}
	if len(cfg.Secret) > 0 {
		key := sha256.Sum256(cfg.Secret)
		ml.SecretKey = key[:]
	}
	ml.LogOutput = io.Discard
	ml.Name = cfg.Name

	sc := serf.DefaultConfig()
	sc.NodeName = cfg.Name
	sc.MemberlistConfig = ml
	sc.LogOutput = io.Discard
	sc.ReconnectTimeout = cfg.ReapTimeout
	sc.TombstoneTimeout = max(cfg.ReapTimeout, time.Minute)
	sc.CoalescePeriod = 100 * time.Millisecond
	sc.QuiescentPeriod = 50 * time.Millisecond
	if cfg.Fast {
		sc.ReapInterval = time.Second
		sc.ReconnectInterval = time.Second
		sc.LeavePropagateDelay = 100 * time.Millisecond
	}
	g := &Gossip{cfg: cfg, events: make(chan serf.Event, 256), changes: make(chan struct{}, 1), done: make(chan struct{})}
	g.tags = map[string]string{"role": cfg.Role, "rpc": cfg.RPCAddr}
	for k, v := range cfg.Tags {
		g.tags[k] = v
	}
	sc.Tags = g.tagsCopy()
	sc.EventCh = g.events
	s, err := serf.Create(sc)
	if err != nil {
		return nil, fmt.Errorf("gossip: %w", err)
	}
	g.serf = s
	go g.forward()
	if len(cfg.Join) > 0 {
		if err := g.join(cfg.Join, cfg.JoinTimeout); err != nil {
			s.Shutdown()
			<-g.done
			return nil, err
		}
	}
	g.notify()
	return g, nil
}

// othersAlive reports whether a member other than this one is alive.
func (g *Gossip) othersAlive() bool {
	for _, m := range g.serf.Members() {
		if m.Name != g.cfg.Name && m.Status == serf.StatusAlive {
			return true
		}
	}
	return false
}

// join contacts a member at one of addrs, retrying with backoff until
// one answers, another member has joined this one meanwhile (it started
// first and named this one), or timeout passes.
func (g *Gossip) join(addrs []string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	deadline := time.Now().Add(timeout)
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		_, err := g.serf.Join(addrs, true)
		if err == nil || g.othersAlive() {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("gossip: no member at %v answered within %v: %w", addrs, timeout, err)
		}
		if g.cfg.Logger != nil {
			g.cfg.Logger.Info("no member to join yet; retrying", "join", addrs, "err", err, "retry_in", wait)
		}
		time.Sleep(min(wait, left)) // backing off until a peer has started
	}
}

func (g *Gossip) tagsCopy() map[string]string {
	out := make(map[string]string, len(g.tags))
	for k, v := range g.tags {
		out[k] = v
	}
	return out
}

// forward turns serf's member events into change notifications.
func (g *Gossip) forward() {
	defer close(g.done)
	shutdown := g.serf.ShutdownCh()
	for {
		select {
		case e := <-g.events:
			if _, ok := e.(serf.MemberEvent); ok {
				g.notify()
			}
		case <-shutdown:
			return
		}
	}
}

func (g *Gossip) notify() {
	select {
	case g.changes <- struct{}{}:
	default:
	}
}

// Changes is signalled (coalesced) whenever membership or tags change.
func (g *Gossip) Changes() <-chan struct{} { return g.changes }

// Members returns every known member, sorted by name.
func (g *Gossip) Members() []Member {
	var out []Member
	for _, m := range g.serf.Members() {
		out = append(out, Member{Name: m.Name, Role: m.Tags["role"], RPC: m.Tags["rpc"],
			Addr: net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port))), State: stateOf(m.Status), Tags: m.Tags})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// stateOf maps serf's member status onto State.
func stateOf(st serf.MemberStatus) State {
	switch st {
	case serf.StatusAlive:
		return Alive
	case serf.StatusFailed:
		return Failed
	case serf.StatusLeaving:
		return Leaving
	}
	return Left
}

// State returns a member's state, if it is known. It builds no member
// list: a node's ownership pass asks it for each replica of each
// partition.
func (g *Gossip) State(name string) (State, bool) {
	for _, m := range g.serf.Members() {
		if m.Name == name {
			return stateOf(m.Status), true
		}
	}
	return 0, false
}

// SetTag sets one of this member's tags and gossips it.
func (g *Gossip) SetTag(key, value string) error {
	g.mu.Lock()
	g.tags[key] = value
	tags := g.tagsCopy()
	g.mu.Unlock()
	return g.serf.SetTags(tags)
}

// Join contacts members at addrs and merges their cluster with this one.
func (g *Gossip) Join(addrs []string) error {
	_, err := g.serf.Join(addrs, true)
	return err
}

// Remove forces a failed member out of the cluster (an admin's decision).
func (g *Gossip) Remove(name string) error { return g.serf.RemoveFailedNode(name) }

// Leave announces a graceful departure. It returns within a few
// seconds (serf's broadcast timeouts); a Shutdown meanwhile waits for it.
func (g *Gossip) Leave() error {
	g.leaving.Lock()
	defer g.leaving.Unlock()
	return g.serf.Leave()
}

// Shutdown stops gossiping (without announcing; call Leave first for a
// graceful exit) and waits for the event forwarder, and for a Leave in
// progress.
func (g *Gossip) Shutdown() error {
	g.leaving.Lock()
	err := g.serf.Shutdown()
	g.leaving.Unlock()
	<-g.done
	return err
}

// LocalName returns this member's name.
func (g *Gossip) LocalName() string { return g.cfg.Name }
