// Package node is a storage node: it owns partitions of the keyspace, runs
// data commands against them, and keeps them durable. Routers reach a node
// through Exec and ExecBatch, in process (the vanity binary) or over RPC.
//
// Each partition is a storage.Shard behind its own mutex. A command locks
// the partitions of its keys in ascending order, so multi-key commands and
// transaction batches are atomic and cannot deadlock one another; RESET
// locks every partition. Stamps come from one hybrid logical clock per
// node.
//
// Background work (the expiry sweep) runs in Run, which returns when its
// context ends. Persist writes a snapshot of every partition.
//
// Node is safe for concurrent use.
package node
