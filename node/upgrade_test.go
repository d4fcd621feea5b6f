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
// keys naming it (a transaction too) stays ordinary but takes its turn,
// and so does every command sharing a key with one that takes its turn,
// before or after it; commands on other keys run at once. A run with no
// such write is left whole.
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
		cmd(0, rpc.WithDigest, "GET (1)s"),                                                     // 0: a digest read: ordinary, in turn
		cmd(0, rpc.DigestNone, "GET (1)s"),                                                     // 1: a read of the key: serial, in order
		cmd(0, rpc.DigestNone, "SET:STR (1)s (1)v"),                                            // 2: the write: serial
		cmd(0, rpc.DigestNone, "SET:STR (1)o (1)v"),                                            // 3: another key, which 6 reads: in turn, before 6
		cmd(1, rpc.DigestNone, "SET:STR (1)s (1)v"),                                            // 4: another database: a promise covers them all
		cmd(0, rpc.WithDigest, "GET (1)s"),                                                     // 5: in turn, after the write
		cmd(0, rpc.DigestNone, "MANY_GET (2)[(1)o(1)s]"),                                       // 6: several keys: in turn
		cmd(0, rpc.DigestNone, "INCR_INT (1)s 1"),                                              // 7: serial
		cmd(0, rpc.DigestNone, "SET:STR (1)q (1)v"),                                            // 8: a key no waiting command names: now
		{DB: 0, Reqs: append(parse(t, "SET:STR (1)s (1)w"), parse(t, "SET:STR (1)t (1)w")...)}, // 9: a transaction: in turn
		cmd(0, rpc.WithDigest, "GET (1)t"),                                                     // 10: the transaction's other key: in turn, after it
		cmd(0, rpc.DigestNone, "GET (1)q"),                                                     // 11: now
	}}
	got := n.serialKeys(r)
	want := []runPart{partInOrder, partSerial, partSerial, partInOrder, partSerial, partInOrder, partInOrder, partSerial,
		partNow, partInOrder, partInOrder, partNow}
	if !slices.Equal(got, want) {
		t.Fatalf("parts %v, want %v", got, want)
	}
	plain := &rpc.Run{Cmds: []rpc.Cmd{cmd(0, rpc.DigestNone, "SET:STR (1)o (1)v"), cmd(0, rpc.DigestNone, "GET (1)s")}}
	if got := n.serialKeys(plain); got != nil {
		t.Fatalf("a run writing no serial key split: %v", got)
	}
	reset := &rpc.Run{Cmds: []rpc.Cmd{cmd(0, rpc.DigestNone, "SET:STR (1)s (1)v"), cmd(0, rpc.DigestNone, "RESET"),
		cmd(0, rpc.DigestNone, "SET:STR (1)o (1)v")}}
	if got, want := n.serialKeys(reset), []runPart{partSerial, partInOrder, partInOrder}; !slices.Equal(got, want) {
		t.Fatalf("a run with RESET: parts %v, want %v", got, want)
	}
}

// TestConversionsGoSerial: INCR_NUMBER goes on the serial path, with the
// run's other commands of one key on its key, when the key holds an INT
// or a STR it would turn into a FLOAT; on a FLOAT or an absent key it is
// INCR_FLOAT's increment, whose copies merge exactly, and stays ordinary.
func TestConversionsGoSerial(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true})
	for _, s := range []string{"SET:INT (1)i 5", "SET:STR (1)s (3)1.5", "SET:FLOAT (1)f 1.5"} {
		do(t, n, 0, s)
	}
	cmd := func(db int, text string) rpc.Cmd { return rpc.Cmd{DB: db, Reqs: parse(t, text)} }
	r := &rpc.Run{Cmds: []rpc.Cmd{
		cmd(0, "INCR_NUMBER (1)i 1"), // 0: an INT becoming a FLOAT: serial
		cmd(0, "INCR_NUMBER (1)s 1"), // 1: a STR becoming one: serial
		cmd(0, "INCR_NUMBER (1)f 1"), // 2: a FLOAT's increment: now
		cmd(0, "INCR_NUMBER (1)a 1"), // 3: an absent key: now
		cmd(1, "INCR_NUMBER (1)i 1"), // 4: absent in database 1: now
		cmd(0, "GET (1)i"),           // 5: the converted key's read: serial, in order
	}}
	want := []runPart{partSerial, partSerial, partNow, partNow, partNow, partSerial}
	if got := n.serialKeys(r); !slices.Equal(got, want) {
		t.Fatalf("parts %v, want %v", got, want)
	}
	plain := &rpc.Run{Cmds: []rpc.Cmd{cmd(0, "INCR_NUMBER (1)f 1"), cmd(0, "INCR_FLOAT (1)f 1")}}
	if got := n.serialKeys(plain); got != nil {
		t.Fatalf("increments of a FLOAT split their run: %v", got)
	}
}
