package ring

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/buraksezer/consistent"
	"github.com/cespare/xxhash/v2"
)

// Member is a storage node of the ring.
type Member struct {
	ID   string // unique node name
	Addr string // RPC address
}

func (m Member) String() string { return m.ID }

// Ring is an immutable placement of partitions on members: for every
// partition, its preference list of replicas, primary first. Build one with
// New whenever membership changes and swap it in (Current); lookups take no
// lock and allocate nothing.
//
// Placement: the primary of each partition comes from consistent hashing
// with bounded loads (buraksezer/consistent v1.0.0, xxhash, 40 virtual nodes
// per member, load factor 1.25), so that members own nearly equal numbers of
// partitions and a membership change moves few of them. The other replicas
// are the members with the highest rendezvous score xxhash(partition,
// member) besides the primary: each partition gets its own backups, so when
// a member fails its load spreads over many peers rather than onto the same
// few. Placement is part of the protocol between nodes: testdata has a
// golden file that fails the build if a dependency bump moves keys.
type Ring struct {
	partitions int
	replicas   int // preference list length (min(N, members))
	members    []Member
	prefs      []uint16 // partitions*replicas member indexes
	version    uint64
}

// ErrNoMembers is returned by New for an empty member list.
var ErrNoMembers = errors.New("ring: no members")

// Placement parameters. With 40 virtual nodes a fourth member of a ring
// of 1024 partitions got 171 primaries (two thirds of its share); with 400
// every member of 3 to 8 gets at least 0.8 of its share
// (TestPrimariesAreBalanced), and building a ring takes about 2 ms.
const (
	virtualNodes = 400
	loadFactor   = 1.25
)

type hasher struct{}

func (hasher) Sum64(b []byte) uint64 { return xxhash.Sum64(b) }

// New places partitions on members with n replicas each (fewer when there
// are fewer members). Member IDs must be unique.
func New(members []Member, partitions, n int) (*Ring, error) {
	if len(members) == 0 {
		return nil, ErrNoMembers
	}
	if partitions < 1 || partitions > 1<<20 || n < 1 {
		return nil, fmt.Errorf("ring: bad partition count %d or replica count %d", partitions, n)
	}
	ms := append([]Member(nil), members...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	index := make(map[string]int, len(ms))
	cmembers := make([]consistent.Member, len(ms))
	for i, m := range ms {
		if _, dup := index[m.ID]; dup {
			return nil, fmt.Errorf("ring: duplicate member %q", m.ID)
		}
		index[m.ID] = i
		cmembers[i] = m
	}
	c := consistent.New(cmembers, consistent.Config{
		PartitionCount: partitions, ReplicationFactor: virtualNodes, Load: loadFactor, Hasher: hasher{},
	})
	r := &Ring{partitions: partitions, replicas: min(n, len(ms)), members: ms}
	r.prefs = make([]uint16, partitions*r.replicas)
	scores := make([]scored, 0, len(ms))
	for p := 0; p < partitions; p++ {
		primary := index[c.GetPartitionOwner(p).String()]
		list := r.prefs[p*r.replicas : (p+1)*r.replicas]
		list[0] = uint16(primary)
		scores = scores[:0]
		for i, m := range ms {
			if i != primary {
				scores = append(scores, scored{i, rendezvous(p, m.ID)})
			}
		}
		sort.Slice(scores, func(a, b int) bool { return scores[a].score > scores[b].score })
		for k := 1; k < r.replicas; k++ {
			list[k] = uint16(scores[k-1].member)
		}
	}
	r.version = r.checksum()
	return r, nil
}

type scored struct {
	member int
	score  uint64
}

func rendezvous(p int, id string) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(p))
	d := xxhash.New()
	d.Write(b[:])
	d.WriteString(id)
	return d.Sum64()
}

func (r *Ring) checksum() uint64 {
	d := xxhash.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(r.partitions))
	d.Write(b[:])
	binary.LittleEndian.PutUint64(b[:], uint64(r.replicas))
	d.Write(b[:])
	for _, m := range r.members {
		d.WriteString(m.ID)
		d.Write([]byte{0})
		d.WriteString(m.Addr)
		d.Write([]byte{0})
	}
	for _, x := range r.prefs {
		binary.LittleEndian.PutUint16(b[:2], x)
		d.Write(b[:2])
	}
	return d.Sum64()
}

// Version identifies the ring: rings with the same members, addresses and
// placement have the same version.
func (r *Ring) Version() uint64 { return r.version }

// Partitions returns the partition count.
func (r *Ring) Partitions() int { return r.partitions }

// ReplicaCount returns the length of each preference list.
func (r *Ring) ReplicaCount() int { return r.replicas }

// Members returns the members, sorted by ID. The slice must not be changed.
func (r *Ring) Members() []Member { return r.members }

// Member returns member i.
func (r *Ring) Member(i int) Member { return r.members[i] }

// IndexOf returns the index of the member with this ID, or -1.
func (r *Ring) IndexOf(id string) int {
	i := sort.Search(len(r.members), func(i int) bool { return r.members[i].ID >= id })
	if i < len(r.members) && r.members[i].ID == id {
		return i
	}
	return -1
}

// Replicas returns partition p's preference list as member indexes,
// primary first. The slice belongs to the ring and must not be changed.
func (r *Ring) Replicas(p int) []uint16 {
	return r.prefs[p*r.replicas : (p+1)*r.replicas]
}

// Primary returns the member index of partition p's primary.
func (r *Ring) Primary(p int) int { return int(r.prefs[p*r.replicas]) }

// Locate returns the partition of key and its preference list.
func (r *Ring) Locate(key []byte) (int, []uint16) {
	p := PartitionOf(key, r.partitions)
	return p, r.Replicas(p)
}

// Holds reports whether member i is in partition p's preference list.
func (r *Ring) Holds(i, p int) bool {
	for _, x := range r.Replicas(p) {
		if int(x) == i {
			return true
		}
	}
	return false
}

// Current holds the ring in use; readers load it without locking and
// writers swap in a new one when membership changes.
type Current struct{ p atomic.Pointer[Ring] }

// Load returns the current ring, or nil before the first Store.
func (c *Current) Load() *Ring { return c.p.Load() }

// Store makes r current.
func (c *Current) Store(r *Ring) { c.p.Store(r) }

// Builder builds rings for a fixed partition and replica count, handing
// back the ring it built last while the membership is the same: building
// one costs far more than comparing member lists, and callers rebuild on
// every membership event, most of which change nothing.
type Builder struct {
	partitions, replicas int

	mu   sync.Mutex
	last *Ring
}

// NewBuilder returns a Builder.
func NewBuilder(partitions, replicas int) *Builder {
	return &Builder{partitions: partitions, replicas: replicas}
}

// Build returns the ring of members (in any order).
func (b *Builder) Build(members []Member) (*Ring, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last != nil && sameMembers(b.last.members, members) {
		return b.last, nil
	}
	r, err := New(members, b.partitions, b.replicas)
	if err != nil {
		return nil, err
	}
	b.last = r
	return r, nil
}

// sameMembers reports whether members, in any order, are exactly sorted's.
func sameMembers(sorted, members []Member) bool {
	if len(sorted) != len(members) {
		return false
	}
	ms := append([]Member(nil), members...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	for i := range ms {
		if ms[i] != sorted[i] {
			return false
		}
	}
	return true
}
