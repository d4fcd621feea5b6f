package node

import (
	"context"
	"path/filepath"
	"time"

	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/storage/wal"
)

// openHints opens the hint store beside the node's data, if it persists.
func openHints(cfg ServiceConfig, n *Node) (*replication.HintStore, error) {
	if cfg.Replicas < 2 || cfg.Node.HeldPath == "" || cfg.MaxHints < 0 {
		return nil, nil
	}
	return replication.OpenHints(n.fs, filepath.Join(filepath.Dir(cfg.Node.HeldPath), "hints"), cfg.MaxHints,
		cfg.Node.Fsync == wal.SyncAlways)
}

// deliverHints fsyncs the hints written since its last turn (HintStore.Sync)
// and hands kept hints to replicas that are alive again, until ctx ends.
func (s *Service) deliverHints(ctx context.Context) {
	defer s.wg.Done()
	every := time.Second
	if s.cfg.Fast {
		every = 200 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// Hints are fsynced as the log is: under everysec here, about
		// once a second; under always, each before it is kept; under
		// no, never.
		if s.cfg.Node.Fsync == wal.SyncEverySecond {
			if err := s.hints.Sync(); err != nil {
				s.log.Warn("hints were not fsynced; a power cut may take them, and anti-entropy will repair their replicas", "err", err)
			}
		}
		alive := map[string]string{}
		for _, m := range s.gossip.Members() {
			if m.Role == gossip.RoleNode && m.State == gossip.Alive {
				alive[m.Name] = m.RPC
			}
		}
		for _, name := range s.hints.Replicas() {
			addr, ok := alive[name]
			if !ok {
				continue
			}
			r := rpcReplica{name: name, client: s.peer(addr)}
			n, err := s.hints.Deliver(ctx, name, func(ctx context.Context, items []replication.Item) error {
				cctx, cancel := context.WithTimeout(ctx, replicateTimeout)
				defer cancel()
				return r.Store(cctx, items)
			})
			if n > 0 || err != nil {
				s.log.Info("hints delivered", "replica", name, "count", n, "err", err)
			}
		}
	}
}
