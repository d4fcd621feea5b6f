// Package cli is `vanity cli`: the interactive and one-shot client for
// people. It owns the command line's flags, the session on one connection
// (a reader goroutine that prints pub/sub messages as they arrive), the
// rendering of typed replies the way redis-cli prints them, help and tab
// completion. Reading what a person types into a request is proto's
// (SplitWords, ParseWords), from the one command table; in --raw mode a
// line is sent as the frame it is, as the seed's vanity_cli.py did.
package cli
