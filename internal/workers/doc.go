// Package workers runs functions on goroutines that outlive them. A
// function gets an idle worker at once, or a new goroutine when none is
// idle, so Go never waits and never limits how many functions run at once,
// as a go statement. A worker that finishes waits for the next function,
// up to a number of idle workers; past it, it ends.
//
// A goroutine's stack grows as its calls need and keeps its size: a
// worker that ran a deep call chain (a serial proposal decoding a state,
// a vote's fsync) runs the next one without copying its stack again,
// where a new goroutine starts small and grows (runtime.copystack) on
// every call.
package workers
