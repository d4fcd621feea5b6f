// Package node is a storage node: it owns partitions of the keyspace, runs
// data commands against them, keeps them durable, and, in a cluster,
// replicates them.
//
// Every data command goes through Coordinator.Run, which takes a run of
// commands (rpc.Run: a router's turn for this node, or the single
// process's turn in process) and answers one Result entry per request:
// quorum reads first (replication.Reads, batched per replica node; peers
// found failing or silent lately are asked last, slowpeers.go; a
// transaction's keys are joined so too, writes and all), then
// Node.apply runs the commands in order, then each other replica node
// gets the deltas of its partitions in one call while this node makes
// its own log durable (replication.Tracker decides when each write has
// its copies). The single process is the one-replica case: no quorum
// reads, no sends, one log wait per turn.
//
// Each partition is a storage.Shard behind its own mutex. A command locks
// the partitions of its keys in ascending order, so multi-key commands and
// transactions are atomic and cannot deadlock one another; RESET locks
// every partition. A transaction's KEY_VERSION_IS checks (Redis's WATCH)
// are made under its locks before any of it runs; if one fails, nothing
// else runs (checksHold). Each command's deltas are encoded once, for one WAL
// record, the stream of a partition on the move and the replicas. Stamps
// come from one hybrid logical clock per node, moved past every delta
// received and past each run's floor (the latest clock its router saw), and
// sent back with each run's answer.
//
// Service is the node in a cluster (service.go): RPC server (handlers.go;
// the data path is served inline on the event loop that reads each
// connection, poller_linux.go, or on its reader goroutine without loops;
// the rest on a goroutine per call), gossip membership and the advertised partition
// set (advertise.go), the loop that decides which partitions this node
// holds, and whether the process writes compact stamps (ownership.go), and
// brings partitions in (movein.go; the node's side of
// a transfer is transfer.go), peer connections (peers.go), hints,
// anti-entropy and catch-up; an operator's leave arrives as rpc.KindLeave
// (signals only stop the process). A partition's state on a node is one enum,
// partState: absent, serving, catching up after a restart, or handed off
// and kept until its new owner confirms.
//
// Commands on the serial path (proto.Serial: conditional commands, and
// those of sessions at CONSISTENCY SERIAL) come in runs of their own and
// run as rounds of consensus (docs/serial.md): this node proposes
// (serialrun.go takes a run, proposer.go drives each command's proposal,
// rounds.go, over the acceptors of acceptorsets.go, and applied.go keeps
// a key's record of applied commands; a run's commands share each round's call to an
// acceptor, a round is driven by its acceptors' answers as they come, a run of reads
// whose replicas agree is answered from the RPC reader that brought the
// last vote, other runs go on on a goroutine, a run that writes takes its
// keys' gates and runs its commands on one key one after another, gates.go,
// and a key's next write may use the standing promise its last one won,
// standing.go) to the acceptors of the key's partition, itself among them
// (acceptor.go: votes logged and fsynced before they leave, one fsync a
// call, on complete copies only). A round asks a bare majority first, this
// node and its partner (ring.ByPartner; a peer found failing or slow goes
// last for a while, slowpeers.go), and what it chose reaches the
// acceptors that did not accept it as Learns: this node's own copy
// before the client is answered, the others gathered per peer (learn.go,
// later.go). A router's SERIAL read sent with a
// digest is answered from this node's copy and register when it and the
// peer the router also asked make a majority (readhere.go). A run's
// FENCED writes first read the locks they name at SERIAL, and read them
// again whenever a write starts over; each write runs beside its lock's
// chosen state, so that storage refuses a token older than the lock's
// (fencing.go). An ordinary
// run that writes a key this node holds a promise for, or an INCR_NUMBER
// that would turn a key's INT or STR into a FLOAT, is split (upgrade.go):
// such writes, and the run's other commands of one key on those keys, go
// on the serial path, in the run's order with the commands naming those
// keys it cannot run.
//
// Listing keys (keys.go) is outside the pipeline: ListKeys returns a page
// of one partition's keys, CountKeys each partition's count and
// CountExpiring its keys with a deadline ahead, from complete copies only
// (rpc.KindKeys, rpc.KindCount, rpc.KindExpiring), for SCAN, KEYS, DB_SIZE
// and INFO's keyspace lines, which a router assembles across partitions.
//
// Background work (the expiry sweep, and after a failure of the log the
// retries that bring writes back) runs in Run, which returns when its
// context ends. While the log has failed (a full or failing disk) the node
// refuses writes (rpc.StatusRefused) and serves reads; retryStorage, once
// a second, writes a snapshot from memory and restarts the log after it.
// With a memory limit (Config.MaxMemory, memory.go) Run reads the live
// heap every 100 ms; past the limit the node answers the writes that add
// data with an out-of-memory error (apply, and the serial proposer for
// its runs) and runs the rest, and replicas' deltas are always taken.
// Persist writes a snapshot of every partition. Goroutines a
// Coordinator starts (a disk wait under fsync=always, hint writes) are
// waited for by its Wait.
//
// Node, Coordinator and Service are safe for concurrent use.
package node
