// Package gctune gives the garbage collector a floor of headroom: after
// every collection it sets GOGC so that the next one starts no sooner than
// when the heap has grown by the larger of GOGC's usual share of the live
// heap and a fixed number of bytes.
//
// A server whose live heap is small (a node with a few hundred thousand
// keys holds tens of MiB) but which allocates fast (every write's value,
// every request's frame) otherwise collects many times a second, and while
// the collector marks, every pointer written pays a write barrier. With the
// floor, a small heap collects a few times a minute; a heap larger than
// the floor times 100/GOGC collects exactly as before. The price is up to
// the headroom's bytes of memory more than GOGC alone would use.
package gctune
