package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/vanitydb/vanity/client"
)

// runCLI is "vanity cli [host] [port] [no-auth]": each input line is sent
// verbatim as one request and the raw reply payload is printed, as the
// seed's vanity_cli.py does (PROTOCOL.md §10.7).
func runCLI(args []string, in io.Reader, out io.Writer) int {
	host, port, auth := "localhost", 9955, true
	if n := len(args); n > 0 && args[n-1] == "no-auth" {
		auth = false
		args = args[:n-1]
	}
	switch len(args) {
	case 0:
	case 1:
		p, err := strconv.Atoi(args[0])
		if err != nil {
			host = args[0]
		} else {
			port = p
		}
	case 2:
		host = args[0]
		p, err := strconv.Atoi(args[1])
		if err != nil {
			fmt.Fprintf(out, "invalid port %q\n", args[1])
			return 2
		}
		port = p
	default:
		fmt.Fprintln(out, "usage: vanity cli [host] [port] [no-auth]")
		return 2
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	c, err := client.Dial(addr, client.Options{NoLogin: !auth})
	if err != nil {
		fmt.Fprintf(out, "cannot connect to %s: %v\n", addr, err)
		return 1
	}
	defer c.Close()
	fmt.Fprintln(out, "Welcome to Vanity!")
	fmt.Fprintln(out, `Type "exit" to exit.`)
	shown := host
	if len(shown) > 15 {
		shown = shown[:12] + "..."
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 512<<20)
	for {
		fmt.Fprintf(out, "vanity@%s:%d> ", shown, port)
		if !sc.Scan() {
			fmt.Fprintln(out)
			return 0
		}
		line := sc.Text()
		if line == "exit" {
			return 0
		}
		reply, err := c.Raw([]byte(line))
		if err != nil {
			fmt.Fprintln(out, "Connection closed.")
			return 0
		}
		fmt.Fprintln(out, string(reply))
	}
}
