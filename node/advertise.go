package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/vanitydb/vanity/ring/gossip"
)

// Gossiping the set of partitions this node serves.

// advertiseSoon asks the advertiser to gossip the held set. Gossiping
// waits for the broadcast (up to seconds), which must not hold up a
// hand-off or a reconciliation; routers and nodes ask over RPC meanwhile.
func (s *Service) advertiseSoon() {
	select {
	case s.advKick <- struct{}{}:
	default:
	}
}

// advertiser gossips the held set when asked, until ctx ends.
func (s *Service) advertiser(ctx context.Context) {
	defer close(s.advDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.advKick:
			s.advertise()
		}
	}
}

// advertise gossips the held set if it changed. Calls are serialized so
// an older set is never gossiped after a newer one, and a set that failed
// to go out is retried on the next call.
func (s *Service) advertise() {
	s.advMu.Lock()
	defer s.advMu.Unlock()
	tag := s.servedTag()
	s.mu.Lock()
	same := tag == s.lastTag
	leaving := s.leaving
	s.mu.Unlock()
	// After Leave, serf must not be asked to change tags (memberlist
	// crashes); the other nodes ask a leaving node over RPC instead.
	if same || leaving {
		return
	}
	if err := s.gossip.SetTag(gossip.PartsTag, tag); err != nil {
		s.log.Warn("advertising partitions failed", "err", err)
		return
	}
	s.mu.Lock()
	s.lastTag = tag
	s.mu.Unlock()
}

// servedTag is the gossip tag of the partitions this node serves now.
func (s *Service) servedTag() string { return gossip.EncodeParts(s.node.Held()) }

// Ready reports whether the node takes its full share of traffic: it has
// not left, no partition it holds is still catching up after a restart
// (those refuse reads until they have), and the set it serves has gone
// out in its gossip.
func (s *Service) Ready() error {
	s.mu.Lock()
	leaving := s.leaving
	s.mu.Unlock()
	if leaving {
		return errors.New("leaving the cluster")
	}
	catching := 0
	for i := range s.node.parts {
		if s.node.Catching(i) {
			catching++
		}
	}
	if catching > 0 {
		return fmt.Errorf("%d partitions catching up with their peers", catching)
	}
	// The other nodes take the served set from its gossip when they
	// cannot ask (a peer's view of this node failed): until it is out,
	// they may still count the partitions caught up as not served here.
	tag := s.servedTag()
	s.mu.Lock()
	gossiped := s.lastTag == tag
	s.mu.Unlock()
	if !gossiped {
		s.advertiseSoon()
		return errors.New("the partitions it serves are not yet gossiped")
	}
	return nil
}
