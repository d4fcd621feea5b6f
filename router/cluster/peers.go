package cluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
)

// usersKey is where the cluster keeps its users: a hash in the system
// database, field = name, value = users.EncodeRecord.
var usersKey = []byte("{vanity}:users")

// SystemDB is the database of cluster data (storage.SystemDB).
const SystemDB = 16

// LoadUsers reads the users from the cluster.
func (b *Backend) LoadUsers(ctx context.Context) ([]users.Record, error) {
	out, err := b.doOne(ctx, SystemDB, [2]proto.Consistency{}, &proto.Request{Cmd: proto.CmdHashAll, Str: [3][]byte{usersKey}})
	if err != nil {
		return nil, err
	}
	r, err := proto.ParseReply(out)
	if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeHash {
		return nil, fmt.Errorf("cluster: unexpected users reply %q", out)
	}
	var recs []users.Record
	for i := 0; i+1 < len(r.Value.Strs); i += 2 {
		rec, err := users.DecodeRecord(string(r.Value.Strs[i+1]))
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// WaitUsers waits until every partition is served and at least minNodes
// nodes are alive, then reads the users, retrying both until they succeed
// or ctx ends: what a router does before it takes clients (nodes may
// start after it, and the users' partition may still be copying to its
// replicas, which then do not count toward a read quorum).
func (b *Backend) WaitUsers(ctx context.Context, minNodes int) ([]users.Record, error) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		err := b.WaitReady(wctx, minNodes)
		wcancel()
		if err == nil {
			recs, lerr := b.LoadUsers(ctx)
			if lerr == nil {
				return recs, nil
			}
			err = fmt.Errorf("reading the users: %w", lerr)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("stopped while waiting for the cluster: %w", ctx.Err())
		}
		b.log.Info("waiting for the cluster", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
		case <-time.After(wait): // backing off while the nodes come up
		}
	}
}

// Save implements users.Saver: one field of the users hash per account.
func (b *Backend) Save(_ []users.Record, changed users.Record, deleted bool) error {
	if deleted {
		return b.writeUsers(proto.Request{Cmd: proto.CmdHashRemove, Str: [3][]byte{usersKey}, Elems: [][]byte{[]byte(changed.Name)}})
	}
	return b.saveRecords([]users.Record{changed})
}

// saveRecords writes recs into the users hash in one HASH_UPDATE, so that
// a router reading the users meanwhile sees all of them or none.
func (b *Backend) saveRecords(recs []users.Record) error {
	req := proto.Request{Cmd: proto.CmdHashUpdate, Str: [3][]byte{usersKey}}
	for _, r := range recs {
		req.Elems = append(req.Elems, []byte(r.Name), []byte(users.EncodeRecord(r)))
	}
	return b.writeUsers(req)
}

// writeUsers runs req, a write of the users hash.
func (b *Backend) writeUsers(req proto.Request) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := b.doOne(ctx, SystemDB, [2]proto.Consistency{}, &req)
	if err != nil {
		return err
	}
	if r, err := proto.ParseReply(out); err != nil || r.Status != proto.StatusOK {
		return fmt.Errorf("cluster: writing the users: %q", out)
	}
	return nil
}

// Publish implements router.Peers.
func (b *Backend) Publish(channel, message string) {
	rt := b.routes.Load()
	if len(rt.routers) == 0 {
		return
	}
	payload := rpc.AppendStrings(nil, [][]byte{[]byte(channel), []byte(message)})
	for _, addr := range rt.routers {
		if err := b.client(addr).Post(rpc.KindPublish, payload); err != nil {
			b.log.Warn("forwarding a message to a router failed", "router", addr, "err", err)
		}
	}
}

// UsersChanged implements router.Peers: the call carries the change
// (encodeChange), which each router applies without reading the users.
func (b *Backend) UsersChanged(ctx context.Context, change users.Change) error {
	rt := b.refresh() // a router that joined a moment ago must hear too
	payload := encodeChange(change)
	return parallel(rt.routers, func(addr string) error {
		_, err := b.call(ctx, addr, rpc.KindUsers, payload)
		return err
	})
}

// A change to the users travels between routers as two strings: "set" and
// the account's record (users.EncodeRecord), or "del" and its name.
const (
	changeSet = "set"
	changeDel = "del"
)

func encodeChange(c users.Change) []byte {
	if c.Deleted {
		return rpc.AppendStrings(nil, [][]byte{[]byte(changeDel), []byte(c.Record.Name)})
	}
	return rpc.AppendStrings(nil, [][]byte{[]byte(changeSet), []byte(users.EncodeRecord(c.Record))})
}

// decodeChange parses encodeChange's output.
func decodeChange(payload []byte) (users.Change, error) {
	strs, err := rpc.DecodeStrings(payload)
	if err != nil || len(strs) != 2 {
		return users.Change{}, fmt.Errorf("%w: a users change of %d bytes", rpc.ErrMalformed, len(payload))
	}
	switch string(strs[0]) {
	case changeDel:
		return users.Change{Record: users.Record{Name: string(strs[1])}, Deleted: true}, nil
	case changeSet:
		rec, err := users.DecodeRecord(string(strs[1]))
		return users.Change{Record: rec}, err
	}
	return users.Change{}, fmt.Errorf("%w: a users change %q", rpc.ErrMalformed, strs[0])
}

// usersBackstop is how often a router rereads the users unprompted.
const usersBackstop = 5 * time.Second

func (b *Backend) lastReloadTime() time.Time {
	b.reloadMu.Lock()
	defer b.reloadMu.Unlock()
	return b.lastReload
}

// ReloadUsers implements router.Peers.
func (b *Backend) ReloadUsers(ctx context.Context) error {
	b.mu.Lock()
	store := b.users
	b.mu.Unlock()
	if store == nil {
		return errors.New("cluster: no user store attached")
	}
	b.reloadMu.Lock()
	defer b.reloadMu.Unlock()
	if time.Since(b.lastReload) < 100*time.Millisecond {
		return nil // fresh enough; bounds the reads failed logins cause
	}
	return b.reloadUsers(ctx, store)
}

// reloadUsers replaces store's users with the cluster's; reloadMu held.
func (b *Backend) reloadUsers(ctx context.Context, store *users.Store) error {
	changes := store.Changes()
	recs, err := b.LoadUsers(ctx)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		// The users hash never empties by itself (an administrator cannot
		// delete itself), so its partition's data was lost: a removed node
		// held it, with no replica. Restore what this router knows rather
		// than lock everyone out.
		mine := store.Records()
		if len(mine) == 0 {
			return errors.New("cluster: no users anywhere")
		}
		b.log.Error("the cluster's users are gone (their partition lost its data); restoring this router's copy",
			"users", len(mine))
		// One write of them all: another router rereading meanwhile
		// must not take a part of them for the whole (it would lose the
		// accounts not yet written back).
		if err := b.saveRecords(mine); err != nil {
			return err
		}
		recs = mine
	}
	if !store.ReplaceIf(recs, changes) {
		// A change made here or told by another router meanwhile may be
		// missing from what was read: keep the store, whose change is
		// newer, and read again at the next occasion.
		return nil
	}
	b.lastReload = time.Now()
	return nil
}

// handle serves calls from other routers.
func (b *Backend) handle(ctx context.Context, kind rpc.Kind, payload, dst []byte) (rpc.Status, []byte) {
	b.mu.Lock()
	srv, store := b.server, b.users
	b.mu.Unlock()
	switch kind {
	case rpc.KindPing:
		return rpc.StatusOK, dst
	case rpc.KindPublish:
		strs, err := rpc.DecodeStrings(payload)
		if err != nil || len(strs) != 2 {
			return rpc.StatusError, append(dst, "malformed message"...)
		}
		if srv != nil {
			srv.Deliver(string(strs[0]), string(strs[1]))
		}
		return rpc.StatusOK, dst
	case rpc.KindUsers:
		if store == nil {
			return rpc.StatusOK, dst
		}
		if len(payload) > 0 {
			// The change itself, applied without a read of the users, which
			// may fail now (their partition moving, or cut off from this
			// router). Two routers' changes to one account may arrive here
			// in either order; the backstop's rereads settle that.
			change, err := decodeChange(payload)
			if err != nil {
				return rpc.StatusError, append(dst, err.Error()...)
			}
			store.Apply(change)
			return rpc.StatusOK, dst
		}
		// A router of an earlier release tells no change: it asks for a
		// reread.
		b.reloadMu.Lock()
		err := b.reloadUsers(ctx, store)
		b.reloadMu.Unlock()
		if err != nil {
			return rpc.StatusError, append(dst, err.Error()...)
		}
		return rpc.StatusOK, dst
	}
	return rpc.StatusError, append(dst, "unknown call kind "+strconv.Itoa(int(kind))...)
}
