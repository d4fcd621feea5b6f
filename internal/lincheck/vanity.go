package lincheck

import (
	"math/rand/v2"

	"github.com/vanitydb/vanity/proto"
)

// RegisterCommand picks one of the register operations the histories of
// Vanity's compare-and-set commands are made of, on key: a read (GET), a
// write (SET) of val, a compare-and-set from seen (the last value the
// client knows; SET_IF, or DEL_IF to delete) when it knows one, a
// set-if-absent, or a swap (GET_SET of val, GET_DEL). It returns the
// operation and its command and arguments in client.Do's form.
func RegisterCommand(rng *rand.Rand, key, val, seen string) (RegisterOp, string, []any) {
	switch n := rng.IntN(7); {
	case n == 0:
		return RegisterOp{Kind: Read}, "GET", []any{key}
	case n == 1:
		return RegisterOp{Kind: Write, New: val}, "SET :STR", []any{key, val}
	case n == 2 && seen != "":
		return RegisterOp{Kind: CompareAndSet, Old: seen, New: val}, "SET_IF :STR", []any{key, seen, val}
	case n == 4 && seen != "":
		return RegisterOp{Kind: CompareAndSet, Old: seen, New: ""}, "DEL_IF :STR", []any{key, seen}
	case n == 5:
		return RegisterOp{Kind: Swap, New: val}, "GET_SET :STR", []any{key, val}
	case n == 6:
		return RegisterOp{Kind: Swap}, "GET_DEL", []any{key}
	}
	return RegisterOp{Kind: CompareAndSet, New: val}, "SET_IF_ABSENT :STR", []any{key, val}
}

// RegisterOutput returns the output of op (RegisterCommand's) that reply
// r shows, and false when r is not a reply op's command can get.
func RegisterOutput(op RegisterOp, r proto.Reply) (any, bool) {
	switch {
	case (op.Kind == Read || op.Kind == Swap) && r.Status == proto.StatusNull:
		return "", true
	case (op.Kind == Read || op.Kind == Swap) && r.Status == proto.StatusOK && r.Value.Type == proto.TypeStr:
		return string(r.Value.Str), true
	case op.Kind == Write && r.Status == proto.StatusOK:
		return true, true
	case op.Kind == CompareAndSet && r.Status == proto.StatusOK && r.Value.Type == proto.TypeBool:
		return r.Value.Bool, true
	}
	return nil, false
}

// Seen returns what a client knows key holds after op answered out: the
// value read or written, or before (what it knew) if op wrote nothing.
func Seen(op RegisterOp, out any, before string) string {
	switch {
	case op.Kind == Read:
		return out.(string)
	case op.Kind == Swap, out == true:
		return op.New
	}
	return before
}
