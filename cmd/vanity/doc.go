// Command vanity runs the all-in-one Vanity server: a router and one
// storage node in a single process, talking in process. "vanity cli" is an
// interactive client.
package main
