package router

import (
	"context"

	"github.com/vanitydb/vanity/proto"
)

type consistencyKey struct{}

// WithConsistency returns ctx carrying a session's read and write levels
// (PROTOCOL.md §12.1), for a Backend that replicates.
func WithConsistency(ctx context.Context, levels [2]proto.Consistency) context.Context {
	return context.WithValue(ctx, consistencyKey{}, levels)
}

// ConsistencyOf returns the read and write levels ctx carries: the
// session's, or the default QUORUM, QUORUM.
func ConsistencyOf(ctx context.Context) [2]proto.Consistency {
	levels, _ := ctx.Value(consistencyKey{}).([2]proto.Consistency)
	return levels
}

// backendCtx is the context of the session's backend calls: the
// connection's, carrying the session's consistency levels when they are
// not the default (made once, when CONSISTENCY changes them).
func (c *conn) backendCtx() context.Context {
	if c.sess.bctx != nil {
		return c.sess.bctx
	}
	return c.ctx
}
