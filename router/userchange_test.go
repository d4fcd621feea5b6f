package router

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
	"golang.org/x/crypto/bcrypt"
)

// fakePeers records the changes a router tells and fails every reread, as
// a cluster whose users' partition cannot answer a read does.
type fakePeers struct {
	mu      sync.Mutex
	told    []users.Change
	rereads int
}

func (p *fakePeers) Publish(string, string) {}

func (p *fakePeers) UsersChanged(_ context.Context, c users.Change) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.told = append(p.told, c)
	return nil
}

var errUsersUnreadable = errors.New("unavailable: partition 2: 1 of 2 replicas answered")

func (p *fakePeers) ReloadUsers(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rereads++
	return errUsersUnreadable
}

// TestUserChangesTellTheChange: each user command tells the other routers
// the account as it now is (or its removal), and an AUTH this router's
// users refuse answers unavailable, not "user does not exist", when the
// cluster's users cannot be read to see whether another router added it
// (it answered a wrong "user does not exist" while the users' partition
// moved, for users added seconds before).
func TestUserChangesTellTheChange(t *testing.T) {
	store, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	peers := &fakePeers{}
	srv := testServer(t, Config{Users: store, Peers: peers})
	admin := pipeConn(t, srv)
	if got := admin.reply("AUTH (6)vanity (6)vanity"); got != "OK" {
		t.Fatalf("AUTH: %q", got)
	}
	for _, req := range []string{"ADD_USER (5)user1 (5)pass1", "EDIT_USER (5)user1 ADMIN", "DEL_USER (5)user1"} {
		if got := admin.reply(req); got != "OK" {
			t.Fatalf("%s: %q", req, got)
		}
	}
	if len(peers.told) != 3 {
		t.Fatalf("told %d changes, want 3: %+v", len(peers.told), peers.told)
	}
	if c := peers.told[0]; c.Deleted || c.Record.Name != "user1" || c.Record.Level != proto.LevelUser || len(c.Record.Hash) == 0 {
		t.Errorf("ADD_USER told %+v", c)
	}
	if c := peers.told[1]; c.Deleted || c.Record.Level != proto.LevelAdmin || string(c.Record.Hash) != string(peers.told[0].Record.Hash) {
		t.Errorf("EDIT_USER told %+v", c)
	}
	if c := peers.told[2]; !c.Deleted || c.Record.Name != "user1" {
		t.Errorf("DEL_USER told %+v", c)
	}

	if got := pipeConn(t, srv).reply("AUTH (5)user2 (5)pass2"); !strings.HasPrefix(got, "ERROR") || !strings.Contains(got, "cannot check this login") ||
		!strings.Contains(got, errUsersUnreadable.Error()) {
		t.Errorf("AUTH of a user this router does not know, the users unreadable: %q", got)
	}
	if got := pipeConn(t, srv).reply("AUTH (6)vanity (5)wrong"); !strings.Contains(got, "cannot check this login") {
		t.Errorf("AUTH with a password this router does not know, the users unreadable: %q", got)
	}
	rereads := peers.rereads
	if got := pipeConn(t, srv).reply("AUTH (6)vanity (6)vanity"); got != "OK" {
		t.Errorf("AUTH this router can check: %q", got)
	}
	if peers.rereads != rereads {
		t.Error("an AUTH this router's users accept reread them")
	}
	user := pipeConn(t, srv)
	admin.reply("ADD_USER (5)user3 (5)pass3")
	if got := user.reply("AUTH (5)user3 (5)pass3"); got != "OK" {
		t.Fatalf("AUTH: %q", got)
	}
	if got := user.reply("CHANGE_PASSWORD (5)pass4"); got != "OK" {
		t.Fatalf("CHANGE_PASSWORD: %q", got)
	}
	last := peers.told[len(peers.told)-1]
	if last.Deleted || last.Record.Name != "user3" || string(last.Record.Hash) == string(peers.told[len(peers.told)-2].Record.Hash) {
		t.Errorf("CHANGE_PASSWORD told %+v", last)
	}
}

// failingSaver refuses every save with err.
type failingSaver struct{ err error }

func (f failingSaver) Save([]users.Record, users.Record, bool) error { return f.err }

// TestUserChangeNotStored: a change the cluster could not store (the
// users' partition unavailable) answers ERROR with the cluster's words,
// as node failures do (PROTOCOL.md §12.1); it answered INTERNAL_ERROR,
// which is a node's storage failure, as a users file that cannot be
// written still is.
func TestUserChangeNotStored(t *testing.T) {
	seed, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&CommandError{Msg: "unavailable: partition 2: no storage node could run the command"}, "ERROR"},
		{errors.New("write users.db: no space left on device"), "INTERNAL_ERROR"},
	} {
		store, err := users.New(users.Config{Cost: bcrypt.MinCost, Saver: failingSaver{tc.err}}, seed.Records(), "vanity", "vanity")
		if err != nil {
			t.Fatal(err)
		}
		c := pipeConn(t, testServer(t, Config{Users: store}))
		c.reply("AUTH (6)vanity (6)vanity")
		got := c.reply("ADD_USER (5)user1 (5)pass1")
		if !strings.HasPrefix(got, tc.want+"(") || !strings.Contains(got, tc.err.Error()) {
			t.Errorf("a save failing with %q: %q, want %s with its words", tc.err, got, tc.want)
		}
		if _, ok := store.Record("user1"); ok {
			t.Error("an account whose save failed was kept")
		}
	}
}
