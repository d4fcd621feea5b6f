package rdb

import "hash/crc64"

// jones is the table of Redis's CRC-64 (the Jones polynomial
// 0xad93d23594c935a9, reflected: 0x95ac9329ac4bc9b5).
var jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// checksum is Redis's CRC-64 of b: reflected, starting from zero, with no
// final inversion (hash/crc64's Update inverts before and after, so it is
// not used).
func checksum(b []byte) uint64 {
	var crc uint64
	for _, c := range b {
		crc = jones[byte(crc)^c] ^ crc>>8
	}
	return crc
}
