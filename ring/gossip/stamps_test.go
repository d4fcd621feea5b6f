package gossip

import "testing"

func TestReadCompactStamps(t *testing.T) {
	member := func(name, role string, st State, compact bool) Member {
		tags := map[string]string{}
		if compact {
			tags[StampsTag] = CompactStamps
		}
		return Member{Name: name, Role: role, State: st, Tags: tags}
	}
	current := member("n1", RoleNode, Alive, true)
	for _, tc := range []struct {
		name    string
		members []Member
		want    bool
	}{
		{"every node reads them", []Member{current, member("n2", RoleNode, Alive, true)}, true},
		{"an older node", []Member{current, member("n2", RoleNode, Alive, false)}, false},
		{"an older node that failed may come back", []Member{current, member("n2", RoleNode, Failed, false)}, false},
		{"an older node leaving still takes writes", []Member{current, member("n2", RoleNode, Leaving, false)}, false},
		{"an older node that left may still be handing partitions over", []Member{current, member("n2", RoleNode, Left, false)}, false},
		{"routers read no deltas", []Member{current, member("r1", RoleRouter, Alive, false)}, true},
	} {
		if got := ReadCompactStamps(tc.members); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
