package resptest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Monitor checks MONITOR through the listener at addr: a monitor gets a
// line for each command other connections send, with the database (as
// SELECT left it), the client's address and the arguments quoted in
// Redis's form; AUTH's password is redacted and a session not logged in
// is not shown; a USER may not monitor; MONITOR inside MULTI is refused;
// RESET ends it.
func Monitor(t *testing.T, addr string) {
	ctx := context.Background()
	mon := dialRaw(t, addr, Password)
	if f := mon.call(t, "MONITOR"); f.String() != `+"OK"` {
		t.Fatalf("MONITOR: %s", f)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Password: Password, Protocol: 2, DB: 6, DisableIdentity: true, PoolSize: 1})
	defer c.Close()
	laddr := clientAddr(t, c)
	if err := c.Set(ctx, "mon\"key\n", "a\tb\x01", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stranger := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer stranger.Close()
	stranger.Get(ctx, "unseen") // NOAUTH: not shown
	if err := c.Do(ctx, "PING", "last").Err(); err != nil {
		t.Fatal(err)
	}
	var got []string
	mon.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := readFrame(mon.r)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		if f.kind != '+' {
			t.Fatalf("a monitor line %s", f)
		}
		got = append(got, f.text)
		if strings.HasSuffix(strings.ToLower(f.text), `"ping" "last"`) {
			break
		}
	}
	// The client logs in (go-redis with HELLO and AUTH, or AUTH), selects
	// its database, asks its address, sets, pings; the stranger's GET is
	// not shown.
	login := regexp.MustCompile(`^\d+\.\d{6} \[0 ` + regexp.QuoteMeta(laddr) + `\] ("(?i:hello)" "\d" "(?i:auth)" "\(redacted\)" "\(redacted\)"|"(?i:auth)" "\(redacted\)")$`)
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\d+\.\d{6} \[6 ` + regexp.QuoteMeta(laddr) + `\] "(?i:select)" "6"$`),
		regexp.MustCompile(`^\d+\.\d{6} \[6 ` + regexp.QuoteMeta(laddr) + `\] "(?i:client)" "(?i:info)"$`),
		regexp.MustCompile(`^\d+\.\d{6} \[6 ` + regexp.QuoteMeta(laddr) + `\] "set" "mon\\"key\\n" "a\\tb\\x01"$`),
		regexp.MustCompile(`^\d+\.\d{6} \[6 ` + regexp.QuoteMeta(laddr) + `\] "(?i:ping)" "last"$`),
	}
	var seen []string
	logins := 0
	for _, line := range got {
		switch {
		case strings.Contains(line, "unseen"):
			t.Errorf("a session not logged in was shown: %s", line)
		case login.MatchString(line):
			logins++
		case strings.Contains(line, " "+laddr+"]"):
			seen = append(seen, line)
		}
	}
	if logins != 1 || len(seen) != len(want) {
		t.Fatalf("monitor lines %q: %d logins of %s, then %q", got, logins, laddr, seen)
	}
	for i, re := range want {
		if !re.MatchString(seen[i]) {
			t.Errorf("line %d: %q, want %s", i, seen[i], re)
		}
	}

	if f := mon.call(t, "RESET"); f.String() != `+"RESET"` {
		t.Errorf("RESET of a monitor: %s", f)
	}
	if err := c.Set(ctx, "after", "reset", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if f := mon.call(t, "PING"); f.String() != `+"PONG"` && f.kind != '-' {
		t.Errorf("after RESET the monitor still got %s", f) // a line of the SET would come first
	}

	tx := dialRaw(t, addr, Password)
	tx.call(t, "MULTI")
	if f := tx.call(t, "MONITOR"); f.kind != '-' || !strings.Contains(f.whole, "MULTI") {
		t.Errorf("MONITOR in MULTI: %s", f)
	}
	if f := tx.call(t, "EXEC"); f.kind != '-' || f.text != "EXECABORT" {
		t.Errorf("EXEC after a refused MONITOR: %s", f)
	}
}

// clientAddr is the address the server sees c's connection come from.
func clientAddr(t *testing.T, c *redis.Client) string {
	t.Helper()
	info, err := c.ClientInfo(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return info.Addr
}
