package gossip

import (
	"errors"
	"fmt"
	"strconv"
)

// Shape is what every member of a cluster must agree on: how many
// partitions keys hash to, and how many copies each partition keeps. A
// member with another partition count hashes keys elsewhere; one with
// another replica count places copies elsewhere and counts quorums of
// another size, so a QUORUM read could meet one copy only.
type Shape struct {
	Partitions, Replicas int
}

// The tags in which a node gossips its Shape.
const (
	PartitionsTag = "partitions"
	ReplicasTag   = "replicas"
)

// ErrShape is a partition or replica count that differs from the
// cluster's.
var ErrShape = errors.New("cluster shape mismatch")

// Tags returns s as a node gossips it.
func (s Shape) Tags() map[string]string {
	return map[string]string{PartitionsTag: strconv.Itoa(s.Partitions), ReplicasTag: strconv.Itoa(s.Replicas)}
}

// Shape returns the shape member m gossips; a count it does not gossip (a
// router, or a node of an older version) is 0.
func (m Member) Shape() Shape {
	count := func(tag string) int {
		n, err := strconv.Atoi(m.Tags[tag])
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	return Shape{Partitions: count(PartitionsTag), Replicas: count(ReplicasTag)}
}

// ShapeMismatch returns an error if m is a node other than self, not gone,
// that gossips a count other than s's; the error names the flag that fits.
func (m Member) ShapeMismatch(self string, s Shape) error {
	if m.Role != RoleNode || m.Name == self || m.State == Left {
		return nil
	}
	switch theirs := m.Shape(); {
	case theirs.Partitions != 0 && theirs.Partitions != s.Partitions:
		return fmt.Errorf("%w: node %s was created with %d partitions and this process has %d: "+
			"start this process with --partitions %d (the count is fixed when a cluster is created)",
			ErrShape, m.Name, theirs.Partitions, s.Partitions, theirs.Partitions)
	case theirs.Replicas != 0 && theirs.Replicas != s.Replicas:
		return fmt.Errorf("%w: node %s keeps %d copies of each partition and this process %d: "+
			"start this process with --replicas %d (every member of a cluster keeps the same count)",
			ErrShape, m.Name, theirs.Replicas, s.Replicas, theirs.Replicas)
	}
	return nil
}

// CheckShape returns the first mismatch (ShapeMismatch) among members, or
// nil.
func CheckShape(members []Member, self string, s Shape) error {
	for _, m := range members {
		if err := m.ShapeMismatch(self, s); err != nil {
			return err
		}
	}
	return nil
}

// LearnShape returns the shape the cluster's nodes gossip: each count as
// most of the nodes that are not gone gossip it (the smaller on a tie), or
// 0 where none does.
func LearnShape(members []Member) Shape {
	votes := [2]map[int]int{{}, {}}
	for _, m := range members {
		if m.Role != RoleNode || m.State == Left {
			continue
		}
		s := m.Shape()
		for i, n := range [2]int{s.Partitions, s.Replicas} {
			if n > 0 {
				votes[i][n]++
			}
		}
	}
	var out [2]int
	for i, v := range votes {
		for n, c := range v {
			if c > v[out[i]] || c == v[out[i]] && n < out[i] {
				out[i] = n
			}
		}
	}
	return Shape{Partitions: out[0], Replicas: out[1]}
}
