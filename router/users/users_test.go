package users

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
	"golang.org/x/crypto/bcrypt"
)

var ctx = context.Background()

func newStore(t *testing.T, saver Saver) *Store {
	t.Helper()
	s, err := New(Config{Cost: bcrypt.MinCost, Saver: saver}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthenticateOrderOfChecks(t *testing.T) {
	s := newStore(t, nil)
	if _, err := s.Authenticate(ctx, []byte("nouser"), []byte("abc")); err != ErrPasswordTooShort {
		t.Errorf("short password checked after existence: %v", err)
	}
	if _, err := s.Authenticate(ctx, []byte("nouse"), []byte("pass1")); err != ErrNoUser {
		t.Errorf("got %v", err)
	}
	if _, err := s.Authenticate(ctx, []byte("vanity"), []byte("wrong")); err != ErrWrongPassword {
		t.Errorf("got %v", err)
	}
	a, err := s.Authenticate(ctx, []byte("vanity"), []byte("vanity"))
	if err != nil || a.Level() != proto.LevelAdmin {
		t.Fatalf("default admin: %v %v", a, err)
	}
	// The memo must not let a wrong password through.
	if _, err := s.Authenticate(ctx, []byte("vanity"), []byte("vanitx")); err != ErrWrongPassword {
		t.Errorf("after a memoized success: %v", err)
	}
}

func TestLongAndBinaryPasswords(t *testing.T) {
	s := newStore(t, nil)
	long := make([]byte, 200)
	for i := range long {
		long[i] = byte(i)
	}
	if err := s.Add(ctx, []byte("user1"), long); err != nil {
		t.Fatal(err)
	}
	almost := append([]byte{}, long...)
	almost[150] ^= 1 // differs only beyond bcrypt's 72 bytes
	if _, err := s.Authenticate(ctx, []byte("user1"), almost); err != ErrWrongPassword {
		t.Fatalf("a password differing after byte 72 was accepted: %v", err)
	}
	if _, err := s.Authenticate(ctx, []byte("user1"), long); err != nil {
		t.Fatal(err)
	}
}

func TestAddEditDelete(t *testing.T) {
	s := newStore(t, nil)
	if err := s.Add(ctx, []byte("abc"), []byte("pass")); err != ErrUsernameTooShort {
		t.Errorf("got %v", err)
	}
	if err := s.Add(ctx, []byte("user1"), []byte("abc")); err != ErrPasswordTooShort {
		t.Errorf("got %v", err)
	}
	if err := s.Add(ctx, []byte("user1"), []byte("pass1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, []byte("user1"), []byte("pass1")); err != ErrExists {
		t.Errorf("got %v", err)
	}
	a, err := s.Authenticate(ctx, []byte("user1"), []byte("pass1"))
	if err != nil || a.Level() != proto.LevelUser {
		t.Fatalf("%v %v", a, err)
	}
	if err := s.Edit([]byte("user1"), proto.LevelPeer); err != ErrInvalidLevel {
		t.Errorf("got %v", err)
	}
	if err := s.Edit([]byte("user9"), proto.LevelAdmin); err != ErrNoUser {
		t.Errorf("got %v", err)
	}
	if err := s.Edit([]byte("user1"), proto.LevelAdmin); err != nil || a.Level() != proto.LevelAdmin {
		t.Errorf("live account did not see the new level: %v %v", a.Level(), err)
	}
	if err := s.Delete([]byte("vanity"), "vanity"); err != ErrDeleteSelf {
		t.Errorf("got %v", err)
	}
	if err := s.Delete([]byte("user1"), "vanity"); err != nil || !a.Deleted() {
		t.Errorf("delete: %v, deleted=%v", err, a.Deleted())
	}
	if err := s.ChangePassword(ctx, a, []byte("newpass")); err != ErrNoUser {
		t.Errorf("password change of a deleted account: %v", err)
	}
}

func TestChangePasswordDropsMemo(t *testing.T) {
	s := newStore(t, nil)
	a, _ := s.Authenticate(ctx, []byte("vanity"), []byte("vanity"))
	if err := s.ChangePassword(ctx, a, []byte("pass2")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, []byte("vanity"), []byte("vanity")); err != ErrWrongPassword {
		t.Fatalf("old password still accepted: %v", err)
	}
	if _, err := s.Authenticate(ctx, []byte("vanity"), []byte("pass2")); err != nil {
		t.Fatal(err)
	}
}

func TestFilePersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	s := newStore(t, FileSaver{Path: path})
	if err := s.Add(ctx, []byte("us\x00er"), []byte("pass1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Edit([]byte("us\x00er"), proto.LevelAdmin); err != nil {
		t.Fatal(err)
	}
	recs, err := Load(path)
	if err != nil || len(recs) != 2 {
		t.Fatalf("load: %v %v", recs, err)
	}
	s2, err := New(Config{Cost: bcrypt.MinCost}, recs, "vanity", "ignored")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s2.Authenticate(ctx, []byte("us\x00er"), []byte("pass1"))
	if err != nil || a.Level() != proto.LevelAdmin {
		t.Fatalf("reloaded account: %v %v", a, err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "tmp.users.db")); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
}

func TestLoadRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.db")
	os.WriteFile(path, []byte("hello\n"), 0o600)
	if _, err := Load(path); err == nil {
		t.Fatal("garbage accepted")
	}
	os.WriteFile(path, []byte(fileHeader+"\nADMIN dmFuaXR5 not-a-hash\n"), 0o600)
	if _, err := Load(path); err == nil {
		t.Fatal("bad hash accepted")
	}
	if recs, err := Load(filepath.Join(t.TempDir(), "missing")); err != nil || recs != nil {
		t.Fatalf("missing file: %v %v", recs, err)
	}
}

// TestWorkerPoolBoundsHashing checks that no more hash computations run at
// once than the pool allows.
func TestWorkerPoolBoundsHashing(t *testing.T) {
	s, err := New(Config{Cost: bcrypt.MinCost, Workers: 2}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	running, peak := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, func() {
				mu.Lock()
				running++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(time.Millisecond) // hold the slot so overlaps can occur
				mu.Lock()
				running--
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	if peak > 2 {
		t.Fatalf("%d hash computations ran at once with a pool of 2", peak)
	}
}

func TestWorkerPoolHonoursContext(t *testing.T) {
	s, _ := New(Config{Cost: bcrypt.MinCost, Workers: 1}, nil, "vanity", "vanity")
	s.pool <- struct{}{} // occupy the only worker
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Authenticate(c, []byte("vanity"), []byte("wrong")); err != context.Canceled {
		t.Fatalf("got %v", err)
	}
}

func TestReplaceKeepsAccountsLive(t *testing.T) {
	s := newStore(t, nil)
	s.Add(ctx, []byte("user1"), []byte("pass1"))
	s.Add(ctx, []byte("user2"), []byte("pass2"))
	a1, _ := s.Authenticate(ctx, []byte("user1"), []byte("pass1"))
	a2, _ := s.Authenticate(ctx, []byte("user2"), []byte("pass2"))
	recs := s.Records()
	var next []Record
	for _, r := range recs {
		switch r.Name {
		case "user1":
			r.Level = proto.LevelAdmin
			next = append(next, r)
		case "user2": // deleted elsewhere
		default:
			next = append(next, r)
		}
	}
	if !s.ReplaceIf(next, s.Changes()) {
		t.Fatal("records read after every change were not taken")
	}
	if a1.Level() != proto.LevelAdmin || a1.Deleted() {
		t.Errorf("user1: level %v deleted %v", a1.Level(), a1.Deleted())
	}
	if !a2.Deleted() {
		t.Error("user2 not marked deleted")
	}
	if r, err := DecodeRecord(EncodeRecord(recs[0])); err != nil || r.Name != recs[0].Name {
		t.Errorf("record round trip: %+v %v", r, err)
	}
}

// TestApplyOneChange: a change told by another router takes effect on
// its own (no read of the users), on live sessions too.
func TestApplyOneChange(t *testing.T) {
	here, there := newStore(t, nil), newStore(t, nil)
	if err := there.Add(ctx, []byte("user1"), []byte("pass1")); err != nil {
		t.Fatal(err)
	}
	rec, ok := there.Record("user1")
	if !ok || rec.Level != proto.LevelUser {
		t.Fatalf("Record: %+v %v", rec, ok)
	}
	here.Apply(Change{Record: rec})
	a, err := here.Authenticate(ctx, []byte("user1"), []byte("pass1"))
	if err != nil {
		t.Fatalf("an added account: %v", err)
	}
	b, _ := there.Authenticate(ctx, []byte("user1"), []byte("pass1"))
	if err := there.ChangePassword(ctx, b, []byte("pass2")); err != nil {
		t.Fatal(err)
	}
	if err := there.Edit([]byte("user1"), proto.LevelAdmin); err != nil {
		t.Fatal(err)
	}
	rec, _ = there.Record("user1")
	here.Apply(Change{Record: rec})
	if _, err := here.Authenticate(ctx, []byte("user1"), []byte("pass1")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("the old password after a change: %v", err)
	}
	if _, err := here.Authenticate(ctx, []byte("user1"), []byte("pass2")); err != nil {
		t.Errorf("the new password: %v", err)
	}
	if a.Level() != proto.LevelAdmin {
		t.Errorf("a live session's level: %v", a.Level())
	}
	here.Apply(Change{Record: Record{Name: "user1"}, Deleted: true})
	if !a.Deleted() {
		t.Error("a live session of a deleted account not marked deleted")
	}
	if _, err := here.Authenticate(ctx, []byte("user1"), []byte("pass1")); !errors.Is(err, ErrNoUser) {
		t.Errorf("a deleted account's login: %v", err)
	}
	if _, ok := here.Record("user1"); ok {
		t.Error("Record of a deleted account")
	}
}

// TestReplaceIfKeepsNewerChanges: users read before a change here (or
// one another router told) do not undo it: a reread that began before
// the change and ended after it once put an account back to its old
// level until the next reread.
func TestReplaceIfKeepsNewerChanges(t *testing.T) {
	s := newStore(t, nil)
	if err := s.Add(ctx, []byte("user1"), []byte("pass1")); err != nil {
		t.Fatal(err)
	}
	read, changes := s.Records(), s.Changes() // a reread's read, before the change
	if err := s.Edit([]byte("user1"), proto.LevelAdmin); err != nil {
		t.Fatal(err)
	}
	if s.ReplaceIf(read, changes) {
		t.Error("records read before an Edit replaced the store")
	}
	read, changes = s.Records(), s.Changes()
	s.Apply(Change{Record: Record{Name: "user1"}, Deleted: true})
	if s.ReplaceIf(read, changes) {
		t.Error("records read before an Apply replaced the store")
	}
	if _, ok := s.Record("user1"); ok {
		t.Error("the account a told change removed is back")
	}
	read, changes = s.Records(), s.Changes()
	if !s.ReplaceIf(read[:0], changes) {
		t.Error("records read after every change were not taken")
	}
	if len(s.Records()) != 0 {
		t.Errorf("after replacing with none: %v", s.Records())
	}
}

// TestUnknownUserTakesAsLong: an unknown user's AUTH costs a password
// hash like a wrong password's (it answered in 0.14 ms against 109 ms,
// telling guessers which names exist).
func TestUnknownUserTakesAsLong(t *testing.T) {
	s, err := New(Config{Cost: 10}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.Authenticate(ctx, []byte("nobody"), []byte("guess")) // the decoy is made once
	timeOf := func(name, password string, want error) time.Duration {
		start := time.Now()
		if _, err := s.Authenticate(ctx, []byte(name), []byte(password)); !errors.Is(err, want) {
			t.Fatalf("%s/%s: %v", name, password, err)
		}
		return time.Since(start)
	}
	wrong := timeOf("vanity", "guess", ErrWrongPassword)
	unknown := timeOf("nobody", "guess", ErrNoUser)
	if unknown < wrong/3 {
		t.Fatalf("an unknown user took %v, a wrong password %v", unknown, wrong)
	}
}
