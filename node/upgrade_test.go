package node

import (
	"slices"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestSerialKeysSplitARun: a run with a write to a key an acceptor here
// promised for sends that write, and every other command of one key on
// the same key, on the serial path; a digest read or a command of several
// keys naming it stays ordinary but takes its turn; commands on other
// keys run at once. A run with no such write is left whole.
func TestSerialKeysSplitARun(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true})
	p := storage.PromiseDelta("s", hlc.Stamp{Time: 1 << hlc.LogicalBits, Actor: 9})
	n.parts[0].mu.Lock()
	n.parts[0].shard.Apply(&p)
	n.parts[0].mu.Unlock()
	cmd := func(db int, digest rpc.Digest, text string) rpc.Cmd {
		return rpc.Cmd{DB: db, Digest: digest, Reqs: parse(t, text)}
	}
	r := &rpc.Run{Cmds: []rpc.Cmd{
		cmd(0, rpc.WithDigest, "GET (1)s"),               // 0: a digest read: ordinary, in turn
		cmd(0, rpc.DigestNone, "GET (1)s"),               // 1: a read of the key: serial, in order
		cmd(0, rpc.DigestNone, "SET:STR (1)s (1)v"),      // 2: the write: serial
		cmd(0, rpc.DigestNone, "SET:STR (1)o (1)v"),      // 3: another key: now
		cmd(1, rpc.DigestNone, "SET:STR (1)s (1)v"),      // 4: another database: a promise covers them all
		cmd(0, rpc.WithDigest, "GET (1)s"),               // 5: in turn, after the write
		cmd(0, rpc.DigestNone, "MANY_GET (2)[(1)o(1)s]"), // 6: several keys: in turn
		cmd(0, rpc.DigestNone, "INCR_INT (1)s 1"),        // 7: serial
	}}
	got := n.serialKeys(r)
	want := []runPart{partInOrder, partSerial, partSerial, partNow, partSerial, partInOrder, partInOrder, partSerial}
	if !slices.Equal(got, want) {
		t.Fatalf("parts %v, want %v", got, want)
	}
	plain := &rpc.Run{Cmds: []rpc.Cmd{cmd(0, rpc.DigestNone, "SET:STR (1)o (1)v"), cmd(0, rpc.DigestNone, "GET (1)s")}}
	if got := n.serialKeys(plain); got != nil {
		t.Fatalf("a run writing no serial key split: %v", got)
	}
}
