// Package storage holds Vanity's data: typed values as mergeable state, the
// semantics of every data command, and the deltas those commands produce.
// It is pure: no files, sockets, goroutines or clocks; stamps and
// randomness come in through Ctx.
//
// # Everything is a delta, everything merges
//
// Every write produces a Delta, a fragment of one key's state stamped with
// a hybrid logical clock (package hlc). Shard.Apply joins a delta into a
// shard; the join is commutative, associative and idempotent, so
// replication, hinted handoff, repair, WAL replay and snapshot loading are
// all the same operation, and duplicates or reordering are harmless. A
// command runs on the state it sees, builds its deltas, and applies them;
// its reply is computed from the state before the write.
//
// The model (DESIGN.md §4):
//
//   - A key has a reset stamp: everything written before it is gone. DEL,
//     whole-value writes (SET, HASH_SET, SET_*_INTO) and expiry advance it;
//     a RESET advances the reset of a whole database in a shard.
//   - STR is a last-writer-wins register.
//   - INT and FLOAT are a register plus one slot per writing actor (see
//     counter): sequentially exact, and concurrent increments are never
//     lost nor counted twice, whatever order the deltas arrive in
//     (TestCountersAreExact).
//   - SET and HASH are a last-writer-wins register per member or field;
//     removals are tombstones.
//   - LIST elements have ids (position, stamp) ordering them; pushes take a
//     position beyond either end; removals are tombstones; LIST_SET writes an
//     element's value register.
//   - The deadline is a register per key; an expired key reads as missing,
//     and its removal resets the key at the end of the deadline's
//     millisecond, so writes made after it expired survive everywhere.
//   - Concurrent creation of one key with different types keeps both
//     states; the one with the latest type stamp is visible.
//
// Tombstones are kept only by shards created with keepTombstones, where
// late deltas can arrive; a lone shard drops removed state at once.
//
// # Files
//
// Exec (exec.go) runs one data command: the scalar commands are there,
// the LIST, SET (set algebra included) and HASH commands in exec_list.go,
// exec_set.go and exec_hash.go, locks in exec_lock.go, the scans of a
// set's or hash's members by their hashes in exec_scan.go, a string's
// bits in exec_bits.go, HyperLogLog sketches (strings in Redis's format,
// package hll) in exec_hll.go. value.go and
// list.go hold the mergeable values, shard.go the keyspace and Apply
// (each database's keys a table of its own: keytable.go),
// delta.go and codec.go deltas and their encoding (with compact stamps or
// full ones, which digests always hash), digest.go the digests
// replicas compare (anti-entropy's per shard; a digest read's per key, in
// which a set, hash or list stands for its parts by the sum of their
// hashes, kept as they change: partsum.go). A set or hash also keeps its
// live members in a list of chunks (names.go), so that a random pick
// takes constant time; a list's elements are packed in chunks of bytes
// (elems.go), each encoded against its chunk's first id.
// borrowed.go holds the storage a command's deltas borrow for their
// slices and for the bytes of their keys, pushed list values, added set
// members and written hash fields (Ctx.Borrowed), reused from one
// command to the next; tombs.go a
// list's tombstones, packed once they are many. version.go gives a key's
// version (a hash of its state digest, its partition's reset and whether
// its deadline passed) for KEY_VERSION and the KEY_VERSION_IS checks a
// transaction makes before it runs (ChecksHold).
// serial.go is the storage side of the serial path
// (docs/serial.md): a key's acceptor register read from a shard (its
// state's latest stamp, and its promise in PromiseDB), the applied record
// kept beside a state in AppliedDB, and a command run as a proposal whose
// whole resulting state is stamped at the ballot.
//
// # Ownership and concurrency
//
// A Shard is not safe for concurrent use; the node serializes access with
// a lock per partition. The deltas a command makes borrow their keys,
// their slices, and the strings of a list's pushed values and of the
// members a command adds (Delta.lentKey, ValDelta.lent) from Ctx.Borrowed
// until the caller resets it: a shard copies what it keeps of them, so a
// write that changes a value in place allocates nothing for its key.
// Decoded deltas own their strings. Exec's request
// slices may alias a network buffer; storage copies what it keeps.
package storage
