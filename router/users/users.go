package users

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vanitydb/vanity/proto"
	"golang.org/x/crypto/bcrypt"
)

// MinLength is the shortest allowed username and password, in bytes.
const MinLength = 4

// Errors of the user commands; the router maps each to its exact reply.
var (
	ErrUsernameTooShort = errors.New(proto.MsgUsernameTooShort)
	ErrPasswordTooShort = errors.New(proto.MsgPasswordTooShort)
	ErrExists           = errors.New(proto.MsgUserExists)
	ErrNoUser           = errors.New(proto.MsgUserMissing)
	ErrWrongPassword    = errors.New(proto.MsgIncorrectPassword)
	ErrInvalidLevel     = errors.New(proto.MsgInvalidAuthLevel)
	ErrDeleteSelf       = errors.New(proto.MsgCannotDeleteSelf)
)

// Record is an account as persisted.
type Record struct {
	Name  string
	Hash  []byte // bcrypt of base64(SHA-256(password))
	Level proto.Level
}

// Account is a live account. Sessions keep a pointer to it.
type Account struct {
	name    string
	level   atomic.Uint32
	deleted atomic.Bool

	// guarded by Store.mu
	hash []byte
	memo []byte // HMAC of the last password that checked out
}

// Name returns the account's username.
func (a *Account) Name() string { return a.name }

// Level returns the account's current level.
func (a *Account) Level() proto.Level { return proto.Level(a.level.Load()) }

// Deleted reports whether the account was deleted.
func (a *Account) Deleted() bool { return a.deleted.Load() }

// Saver persists a change: all is the whole set after it, changed the
// record added or updated, or (with deleted) the one removed. A file saver
// rewrites all; a cluster saver writes just the change.
type Saver interface {
	Save(all []Record, changed Record, deleted bool) error
}

// Config configures a Store.
type Config struct {
	Cost    int   // bcrypt cost (default bcrypt.DefaultCost)
	Workers int   // concurrent hash computations (default 1)
	Saver   Saver // nil: in memory only
}

// Store holds the accounts.
type Store struct {
	cost    int
	saver   Saver
	pool    chan struct{}
	memoKey [32]byte
	// decoy is a hash at the store's cost that no password matches: an
	// unknown user's password is checked against it, so that the answer
	// takes as long as a wrong password's.
	decoy     []byte
	decoyOnce sync.Once

	mu       sync.Mutex
	accounts map[string]*Account
	// changes counts the changes made here or applied (Apply): a read of
	// the users begun before one is older than the store (ReplaceIf).
	changes uint64
}

// New returns a store holding records. If records is empty it is seeded
// with the default administrator (name and password given), which is then
// saved like any other account.
func New(cfg Config, records []Record, adminName, adminPassword string) (*Store, error) {
	if cfg.Cost == 0 {
		cfg.Cost = bcrypt.DefaultCost
	}
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	s := &Store{cost: cfg.Cost, saver: cfg.Saver, pool: make(chan struct{}, cfg.Workers), accounts: map[string]*Account{}}
	if _, err := rand.Read(s.memoKey[:]); err != nil {
		return nil, err
	}
	for _, r := range records {
		a := &Account{name: r.Name, hash: r.Hash}
		a.level.Store(uint32(r.Level))
		s.accounts[r.Name] = a
	}
	if len(s.accounts) > 0 {
		return s, nil
	}
	if len(adminName) < MinLength || len(adminPassword) < MinLength {
		return nil, fmt.Errorf("users: default admin name and password need %d bytes", MinLength)
	}
	hash, err := s.hash(context.Background(), []byte(adminPassword))
	if err != nil {
		return nil, err
	}
	a := &Account{name: adminName, hash: hash}
	a.level.Store(uint32(proto.LevelAdmin))
	s.accounts[adminName] = a
	if err := s.saveLocked(a, false); err != nil {
		return nil, err
	}
	return s, nil
}

// Changes returns the count of changes ReplaceIf compares.
func (s *Store) Changes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// ReplaceIf installs records loaded from elsewhere (another router
// changed them), read when Changes returned changes, unless the store
// changed since (the read may have missed that change); it reports
// whether it replaced them. Accounts keep their identity: live sessions
// see new levels, deleted accounts are marked deleted, and a changed
// password drops the login memo.
func (s *Store) ReplaceIf(records []Record, changes uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changes != changes {
		return false
	}
	s.replaceLocked(records)
	return true
}

func (s *Store) replaceLocked(records []Record) {
	seen := make(map[string]bool, len(records))
	for _, r := range records {
		seen[r.Name] = true
		s.installLocked(r)
	}
	for name := range s.accounts {
		if !seen[name] {
			s.removeLocked(name)
		}
	}
}

// Change is one account's change, as one router tells the others: the
// account as it now is, or (Deleted) the name of one removed.
type Change struct {
	Record  Record
	Deleted bool
}

// Apply installs one account's change made elsewhere, as ReplaceIf does
// for every account: without reading the users back, so the change takes
// effect here while the cluster cannot answer that read.
func (s *Store) Apply(c Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if c.Deleted {
		s.removeLocked(c.Record.Name)
		return
	}
	s.installLocked(c.Record)
}

// Record returns the account name as it now is, and whether it exists.
func (s *Store) Record(name string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[name]
	if a == nil {
		return Record{}, false
	}
	return Record{Name: a.name, Hash: a.hash, Level: a.Level()}, true
}

// installLocked adds r's account or updates the one of its name in place.
func (s *Store) installLocked(r Record) {
	a := s.accounts[r.Name]
	if a == nil {
		a = &Account{name: r.Name}
		s.accounts[r.Name] = a
	}
	if string(a.hash) != string(r.Hash) {
		a.hash, a.memo = r.Hash, nil
	}
	a.level.Store(uint32(r.Level))
}

// removeLocked removes the account name, if any, marking it deleted for
// its live sessions.
func (s *Store) removeLocked(name string) {
	if a := s.accounts[name]; a != nil {
		delete(s.accounts, name)
		a.deleted.Store(true)
	}
}

func prehash(password []byte) []byte {
	sum := sha256.Sum256(password)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum[:])
	return out
}

// work runs fn on the bounded worker pool.
func (s *Store) work(ctx context.Context, fn func()) error {
	select {
	case s.pool <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.pool }()
	fn()
	return nil
}

func (s *Store) hash(ctx context.Context, password []byte) ([]byte, error) {
	var hash []byte
	var err error
	if werr := s.work(ctx, func() { hash, err = bcrypt.GenerateFromPassword(prehash(password), s.cost) }); werr != nil {
		return nil, werr
	}
	return hash, err
}

func (s *Store) memo(password []byte) []byte {
	m := hmac.New(sha256.New, s.memoKey[:])
	m.Write(password)
	return m.Sum(nil)
}

// Authenticate checks a password, in the order of PROTOCOL.md §6.6: a short
// password first, then the user's existence, then the password itself. An
// unknown user costs a password hash too (a decoy's), so the time taken
// does not tell it from a wrong password.
func (s *Store) Authenticate(ctx context.Context, name, password []byte) (*Account, error) {
	if len(password) < MinLength {
		return nil, ErrPasswordTooShort
	}
	s.mu.Lock()
	a := s.accounts[string(name)]
	var hash, memo []byte
	if a != nil {
		hash, memo = a.hash, a.memo
	}
	s.mu.Unlock()
	if a == nil {
		s.decoyOnce.Do(func() {
			var random [32]byte
			_, _ = rand.Read(random[:])
			s.decoy, _ = bcrypt.GenerateFromPassword(random[:], s.cost)
		})
		if werr := s.work(ctx, func() { _ = bcrypt.CompareHashAndPassword(s.decoy, prehash(password)) }); werr != nil {
			return nil, werr
		}
		return nil, ErrNoUser
	}
	m := s.memo(password)
	if memo != nil && subtle.ConstantTimeCompare(m, memo) == 1 {
		return a, nil
	}
	var err error
	if werr := s.work(ctx, func() { err = bcrypt.CompareHashAndPassword(hash, prehash(password)) }); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, ErrWrongPassword
	}
	s.mu.Lock()
	if subtle.ConstantTimeCompare(a.hash, hash) == 1 {
		a.memo = m
	}
	s.mu.Unlock()
	return a, nil
}

// Add creates a USER account.
func (s *Store) Add(ctx context.Context, name, password []byte) error {
	if len(name) < MinLength {
		return ErrUsernameTooShort
	}
	if len(password) < MinLength {
		return ErrPasswordTooShort
	}
	s.mu.Lock()
	_, exists := s.accounts[string(name)]
	s.mu.Unlock()
	if exists {
		return ErrExists
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.accounts[string(name)]; exists {
		return ErrExists
	}
	a := &Account{name: string(name), hash: hash}
	a.level.Store(uint32(proto.LevelUser))
	s.accounts[a.name] = a
	if err := s.saveLocked(a, false); err != nil {
		delete(s.accounts, a.name)
		return err
	}
	return nil
}

// Edit changes an account's level; live sessions see it at once.
func (s *Store) Edit(name []byte, level proto.Level) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[string(name)]
	if a == nil {
		return ErrNoUser
	}
	if level != proto.LevelUser && level != proto.LevelAdmin {
		return ErrInvalidLevel
	}
	old := a.level.Swap(uint32(level))
	if err := s.saveLocked(a, false); err != nil {
		a.level.Store(old)
		return err
	}
	return nil
}

// Delete removes an account; its live sessions are closed on their next
// request. self is the name of the caller, who may not delete itself.
func (s *Store) Delete(name []byte, self string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[string(name)]
	if a == nil {
		return ErrNoUser
	}
	if a.name == self {
		return ErrDeleteSelf
	}
	delete(s.accounts, a.name)
	if err := s.saveLocked(a, true); err != nil {
		s.accounts[a.name] = a
		return err
	}
	a.deleted.Store(true)
	return nil
}

// ChangePassword sets a new password for the caller's account.
func (s *Store) ChangePassword(ctx context.Context, a *Account, password []byte) error {
	if len(password) < MinLength {
		return ErrPasswordTooShort
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.Deleted() || s.accounts[a.name] != a {
		return ErrNoUser
	}
	oldHash, oldMemo := a.hash, a.memo
	a.hash, a.memo = hash, nil
	if err := s.saveLocked(a, false); err != nil {
		a.hash, a.memo = oldHash, oldMemo
		return err
	}
	return nil
}

// Records returns every account, sorted by name.
func (s *Store) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recordsLocked()
}

func (s *Store) recordsLocked() []Record {
	out := make([]Record, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, Record{Name: a.name, Hash: a.hash, Level: a.Level()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Store) saveLocked(changed *Account, deleted bool) error {
	s.changes++ // a change undone when its save fails counts too: no harm
	if s.saver == nil {
		return nil
	}
	return s.saver.Save(s.recordsLocked(), Record{Name: changed.name, Hash: changed.hash, Level: changed.Level()}, deleted)
}

// EncodeRecord renders a record as one line of the users file format
// (without the newline), for savers that store records one by one.
func EncodeRecord(r Record) string {
	return fmt.Sprintf("%s %s %s", r.Level, base64.StdEncoding.EncodeToString([]byte(r.Name)), r.Hash)
}

// DecodeRecord parses EncodeRecord's output.
func DecodeRecord(line string) (Record, error) {
	recs, err := parse(strings.NewReader(fileHeader+"\n"+line+"\n"), "record")
	if err != nil || len(recs) != 1 {
		return Record{}, fmt.Errorf("users: bad record %q", line)
	}
	return recs[0], nil
}

// Users file format, one record per line after a header:
//
//	vanity-users 1
//	<level> <base64 of the name> <bcrypt hash>
const fileHeader = "vanity-users 1"

// FileSaver writes records to a file, replacing it atomically: temporary
// file, fsync, rename, fsync of the directory.
type FileSaver struct{ Path string }

// Save implements Saver.
func (f FileSaver) Save(records []Record, _ Record, _ bool) error {
	var b strings.Builder
	b.WriteString(fileHeader + "\n")
	for _, r := range records {
		b.WriteString(EncodeRecord(r) + "\n")
	}
	return writeAtomic(f.Path, []byte(b.String()))
}

func writeAtomic(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "tmp."+filepath.Base(path))
	fh, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	_, err = fh.Write(data)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		var d *os.File
		if d, err = os.Open(filepath.Dir(path)); err == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("users: save %s: %w", path, err)
	}
	return nil
}

// Load reads a users file. A missing file gives no records (and no error).
// A temporary file left by a crash during a save is removed: the save
// never completed, so the file it was replacing is the current one.
func Load(path string) ([]Record, error) {
	_ = os.Remove(filepath.Join(filepath.Dir(path), "tmp."+filepath.Base(path)))
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer f.Close()
	return parse(f, path)
}

func parse(r io.Reader, path string) ([]Record, error) {
	sc := bufio.NewScanner(r)
	var out []Record
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != fileHeader {
				return nil, fmt.Errorf("users: %s is not a users file", path)
			}
			continue
		}
		if text == "" {
			continue
		}
		parts := strings.Split(text, " ")
		if len(parts) != 3 {
			return nil, fmt.Errorf("users: %s:%d: malformed record", path, line)
		}
		var level proto.Level
		switch parts[0] {
		case "USER":
			level = proto.LevelUser
		case "ADMIN":
			level = proto.LevelAdmin
		default:
			return nil, fmt.Errorf("users: %s:%d: bad level %q", path, line, parts[0])
		}
		name, err := base64.StdEncoding.DecodeString(parts[1])
		if err != nil {
			return nil, fmt.Errorf("users: %s:%d: bad name: %v", path, line, err)
		}
		if _, err := bcrypt.Cost([]byte(parts[2])); err != nil {
			return nil, fmt.Errorf("users: %s:%d: bad hash: %v", path, line, err)
		}
		out = append(out, Record{Name: string(name), Hash: []byte(parts[2]), Level: level})
	}
	return out, sc.Err()
}
