package ops

import (
	"flag"
	"fmt"
	"html"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/architecture.svg from the diagram below")

// box is a rectangle with a title and lines of text.
type box struct {
	x, y, w, h int
	title      string
	lines      []string
	fill       string
}

// arrow is a line from one point to another with a label at its middle.
type arrow struct {
	x1, y1, x2, y2 int
	label          string
	dashed, both   bool
}

// architecture is the cluster as docs/operations.md describes it.
var architecture = struct {
	boxes  []box
	arrows []arrow
}{
	boxes: []box{
		{20, 20, 400, 70, "Redis clients", []string{"redis-cli, redis-py, go-redis, redis-benchmark", "RESP2/RESP3 on --resp-port"}, "#eef5ff"},
		{480, 20, 400, 70, "Vanity clients", []string{"vanity cli, Go client (client.DB), Python client", "Vanity protocol on --port (9955)"}, "#eef5ff"},
		{20, 150, 860, 100, "vanity-router × any (stateless)", []string{
			"sessions, users and permissions, 16 databases, transactions, pub/sub; event loops (io_uring)",
			"a key's partition = xxhash of the key (or its {tag}) mod 1024; the ring (consistent hashing)",
			"gives each partition its N replicas; one RPC per node per loop turn; failover to the next replica"}, "#fff7e6"},
		{20, 330, 250, 150, "vanity-node", []string{"partitions it replicates", "coordinator: apply, log, send", "storage: mergeable values", "WAL + zstd snapshots", "hints for absent replicas"}, "#eefbea"},
		{325, 330, 250, 150, "vanity-node", []string{"each partition: N copies", "QUORUM writes: 2 of 3 logged", "QUORUM reads: 2 of 3, digests", "read repair, anti-entropy", "partition transfer (zstd)"}, "#eefbea"},
		{630, 330, 250, 150, "vanity-node", []string{"/metrics, /health, /ready", "on the debug address", "SIGTERM: stops, stays a member", "vanity-node leave: hands off", "remove: a dead node's place"}, "#eefbea"},
		{20, 530, 860, 50, "vanity: the same router and node in one process (an in-process transport, one replica) — the default a new user starts", nil, "#f3f3f3"},
	},
	arrows: []arrow{
		{220, 90, 220, 150, "TCP, TLS optional", false, false},
		{680, 90, 680, 150, "TCP, TLS optional", false, false},
		{145, 250, 145, 330, "binary RPC", false, false},
		{450, 250, 450, 330, "mutual TLS optional", false, false},
		{755, 250, 755, 330, "", false, false},
		{272, 415, 323, 415, "", false, true},
		{577, 415, 628, 415, "", false, true},
	},
}

// diagramSVG draws the architecture.
func diagramSVG() string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="900" height="600" viewBox="0 0 900 600" font-family="sans-serif" font-size="12">` + "\n")
	b.WriteString(`<defs><marker id="head" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker>` +
		`<marker id="tail" markerWidth="8" markerHeight="8" refX="1" refY="4" orient="auto"><path d="M8,0 L0,4 L8,8 z" fill="#555"/></marker></defs>` + "\n")
	b.WriteString(`<rect width="900" height="600" fill="white"/>` + "\n")
	for _, bx := range architecture.boxes {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#555"/>`+"\n", bx.x, bx.y, bx.w, bx.h, bx.fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>`+"\n", bx.x+10, bx.y+20, html.EscapeString(bx.title))
		for i, l := range bx.lines {
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", bx.x+10, bx.y+40+i*18, html.EscapeString(l))
		}
	}
	for _, a := range architecture.arrows {
		style := ""
		if a.dashed {
			style = ` stroke-dasharray="5,4"`
		}
		tail := ""
		if a.both {
			tail = ` marker-start="url(#tail)"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555" stroke-width="1.5" marker-end="url(#head)"%s%s/>`+"\n",
			a.x1, a.y1, a.x2, a.y2, tail, style)
		if a.label != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333">%s</text>`+"\n", (a.x1+a.x2)/2+6, (a.y1+a.y2)/2+4, html.EscapeString(a.label))
		}
	}
	// Gossip and replication span every member: a dashed band, labelled.
	b.WriteString(`<rect x="10" y="140" width="880" height="372" rx="10" fill="none" stroke="#999" stroke-dasharray="6,5"/>` + "\n")
	b.WriteString(`<text x="20" y="502" fill="#333">gossip among every router and node (serf, encrypted with the cluster secret): membership, failures</text>` + "\n")
	for _, x := range []int{276, 581} {
		fmt.Fprintf(&b, `<text x="%d" y="405" font-size="10" fill="#333">deltas</text>`+"\n", x+4)
	}
	b.WriteString(`</svg>` + "\n")
	return b.String()
}

// TestArchitectureDiagram keeps docs/architecture.svg the drawing of the
// description above (-update rewrites it).
func TestArchitectureDiagram(t *testing.T) {
	const path = "../docs/architecture.svg"
	want := diagramSVG()
	got, err := os.ReadFile(path)
	if err == nil && string(got) == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is not the drawing of ops/diagram_test.go's description (%v): run go test ./ops -run TestArchitectureDiagram -update", path, err)
}
