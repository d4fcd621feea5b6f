package router

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/vanitydb/vanity/proto"
)

// Backend runs the data commands of the router's sessions: the local node
// in the single process, the storage nodes over RPC in a cluster.
type Backend interface {
	// NewSender returns a Sender for one event loop or connection
	// goroutine; only one goroutine uses it at a time.
	NewSender() Sender
	// Persist writes every database to durable storage.
	Persist(ctx context.Context) error
}

// WholeBackend is a Backend that runs any item whole, as one unit,
// whatever partitions its keys are in: the single process, whose one node
// holds them all. A plan whose items may run together (resp.Plan.Together:
// MSET) is held as one item for it.
type WholeBackend interface {
	Backend
	RunsItemsWhole()
}

// Poller reads sockets of a backend's on the server's event loops: see
// node/rpc.Poller, which this mirrors (the router does not depend on the
// cluster's RPC).
type Poller interface {
	Watch(fd int, ready, gone func()) (forget func(), ok bool)
}

// Sender carries data commands to where they run. An event loop submits
// the jobs of a turn and flushes once at its end: a cluster's backend
// sends each storage node one call with everything of that turn for it,
// the local backend runs them all with one wait for the log.
type Sender interface {
	// Submit queues j, which the caller has Started. Its Done is called
	// once every item has its outcome: from Flush when the items ran in
	// process, or later from another goroutine. Submit never blocks.
	Submit(j *Job)
	// Flush sends every job submitted since the last Flush.
	Flush()
}

// TurnSender is a Sender whose answers its loop reads in its turn: the
// loop calls Polling(true) before it reads the backend's sockets and
// Polling(false) after, which reports whether the sender holds something
// for Flush although nothing was submitted (a backlog that may go with
// the turn's commands instead of ahead of them).
type TurnSender interface {
	Sender
	Polling(on bool) bool
}

// Job is one connection's data commands of one turn, in order: each item
// is a command, or a transaction's commands, with the session state it
// runs under. Items on one partition run in their order; items on
// different partitions may take effect in either order (no client can
// tell from its replies).
type Job struct {
	Items []Item
	// Done is called once, when the last item gets its outcome.
	Done    func(*Job)
	pending atomic.Int32
}

// Item is one command, or a transaction's commands (run as one unit: no
// other command touches their partitions in between), and its outcome.
type Item struct {
	DB     int
	Levels [2]proto.Consistency // read, write
	Reqs   []*proto.Request
	// ID, once a backend sets it, names a write that takes effect once
	// however often the backend sends it (a cluster's serial path).
	ID [16]byte
	// The outcome: one reply per request (encoded in the client protocol;
	// they stay the backend's and unchanged until the job is reused), or
	// the error every request of the item answers.
	Replies [][]byte
	Err     error
}

// Start prepares j for a backend: every item is open.
func (j *Job) Start() {
	for i := range j.Items {
		j.Items[i].Replies, j.Items[i].Err, j.Items[i].ID = j.Items[i].Replies[:0], nil, [16]byte{}
	}
	j.pending.Store(int32(len(j.Items)))
}

// Answer gives item i its replies (one per request).
func (j *Job) Answer(i int, replies ...[]byte) {
	j.Items[i].Replies = append(j.Items[i].Replies, replies...)
	j.settled()
}

// Fail gives item i an error that all its requests answer.
func (j *Job) Fail(i int, err error) {
	j.Items[i].Err = err
	j.settled()
}

func (j *Job) settled() {
	if j.pending.Add(-1) == 0 {
		j.Done(j)
	}
}

// CommandError is a failure a Backend reports to the client as
// ERROR(n)<Msg>: a level that could not be met (PROTOCOL.md §12.1), a
// transaction whose keys span partitions. Any other error answers
// INTERNAL_ERROR.
type CommandError struct{ Msg string }

// CopyCounter is a backend that keeps several copies of each key (a
// cluster): how many it keeps now, which WAIT's answer counts from. A
// backend that is not one keeps one.
type CopyCounter interface {
	Copies() int
}

func (e *CommandError) Error() string { return e.Msg }

// ErrPersistenceDisabled is what a Backend's Persist returns when the
// server runs without persistence.
var ErrPersistenceDisabled = errors.New("persistence disabled")

// WaitSender wraps a Sender for a goroutine that waits for its jobs: Run
// submits a job, flushes, and returns once the job is done.
type WaitSender struct {
	s    Sender
	done chan struct{}
}

// NewWaitSender returns a WaitSender over s.
func NewWaitSender(s Sender) *WaitSender { return &WaitSender{s: s, done: make(chan struct{}, 1)} }

// Run runs j and waits for it.
func (w *WaitSender) Run(j *Job) {
	done := j.Done
	j.Done = func(j *Job) {
		if done != nil {
			done(j)
		}
		w.done <- struct{}{}
	}
	j.Start()
	if len(j.Items) == 0 {
		j.Done(j)
	} else {
		w.s.Submit(j)
		w.s.Flush()
	}
	<-w.done
	j.Done = done
}
