package client

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/internal/golden"
	"github.com/vanitydb/vanity/proto"
)

type encodeCase struct {
	Command string                       `json:"command"`
	Args    []map[string]json.RawMessage `json:"args"`
	Request string                       `json:"request"`
}

func decodeArg(t *testing.T, a map[string]json.RawMessage) any {
	for kind, raw := range a {
		switch kind {
		case "str":
			var s string
			json.Unmarshal(raw, &s)
			return s
		case "bytes":
			b, err := golden.DecodeBytes(string(raw))
			if err != nil {
				t.Fatal(err)
			}
			return b
		case "int":
			var n int64
			json.Unmarshal(raw, &n)
			return n
		case "float":
			var s string
			if json.Unmarshal(raw, &s) == nil {
				switch s {
				case "inf":
					return math.Inf(1)
				case "-inf":
					return math.Inf(-1)
				}
				return math.NaN()
			}
			var f float64
			json.Unmarshal(raw, &f)
			return f
		case "list":
			var l []string
			json.Unmarshal(raw, &l)
			return l
		case "set":
			var l []string
			json.Unmarshal(raw, &l)
			return SetOf(l)
		case "hash":
			var pairs [][2]string
			json.Unmarshal(raw, &pairs)
			h := Hash{}
			for _, p := range pairs {
				h = append(h, Field{p[0], p[1]})
			}
			return h
		case "level":
			var s string
			json.Unmarshal(raw, &s)
			for l := proto.LevelUnknown; l <= proto.LevelPeer; l++ {
				if l.String() == s {
					return l
				}
			}
		case "consistency":
			var s string
			json.Unmarshal(raw, &s)
			for c := proto.ConsQuorum; c <= proto.ConsAll; c++ {
				if c.String() == s {
					return c
				}
			}
		}
		t.Fatalf("unknown argument %v", a)
	}
	return nil
}

// TestEncodeGolden checks Encode against proto/testdata/encode.txt, which
// the Python client's tests read too.
func TestEncodeGolden(t *testing.T) {
	f, err := os.Open(filepath.Join(filepath.Dir(golden.Path()), "encode.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var c encodeCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		args := make([]any, len(c.Args))
		for i, a := range c.Args {
			args[i] = decodeArg(t, a)
		}
		got, err := Encode(c.Command, args...)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		want, _ := golden.DecodeBytes(`"` + strings.Trim(mustField(line), `"`) + `"`)
		if string(got) != string(want) {
			t.Errorf("Encode %s %v = %q, want %q", c.Command, args, got, want)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d cases read", n)
	}
}

// mustField returns the raw JSON of the "request" field.
func mustField(line string) string {
	var m map[string]json.RawMessage
	json.Unmarshal([]byte(line), &m)
	return string(m["request"])
}

func TestEncodeRefusesBool(t *testing.T) {
	if _, err := Encode("SET :STR", "k", true); err == nil {
		t.Fatal("a bool was encoded")
	}
}

func TestFormatFloatMatchesPythonRepr(t *testing.T) {
	for f, want := range map[float64]string{
		1.5: "1.5", 1e-05: "1e-05", 0.0001: "0.0001", 1e16: "1e+16", 1e15: "1000000000000000.0",
		123456789.0: "123456789.0", 0: "0.0", math.Copysign(0, -1): "-0.0", 5: "5.0", 1.7976931348623157e308: "1.7976931348623157e+308",
		5e-324: "5e-324", 0.1: "0.1", 2.5e-06: "2.5e-06",
	} {
		if got := FormatFloat(f); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", f, got, want)
		}
	}
	if got := FormatFloat(math.Copysign(0, -1)); got != "-0.0" {
		t.Errorf("negative zero: %q", got)
	}
}
