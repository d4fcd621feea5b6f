// Package hlc provides hybrid logical clock stamps: the versions that order
// every write in Vanity (DESIGN.md §4).
//
// A Stamp packs wall-clock milliseconds and a logical counter into Time
// (wall<<16 | logical) and names the writing actor in Actor, which breaks
// ties, so two distinct writes never carry equal stamps:
//
//	 63                     16 15          0
//	+-------------------------+-------------+
//	|   wall clock, unix ms   |   logical   |   Time
//	+-------------------------+-------------+
//	|        actor (node id, incarnation)   |   Actor
//	+---------------------------------------+
//
// A Clock hands out strictly increasing stamps for one actor and advances
// past every stamp it observes from others, so a write always orders after
// everything its node has seen. The physical time source is injected.
//
// Clock is safe for concurrent use; Stamp is a plain value.
package hlc
