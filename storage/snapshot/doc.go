// Package snapshot reads and writes snapshot files: the whole state of some
// partitions, as deltas, compressed with zstd and checksummed.
//
// A file is a header followed by frames:
//
//	file   = magic:"VANITYSS" version:u16 reserved:u16 frame*
//	frame  = record(kind:u8 payload)     (package record; version 2)
//	meta   (kind 1) = partitions:uvarint position:uvarint created.time:uvarint
//	                  created.actor:uvarint
//	chunk  (kind 2) = partition:uvarint position:uvarint deltas:uvarint
//	                  zstd(record*)
//	         record = length:uvarint storage.AppendDelta bytes
//	end    (kind 3) = chunks:uvarint deltas:uvarint
//
// The meta frame comes first and the end frame last; a file without its end
// frame is incomplete and is refused, so a crash while writing can never be
// mistaken for a snapshot. A partition may span several chunks, which keeps
// frames small and lets a cluster stream one partition as its own file.
// Position is the write-ahead-log position the snapshot covers: recovery
// replays only records after it; a chunk's position is its partition's.
// A partition's deltas are captured apart from their compression and
// writing (Capture), so that a node holds each partition's lock for the
// capture alone; a large partition may be captured and written in parts
// (several Partition calls for one partition), which bounds the capture.
// A capture is meant to be kept from one snapshot to the next (Reset
// between partitions, Trim after a snapshot, which lets an outsized one
// go): growing it anew each time was some 40% of a snapshot's time.
//
// Version 1 files framed each frame as kind:u8 length:u32 crc:u32 payload
// (CRC-32C over kind and payload); they are still read.
//
// Frame kinds and the version are part of the on-disk format: ONLY APPEND.
//
// Writer and Read are not safe for concurrent use; each owns its stream.
package snapshot
