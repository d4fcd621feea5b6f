package node

import (
	"log/slog"

	"github.com/vanitydb/vanity/internal/epoll"
	"github.com/vanitydb/vanity/node/rpc"
)

// startPoller starts n event loops reading the node's RPC connections
// (docs/decisions.md, "A node reads its RPC connections on event loops"),
// or none (nil) when n is not positive or the system refuses them; stop
// ends them.
func startPoller(n int, log *slog.Logger) (p rpc.Poller, stop func()) {
	if n <= 0 {
		return nil, func() {}
	}
	ep, err := epoll.NewPoller(n)
	if err != nil {
		log.Warn("RPC event loops unavailable; a goroutine reads each connection", "err", err)
		return nil, func() {}
	}
	return ep, ep.Close
}
