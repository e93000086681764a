package pgwire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// eventLoop relays plain TCP sessions on one goroutine driven by epoll,
// the way PgBouncer does. A goroutine per direction costs a futile read, a
// park and a wake-up per message; on a small machine that doubles what a
// proxy adds to each statement. The loop reads what is ready, relays it
// and waits again: per statement one read and one write each way.
//
// Everything about the sessions on the loop is touched by the loop
// goroutine only. Other goroutines hand it work with post.
type eventLoop struct {
	epfd int
	wake int // eventfd: post writes to it to interrupt epoll_wait
	// poll is the epoll descriptor in the runtime's netpoller (readable
	// when events are ready): the loop waits there, see wait.
	poll     syscall.RawConn
	pollFile *os.File

	mu      sync.Mutex
	posted  []func()
	closing bool

	handlers map[int32]loopHandler // by fd; loop goroutine only
	done     chan struct{}
}

// loopHandler receives a registered fd's readiness.
type loopHandler interface {
	ready(fd int32, events uint32)
}

func newEventLoop() (*eventLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wake, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, fmt.Errorf("eventfd2: %w", errno)
	}
	l := &eventLoop{epfd: epfd, wake: int(wake), handlers: map[int32]loopHandler{}, done: make(chan struct{})}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wake, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wake)}); err != nil {
		syscall.Close(epfd)
		syscall.Close(l.wake)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	// A duplicate, non-blocking, for os.NewFile to hand to the netpoller.
	pfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(epfd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno == 0 {
		if err := syscall.SetNonblock(int(pfd), true); err != nil {
			errno = err.(syscall.Errno)
		}
	}
	if errno != 0 {
		syscall.Close(epfd)
		syscall.Close(l.wake)
		return nil, fmt.Errorf("dup: %w", errno)
	}
	l.pollFile = os.NewFile(pfd, "epoll")
	rc, err := l.pollFile.SyscallConn()
	if err != nil {
		l.pollFile.Close()
		syscall.Close(epfd)
		syscall.Close(l.wake)
		return nil, err
	}
	l.poll = rc
	go l.run()
	return l, nil
}

// post runs f on the loop goroutine. It reports false when the loop has
// stopped, and f will not run.
func (l *eventLoop) post(f func()) bool {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return false
	}
	first := len(l.posted) == 0
	l.posted = append(l.posted, f)
	l.mu.Unlock()
	if first {
		one := [8]byte{1}
		syscall.Write(l.wake, one[:])
	}
	return true
}

// stop ends the loop once what was posted before has run, closing what is
// still registered. Sessions should have ended first.
func (l *eventLoop) stop() {
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	one := [8]byte{1}
	syscall.Write(l.wake, one[:])
	<-l.done
}

// watch registers fd with the events wanted; loop goroutine only.
func (l *eventLoop) watch(fd int, events uint32, h loopHandler) error {
	l.handlers[int32(fd)] = h
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: events, Fd: int32(fd)})
}

// rewatch changes the events wanted for fd; loop goroutine only.
func (l *eventLoop) rewatch(fd int, events uint32) error {
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, fd, &syscall.EpollEvent{Events: events, Fd: int32(fd)})
}

// unwatch forgets fd and closes it; loop goroutine only.
func (l *eventLoop) unwatch(fd int) {
	delete(l.handlers, int32(fd))
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	syscall.Close(fd)
}

func (l *eventLoop) run() {
	defer close(l.done)
	events := make([]syscall.EpollEvent, 128)
	for {
		n := l.wait(events)
		for _, ev := range events[:n] {
			if int(ev.Fd) == l.wake {
				var b [8]byte
				syscall.Read(l.wake, b[:])
			} else if h := l.handlers[ev.Fd]; h != nil {
				h.ready(ev.Fd, ev.Events)
			}
		}
		if l.runPosted() {
			for fd := range l.handlers {
				l.unwatch(int(fd))
			}
			syscall.Close(l.wake)
			l.pollFile.Close()
			syscall.Close(l.epfd)
			return
		}
	}
}

// wait returns the events ready, waiting for some.
//
// The loop must not wait in a blocking system call. To the runtime a
// goroutine in a system call still holds its P, and whenever other
// goroutines have work (the audit writer, a policy evaluation) sysmon
// takes that P away and hands it to another thread, polling every 20 µs
// while it does; getting a P back costs the loop thread a sleep and a
// wake-up — more than relaying a statement. So it polls without
// blocking and, when nothing is ready, parks in the runtime's netpoller
// on the epoll descriptor itself, which gives the P back. For the same
// reason the sockets are read and written with raw system calls (see
// rawFD): they never block, and a P that never enters a system call is
// never taken.
func (l *eventLoop) wait(events []syscall.EpollEvent) int {
	var n int
	err := l.poll.Read(func(uintptr) bool {
		r, _, errno := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd),
			uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
		switch {
		case errno == syscall.EINTR:
			n = 0
			return true
		case errno != 0:
			panic("BUG: epoll_wait: " + errno.Error())
		}
		n = int(r)
		return n > 0
	})
	if err != nil {
		panic("BUG: waiting on the epoll descriptor: " + err.Error())
	}
	return n
}

// runPosted runs what other goroutines posted, and what that posted in
// turn. It reports whether the loop is to stop.
func (l *eventLoop) runPosted() (stop bool) {
	var tasks []func()
	for {
		l.mu.Lock()
		tasks, l.posted = l.posted, tasks[:0]
		stop = l.closing
		l.mu.Unlock()
		if len(tasks) == 0 {
			return stop
		}
		for i, f := range tasks {
			f()
			tasks[i] = nil
		}
	}
}

// errWouldBlock is a non-blocking read's "nothing there yet".
var errWouldBlock = errors.New("would block")

// rawFD is a non-blocking socket taken over from a net.Conn. It reads and
// writes with plain system calls; the loop waits for readiness.
type rawFD int

func (fd rawFD) Read(p []byte) (int, error) {
	for {
		n, err := rawRead(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, errWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// write writes as much of p as the socket takes now.
func (fd rawFD) write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := rawWrite(int(fd), p[done:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return done, nil
		case err != nil:
			return done, err
		}
		done += n
	}
	return done, nil
}

// rawRead and rawWrite are read(2) and write(2) without telling the
// runtime: on a non-blocking socket they return at once (see wait).
func rawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// detach takes the socket out of c: a duplicate of its descriptor, still
// non-blocking, while c itself is closed and so leaves Go's poller. It
// fails, leaving c as it was, for connections that are not plain sockets
// (TLS, for one).
func detach(c net.Conn) (rawFD, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("%T is not a socket", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(s uintptr) {
		r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if errno != 0 {
			dupErr = errno
			return
		}
		fd = int(r)
	}); err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, fmt.Errorf("dup: %w", dupErr)
	}
	c.Close()
	return rawFD(fd), nil
}
