package clustertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/smalldisk"
)

// TestOneNodesDiskFills: with three copies, a node whose disk fills
// refuses the writes it cannot log (it does not apply them) while the
// other two acknowledge every write, serial ones included; once space
// is freed it takes the writes it missed (hints) without a restart.
func TestOneNodesDiskFills(t *testing.T) {
	disk := smalldisk.Mount(t, 12<<20)
	ballast := filepath.Join(disk, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 4<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	c := New(t, 2, 1, Options{Replicas: 3})
	full := c.Nodes[c.AddNodeIn(disk)]
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	value := strings.Repeat("v", 16<<10)
	var keys []string
	for i := 0; i < 700; i++ { // 11 MB, more than the 8 MB left
		k := fmt.Sprintf("k%04d", i)
		expect(t, cl, "SET:STR "+enc(k)+" "+enc(value), "OK")
		keys = append(keys, k)
	}
	expect(t, cl, "SET_IF_ABSENT:STR (1)s (1)1", "OK:BOOL true", "GET (1)s", "OK:STR (1)1")
	lacking := func() int {
		n := 0
		for _, k := range keys {
			if RunOn(t, full.Service.Node(), 0, "STR_LEN "+enc(k)) != fmt.Sprintf("OK:INT %d", len(value)) {
				n++
			}
		}
		return n
	}
	if n := lacking(); n == 0 {
		t.Fatal("the node whose disk filled holds every write: it never filled")
	} else {
		t.Logf("the full node refused %d of %d writes", n, len(keys))
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for lacking() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after space was freed the node still lacks %d writes", lacking())
		}
		time.Sleep(50 * time.Millisecond) // polling the node's copy while hints arrive
	}
}
