package cluster

import (
	"context"
	"fmt"

	"github.com/vanitydb/vanity/proto"
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
		for p := 0; p < b.cfg.Partitions; p++ {
			for _, i := range rt.ring.Replicas(p) {
				owned[rt.ring.Member(int(i)).ID]++
			}
		}
	}
	dst = proto.AppendContainerHeader(dst, proto.TypeArr, len(rt.members)+1)
	header := fmt.Sprintf("ring %s partitions %d replicas %d", version, b.cfg.Partitions, b.cfg.Replicas)
	if rt.ring != nil && rt.ring.ReplicaCount() < b.cfg.Replicas {
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
