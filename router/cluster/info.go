package cluster

import (
	"context"
	"fmt"
	"strconv"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// ClusterInfo implements router.Informer: one array per member (name,
// role, RPC address, state, partitions served, partitions the ring gives
// it: those whose replica set it is in, which with one replica are those
// it is primary for) after a header string with the ring's version,
// partition count and replica count. Served differs from owned while
// partitions move.
func (b *Backend) ClusterInfo(ctx context.Context, dst []byte) ([]byte, error) {
	b.poll(ctx)
	rt := b.refresh()
	version := "none"
	if rt.ring != nil {
		version = fmt.Sprintf("%016x", rt.ring.Version())
	}
	owned := map[string]int{}
	if rt.ring != nil {
		for p := 0; p < b.partitions(); p++ {
			for _, i := range rt.ring.Replicas(p) {
				owned[rt.ring.Member(int(i)).ID]++
			}
		}
	}
	dst = proto.AppendContainerHeader(dst, proto.TypeArr, len(rt.members)+1)
	header := fmt.Sprintf("ring %s partitions %d replicas %d", version, b.partitions(), b.replicas())
	if rt.ring != nil && rt.ring.ReplicaCount() < b.replicas() {
		header += fmt.Sprintf(" (only %d copies: fewer storage nodes than replicas)", rt.ring.ReplicaCount())
	}
	dst = proto.AppendStr(dst, header)
	for _, m := range rt.members {
		dst = proto.AppendContainerHeader(dst, proto.TypeArr, 6)
		dst = proto.AppendStr(dst, m.Name)
		dst = proto.AppendStr(dst, m.Role)
		dst = proto.AppendStr(dst, m.RPC)
		dst = proto.AppendStr(dst, m.State.String())
		dst = proto.AppendInt(dst, int64(rt.held[m.Name]))
		dst = proto.AppendInt(dst, int64(owned[m.Name]))
		dst = proto.AppendContainerEnd(dst, proto.TypeArr)
	}
	return proto.AppendContainerEnd(dst, proto.TypeArr), nil
}

var (
	_ router.Describer = (*Backend)(nil)
	_ router.Describer = (*Local)(nil)
)

// Describe implements router.Describer: the cluster's shape as this router
// sees it (CLUSTER_INFO lists the members).
func (b *Backend) Describe(context.Context) ([]router.InfoField, error) {
	rt := b.refresh()
	version, copies := "none", 0
	if rt.ring != nil {
		version, copies = fmt.Sprintf("%016x", rt.ring.Version()), rt.ring.ReplicaCount()
	}
	ready := "no"
	if rt.ready {
		ready = "yes"
	}
	f := func(name, value string) router.InfoField {
		return router.InfoField{Section: "cluster", Name: name, Value: value}
	}
	return []router.InfoField{
		f("mode", "cluster"),
		f("ring", version),
		f("partitions", strconv.Itoa(b.partitions())),
		f("replicas", strconv.Itoa(b.replicas())),
		f("copies", strconv.Itoa(copies)),
		f("nodes_alive", strconv.Itoa(len(rt.nodes))),
		f("nodes_failed", strconv.Itoa(len(rt.failed))),
		f("other_routers", strconv.Itoa(len(rt.routers))),
		f("every_partition_served", ready),
	}, nil
}

// Describe implements router.Describer: the one node in process.
func (l *Local) Describe(context.Context) ([]router.InfoField, error) {
	return append([]router.InfoField{
		{Section: "cluster", Name: "mode", Value: "standalone"},
		{Section: "cluster", Name: "partitions", Value: strconv.Itoa(l.node.Partitions())},
	}, l.node.Describe()...), nil
}

// Copies is how many copies of each partition the ring keeps now (0
// before there is one): fewer than the replicas asked for while there
// are fewer storage nodes.
func (b *Backend) Copies() int {
	if rt := b.routes.Load(); rt.ring != nil {
		return rt.ring.ReplicaCount()
	}
	return 0
}
