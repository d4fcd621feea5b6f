// Package flagenv lets every command-line flag of a program be set from
// the environment too: flag "data-dir" of a program with prefix
// "VANITY_NODE_" reads VANITY_NODE_DATA_DIR. A flag given on the command
// line wins over the environment, and the environment over a
// configuration file of "name = value" lines (file.go).
package flagenv

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// Name returns the environment variable for flag name.
func Name(prefix, name string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Apply sets the flags of fs that were not given on the command line from
// their environment variables. Call it after fs.Parse.
func Apply(fs *flag.FlagSet, prefix string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		env := Name(prefix, f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", env, v, e)
			}
		}
	})
	return err
}
