package resp

import (
	"errors"
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp/rdb"
)

// DUMP and RESTORE carry a value in Redis's own serialization (package
// rdb), so tools that copy keys between Redis servers that way copy them
// to and from Vanity too. DUMP is GET, its value written as a payload at
// this edge (ShapeDump). RESTORE reads the payload here and writes the
// value with Vanity's commands: with REPLACE one unit on the key that
// deletes it, writes the value and sets its deadline (restore); without,
// the listener first reads whether the key exists and its version, then
// runs that unit behind a KEY_VERSION_IS check of the version, so a key
// created meanwhile is never replaced (RestoreCheck, RestoreWrites).

// Redis's refusals of RESTORE: ErrBusyKey that of a key that exists
// (without REPLACE).
var (
	ErrBusyKey = &Error{"BUSYKEY", "Target key name already exists."}
	errBadTTL  = &Error{"ERR", "Invalid TTL value, must be >= 0"}
)

// RestoreOptions are RESTORE's options after the payload.
type RestoreOptions struct {
	Replace bool // REPLACE: an existing key is replaced
	AbsTTL  bool // ABSTTL: the TTL is a Unix time in milliseconds
}

// ParseRestoreOptions reads RESTORE's options, refusing them in Redis's
// words. IDLETIME and FREQ are checked and then ignored: Vanity keeps no
// access times or counts to set.
func ParseRestoreOptions(args [][]byte) (RestoreOptions, error) {
	var o RestoreOptions
	idle, freq := false, false
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch opt := strings.ToUpper(string(args[j])); {
		case opt == "REPLACE":
			o.Replace = true
		case opt == "ABSTTL":
			o.AbsTTL = true
		case opt == "IDLETIME" && more >= 1 && !freq:
			n, err := parseInt(args[j+1])
			if err != nil {
				return o, err
			}
			if n < 0 {
				return o, &Error{"ERR", "Invalid IDLETIME value, must be >= 0"}
			}
			idle, j = true, j+1
		case opt == "FREQ" && more >= 1 && !idle:
			n, err := parseInt(args[j+1])
			if err != nil {
				return o, err
			}
			if n < 0 || n > 255 {
				return o, &Error{"ERR", "Invalid FREQ value, must be >= 0 and <= 255"}
			}
			freq, j = true, j+1
		default:
			return o, errSyntax
		}
	}
	return o, nil
}

// Restoring is what a RESTORE writes: its value, deadline and options,
// read from its arguments once (ReadRestoring).
type Restoring struct {
	value rdb.Value
	ttl   int64 // milliseconds from now, or Unix milliseconds with ABSTTL; 0: none
	opts  RestoreOptions
}

// ReadRestoring reads RESTORE's TTL and payload, its options o already
// read (ParseRestoreOptions), refusing them in Redis's words (a payload
// of a kind Vanity does not have, in its own).
func ReadRestoring(args [][]byte, o RestoreOptions) (Restoring, error) {
	ttl, err := parseInt(args[2])
	if err != nil {
		return Restoring{}, err
	}
	if ttl < 0 {
		return Restoring{}, errBadTTL
	}
	v, err := rdb.Decode(args[3])
	switch {
	case errors.Is(err, rdb.ErrChecksum):
		return Restoring{}, &Error{"ERR", rdb.ErrChecksum.Error()}
	case errors.Is(err, rdb.ErrUnsupported):
		return Restoring{}, &Error{"ERR", "Bad data format: " + err.Error() + "; Vanity restores strings, lists, sets and hashes"}
	case err != nil: // rdb.ErrFormat and what was damaged, in Redis's words
		return Restoring{}, &Error{"ERR", "Bad data format" + strings.TrimPrefix(err.Error(), rdb.ErrFormat.Error())}
	}
	return Restoring{value: v, ttl: ttl, opts: o}, nil
}

// Writes adds to the plan's current item the requests that write the
// value into key, then its deadline. A value is written as SET writes one
// (a number's text is an INT or a FLOAT), a list pushed in order, a set's
// members added, a hash's fields set.
func (rs *Restoring) Writes(p *Plan, key []byte) {
	v, ttl, o := &rs.value, rs.ttl, rs.opts
	switch v.Kind {
	case rdb.String:
		r := p.Then(proto.CmdSet)
		r.Str[0] = key
		SetValue(r, v.Str)
	default:
		cmd := proto.CmdListPushRight
		switch v.Kind {
		case rdb.Set:
			cmd = proto.CmdSetAdd
		case rdb.Hash:
			cmd = proto.CmdHashUpdate
		}
		r := p.Then(cmd)
		r.Str[0] = key
		r.Elems = append(r.Elems[:0], v.Elems...)
	}
	switch {
	case ttl == 0:
	case o.AbsTTL:
		r := p.Then(proto.CmdSetExpiryAt)
		r.Str[0], r.Int[0] = key, ttl
	default:
		r := p.Then(proto.CmdSetExpiry)
		r.Str[0], r.Float = key, float64(ttl)/1000
	}
}

// restore builds RESTORE with REPLACE: one unit on the key that deletes
// it and writes the value (ShapeRestore). Without REPLACE it builds
// nothing: the listener runs it (RestoreCheck).
func restore(args [][]byte, p *Plan) error {
	o, err := ParseRestoreOptions(args)
	if err != nil || !o.Replace {
		return err
	}
	r, err := ReadRestoring(args, o)
	if err != nil {
		return err
	}
	p.Item(proto.CmdDel).Str[0] = args[1]
	r.Writes(p, args[1])
	return nil
}

// AbsentChecks starts p, for a write that needs its keys missing (RESTORE
// without REPLACE, MSETNX), with the checks that each key still has the
// version read before (versions[i] for keys[i]); the writes follow in the
// same item (Plan.Then).
func AbsentChecks(p *Plan, keys [][]byte, versions []int64) {
	for i, k := range keys {
		var r *proto.Request
		if i == 0 {
			r = p.Item(proto.CmdKeyVersionIs)
		} else {
			r = p.Then(proto.CmdKeyVersionIs)
		}
		r.Str[0], r.Int[0] = k, versions[i]
	}
}

// dumpValue is the payload value of a GET's value: a number as the text
// GET reads.
func dumpValue(val *proto.Value) rdb.Value {
	switch val.Type {
	case proto.TypeList:
		return rdb.Value{Kind: rdb.List, Elems: val.Strs}
	case proto.TypeSet:
		return rdb.Value{Kind: rdb.Set, Elems: val.Strs}
	case proto.TypeHash:
		return rdb.Value{Kind: rdb.Hash, Elems: val.Strs}
	}
	return rdb.Value{Kind: rdb.String, Str: scalarText(val)}
}

// scalarText is the text GET reads of a string, an integer or a float.
func scalarText(val *proto.Value) []byte {
	switch val.Type {
	case proto.TypeInt:
		return strconv.AppendInt(nil, val.Int, 10)
	case proto.TypeFloat:
		return proto.AppendFloatShort(nil, val.Float)
	}
	return val.Str
}
