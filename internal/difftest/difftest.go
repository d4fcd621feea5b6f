// Package difftest generates request scripts for differential tests, and
// runs them: the same requests sent two ways (one at a time and
// pipelined; to the single process and through a cluster's router, also
// while its nodes leave and join) must get the same replies, read through
// Canonical where the protocol leaves an order open.
package difftest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// Script returns n requests whose replies depend only on the requests
// before them on the same connection (no clocks, no random members, no
// unordered collections in replies): data commands on a few keys, typed
// conflicts, multi-key commands, database switches, transactions on
// co-located keys, PINGs and malformed requests. Running it one request
// at a time and pipelined must give the same replies.
func Script(seed uint64, n int) [][]byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"}
	tagged := []string{"{t}0", "{t}1", "{t}2"}
	enc := func(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }
	key := func() string { return enc(keys[r.IntN(len(keys))]) }
	val := func() string { return enc("v" + strconv.Itoa(r.IntN(100))) }
	data := func(k string) string {
		switch r.IntN(14) {
		case 0, 1:
			return "SET:STR " + k + " " + val()
		case 2, 3:
			return "GET " + k
		case 4:
			return fmt.Sprintf("INCR_INT %s %d", k, r.IntN(10)-3)
		case 5:
			return "LIST_PUSH_RIGHT " + k + " (1)[" + val() + "]"
		case 6:
			return "LIST_POP_LEFT " + k + " 1"
		case 7:
			return "LIST_RANGE " + k + " 0 -1"
		case 8:
			return "SET_ADD " + k + " (1){" + val() + "}"
		case 9:
			return "SET_LEN " + k
		case 10:
			return "HASH_SET " + k + " (1){(1)f" + val() + "}"
		case 11:
			return "HASH_GET " + k + " (1)f"
		case 12:
			return "DEL " + k
		}
		return "TYPE " + k
	}
	var out [][]byte
	for len(out) < n {
		switch x := r.IntN(100); {
		case x < 80:
			out = append(out, []byte(data(key())))
		case x < 84:
			out = append(out, []byte("MANY_GET (3)["+key()+key()+key()+"]"))
		case x < 87:
			out = append(out, []byte("SET_UNION_LEN (2)["+key()+key()+"]"))
		case x < 91:
			out = append(out, []byte("SWITCH_DB "+strconv.Itoa(r.IntN(2))))
		case x < 94:
			out = append(out, []byte("TRANSACT_BEGIN"))
			for k := 0; k < 2; k++ {
				out = append(out, []byte(data(enc(tagged[r.IntN(len(tagged))]))))
			}
			out = append(out, []byte("TRANSACT_COMMIT"))
		case x < 96:
			out = append(out, []byte("PING"))
		case x < 98:
			out = append(out, []byte("GET"))
		default:
			out = append(out, []byte("NO_SUCH_COMMAND "+key()))
		}
	}
	return out
}

// RunScript sends reqs on c, one at a time or all at once (pipelined), and
// returns the replies, with the members of sets and hashes (whose order
// the protocol leaves open) sorted.
func RunScript(c *client.Client, reqs [][]byte, pipelined bool) ([]string, error) {
	out := make([]string, 0, len(reqs))
	if !pipelined {
		for _, q := range reqs {
			p, err := c.Raw(q)
			if err != nil {
				return nil, err
			}
			out = append(out, Canonical(q, p))
		}
		return out, nil
	}
	for _, q := range reqs {
		if err := c.Send(q); err != nil {
			return nil, err
		}
	}
	if err := c.Flush(); err != nil {
		return nil, err
	}
	for range reqs {
		p, err := c.Receive()
		if err != nil {
			return nil, err
		}
		out = append(out, Canonical(reqs[len(out)], p))
	}
	return out, nil
}

// RunAgain sends reqs on c one at a time, as RunScript does, but sends a
// request again while again says its reply means it did not run (a
// cluster refusing a command for a moment: a partition moving, a node
// gossip has not yet seen leave), backing off 10 ms, for up to limit in
// all; a transaction (TRANSACT_BEGIN to its end) is sent again whole when
// its end's reply is such. The script's replies then compare with a
// server's that ran each request once.
func RunAgain(c *client.Client, reqs [][]byte, again func(reply []byte) bool, limit time.Duration) ([]string, error) {
	deadline := time.Now().Add(limit)
	out := make([]string, 0, len(reqs))
	for i := 0; i < len(reqs); {
		end := i + 1 // the unit sent together: a request, or a transaction
		if bytes.Equal(reqs[i], []byte("TRANSACT_BEGIN")) {
			for end < len(reqs) && !bytes.HasPrefix(reqs[end-1], []byte("TRANSACT_COMMIT")) && !bytes.HasPrefix(reqs[end-1], []byte("TRANSACT_DISCARD")) {
				end++
			}
		}
		var replies []string
		for {
			replies = replies[:0]
			var last []byte
			for _, q := range reqs[i:end] {
				p, err := c.Raw(q)
				if err != nil {
					return nil, err
				}
				replies, last = append(replies, Canonical(q, p)), p
			}
			if !again(last) || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond) // the cluster's moment passes by time; nothing to wait on
		}
		out = append(out, replies...)
		i = end
	}
	return out, nil
}

// Canonical returns reply p to request req with the parts whose order the
// protocol leaves open sorted: the members of sets and hashes always, and
// the elements of arrays too for the requests whose arrays are unordered
// (key listings, a hash's fields or values, and a transaction's replies,
// which may hold those).
func Canonical(req, p []byte) string {
	r, err := proto.ParseReply(p)
	if err != nil {
		return string(p)
	}
	name, _, _ := bytes.Cut(req, []byte(" "))
	switch string(name) {
	case "KEYS", "SCAN": // keys in partition order, whose partitions a deployment decides
		sortLists(&r.Value)
		proto.SortUnordered(&r)
	case "HASH_KEYS", "HASH_VALUES", "TRANSACT_COMMIT":
		proto.SortUnordered(&r)
	default:
		proto.SortMembers(&r)
	}
	return string(proto.AppendReply(nil, r))
}

func sortLists(v *proto.Value) {
	if v.Type == proto.TypeList {
		slices.SortFunc(v.Strs, bytes.Compare)
	}
	for i := range v.Elems {
		sortLists(&v.Elems[i])
	}
}
