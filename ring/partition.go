package ring

import "github.com/cespare/xxhash/v2"

// DefaultPartitions is the partition count of a new cluster. A node keeps
// the storage of each partition it holds apart, so fewer, larger
// partitions cost fewer cache misses a command; 256 still places 768
// copies (3 replicas) over a ring, enough to balance some sixty nodes
// (docs/decisions.md, "256 partitions by default").
const DefaultPartitions = 256

// DefaultReplicas is the number of copies a new cluster keeps of each
// partition: three, so that quorums of two survive the loss of a node.
const DefaultReplicas = 3

// HashKey returns the placement hash of key: xxhash64 of its tag if it has
// one, else of the whole key.
func HashKey(key []byte) uint64 {
	return xxhash.Sum64(Tag(key))
}

// Tag returns the part of key that placement hashes: the bytes between the
// first '{' and the first '}' after it when that span is non-empty, else key.
func Tag(key []byte) []byte {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > i+1 {
					return key[i+1 : j]
				}
				return key
			}
		}
		return key
	}
	return key
}

// PartitionOf returns the partition of key among n partitions.
func PartitionOf(key []byte, n int) int {
	return int(HashKey(key) % uint64(n))
}

// PartitionOfString is PartitionOf for a key held as a string.
func PartitionOfString(key string, n int) int {
	if len(key) == 0 || !containsTag(key) {
		return int(xxhash.Sum64String(key) % uint64(n))
	}
	return PartitionOf([]byte(key), n)
}

func containsTag(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' {
			return true
		}
	}
	return false
}
