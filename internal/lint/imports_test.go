// Package lint holds repository-wide checks that run with the tests.
package lint

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/vanitydb/vanity"

// allowed lists, for each project package (by path under the module), the
// project packages it may import. A package missing from the table may
// import none. This is the import direction of DESIGN.md §2: proto, ring
// and storage import no server package; router never imports storage; only
// cmd wires everything together.
var allowed = map[string][]string{
	"proto":            {},
	"ring":             {},
	"ring/gossip":      {},
	"node/rpc":         {"proto", "internal/workers"},
	"storage/hlc":      {},
	"storage":          {"proto", "storage/hlc", "storage/hll"},
	"storage/hll":      {},
	"storage/record":   {},
	"storage/snapshot": {"storage", "storage/hlc", "storage/record"},
	"storage/vfs":      {},
	"storage/wal":      {"storage/record", "storage/vfs"},
	"node": {"proto", "ring", "ring/gossip", "node/rpc", "replication", "serial", "storage", "storage/hlc", "storage/snapshot", "internal/epoll",
		"storage/vfs", "storage/wal"},
	"replication":          {"proto", "storage/record", "storage/vfs"},
	"serial":               {},
	"resp":                 {"proto", "resp/rdb"},
	"resp/rdb":             {},
	"router/users":         {"proto"},
	"router/cluster":       {"proto", "ring", "ring/gossip", "node/rpc", "router", "router/users"},
	"router":               {"proto", "resp", "router/users", "internal/uring", "internal/epoll"},
	"client":               {"proto"},
	"internal/golden":      {"proto"},
	"internal/difftest":    {"client", "proto"},
	"cmd/vanity-node":      {"*"},
	"cmd/vanity-router":    {"*"},
	"cmd/vanity":           {"*"},
	"loadtest":             {"client", "proto", "internal/uring", "internal/epoll", "internal/freeport"},
	"internal/clustertest": {"*"},
	"internal/flagenv":     {},
	"internal/debughttp":   {},
	"internal/logfile":     {},
	"internal/secret":      {},
	"internal/version":     {},
	"internal/uring":       {},
	"internal/epoll":       {},
	"internal/sched":       {},
	"internal/gctune":      {},
	"internal/sysmem":      {},
	"internal/workers":     {},
	"internal/freeport":    {},
	"internal/cli":         {"proto", "internal/tlsconf"},
	"internal/tlsconf":     {},
	"internal/resptest":    {"internal/freeport", "resp/rdb"}, // AsRedis starts a redis-server; DumpRestore makes a damaged payload
	"internal/socktest":    {},
	"internal/smalldisk":   {},
	"internal/smallmem":    {"internal/sysmem"},
	"internal/lincheck":    {"proto", "client"},
	"ops":                  {}, // service files; its test runs the binaries
	"scripts":              {"client", "proto", "internal/sched"},
}

// forbidden are imports that must never appear, whatever the table says.
var forbidden = map[string][]string{
	"router":         {"storage", "node"},
	"router/cluster": {"storage", "node"},
}

func root(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestImportDirections(t *testing.T) {
	base := root(t)
	seen := 0
	err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != base && (strings.HasPrefix(name, ".") || name == "testdata" || name == "python" || name == "bin") {
			return filepath.SkipDir
		}
		pkg, err := build.Default.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(base, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "internal/lint") {
			return nil
		}
		seen++
		rules, known := allowed[rel]
		if !known {
			t.Errorf("package %s is not in the import table of internal/lint; add it with the imports it may use", rel)
			return nil
		}
		for _, imp := range pkg.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			for _, f := range forbidden[rel] {
				// node/rpc is the protocol routers speak to nodes; the node
				// itself and storage stay out of routers.
				if dep == f || strings.HasPrefix(dep, f+"/") && dep != "node/rpc" {
					t.Errorf("%s imports %s, which it must never do", rel, dep)
				}
			}
			ok := false
			for _, a := range rules {
				ok = ok || a == "*" || a == dep
			}
			if !ok {
				t.Errorf("%s imports %s; allowed: %v (edit the table in internal/lint only if the design changes)", rel, dep, rules)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 5 {
		t.Fatalf("found only %d packages; is the walk broken?", seen)
	}
}

// TestEveryPackageHasDocGo checks the house rule that each package
// documents itself in doc.go (or, for commands, main.go).
func TestEveryPackageHasDoc(t *testing.T) {
	base := root(t)
	var missing []string
	for rel := range allowed {
		dir := filepath.Join(base, rel)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		pkg, err := build.Default.ImportDir(dir, build.ImportComment)
		if err != nil {
			continue
		}
		if pkg.Doc == "" {
			missing = append(missing, rel)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("packages without a package comment: %v", missing)
	}
}
