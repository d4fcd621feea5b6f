package uring

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ring is an io_uring instance used synchronously: every operation is a
// non-blocking receive or send (MSG_DONTWAIT), which the kernel completes
// while it submits it, and Run waits for every completion before it
// returns. So the buffers are only read or written during Run, as with
// read(2) and write(2). A Ring belongs to one goroutine.
type Ring struct {
	fd      int
	entries uint32

	sqTail  *uint32
	sqMask  uint32
	sqes    []uringSQE
	tail    uint32 // next submission slot, not yet published
	pending uint32 // operations added since the last run

	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []uringCQE

	rings, sqeMem []byte
}

// The kernel's structures (include/uapi/linux/io_uring.h).
type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

type uringSQE struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	msgFlags    uint32
	userData    uint64
	bufIndex    uint16
	personality uint16
	spliceFdIn  int32
	addr3       uint64
	_           uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

const (
	uringOpSend = 26
	uringOpRecv = 27

	uringEnterGetEvents = 1
	uringFeatSingleMmap = 1

	uringOffSQRing = 0
	uringOffCQRing = 0x8000000
	uringOffSQEs   = 0x10000000
)

// New sets up a ring for up to entries operations per Run.
func New(entries uint32) (*Ring, error) {
	var p uringParams
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, errno
	}
	u := &Ring{fd: int(fd), entries: p.sqEntries}
	fail := func(err error) (*Ring, error) {
		u.Close()
		return nil, err
	}
	if p.features&uringFeatSingleMmap == 0 {
		return fail(errors.New("io_uring: kernel maps its rings separately"))
	}
	size := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*uint32(unsafe.Sizeof(uringCQE{})))
	rings, err := unix.Mmap(u.fd, uringOffSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail(err)
	}
	u.rings = rings
	sqeMem, err := unix.Mmap(u.fd, uringOffSQEs, int(p.sqEntries)*int(unsafe.Sizeof(uringSQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fail(err)
	}
	u.sqeMem = sqeMem
	at := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&rings[off])) }
	u.sqTail, u.sqMask = at(p.sqOff.tail), *at(p.sqOff.ringMask)
	u.tail = atomic.LoadUint32(u.sqTail)
	array := unsafe.Slice(at(p.sqOff.array), p.sqEntries)
	for i := range array {
		array[i] = uint32(i) // slot i of the ring names entry i
	}
	u.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&sqeMem[0])), p.sqEntries)
	u.cqHead, u.cqTail, u.cqMask = at(p.cqOff.head), at(p.cqOff.tail), *at(p.cqOff.ringMask)
	u.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&rings[p.cqOff.cqes])), p.cqEntries)
	return u, nil
}

// Close releases the ring.
func (u *Ring) Close() {
	if u.sqeMem != nil {
		unix.Munmap(u.sqeMem)
	}
	if u.rings != nil {
		unix.Munmap(u.rings)
	}
	unix.Close(u.fd)
}

// Full reports whether Run must be called before another operation is added.
func (u *Ring) Full() bool { return u.pending == u.entries }

// Recv adds a non-blocking receive into b, tagged.
func (u *Ring) Recv(fd int32, b []byte, tag uint64) {
	u.add(uringOpRecv, fd, b, unix.MSG_DONTWAIT, tag)
}

// Send adds a non-blocking send of b, tagged.
func (u *Ring) Send(fd int32, b []byte, tag uint64) {
	u.add(uringOpSend, fd, b, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, tag)
}

func (u *Ring) add(op uint8, fd int32, b []byte, flags uint32, tag uint64) {
	u.sqes[u.tail&u.sqMask] = uringSQE{
		opcode: op, fd: fd, msgFlags: flags, userData: tag,
		addr: uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b)))), len: uint32(len(b)),
	}
	u.tail++
	u.pending++
}

// Run submits what was added and calls done with each operation's tag and
// result (a byte count, or a negated errno) once all have completed.
func (u *Ring) Run(done func(tag uint64, res int32)) error {
	n := u.pending
	if n == 0 {
		return nil
	}
	u.pending = 0
	atomic.StoreUint32(u.sqTail, u.tail)
	// Submit without waiting, as a raw call: the operations complete
	// during submission. Should one not have, wait for it through the
	// scheduler like any call that may block.
	submit, reaped := n, uint32(0)
	r, _, errno := unix.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(u.fd), uintptr(submit), 0, 0, 0, 0)
	for {
		switch {
		case errno == unix.EINTR || errno == unix.EAGAIN || errno == unix.EBUSY:
		case errno != 0:
			return errno
		default:
			submit -= uint32(r)
		}
		reaped += u.reap(done)
		if reaped == n {
			return nil
		}
		r, _, errno = unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(u.fd), uintptr(submit), uintptr(n-reaped), uringEnterGetEvents, 0, 0)
	}
}

// reap hands the completions posted so far to done and returns how many.
func (u *Ring) reap(done func(tag uint64, res int32)) uint32 {
	head, tail := atomic.LoadUint32(u.cqHead), atomic.LoadUint32(u.cqTail)
	n := tail - head
	for ; head != tail; head++ {
		c := u.cqes[head&u.cqMask]
		done(c.userData, c.res)
	}
	atomic.StoreUint32(u.cqHead, head)
	return n
}
