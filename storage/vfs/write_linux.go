//go:build linux

package vfs

import (
	"io"
	"syscall"
	"unsafe"
)

// rawWriteMax bounds a raw write: the log's batches are smaller under any
// load measured here, and zeros go 64 KiB at a time.
const rawWriteMax = 1 << 20

// WriteAt writes with raw pwrite(2) calls, without the scheduler's
// bookkeeping for a call that may block (docs/decisions.md, "The log's
// writes are raw system calls"). The write-ahead log is its one user: its
// writes go to the page cache and return in microseconds, but as blocking
// calls they kept the runtime's monitor thread waking every 20 µs to hand
// the writer's P to another thread, which cost a storage node under
// replicated writes a fifth of its CPU. What a raw call gives up: while
// the kernel holds it (a writer throttled for dirty pages) the goroutine
// keeps its P and the collector cannot stop it; so a write of more than
// rawWriteMax (a rare batch, a huge record) is a blocking call as before.
func (f osFile) WriteAt(b []byte, off int64) (int, error) {
	if len(b) > rawWriteMax {
		return f.File.WriteAt(b, off)
	}
	raw, err := f.File.SyscallConn()
	if err != nil {
		return f.File.WriteAt(b, off)
	}
	done := 0
	var werr error
	if err := raw.Control(func(fd uintptr) {
		for done < len(b) {
			n, _, e := syscall.RawSyscall6(syscall.SYS_PWRITE64, fd, uintptr(unsafe.Pointer(&b[done])), uintptr(len(b)-done), uintptr(off+int64(done)), 0, 0)
			if e == syscall.EINTR {
				continue
			}
			if e != 0 {
				werr = e
				return
			}
			if n == 0 {
				werr = io.ErrShortWrite
				return
			}
			done += int(n)
		}
	}); err != nil {
		return done, err
	}
	return done, werr
}
