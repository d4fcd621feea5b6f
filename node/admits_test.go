package node

import (
	"encoding/binary"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestReplicasRespectPromises: a key's state another replica sends
// (replication, repair, catch-up) joins an acceptor only at or above the
// ballot it promised for the key; below, it is refused (and not logged);
// a key without a promise takes anything.
func TestReplicasRespectPromises(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true})
	stream := func(ds ...storage.Delta) []byte {
		var b []byte
		for i := range ds {
			one := storage.AppendDelta(nil, &ds[i])
			b = append(binary.AppendUvarint(b, uint64(len(one))), one...)
		}
		return b
	}
	at := func(ms uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: 7} }
	state := func(key, val string, s hlc.Stamp) storage.Delta {
		return storage.Delta{Key: key, Reset: s, Val: storage.ValDelta{Kind: proto.TypeStr, TS: s, Reg: s, Str: val}}
	}
	if err := n.ApplyReplica(0, stream(storage.PromiseDelta("k", at(2000)), state("free", "x", at(1000)))); err != nil {
		t.Fatal(err)
	}
	if err := n.ApplyReplica(0, stream(state("k", "old", at(1500)))); err != nil {
		t.Fatal(err)
	}
	if got := do(t, n, 0, "GET (1)k"); got != "NULL" {
		t.Errorf("a state below the key's promise joined: GET %s", got)
	}
	if got := do(t, n, 0, "GET (4)free"); got != "OK:STR (1)x" {
		t.Errorf("a key without a promise: GET %s", got)
	}
	if err := n.ApplyReplica(0, stream(state("k", "new", at(2000)))); err != nil {
		t.Fatal(err)
	}
	if got := do(t, n, 0, "GET (1)k"); got != "OK:STR (3)new" {
		t.Errorf("a state at the promise: GET %s", got)
	}
}
