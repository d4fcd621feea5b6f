package node

import (
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestResentWriteRunsWhenTheRecordReachesBack: a write a router sends
// again (its first coordinator failed after the write left) that the
// key's latest applied record does not list runs only when the record
// lists every command proposed since the first sending (rpc.Cmd.RanFrom):
// then no earlier sending ran it. A record that dropped a command
// proposed after that time, a state without a record, or a resending
// that does not know when the write was first sent (a client's RETRY)
// answers "not confirmed", as every resent write did before.
func TestResentWriteRunsWhenTheRecordReachesBack(t *testing.T) {
	at := func(ms uint64, actor uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: actor} }
	latest := at(1900, 9)
	record := func(complete uint64) []byte {
		rec := serial.Applied{Since: ballotOf(at(1000, 9)), Complete: complete}
		for i := range maxApplied {
			var id serial.ID
			id[0], id[1] = 0xee, byte(i)
			rec.Entries = append(rec.Entries, serial.Entry{ID: id, At: ballotOf(at(1000+uint64(i), 9)), Proposed: (1000 + uint64(i)) << hlc.LogicalBits})
		}
		return serial.AppendApplied(nil, &rec)
	}
	for _, tc := range []struct {
		name    string
		ranFrom int64
		rec     []byte
		runs    bool
	}{
		{"the record reaches back past the first sending", 2000, record(500 << hlc.LogicalBits), true},
		{"the record dropped a command proposed after it", 2000, record(2000 << hlc.LogicalBits), false},
		{"the state has no record", 2000, nil, false},
		{"the first sending's time is unknown", 0, record(0), false},
		{"no acceptor holds the key", 2000, nil, true},
		{"no acceptor holds the key, but tombstones are forgotten soon", 2000, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
			s := &Service{node: n}
			latest := latest
			if strings.HasPrefix(tc.name, "no acceptor holds the key") {
				latest = hlc.Stamp{}
				s.cfg.TombstoneGrace = 48 * time.Hour
				if !tc.runs {
					s.cfg.TombstoneGrace = time.Second
				}
			}
			id := serial.ID{1}
			c := &rpc.Cmd{ID: id, Resent: true, RanFrom: tc.ranFrom, Reqs: parse(t, "LIST_PUSH_RIGHT (1)q (1)[(1)e]")}
			p := proposalOn("q", c)
			var state []byte
			if !latest.IsZero() {
				state = storage.AppendDelta(nil, &storage.Delta{Key: "q", Reset: latest})
			}
			p.begin(rpc.KindPrepare, n.clock.Now())
			for _, name := range []string{"a", "b"} {
				p.take(name, rpc.Vote{Yes: true, Time: latest.Time, Actor: latest.Actor, State: state, Applied: tc.rec}, nil)
			}
			before := n.clock.Now()
			st := p.advance(s)
			if !tc.runs {
				if !p.done || p.st != rpc.StatusNotConfirmed {
					t.Fatalf("step %v, done %v, status %v; want not confirmed", st, p.done, p.st)
				}
				return
			}
			if st != stepNext || p.m.Kind != rpc.KindAccept || !p.reran {
				t.Fatalf("step %v, phase %v, status %v %q; want the write run, to Accept", st, p.m.Kind, p.st, p.reply)
			}
			rec, err := serial.DecodeApplied(p.m.Applied)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := rec.Find(id)
			if !ok || e.Proposed < before.Time {
				t.Fatalf("the Accept's record: %+v; want the write listed, proposed at %v or later", rec, before)
			}
			if want := uint64(1000 << hlc.LogicalBits); latest.IsZero() {
				if rec.Complete != 0 || len(rec.Entries) != 1 {
					t.Errorf("the Accept's record on a fresh key: %+v; want the write alone, complete from 0", rec)
				}
			} else if rec.Complete != want {
				t.Errorf("the record's Complete %v; want the time of the entry it dropped", rec.Complete)
			}
		})
	}
}

// TestResentWriteThatChangesNothingIsRecorded: a write sent again that
// runs (its key's record reaches back) and changes nothing (a pop of an
// empty list) is still accepted, so that the record lists it: its first
// sending, if still under way, then answers from the record instead of
// running after this reply. A blocking pop's try sent again never runs:
// one that takes nothing leaves no entry.
func TestResentWriteThatChangesNothingIsRecorded(t *testing.T) {
	latest := hlc.Stamp{Time: 1900 << hlc.LogicalBits, Actor: 9}
	rec := serial.AppendApplied(nil, &serial.Applied{Since: ballotOf(latest), Complete: 500 << hlc.LogicalBits})
	for _, try := range []bool{false, true} {
		n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
		s := &Service{node: n}
		c := &rpc.Cmd{ID: serial.ID{1}, Resent: true, RanFrom: 2000, Reqs: parse(t, "LIST_POP_LEFT (1)q 1")}
		if try {
			c.Reqs[0].Once = proto.OnceTry
		}
		p := proposalOn("q", c)
		state := storage.AppendDelta(nil, &storage.Delta{Key: "q", Reset: latest})
		p.begin(rpc.KindPrepare, n.clock.Now())
		for _, name := range []string{"a", "b"} {
			p.take(name, rpc.Vote{Yes: true, Time: latest.Time, Actor: latest.Actor, State: state, Applied: rec}, nil)
		}
		st := p.advance(s)
		if try {
			if !p.done || p.st != rpc.StatusNotConfirmed {
				t.Fatalf("a try sent again: step %v, status %v %q; want not confirmed", st, p.st, p.reply)
			}
			continue
		}
		if st != stepNext || p.m.Kind != rpc.KindAccept {
			t.Fatalf("a pop of nothing sent again: step %v, phase %v, status %v %q; want it accepted, for the record", st, p.m.Kind, p.st, p.reply)
		}
		got, err := serial.DecodeApplied(p.m.Applied)
		if err != nil || !got.Has(serial.ID{1}) {
			t.Fatalf("the Accept's record %+v (%v) does not list the pop", got, err)
		}
	}
}
