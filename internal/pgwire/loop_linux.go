package pgwire

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// yieldEvery is how often the loop passes through the scheduler; it must
// stay well below the runtime's 10 ms preemption slice.
const yieldEvery = 2 * time.Millisecond

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
	var yielded time.Time
	for {
		// The loop never waits in the scheduler, only in system calls, so
		// to the runtime it looks like one goroutine running for ever: after
		// 10 ms sysmon takes its P away at every system call, and getting a
		// P back costs wake-ups on other threads — more than the relaying.
		// Passing through the scheduler every few milliseconds avoids that
		// (not every round: a yield wakes an idle thread to look for work).
		if now := time.Now(); now.Sub(yielded) > yieldEvery {
			runtime.Gosched()
			yielded = now
		}
		n, err := syscall.EpollWait(l.epfd, events, -1)
		if err != nil && err != syscall.EINTR {
			panic("BUG: epoll_wait: " + err.Error())
		}
		for _, ev := range events[:max(n, 0)] {
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
			syscall.Close(l.epfd)
			return
		}
	}
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
		n, err := syscall.Read(int(fd), p)
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
		n, err := syscall.Write(int(fd), p[done:])
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
