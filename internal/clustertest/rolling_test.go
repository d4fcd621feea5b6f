package clustertest

import (
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// TestRollingRestart is docs/cluster.md's upgrade procedure: with three
// replicas, stop one node (as SIGTERM does: it stays a member), start it
// again (the new binary), wait until it is ready (no partition still
// catching up), then the next. Writes go on throughout; every
// acknowledged one reads back at the end and the counter is exact.
func TestRollingRestart(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	w, stop, wg := startWorkload(t, c, 100)
	for i := range c.Nodes {
		c.StopNode(i)
		before := w.acked()
		waitFor(t, "writes while a node is down", func() bool { return w.acked() >= before+100 })
		c.RestartNode(i)
		c.WaitReady(i)
	}
	w.stopAfter(t, 100, " after the last restart", stop, wg)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	w.readBack(t, cl, "a rolling restart")
	rep, err := cl.Get("counter")
	if err != nil || rep.Status != proto.StatusOK {
		t.Fatalf("counter: %v %s", err, client.Format(rep))
	}
	if got := int(rep.Value.Int); got < w.incrs || got > w.incrs+w.unsure {
		t.Errorf("counter %d, want between %d acknowledged and %d attempted increments", got, w.incrs, w.incrs+w.unsure)
	}
	t.Logf("%d writes acknowledged across restarting each of 3 nodes; %d failed, e.g. %v", len(w.keys), len(w.errs), w.errs)
}
