package flagenv

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Setting is one "name = value" line of a configuration file.
type Setting struct {
	Name, Value string
	Line        int
}

// ReadFile reads a configuration file: one "name = value" per line (the
// flag's name, "-" or "_" alike, without dashes), blank lines and lines
// starting with "#" ignored. A value runs to the end of its line, spaces
// inside kept.
func ReadFile(path string) ([]Setting, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	var out []Setting
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.ReplaceAll(strings.TrimSpace(name), "_", "-")
		if !ok || name == "" {
			return nil, fmt.Errorf("config %s:%d: want name = value, got %q", path, n, line)
		}
		out = append(out, Setting{Name: name, Value: strings.TrimSpace(value), Line: n})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return out, nil
}

// ApplyFile sets, from the configuration file at path, the flags of fs
// that neither the command line nor the environment set: call it after
// Apply. An unknown name is an error naming its line.
func ApplyFile(fs *flag.FlagSet, path string) error {
	settings, err := ReadFile(path)
	if err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range settings {
		if fs.Lookup(s.Name) == nil {
			return fmt.Errorf("config %s:%d: unknown flag %q", path, s.Line, s.Name)
		}
		if given[s.Name] {
			continue
		}
		if err := fs.Set(s.Name, s.Value); err != nil {
			return fmt.Errorf("config %s:%d: %s: %w", path, s.Line, s.Name, err)
		}
	}
	return nil
}

// Load applies the environment, then the configuration file that config
// names (from the command line or the environment; none when empty): the
// command line wins over both, the environment over the file.
func Load(fs *flag.FlagSet, prefix string, config *string) error {
	if err := Apply(fs, prefix); err != nil {
		return err
	}
	if *config == "" {
		return nil
	}
	return ApplyFile(fs, *config)
}

// ConfigFlag defines --config on fs.
func ConfigFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", `file of "flag = value" lines, one per line (the command line and the environment win)`)
}
