package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
	"golang.org/x/crypto/bcrypt"
)

// TestToldUsersChangeNeedsNoRead: a router told of another's user change
// applies it without reading the users, which the cluster may not answer
// then (their partition moving, or cut off from this router): before, it
// reread them, and while the read failed a user added elsewhere could
// not log in here, nor did a deleted one's sessions end.
func TestToldUsersChangeNeedsNoRead(t *testing.T) {
	n := &fakeNode{addr: "n1", fail: func(*rpc.Run) error { return errors.New("no read quorum") }}
	b := testBackend(t, 1, n)
	store, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	b.users = store
	elsewhere, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	if err := elsewhere.Add(context.Background(), []byte("user1"), []byte("pass1")); err != nil {
		t.Fatal(err)
	}
	rec, _ := elsewhere.Record("user1")
	ctx := context.Background()
	if st, out := b.handle(ctx, rpc.KindUsers, encodeChange(users.Change{Record: rec}), nil); st != rpc.StatusOK {
		t.Fatalf("told an added user: %v %q", st, out)
	}
	a, err := store.Authenticate(ctx, []byte("user1"), []byte("pass1"))
	if err != nil {
		t.Fatalf("the added user's login: %v", err)
	}
	rec.Level = proto.LevelAdmin
	b.handle(ctx, rpc.KindUsers, encodeChange(users.Change{Record: rec}), nil)
	if a.Level() != proto.LevelAdmin {
		t.Errorf("a live session's level after a told EDIT_USER: %v", a.Level())
	}
	b.handle(ctx, rpc.KindUsers, encodeChange(users.Change{Record: users.Record{Name: "user1"}, Deleted: true}), nil)
	if !a.Deleted() {
		t.Error("a live session of a user told deleted goes on")
	}
	// A router of an earlier release tells no change and asks for a
	// reread, which fails here and says so.
	if st, _ := b.handle(ctx, rpc.KindUsers, nil, nil); st != rpc.StatusError { // after RetryFor (1 s)
		t.Errorf("a reread the cluster cannot answer: %v", st)
	}
	if st, _ := b.handle(ctx, rpc.KindUsers, []byte{0xff}, nil); st != rpc.StatusError {
		t.Errorf("a malformed change: %v", st)
	}
	for _, c := range []users.Change{{Record: rec}, {Record: users.Record{Name: "user1"}, Deleted: true}} {
		if got, err := decodeChange(encodeChange(c)); err != nil || got.Deleted != c.Deleted || got.Record.Name != c.Record.Name ||
			!c.Deleted && (got.Record.Level != c.Record.Level || string(got.Record.Hash) != string(c.Record.Hash)) {
			t.Errorf("round trip of %+v: %+v %v", c, got, err)
		}
	}
}
