package resp

import "github.com/vanitydb/vanity/proto"

// Plan is what a Redis command becomes: Vanity requests grouped in items.
// The requests of one item run as a unit on one key (TTL reads existence
// and deadline together); separate items run as separate commands (DEL a
// b is two DELs, each routed to its key's partition). The listener runs
// the items and gives the replies, in request order, to AppendReplies.
type Plan struct {
	Reqs  []*proto.Request
	Items []int // Items[k]: where item k's requests start in Reqs
	// DBs[k], when DBs is not empty, is the database item k runs in
	// (FLUSHALL's RESET of each); otherwise every item runs in the
	// session's.
	DBs []int
	// Shape is how the replies combine: the command's, unless its
	// arguments change it (LPOP with a count answers an array).
	Shape Shape
	// DB is the database the command names (COPY's DB), which must be
	// the session's, since a plan runs in that one; -1: none named.
	DB int
	// Together says the items may also run as one unit, atomically, where
	// the backend runs any item whole (the single process): MSET, which a
	// cluster runs key by key.
	Together bool
	// New returns a request to fill (the listener reuses them).
	New func() *proto.Request
}

// Reset empties p for the next command, of the given shape, keeping
// its storage.
func (p *Plan) Reset(shape Shape) {
	clear(p.Reqs)
	p.Reqs, p.Items, p.DBs, p.Shape, p.DB, p.Together = p.Reqs[:0], p.Items[:0], p.DBs[:0], shape, -1, false
}

// Item starts a new item with a request for cmd and returns it.
func (p *Plan) Item(cmd proto.Command) *proto.Request {
	p.Items = append(p.Items, len(p.Reqs))
	return p.Then(cmd)
}

// ItemIn starts a new item run in database db (not the session's) with a
// request for cmd and returns it. A plan's items all name their database
// this way, or none does.
func (p *Plan) ItemIn(db int, cmd proto.Command) *proto.Request {
	p.DBs = append(p.DBs, db)
	return p.Item(cmd)
}

// Then adds a request for cmd to the current item and returns it.
func (p *Plan) Then(cmd proto.Command) *proto.Request {
	r := p.New()
	r.Cmd = cmd
	p.Reqs = append(p.Reqs, r)
	return r
}

// ItemReqs returns the requests of item k.
func (p *Plan) ItemReqs(k int) []*proto.Request {
	end := len(p.Reqs)
	if k+1 < len(p.Items) {
		end = p.Items[k+1]
	}
	return p.Reqs[p.Items[k]:end]
}
