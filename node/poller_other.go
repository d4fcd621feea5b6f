//go:build !linux

package node

import (
	"log/slog"

	"github.com/vanitydb/vanity/node/rpc"
)

// startPoller: elsewhere than on Linux a goroutine reads each RPC
// connection.
func startPoller(int, *slog.Logger) (rpc.Poller, func()) { return nil, func() {} }
