// Package users keeps the accounts that sessions authenticate as: names,
// password hashes and levels, and the live effects of changing them.
//
// Passwords are stored only as bcrypt hashes. Because bcrypt reads at most
// 72 bytes, a password is first reduced to base64(SHA-256(password)), which
// keeps every byte of it significant. Hashing and checking run on a bounded
// pool of workers, so a flood of AUTH attempts occupies at most that many
// cores while other clients carry on. After a successful check the store
// remembers an HMAC of the password under a random per-process key, so a
// client that reconnects often is not charged a bcrypt check every time;
// failed attempts always pay the full price. The memo lives in memory only
// and is dropped when the password changes.
//
// A session holds the *Account it authenticated as. EDIT_USER changes the
// account's level in place and DEL_USER marks it deleted, so every live
// session sees the change on its next request (PROTOCOL.md §5.5).
//
// The store persists through a Saver after every change; FileSaver writes
// the users file atomically. Changes made elsewhere (another router of a
// cluster) arrive whole, read back from the cluster (ReplaceIf, which
// drops a read that a change here overtook), or one at a time as the
// router that made them tells them (Apply). Store is safe for concurrent
// use.
package users
