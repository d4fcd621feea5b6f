// Package rdb reads and writes the payloads of Redis's DUMP and RESTORE:
// one value in Redis's RDB serialization, then the RDB version (two bytes,
// little-endian) and a CRC-64 of everything before it (eight bytes,
// little-endian; the Jones polynomial, reflected, starting from zero).
// It is what lets Redis tools that copy keys by DUMP and RESTORE (from a
// Redis to Vanity, or back) use the RESP listener.
//
// Decode reads every encoding a Redis up to RDB version 12 writes for a
// string, list, set or hash: strings raw, as integers or LZF-compressed
// (lzf.go); lists as plain lists, ziplists, quicklists of ziplists or of
// listpacks; sets as plain sets, intsets or listpacks; hashes as plain
// hashes, ziplists or listpacks (packs.go). Sorted sets, streams, modules,
// hashes with field expiries and zipmaps are refused (ErrUnsupported):
// Vanity has no such values. Every length is checked against the bytes
// that remain before anything is allocated for it, so a hostile payload
// costs no more memory than its own size (decompression is bounded too).
//
// Encode writes the plainest encodings (raw strings, plain lists, sets
// and hashes) under RDB version 9, which every Redis since 5.0 restores.
//
// The package is pure: bytes in, values out.
package rdb
