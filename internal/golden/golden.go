package golden

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// Step is one request with its expected reply.
type Step struct {
	Request   []byte
	Reply     []byte
	Unordered bool   // compare ignoring unordered parts
	Decoded   string // the "=" line, if any
	Line      int    // line of the reply in the file
}

// Section is a sequence of steps on one connection.
type Section struct {
	Name   string
	NoAuth bool
	Steps  []Step
}

// Path returns the golden file's path in the source tree.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "proto", "testdata", "golden.txt")
}

// DecodeBytes turns a JSON string of code points 0-255 into bytes.
func DecodeBytes(quoted string) ([]byte, error) {
	var s string
	if err := json.Unmarshal([]byte(quoted), &s); err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("code point %U above 0xff", r)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// EncodeBytes is the inverse of DecodeBytes.
func EncodeBytes(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	out, _ := json.Marshal(string(rs))
	return string(out)
}

// Read parses the golden file.
func Read(path string) ([]Section, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var secs []Section
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	line := 0
	var pending []byte
	for sc.Scan() {
		line++
		text := sc.Text()
		bad := func(err error) error { return fmt.Errorf("%s:%d: %v", path, line, err) }
		switch {
		case text == "" || text == "#" || strings.HasPrefix(text, "# "):
		case strings.HasPrefix(text, "## "):
			secs = append(secs, Section{Name: text[3:]})
		case text == "@noauth":
			if len(secs) == 0 {
				return nil, bad(fmt.Errorf("@noauth outside a section"))
			}
			secs[len(secs)-1].NoAuth = true
		case strings.HasPrefix(text, "> "):
			if len(secs) == 0 || pending != nil {
				return nil, bad(fmt.Errorf("request without a section, or two requests in a row"))
			}
			if pending, err = DecodeBytes(text[2:]); err != nil {
				return nil, bad(err)
			}
		case strings.HasPrefix(text, "< "), strings.HasPrefix(text, "~ "):
			if pending == nil {
				return nil, bad(fmt.Errorf("reply without a request"))
			}
			reply, err := DecodeBytes(text[2:])
			if err != nil {
				return nil, bad(err)
			}
			s := &secs[len(secs)-1]
			s.Steps = append(s.Steps, Step{Request: pending, Reply: reply, Unordered: text[0] == '~', Line: line})
			pending = nil
		case strings.HasPrefix(text, "= "):
			s := &secs[len(secs)-1]
			if len(s.Steps) == 0 {
				return nil, bad(fmt.Errorf("decoded line without a reply"))
			}
			s.Steps[len(s.Steps)-1].Decoded = text[2:]
		default:
			return nil, bad(fmt.Errorf("unrecognised line %q", text))
		}
	}
	return secs, sc.Err()
}

// Canonical renders a decoded reply as canonical JSON: objects with sorted
// keys, bytes as strings of code points 0-255, floats as numbers (or
// "inf", "-inf", "nan"), SET members and HASH pairs sorted.
func Canonical(r proto.Reply) string {
	out, err := json.Marshal(replyJSON(r))
	if err != nil {
		panic(err)
	}
	return string(out)
}

func str(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

func replyJSON(r proto.Reply) map[string]any {
	m := map[string]any{"status": r.Status.String()}
	if r.HasBody {
		m["body"] = str(r.Body)
	}
	if r.Value.Type != proto.TypeNone {
		m["value"] = valueJSON(r.Value)
	}
	return m
}

func valueJSON(v proto.Value) map[string]any {
	m := map[string]any{"type": v.Type.String()}
	if v.TypeOnly {
		m["type_only"] = true
		return m
	}
	strs := func() []string {
		out := make([]string, len(v.Strs))
		for i, s := range v.Strs {
			out[i] = str(s)
		}
		return out
	}
	switch v.Type {
	case proto.TypeStr:
		m["str"] = str(v.Str)
	case proto.TypeInt:
		m["int"] = v.Int
	case proto.TypeFloat:
		switch {
		case math.IsNaN(v.Float):
			m["float"] = "nan"
		case math.IsInf(v.Float, 1):
			m["float"] = "inf"
		case math.IsInf(v.Float, -1):
			m["float"] = "-inf"
		default:
			m["float"] = v.Float
		}
	case proto.TypeBool:
		m["bool"] = v.Bool
	case proto.TypeArr:
		elems := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			elems[i] = valueJSON(e)
		}
		m["elems"] = elems
	case proto.TypeList, proto.TypePublish:
		m["strs"] = strs()
	case proto.TypeSet:
		s := strs()
		sort.Strings(s)
		m["strs"] = s
	case proto.TypeHash:
		s := strs()
		pairs := make([][2]string, len(s)/2)
		for i := range pairs {
			pairs[i] = [2]string{s[2*i], s[2*i+1]}
		}
		sort.Slice(pairs, func(i, j int) bool { return pairs[i][0] < pairs[j][0] })
		m["pairs"] = pairs
	case proto.TypePipe, proto.TypeAgg:
		rs := make([]any, len(v.Replies))
		for i, r := range v.Replies {
			rs[i] = replyJSON(r)
		}
		m["replies"] = rs
	}
	return m
}
