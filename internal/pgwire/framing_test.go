package pgwire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func msg(typ byte, body string) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(body)))
	return append(b, body...)
}

func TestReaderFramesMessages(t *testing.T) {
	stream := bytes.Join([][]byte{msg('Q', "SELECT 1\x00"), msg('S', ""), msg('d', string(make([]byte, 100000)))}, nil)
	// One byte at a time must give the same messages as all at once.
	for _, r := range []io.Reader{bytes.NewReader(stream), iotest.OneByteReader(bytes.NewReader(stream))} {
		m := newReader(r, 1<<20)
		var types []byte
		for {
			typ, raw, err := m.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if int(binary.BigEndian.Uint32(raw[1:]))+1 != len(raw) {
				t.Fatalf("message %q: length word disagrees with slice", typ)
			}
			types = append(types, typ)
		}
		if string(types) != "QSd" {
			t.Fatalf("types = %q", types)
		}
	}
}

func TestReaderRejects(t *testing.T) {
	cases := map[string]struct {
		in   []byte
		want error
	}{
		"too large":  {msg('Q', string(make([]byte, 2000))), ErrMessageTooLarge},
		"length < 4": {[]byte{'Q', 0, 0, 0, 3}, errMalformed},
		"negative":   {[]byte{'Q', 0xff, 0xff, 0xff, 0xff}, errMalformed},
		"truncated":  {msg('Q', "SELECT 1")[:7], io.ErrUnexpectedEOF},
	}
	for name, c := range cases {
		_, _, err := newReader(bytes.NewReader(c.in), 1024).next()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add(msg('Q', "SELECT 1\x00"))
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})
	f.Add(append(msg('P', "s\x00SELECT $1\x00\x00\x01\x00\x00\x00\x17"), msg('S', "")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := newReader(bytes.NewReader(data), 4096)
		total := 0
		for {
			_, raw, err := m.next()
			if err != nil {
				break
			}
			total += len(raw)
			if len(raw) < 5 || len(raw) > 4096 {
				t.Fatalf("message of %d bytes", len(raw))
			}
		}
		if total > len(data) {
			t.Fatalf("returned %d bytes from %d", total, len(data))
		}
		// The event loop's way — read once when told the socket is ready,
		// take what is whole — must frame exactly as blocking reads do.
		blocking := framed(newReader(bytes.NewReader(data), 4096).next)
		nb := newReader(&stutter{data: data}, 4096)
		polled := framed(func() (byte, []byte, error) {
			for {
				typ, raw, ok, err := nb.buffered1()
				if err != nil || ok {
					return typ, raw, err
				}
				if err := nb.readSome(); err != nil && !errors.Is(err, errStutter) {
					return 0, nil, err
				}
			}
		})
		if !bytes.Equal(blocking, polled) {
			t.Fatalf("polled framing differs:\n blocking %x\n polled   %x", blocking, polled)
		}
		s := newReader(bytes.NewReader(data), 4096)
		for {
			if _, err := s.nextStartup(); err != nil {
				break
			}
		}
	})
}

// framed concatenates what next returns until it fails.
func framed(next func() (byte, []byte, error)) []byte {
	var all []byte
	for {
		_, raw, err := next()
		if err != nil {
			return all
		}
		all = append(all, raw...)
	}
}

var errStutter = errors.New("nothing yet")

// stutter is a non-blocking socket's pattern: short reads of varying
// size, with "nothing yet" between them.
type stutter struct {
	data []byte
	n    int
}

func (s *stutter) Read(p []byte) (int, error) {
	s.n++
	if s.n%2 == 0 {
		return 0, errStutter
	}
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), len(s.data), 1+s.n%7*3)
	copy(p, s.data[:k])
	s.data = s.data[k:]
	return k, nil
}
