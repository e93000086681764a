package pgwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrMessageTooLarge is returned when a peer announces a message longer than
// the reader accepts.
var ErrMessageTooLarge = errors.New("message too large")

// errMalformed marks a length field that cannot be right.
var errMalformed = errors.New("malformed message length")

// reader frames PostgreSQL protocol messages from a stream without decoding
// them, so a session can look only at the messages it cares about and relay
// the rest byte for byte. The slices it returns are valid until the next call.
type reader struct {
	r          io.Reader
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	max        int // largest message accepted, header included
}

const (
	initialBufSize = 16 << 10
	shrinkAbove    = 1 << 20
)

func newReader(r io.Reader, max int) *reader {
	return &reader{r: r, buf: make([]byte, initialBufSize), max: max}
}

// buffered is how many bytes have been read from the stream but not yet
// returned; zero means the peer has nothing more in flight that we hold.
func (m *reader) buffered() int { return m.end - m.start }

// fill makes sure n unread bytes are in the buffer.
func (m *reader) fill(n int) error {
	m.room(n)
	for m.end-m.start < n {
		if err := m.readSome(); err != nil {
			if m.end-m.start >= n {
				return nil
			}
			if errors.Is(err, io.EOF) && m.end > m.start {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// compact gives back a buffer grown by one huge message once it is consumed.
func (m *reader) compact() {
	if len(m.buf) > shrinkAbove && m.start == m.end {
		m.buf = make([]byte, initialBufSize)
		m.start, m.end = 0, 0
	}
}

// next returns the next typed message: its type byte and the whole message,
// header included, ready to be relayed as it is. The body is raw[5:]. It
// reads from the stream until the message is whole.
func (m *reader) next() (typ byte, raw []byte, err error) {
	for {
		typ, raw, ok, err := m.buffered1()
		if err != nil || ok {
			return typ, raw, err
		}
		if err := m.readSome(); err != nil {
			if errors.Is(err, io.EOF) && m.end > m.start {
				return 0, nil, io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
	}
}

// buffered1 returns the next message if it is wholly buffered, without
// reading; ok is false when more must be read first. A length that cannot
// be right is an error at once, before its bytes arrive.
func (m *reader) buffered1() (typ byte, raw []byte, ok bool, err error) {
	m.compact()
	if m.end-m.start < 5 {
		m.room(5)
		return 0, nil, false, nil
	}
	typ = m.buf[m.start]
	n := int(int32(binary.BigEndian.Uint32(m.buf[m.start+1:])))
	if n < 4 {
		return 0, nil, false, fmt.Errorf("%w: type %q, length %d", errMalformed, typ, n)
	}
	if n+1 > m.max {
		return 0, nil, false, fmt.Errorf("%w: type %q, %d bytes (limit %d)", ErrMessageTooLarge, typ, n+1, m.max)
	}
	if m.end-m.start < n+1 {
		m.room(n + 1)
		return 0, nil, false, nil
	}
	raw = m.buf[m.start : m.start+n+1]
	m.start += n + 1
	return typ, raw, true, nil
}

// readSome reads once from the stream into the free end of the buffer. The
// bytes read count even when an error comes with them.
func (m *reader) readSome() error {
	if m.end == len(m.buf) {
		m.room(m.end - m.start + 1)
	}
	k, err := m.r.Read(m.buf[m.end:])
	m.end += k
	return err
}

// room makes sure the buffer can hold n unread bytes without moving them
// again: what is unread moves to the front, and the buffer grows if n
// still does not fit.
func (m *reader) room(n int) {
	if n <= len(m.buf)-m.start {
		return
	}
	if n > len(m.buf) {
		size := len(m.buf) * 2
		for size < n {
			size *= 2
		}
		nb := make([]byte, size)
		m.end = copy(nb, m.buf[m.start:m.end])
		m.buf = nb
	} else {
		m.end = copy(m.buf, m.buf[m.start:m.end])
	}
	m.start = 0
}

// nextStartup returns the body of an untyped startup-phase packet
// (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest), length word
// excluded.
func (m *reader) nextStartup() ([]byte, error) {
	if err := m.fill(4); err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(m.buf[m.start:])))
	if n < 8 {
		return nil, fmt.Errorf("%w: startup packet length %d", errMalformed, n)
	}
	if n > maxStartupPacket {
		return nil, fmt.Errorf("%w: startup packet of %d bytes", ErrMessageTooLarge, n)
	}
	if err := m.fill(n); err != nil {
		return nil, err
	}
	body := m.buf[m.start+4 : m.start+n]
	m.start += n
	return body, nil
}

// maxStartupPacket is PostgreSQL's own limit (MAX_STARTUP_PACKET_LENGTH).
const maxStartupPacket = 10000

// cstring splits a NUL-terminated string off the front of b.
func cstring(b []byte) (s string, rest []byte, ok bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:], true
		}
	}
	return "", b, false
}
