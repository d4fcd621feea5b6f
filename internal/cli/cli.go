package cli

import (
	"bufio"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chzyer/readline"

	"github.com/vanitydb/vanity/internal/tlsconf"
	"github.com/vanitydb/vanity/proto"
)

const usage = `usage: vanity cli [flags] [command words...]

With command words, runs that one command, prints the reply and exits
(vanity cli get foo). Without, reads commands line by line: with line
editing, history and tab completion on a terminal.

  -h, --host HOST       server host (default 127.0.0.1)
  -p, --port PORT       server port (default 9955)
  -u, --user USER       log in as USER (default vanity)
  -a, --password PASS   password (or $VANITY_PASSWORD; default vanity for vanity)
  -n, --db INDEX        switch to database INDEX after login
      --no-auth         do not log in
      --raw             send each line as a request frame and print the reply
                        frame, as the seed's CLI did: SET:STR (3)foo (3)bar
      --timeout D       connect timeout (default 5s)
      --tls             speak TLS (a server started with --tls-cert)
      --tls-ca FILE     trust the CA in FILE (PEM) rather than the system's
      --tls-cert FILE   present this client certificate (with --tls-key)
      --tls-key FILE
      --tls-server-name NAME  the name the server's certificate must carry

The seed's forms still work: vanity cli [host] [port] [no-auth].
`

// errUsage marks command-line mistakes (exit status 2).
var errUsage = errors.New("usage")

type options struct {
	host, user, password string
	port, db             int
	noAuth, raw          bool
	timeout              time.Duration
	words                []string // one-shot command
	tls                  bool
	tlsCA, tlsCert       string
	tlsKey, tlsName      string
}

func parseArgs(args []string, getenv func(string) string) (options, error) {
	o := options{host: "127.0.0.1", port: 9955, user: "vanity", timeout: 5 * time.Second}
	fs := flag.NewFlagSet("vanity cli", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, n := range []string{"h", "host"} {
		fs.StringVar(&o.host, n, o.host, "")
	}
	for _, n := range []string{"p", "port"} {
		fs.IntVar(&o.port, n, o.port, "")
	}
	for _, n := range []string{"u", "user"} {
		fs.StringVar(&o.user, n, o.user, "")
	}
	for _, n := range []string{"a", "password"} {
		fs.StringVar(&o.password, n, "", "")
	}
	for _, n := range []string{"n", "db"} {
		fs.IntVar(&o.db, n, 0, "")
	}
	fs.BoolVar(&o.noAuth, "no-auth", false, "")
	fs.BoolVar(&o.raw, "raw", false, "")
	fs.DurationVar(&o.timeout, "timeout", o.timeout, "")
	fs.BoolVar(&o.tls, "tls", false, "")
	fs.StringVar(&o.tlsCA, "tls-ca", "", "")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "")
	fs.StringVar(&o.tlsKey, "tls-key", "", "")
	fs.StringVar(&o.tlsName, "tls-server-name", "", "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if o.password == "" {
		o.password = getenv("VANITY_PASSWORD")
	}
	if o.password == "" && o.user == "vanity" {
		o.password = "vanity" // the first administrator's well-known default
	}
	if o.port <= 0 || o.port > 65535 {
		return o, fmt.Errorf("%w: invalid port %d", errUsage, o.port)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return o, nil
	}
	_, isCommand := proto.LookupWord(commandName(rest[0]))
	if o.raw {
		c, _ := proto.MatchCommand([]byte(rest[0]))
		isCommand = c != proto.CmdNone
	}
	if isCommand || isLocal(rest[0]) {
		o.words = rest
		return o, nil
	}
	// The seed's positional form: [host] [port] [no-auth].
	if rest[len(rest)-1] == "no-auth" {
		o.noAuth = true
		rest = rest[:len(rest)-1]
	}
	switch len(rest) {
	case 0:
	case 1:
		if p, err := strconv.Atoi(rest[0]); err == nil {
			o.port = p
		} else {
			o.host = rest[0]
		}
	case 2:
		p, err := strconv.Atoi(rest[1])
		if err != nil {
			return o, fmt.Errorf("%w: invalid port %q", errUsage, rest[1])
		}
		o.host, o.port = rest[0], p
	default:
		return o, fmt.Errorf("%w: %q is not a command", errUsage, rest[0])
	}
	return o, nil
}

func isLocal(w string) bool {
	for _, l := range localWords {
		if strings.EqualFold(w, l) {
			return true
		}
	}
	return false
}

// commandName is the command part of a first word ("set:int" → "set").
func commandName(w string) string {
	if i := strings.IndexByte(w, ':'); i > 0 {
		return w[:i]
	}
	return w
}

// Main runs `vanity cli` and returns the process's exit status: 0, 1 when
// the server cannot be reached or refuses the login, 2 for a usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	o, err := parseArgs(args, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "vanity cli: %v\n\n%s", err, usage)
		return 2
	}
	c := &cli{opts: o, out: stdout, db: o.db}
	var rl *readline.Instance
	if f, ok := stdin.(*os.File); ok && o.words == nil && readline.IsTerminal(int(f.Fd())) {
		rl, err = readline.NewEx(&readline.Config{
			Prompt:          c.prompt(),
			HistoryFile:     historyFile(getenv),
			AutoComplete:    completer{},
			InterruptPrompt: "^C",
			EOFPrompt:       "exit",
			Stdin:           f,
			Stdout:          stdout,
			Stderr:          stderr,
		})
		if err != nil {
			fmt.Fprintf(stderr, "vanity cli: %v\n", err)
			return 1
		}
		defer rl.Close()
		c.out = rl.Stdout()
	}
	var tlsCfg *tls.Config
	if o.tls || o.tlsCA != "" || o.tlsCert != "" {
		if tlsCfg, err = tlsconf.Client(o.tlsCA, o.tlsCert, o.tlsKey, o.tlsName); err != nil {
			fmt.Fprintf(stderr, "vanity cli: %v\n", err)
			return 2
		}
	}
	addr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	s, err := dial(addr, o.timeout, tlsCfg, c.printAsync)
	if err != nil {
		fmt.Fprintf(stderr, "vanity cli: cannot connect to %s: %v\n", addr, err)
		return 1
	}
	defer s.close()
	c.s = s
	if err := c.login(); err != nil {
		if o.words != nil || o.password != "vanity" || o.user != "vanity" {
			fmt.Fprintf(stderr, "vanity cli: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "vanity cli: %v; log in with: auth USER PASSWORD\n", err)
	}
	switch {
	case o.words != nil:
		return c.oneShot()
	case rl != nil:
		return c.loop(func() (string, error) { rl.SetPrompt(c.prompt()); return rl.Readline() }, false)
	default:
		return c.loop(lineReader(stdin, c), o.raw)
	}
}

// historyFile is where a terminal session keeps its history:
// $VANITY_HISTFILE, else ~/.vanity_history; "" (none) without a home.
func historyFile(getenv func(string) string) string {
	if p := getenv("VANITY_HISTFILE"); p != "" {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".vanity_history")
	}
	return ""
}

// cli is one run of the CLI: its options, its session, and where it
// prints (the reader goroutine prints pub/sub messages too, hence mu).
type cli struct {
	opts options
	s    *session
	mu   sync.Mutex
	out  io.Writer
	db   int
}

func (c *cli) println(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.out, s)
}

func (c *cli) printAsync(r proto.Reply) {
	if c.opts.raw {
		c.println(string(proto.AppendReply(nil, r)))
		return
	}
	c.println(Format(r))
}

func (c *cli) prompt() string {
	host := c.opts.host
	if len(host) > 15 {
		host = host[:12] + "..."
	}
	if c.db != 0 {
		return fmt.Sprintf("vanity@%s:%d[%d]> ", host, c.opts.port, c.db)
	}
	return fmt.Sprintf("vanity@%s:%d> ", host, c.opts.port)
}

// login authenticates and switches database as the options say.
func (c *cli) login() error {
	if !c.opts.noAuth {
		req := proto.Request{Cmd: proto.CmdAuth, Str: [3][]byte{[]byte(c.opts.user), []byte(c.opts.password)}}
		r, err := c.request(&req)
		if err != nil {
			return err
		}
		if r.Status != proto.StatusOK {
			return fmt.Errorf("cannot log in as %q: %s", c.opts.user, Format(r))
		}
	}
	if c.opts.db != 0 {
		req := proto.Request{Cmd: proto.CmdSwitchDB, Int: [3]int64{int64(c.opts.db)}}
		r, err := c.request(&req)
		if err != nil {
			return err
		}
		if r.Status != proto.StatusOK {
			c.db = 0
			return fmt.Errorf("cannot switch to database %d: %s", c.opts.db, Format(r))
		}
	}
	return nil
}

func (c *cli) request(req *proto.Request) (proto.Reply, error) {
	p, err := c.s.do(proto.AppendRequest(nil, req))
	if err != nil {
		return proto.Reply{}, err
	}
	return proto.ParseReply(p)
}

// oneShot runs the command of the command line. A subscriber (to a
// channel or a pattern) then prints messages until the server closes the
// connection or the process is stopped.
func (c *cli) oneShot() int {
	if c.opts.raw {
		return c.rawLine(strings.Join(c.opts.words, " "))
	}
	words := make([]proto.Word, len(c.opts.words))
	for i, w := range c.opts.words {
		words[i] = proto.Word{Text: []byte(w)} // the shell took the quotes off: set:str types a string
	}
	status, quit := c.run(words)
	if cmd := commandOf(words); !quit && status == 0 && (cmd == proto.CmdSubscribe || cmd == proto.CmdSubscribePattern) {
		if err := c.s.wait(); !errors.Is(err, errClosed) {
			c.println("(error) " + err.Error())
			return 1
		}
	}
	return status
}

func commandOf(words []proto.Word) proto.Command {
	c, _ := proto.LookupWord(commandName(string(words[0].Text)))
	return c
}

// loop reads lines until the input ends, exit, or the connection closes.
func (c *cli) loop(next func() (string, error), raw bool) int {
	if raw {
		c.println("Welcome to Vanity!")
		c.println(`Type "exit" to exit.`)
	}
	for {
		line, err := next()
		if errors.Is(err, readline.ErrInterrupt) {
			if line == "" {
				return 0
			}
			continue
		}
		if err != nil { // io.EOF
			return 0
		}
		if raw {
			if line == "exit" {
				return 0
			}
			if status := c.rawLine(line); status != 0 {
				return 0 // the seed's CLI ends quietly once the server closes
			}
			continue
		}
		words, err := proto.SplitWords(line)
		if err != nil {
			c.println("(error) " + err.Error())
			continue
		}
		if len(words) == 0 {
			continue
		}
		if _, quit := c.run(words); quit {
			return 0
		}
	}
}

// lineReader reads lines from a non-terminal input; in raw mode it prints
// the seed's prompt before each, as vanity_cli.py did.
func lineReader(in io.Reader, c *cli) func() (string, error) {
	r := newLines(in)
	return func() (string, error) {
		if c.opts.raw {
			c.mu.Lock()
			fmt.Fprint(c.out, c.prompt())
			c.mu.Unlock()
		}
		line, err := r.next()
		if err != nil && c.opts.raw {
			c.println("")
		}
		return line, err
	}
}

// run handles one line of words: a local word, or a command sent to the
// server. It returns 1 when the line failed, and quit when the session is
// over (exit, or the connection closed).
func (c *cli) run(words []proto.Word) (status int, quit bool) {
	first := strings.ToLower(string(words[0].Text))
	switch first {
	case "exit", "quit":
		return 0, true
	case "help":
		args := make([]string, 0, len(words)-1)
		for _, w := range words[1:] {
			args = append(args, string(w.Text))
		}
		c.mu.Lock()
		fmt.Fprint(c.out, helpText(args))
		c.mu.Unlock()
		return 0, false
	case "clear":
		c.mu.Lock()
		fmt.Fprint(c.out, "\033[H\033[2J")
		c.mu.Unlock()
		return 0, false
	}
	var req proto.Request
	if err := proto.ParseWords(words, &req); err != nil {
		c.println("(error) " + err.Error())
		return 1, false
	}
	r, err := c.request(&req)
	if err != nil {
		if errors.Is(err, errClosed) {
			c.println("Connection closed.")
			if req.Cmd == proto.CmdExit || req.Cmd == proto.CmdTerminate {
				return 0, true
			}
			return 1, true
		}
		c.println("(error) " + err.Error())
		return 1, true
	}
	if req.Cmd == proto.CmdSwitchDB && r.Status == proto.StatusOK {
		c.db = int(req.Int[0])
	}
	c.println(Format(r))
	if r.Status != proto.StatusOK && r.Status != proto.StatusPong && r.Status != proto.StatusNull && r.Status != proto.StatusQueued {
		return 1, false
	}
	return 0, false
}

// rawLine sends a line as it is and prints the reply frame as it is.
func (c *cli) rawLine(line string) int {
	p, err := c.s.do([]byte(line))
	if err != nil {
		c.println("Connection closed.")
		return 1
	}
	c.println(string(p))
	return 0
}

// lines reads newline-terminated lines of any length up to a request's.
type lines struct{ sc *bufio.Scanner }

func newLines(in io.Reader) *lines {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), proto.MaxRequest)
	return &lines{sc: sc}
}

func (l *lines) next() (string, error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return strings.TrimSuffix(l.sc.Text(), "\r"), nil
}
