package pgwire

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// bindMessage encodes a Bind of params (nil: NULL) with one format code per
// parameter.
func bindMessage(portal, stmt string, formats []int16, params [][]byte) []byte {
	b := []byte{'B', 0, 0, 0, 0}
	b = append(append(b, portal...), 0)
	b = append(append(b, stmt...), 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(formats)))
	for _, f := range formats {
		b = binary.BigEndian.AppendUint16(b, uint16(f))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(params)))
	for _, p := range params {
		if p == nil {
			b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	b = binary.BigEndian.AppendUint16(b, 0) // result formats
	binary.BigEndian.PutUint32(b[1:], uint32(len(b)-1))
	return b
}

func TestBindParams(t *testing.T) {
	raw := bindMessage("p", "s", []int16{0, 1, 0}, [][]byte{[]byte("42"), {0, 0, 0, 7}, nil})
	ps, ok := bindParams(raw)
	if !ok || len(ps) != 3 || string(ps[0].Value) != "42" || ps[0].Format != 0 ||
		!bytes.Equal(ps[1].Value, []byte{0, 0, 0, 7}) || ps[1].Format != 1 || !ps[2].Null {
		t.Fatalf("bindParams = %+v, %v", ps, ok)
	}
	one := bindMessage("", "", []int16{1}, [][]byte{{1}, {2}})
	if ps, ok := bindParams(one); !ok || ps[0].Format != 1 || ps[1].Format != 1 {
		t.Errorf("one format for all: %+v, %v", ps, ok)
	}
	for name, bad := range map[string][]byte{
		"truncated":        raw[:len(raw)-6],
		"format mismatch":  bindMessage("", "", []int16{0, 0}, [][]byte{[]byte("1")}),
		"no names":         {'B', 0, 0, 0, 4},
		"negative length":  append(bindMessage("", "", nil, nil)[:7:7], 0, 1, 0xFF, 0xFF, 0xFF, 0xFE),
		"length too large": append(bindMessage("", "", nil, nil)[:7:7], 0, 1, 0, 0, 0, 9, 'x'),
	} {
		if ps, ok := bindParams(bad); ok {
			t.Errorf("%s: read %+v", name, ps)
		}
	}
}

func FuzzBindParams(f *testing.F) {
	f.Add(bindMessage("p", "s", []int16{0, 1}, [][]byte{[]byte("42"), nil}))
	f.Add(bindMessage("", "", nil, [][]byte{[]byte("x")}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) < 5 {
			return // (framing guarantees a header)
		}
		ps, ok := bindParams(raw)
		if !ok {
			return
		}
		for _, p := range ps {
			if p.Null && p.Value != nil {
				t.Fatalf("NULL with a value: %+v", p)
			}
		}
	})
}
