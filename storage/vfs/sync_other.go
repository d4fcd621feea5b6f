//go:build !linux

package vfs

// Sync makes the file's data durable (fsync).
func (f osFile) Sync() error { return f.File.Sync() }
