package proto

import "testing"

// TestSetFormsRoundTrip: every form of SET's family names one command,
// and that command's request carries the form back; the named commands
// keep their own forms.
func TestSetFormsRoundTrip(t *testing.T) {
	seen := map[Command]SetForm{}
	for _, get := range []bool{false, true} {
		for k := KeyAlways; k <= KeyPresent; k++ {
			for m := TTLClear; m <= TTLKeep; m++ {
				f := SetForm{If: k, TTL: m, Get: get}
				cmd := f.Command()
				req := Request{Cmd: cmd, If: k, TTL: m}
				got, ok := req.SetForm()
				if !ok || got != f {
					t.Errorf("%+v: command %s reads back as %+v, %v", f, cmd, got, ok)
				}
				if g, dup := seen[cmd]; dup && cmd != CmdSetWith && cmd != CmdGetSetWith {
					t.Errorf("%s names both %+v and %+v", cmd, g, f)
				}
				seen[cmd] = f
			}
		}
	}
	for _, c := range []struct {
		cmd  Command
		form SetForm
		ans  SetAnswer
	}{
		{CmdSet, SetForm{}, AnswerOK},
		{CmdSetTTL, SetForm{TTL: TTLAfter}, AnswerOK},
		{CmdSetKeepTTL, SetForm{TTL: TTLKeep}, AnswerOK},
		{CmdSetIfAbsent, SetForm{If: KeyAbsent}, AnswerWrote},
		{CmdSetTTLIfPresent, SetForm{If: KeyPresent, TTL: TTLAfter}, AnswerWrote},
		{CmdGetSet, SetForm{Get: true}, AnswerReplaced},
		{CmdSetWith, SetForm{TTL: TTLAt}, AnswerWrote},
		{CmdGetSetWith, SetForm{If: KeyAbsent, Get: true}, AnswerReplaced},
	} {
		req := Request{Cmd: c.cmd, If: c.form.If, TTL: c.form.TTL}
		if f, ok := req.SetForm(); !ok || f != c.form || f.Answers(c.cmd) != c.ans {
			t.Errorf("%s: form %+v %v answers %v, want %+v answering %v", c.cmd, f, ok, f.Answers(c.cmd), c.form, c.ans)
		}
	}
	if _, ok := (&Request{Cmd: CmdGet}).SetForm(); ok {
		t.Error("GET has a SET form")
	}
}

// TestSetFormsThatReadAreConditional: a SET_WITH runs as a plain write
// (off a cluster's serial path) only when its form reads nothing of the
// key; GET_SET_WITH always reads.
func TestSetFormsThatReadAreConditional(t *testing.T) {
	for _, c := range []struct {
		req  Request
		cond bool
	}{
		{Request{Cmd: CmdSetWith, TTL: TTLAt}, false},
		{Request{Cmd: CmdSetWith, TTL: TTLAfter}, false},
		{Request{Cmd: CmdSetWith}, false},
		{Request{Cmd: CmdSetWith, TTL: TTLKeep}, true},
		{Request{Cmd: CmdSetWith, If: KeyAbsent, TTL: TTLAt}, true},
		{Request{Cmd: CmdSetWith, If: KeyPresent}, true},
		{Request{Cmd: CmdGetSetWith, TTL: TTLAt}, true},
		{Request{Cmd: CmdSet}, false},
		{Request{Cmd: CmdSetKeepTTL}, true},
	} {
		if got := c.req.Conditional(); got != c.cond {
			t.Errorf("%s %v %v: conditional %v, want %v", c.req.Cmd, c.req.If, c.req.TTL, got, c.cond)
		}
		r := c.req
		if got := Serial(ConsQuorum, ConsQuorum, []*Request{&r}); got != c.cond {
			t.Errorf("%s %v %v at QUORUM: serial %v, want %v", c.req.Cmd, c.req.If, c.req.TTL, got, c.cond)
		}
	}
}
