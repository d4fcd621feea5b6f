// Package ring decides where keys live: the partition of a key and, in a
// cluster, the nodes that hold each partition.
//
// A key's partition is xxhash64 of the key modulo the partition count,
// which is fixed when a cluster is created. When a key contains a "{tag}"
// (the first '{', then the first '}' after it, with something between), only
// the tag is hashed, so keys that share a tag share a partition: this is how
// users co-locate the keys of a multi-key command or a transaction.
//
// The package is pure: no I/O, no goroutines, no clocks. Everything in it is
// safe for concurrent use.
package ring
