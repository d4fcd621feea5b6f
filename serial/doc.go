// Package serial is the consensus core of the serial path (docs/serial.md):
// ballots, the acceptor register's transitions (Prepare, Accept), the
// proposer's counting of a phase's answers (Phase, with the joint quorums
// of a partition whose replica set is changing; Quorum), and the applied record a
// key's state carries of the commands it holds (Applied). Everything here is a pure
// function of its inputs: the node keeps the registers in its partitions,
// logs them durably before answering, and sends the messages; what a
// state means (a key's delta and a command's reply) is opaque here.
//
// The node's proposer (node/proposer.go, rounds.go) counts its rounds with Phase; its
// acceptors keep the register in the key's own state (storage.Shard.
// Acceptor). The tests here run many proposers against lossy, reordering
// acceptors and check that once a state is chosen, every state chosen
// after it was computed from it.
package serial
