package node

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"

	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/snapshot"
)

// Recovery spreads decoding and applying over the cores. Partitions are
// independent, so snapshot chunks go to any worker (under their partition's
// lock), and WAL deltas go to the worker that owns their partition, which
// keeps each partition's records in log order.

func recoveryWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// loadChunks applies snapshot chunks in parallel; it returns the first
// error. covered receives each partition's position.
func (n *Node) loadChunks(read func(chunk func(*snapshot.Chunk) error) error, covered func(p int, pos uint64)) (int, error) {
	w := recoveryWorkers()
	chunks := make(chan *snapshot.Chunk, 2*w)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	count := 0
	setErr := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for i := 0; i < w; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec, err := snapshot.NewDecoder()
			if err != nil {
				setErr(err)
				for range chunks {
				}
				return
			}
			defer dec.Close()
			var latest hlc.Stamp
			local := 0
			for c := range chunks {
				if c.Partition >= len(n.parts) {
					setErr(fmt.Errorf("%w: partition %d out of range", snapshot.ErrCorrupt, c.Partition))
					continue
				}
				p := &n.parts[c.Partition]
				p.mu.Lock()
				err := dec.Deltas(c, func(d *storage.Delta) error {
					latest = latest.Max(d.MaxStamp())
					p.shard.Apply(d)
					local++
					return nil
				})
				p.mu.Unlock()
				if err != nil {
					setErr(err)
				}
			}
			n.clock.Observe(latest)
			mu.Lock()
			count += local
			mu.Unlock()
		}()
	}
	err := read(func(c *snapshot.Chunk) error {
		mu.Lock()
		failed := firstErr
		mu.Unlock()
		if failed != nil {
			return failed
		}
		covered(c.Partition, c.Position)
		chunks <- c
		return nil
	})
	close(chunks)
	wg.Wait()
	if err == nil {
		err = firstErr
	}
	return count, err
}

// walJob is one delta of a WAL record, still encoded, or the clearing of
// a partition.
type walJob struct {
	p     int
	data  []byte
	clear bool
}

// replayer applies WAL deltas on workers that each own the partitions
// p % workers.
type replayer struct {
	n       *Node
	covered []uint64
	queues  []chan []walJob
	pending [][]walJob
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
}

func (n *Node) newReplayer(covered []uint64) *replayer {
	w := recoveryWorkers()
	r := &replayer{n: n, covered: covered, queues: make([]chan []walJob, w), pending: make([][]walJob, w)}
	for i := range r.queues {
		r.queues[i] = make(chan []walJob, 8)
		r.wg.Add(1)
		go r.work(r.queues[i])
	}
	return r
}

func (r *replayer) work(q chan []walJob) {
	defer r.wg.Done()
	var latest hlc.Stamp
	for batch := range q {
		for _, j := range batch {
			if j.clear {
				r.n.parts[j.p].shard = storage.NewShard(r.n.cfg.KeepTombstones)
				continue
			}
			d, err := storage.DecodeDelta(j.data)
			if err != nil {
				r.fail(err)
				continue
			}
			latest = latest.Max(d.MaxStamp())
			r.n.parts[j.p].shard.Apply(&d)
		}
	}
	r.n.clock.Observe(latest)
}

func (r *replayer) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

// record splits one WAL record and queues the deltas its partitions have
// not seen yet.
func (r *replayer) record(seq uint64, body []byte) error {
	n := r.n
	parts, k := binary.Uvarint(body)
	if k <= 0 {
		return fmt.Errorf("node: WAL record %d: bad header", seq)
	}
	if int(parts) != len(n.parts) {
		return fmt.Errorf("node: WAL record %d was written with %d partitions, the data has %d", seq, parts, len(n.parts))
	}
	body = body[k:]
	count, k := binary.Uvarint(body)
	if k <= 0 {
		return fmt.Errorf("node: WAL record %d: bad count", seq)
	}
	body = body[k:]
	if count == 0 && len(body) > 0 {
		// A partition cleared before a transfer in, or after one out.
		p, k := binary.Uvarint(body)
		if k <= 0 || p >= parts {
			return fmt.Errorf("node: WAL record %d: bad partition", seq)
		}
		if seq > r.covered[p] {
			w := int(p) % len(r.queues)
			r.pending[w] = append(r.pending[w], walJob{p: int(p), clear: true})
		}
		return nil
	}
	for i := uint64(0); i < count; i++ {
		p, k := binary.Uvarint(body)
		if k <= 0 || p >= parts {
			return fmt.Errorf("node: WAL record %d: bad partition", seq)
		}
		body = body[k:]
		size, k := binary.Uvarint(body)
		if k <= 0 || size > uint64(len(body)-k) {
			return fmt.Errorf("node: WAL record %d: bad delta length", seq)
		}
		data := body[k : k+int(size)]
		body = body[k+int(size):]
		if seq <= r.covered[p] {
			continue
		}
		w := int(p) % len(r.queues)
		r.pending[w] = append(r.pending[w], walJob{p: int(p), data: data})
		if len(r.pending[w]) >= 256 {
			r.queues[w] <- r.pending[w]
			r.pending[w] = nil
		}
	}
	return nil
}

// wait flushes the queues, waits for the workers and returns their error.
func (r *replayer) wait() error {
	for w, q := range r.queues {
		if len(r.pending[w]) > 0 {
			q <- r.pending[w]
		}
		close(q)
	}
	r.wg.Wait()
	return r.err
}
