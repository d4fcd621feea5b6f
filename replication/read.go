package replication

import (
	"context"
	"time"
)

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

// Speculate is how long ReadMany waits for the replicas it asked before it
// asks one more.
const Speculate = 20 * time.Millisecond

// ReadMany gathers the states of several partitions' keys from their
// replicas, each until its Need copies (the coordinator counts as one)
// have contributed, and hands every answer to join with the want and the
// replica that gave it; the coordinator answers from the joined state. The
// requests for one replica go in one call. It asks only as many replicas
// as each want needs at first, and one more for a want whenever one fails
// or none has answered for Speculate, so a healthy read costs the
// replicas nothing beyond the quorum. It returns how many copies
// contributed to each want (Need or more: it was met). Answers arriving
// later are not waited for.
func ReadMany(ctx context.Context, wants []Want, join func(w int, r Replica, states []byte) error) []int {
	got := make([]int, len(wants))
	asked := make([]int, len(wants))   // replicas asked so far (a prefix of Replicas)
	pending := make([]int, len(wants)) // of those, not yet answered
	open := 0
	for i := range wants {
		got[i] = 1
		if got[i] < wants[i].Need {
			open++
		}
	}
	if open == 0 {
		return got
	}
	type call struct {
		r     Replica
		wants []int
	}
	type answer struct {
		c   call
		out []StateAnswer
		err error
	}
	capacity := 0
	for _, w := range wants {
		capacity += len(w.Replicas)
	}
	answers := make(chan answer, capacity) // every replica of every want at most once
	// ask sends, for each want in ws, a request to its next replica,
	// grouped into one call per replica.
	ask := func(ws []int) {
		calls := map[string]*call{}
		var order []string
		for _, i := range ws {
			w := &wants[i]
			if asked[i] >= len(w.Replicas) {
				continue
			}
			r := w.Replicas[asked[i]]
			asked[i]++
			pending[i]++
			c := calls[r.Name()]
			if c == nil {
				c = &call{r: r}
				calls[r.Name()] = c
				order = append(order, r.Name())
			}
			c.wants = append(c.wants, i)
		}
		for _, name := range order {
			c := *calls[name]
			reqs := make([]StateReq, len(c.wants))
			for k, i := range c.wants {
				reqs[k] = wants[i].Req
			}
			go func() {
				out, err := c.r.States(ctx, reqs)
				if err == nil && len(out) != len(reqs) {
					err = errShortAnswer
				}
				answers <- answer{c, out, err}
			}()
		}
	}
	var first []int
	for i, w := range wants {
		for k := got[i]; k < w.Need; k++ {
			first = append(first, i)
		}
	}
	ask(first)
	short := func(i int) bool { return got[i] < wants[i].Need }
	timer := time.NewTimer(Speculate)
	defer timer.Stop()
	for open > 0 {
		waiting := false
		for i := range wants {
			waiting = waiting || short(i) && pending[i] > 0
		}
		if !waiting {
			return got // every want is met or out of replicas
		}
		select {
		case a := <-answers:
			var again []int
			for k, i := range a.c.wants {
				pending[i]--
				err := a.err
				if err == nil {
					err = a.out[k].Err
				}
				if err == nil && short(i) {
					err = join(i, a.c.r, a.out[k].States)
					if err == nil {
						if got[i]++; !short(i) {
							open--
						}
					}
				}
				if err != nil && short(i) {
					again = append(again, i)
				}
			}
			ask(again)
		case <-timer.C:
			var slow []int
			for i := range wants {
				if short(i) && pending[i] > 0 {
					slow = append(slow, i)
				}
			}
			ask(slow)
			timer.Reset(Speculate)
		case <-ctx.Done():
			return got
		}
	}
	return got
}
