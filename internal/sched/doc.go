// Package sched sets the Linux scheduling policy of every thread of the
// process (sched(7)): SCHED_OTHER ("normal") or SCHED_BATCH ("batch").
//
// A batch thread that wakes up does not preempt the thread running on its
// CPU; it runs when a CPU is free or at the next tick. A storage node or a
// router that shares its cores with the processes it talks to (a node
// with its peers and routers, a router with its nodes, on one machine)
// then finishes its turn (a run of commands, a batch of sends) before the
// peer it just woke takes the core, instead of being switched out in the
// middle of each write; measured in docs/decisions.md ("Cluster processes
// run as SCHED_BATCH"). Threads created later inherit the policy from the
// thread that creates them, so setting every thread once at start covers
// the process for its lifetime.
//
// Elsewhere than on Linux only Normal is available.
package sched
