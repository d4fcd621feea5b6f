package sysmem

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Total returns the bytes of memory this process may use: the machine's
// (/proc/meminfo), or the least limit of its control group and the
// group's ancestors when that is smaller (cgroup v2 memory.max, v1
// memory.limit_in_bytes); 0 if unknown.
func Total() uint64 {
	total := machine()
	for _, g := range Groups() {
		for dir := g.Path; ; dir = path.Dir(dir) {
			b, err := os.ReadFile(path.Join(g.Root, dir, g.Limit))
			// "max" (v2) and v1's page-rounded MaxInt64 mean none.
			if n, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && perr == nil && n > 0 && (total == 0 || n < total) {
				total = n
			}
			if dir == "/" {
				break
			}
		}
	}
	return total
}

// Group is a memory control group of this process: its hierarchy's mount
// (Root), its path there, and the name of the file that holds its limit.
type Group struct {
	Root, Path, Limit string
	V2                bool
}

// Dir is the group's directory.
func (g Group) Dir() string { return path.Join(g.Root, g.Path) }

// Groups returns this process's memory control groups from
// /proc/self/cgroup: the v1 memory hierarchy's, and the v2 one's.
func Groups() []Group {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var out []Group
	for line := range strings.Lines(string(b)) {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		p := path.Clean("/" + parts[2])
		switch {
		case parts[0] == "0" && parts[1] == "":
			out = append(out, Group{Root: "/sys/fs/cgroup", Path: p, Limit: "memory.max", V2: true})
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			out = append(out, Group{Root: "/sys/fs/cgroup/memory", Path: p, Limit: "memory.limit_in_bytes"})
		}
	}
	return out
}

// machine returns the machine's memory from /proc/meminfo, or 0.
func machine() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// ErrLimit is the error of a memory limit that cannot be read.
var ErrLimit = errors.New("give bytes (1073741824), a size with a unit (512MiB, 4GiB, also written 512mb or 4g) or a share of the machine's memory (60%); 0: no limit")

// units are the sizes' suffixes, lower case, each a power of 1024 (as
// Redis reads "mb" and "gb" too).
var units = []struct {
	suffix string
	shift  uint
}{
	{"kib", 10}, {"mib", 20}, {"gib", 30}, {"tib", 40},
	{"kb", 10}, {"mb", 20}, {"gb", 30}, {"tb", 40},
	{"k", 10}, {"m", 20}, {"g", 30}, {"t", 40},
	{"b", 0},
}

// ParseLimit reads a memory limit: a byte count, a size with a unit, or
// a percentage of total (the bytes the process may use, Total). It
// returns the limit in bytes, 0 for none.
func ParseLimit(s string, total uint64) (uint64, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || p < 0 || p > 100 || math.IsNaN(p) {
			return 0, fmt.Errorf("%q: a share from 0%% to 100%%: %w", s, ErrLimit)
		}
		if total == 0 && p > 0 {
			return 0, fmt.Errorf("%q: the machine's memory is unknown here: give a size", s)
		}
		return uint64(p / 100 * float64(total)), nil
	}
	shift := uint(0)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(v, u.suffix); ok {
			v, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > math.MaxUint64>>shift {
		return 0, fmt.Errorf("%q: %w", s, ErrLimit)
	}
	return n << shift, nil
}

// DefaultShare is the default memory limit, a share of Total: below the
// three quarters a loading node lets the collector's soft limit reach,
// with room for the garbage between two collections.
const DefaultShare = "60%"

// DefaultLimit returns DefaultShare of total (Total) in bytes, 0 (no
// limit) when the machine's memory is unknown.
func DefaultLimit(total uint64) uint64 {
	n, _ := ParseLimit(DefaultShare, total)
	return n
}

// FlagUsage describes --max-memory, for both servers' help.
const FlagUsage = "live heap past which writes that add data are refused " +
	"(bytes, a size such as 512MiB or 4GiB, or a share of the machine's memory such as 60%; default " + DefaultShare + "; 0: no limit)"

// Warning returns what a server should warn of for a memory limit of
// limit bytes where total bytes are there to use (Total; 0: unknown): no
// limit at all, or one past what there is; "" when neither.
func Warning(limit, total uint64) string {
	switch {
	case limit == 0:
		return "no memory limit (--max-memory=0): a client that writes until memory runs out gets the process killed"
	case total > 0 && limit > total:
		return "--max-memory is past the memory this process may use: the kernel may kill it before the limit refuses a write"
	}
	return ""
}
