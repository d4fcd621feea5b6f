// Package golden reads proto/testdata/golden.txt, the request and reply
// bytes shared by the Go tests, the end-to-end tests and the Python
// client's tests, and renders decoded replies as the canonical JSON both
// clients must agree on. See the file's header for its format.
package golden
