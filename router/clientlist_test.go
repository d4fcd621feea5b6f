package router

import (
	"strings"
	"sync"
	"testing"
)

// TestClientListReadsWhatOwnersChange: a connection changing its
// database while another lists the router's connections, under -race;
// the listing shows the database it was switched to last and the user
// it logged in as.
func TestClientListReadsWhatOwnersChange(t *testing.T) {
	c := testConn(t)
	srv := c.srv
	srv.mu.Lock()
	srv.conns[c] = struct{}{}
	srv.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 200 {
			c.reply("SWITCH_DB " + []string{"3", "4"}[i%2])
		}
	}()
	for range 200 {
		if got := string(srv.clientList(nil, nil)); !strings.Contains(got, " user=vanity ") {
			t.Fatalf("CLIENT LIST = %q, want the login's user", got)
		}
	}
	wg.Wait()
	if got := string(srv.clientList(nil, []int64{c.id})); !strings.Contains(got, " db=4 ") || !strings.Contains(got, " wire=vanity") {
		t.Errorf("CLIENT LIST after the switches = %q, want db=4 of a Vanity connection", got)
	}
	if got := string(srv.clientList(nil, []int64{c.id + 1})); got != "" {
		t.Errorf("CLIENT LIST of another id = %q, want nothing", got)
	}
}
