package proto

// SetForm is what a command of SET's family does: the condition on the
// key, the deadline the value gets, and whether the reply is the value
// replaced (GET's) instead of whether it wrote. Every such command is one
// form (Request.SetForm), and every form has one command
// (SetForm.Command): SET_WITH and GET_SET_WITH (§12.26) carry the forms
// no other command names.
type SetForm struct {
	If  KeyIf
	TTL TTLMode
	Get bool
}

// setForms are the forms of the commands other than SET_WITH and
// GET_SET_WITH, each form once.
var setForms = []struct {
	cmd  Command
	form SetForm
}{
	{CmdSet, SetForm{}},
	{CmdSetTTL, SetForm{TTL: TTLAfter}},
	{CmdSetKeepTTL, SetForm{TTL: TTLKeep}},
	{CmdSetIfAbsent, SetForm{If: KeyAbsent}},
	{CmdSetIfPresent, SetForm{If: KeyPresent}},
	{CmdSetTTLIfAbsent, SetForm{If: KeyAbsent, TTL: TTLAfter}},
	{CmdSetTTLIfPresent, SetForm{If: KeyPresent, TTL: TTLAfter}},
	{CmdGetSet, SetForm{Get: true}},
}

// formOf is setForms by command, for a lookup on SET's path.
var formOf = func() (f [numCommands]struct {
	form SetForm
	ok   bool
}) {
	for _, s := range setForms {
		f[s.cmd].form, f[s.cmd].ok = s.form, true
	}
	return f
}()

// SetForm returns r's form and true when r is a command of SET's
// family; its deadline's milliseconds are r.Int[1].
func (r *Request) SetForm() (SetForm, bool) {
	switch r.Cmd {
	case CmdSetWith:
		return SetForm{If: r.If, TTL: r.TTL}, true
	case CmdGetSetWith:
		return SetForm{If: r.If, TTL: r.TTL, Get: true}, true
	}
	if r.Cmd >= numCommands {
		return SetForm{}, false
	}
	return formOf[r.Cmd].form, formOf[r.Cmd].ok
}

// Command returns the command that runs f: the one named for it, or
// SET_WITH or GET_SET_WITH (with f's If and TTL in the request).
func (f SetForm) Command() Command {
	for _, s := range setForms {
		if s.form == f {
			return s.cmd
		}
	}
	if f.Get {
		return CmdGetSetWith
	}
	return CmdSetWith
}

// Answers reports how a command of SET's family answers: the value
// replaced (GET's reply), whether it wrote (OK:BOOL), or a bare OK.
func (f SetForm) Answers(cmd Command) SetAnswer {
	switch {
	case f.Get:
		return AnswerReplaced
	case f.If != KeyAlways || cmd == CmdSetWith:
		return AnswerWrote
	}
	return AnswerOK
}

// Reads reports whether f reads the key before it writes: for its
// condition, the value it answers, or the deadline it keeps. One that
// does is conditional (a cluster's serial path, Request.Conditional);
// one that does not is a plain write, as SET, SET_TTL and SET with a
// deadline as a time are.
func (f SetForm) Reads() bool { return f.If != KeyAlways || f.Get || f.TTL == TTLKeep }

// SetAnswer is how a command of SET's family answers.
type SetAnswer uint8

const (
	AnswerOK       SetAnswer = iota // OK
	AnswerWrote                     // OK:BOOL: whether it wrote
	AnswerReplaced                  // the value replaced, as GET answers
)
