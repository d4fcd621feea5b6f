package replication

import "time"

// StateReq asks a replica for its state of keys of one partition in
// database db.
type StateReq struct {
	DB        int
	Partition int
	Keys      [][]byte
}

// StateAnswer is a replica's answer to one StateReq.
type StateAnswer struct {
	States []byte // deltas to join
	Err    error
}

// Want is one partition's part of a quorum read: the state request, the
// other replicas that hold the partition (in preference order) and how
// many copies, the coordinator's included, must contribute.
type Want struct {
	Req      StateReq
	Replicas []Replica
	Need     int
}

// Speculate is how long a quorum read waits for the replicas it asked
// before it asks one more.
const Speculate = 20 * time.Millisecond

// Ask is one call a quorum read makes: a replica, and the wants whose
// requests it carries.
type Ask struct {
	Replica Replica
	Wants   []int
}

// Reads is the plan of a quorum read of several partitions: whom to ask,
// and when the read has what it needs. It asks each want's replicas in
// their order, only as many as the want needs at first, and one more
// whenever one fails, or none has answered for Speculate, so a healthy
// read costs the replicas nothing beyond its quorum. The requests for one
// replica go in one call. It is pure and not safe for concurrent use:
// the caller feeds it the answers and makes the calls it returns.
type Reads struct {
	wants   []Want
	got     []int // copies contributed, the coordinator's included
	asked   []int // replicas asked so far (a prefix of Replicas)
	pending []int // of those, not yet answered
}

// NewReads plans a read of wants.
func NewReads(wants []Want) *Reads {
	r := &Reads{wants: wants, got: make([]int, len(wants)), asked: make([]int, len(wants)), pending: make([]int, len(wants))}
	for i := range r.got {
		r.got[i] = 1
	}
	return r
}

// Start returns the first calls to make.
func (r *Reads) Start() []Ask {
	var first []int
	for i, w := range r.wants {
		for k := r.got[i]; k < w.Need; k++ {
			first = append(first, i)
		}
	}
	return r.ask(first)
}

// Answered records replica's answer for want w (ok: its state was
// joined) and returns the calls to make now.
func (r *Reads) Answered(w int, ok bool) []Ask {
	r.pending[w]--
	switch {
	case !r.short(w):
	case ok:
		r.got[w]++
	default:
		return r.ask([]int{w})
	}
	return nil
}

// Slow returns the calls to make when nothing has answered for Speculate:
// one more replica for every want still short and waiting.
func (r *Reads) Slow() []Ask {
	var slow []int
	for i := range r.wants {
		if r.short(i) && r.pending[i] > 0 {
			slow = append(slow, i)
		}
	}
	return r.ask(slow)
}

// Done reports whether waiting longer can change nothing: every want has
// its copies, or is out of replicas to wait for.
func (r *Reads) Done() bool {
	for i := range r.wants {
		if r.short(i) && r.pending[i] > 0 {
			return false
		}
	}
	return true
}

// Got returns how many copies contributed to want w (its Need or more:
// it was met).
func (r *Reads) Got(w int) int { return r.got[w] }

// Wants returns the wants.
func (r *Reads) Wants() []Want { return r.wants }

// Short reports whether want w still needs copies (an answer for it is
// to be joined).
func (r *Reads) Short(w int) bool { return r.short(w) }

func (r *Reads) short(w int) bool { return r.got[w] < r.wants[w].Need }

// ask plans, for each want in ws, a request to its next replica, grouped
// into one call per replica.
func (r *Reads) ask(ws []int) []Ask {
	var out []Ask
	for _, i := range ws {
		w := &r.wants[i]
		if r.asked[i] >= len(w.Replicas) {
			continue
		}
		rep := w.Replicas[r.asked[i]]
		r.asked[i]++
		r.pending[i]++
		k := 0
		for k < len(out) && out[k].Replica.Name() != rep.Name() {
			k++
		}
		if k == len(out) {
			out = append(out, Ask{Replica: rep})
		}
		out[k].Wants = append(out[k].Wants, i)
	}
	return out
}
