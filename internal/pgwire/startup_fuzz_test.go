package pgwire

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/dbward/dbward/internal/config"
	"github.com/dbward/dbward/internal/identity"
)

// scriptConn is a net.Conn that reads a fixed script and discards writes.
type scriptConn struct {
	r       *bytes.Reader
	written int
}

func (c *scriptConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *scriptConn) Write(b []byte) (int, error) { c.written += len(b); return len(b), nil }
func (c *scriptConn) Close() error                { return nil }
func (c *scriptConn) LocalAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6432}
}
func (c *scriptConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
}
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }

func startupTestServer(tb testing.TB) *Server {
	cfg, err := config.Parse("fuzz.yaml", []byte(`
datastores:
  - name: shop
    upstream: {address: "127.0.0.1:1", user: svc, tls: disable}
identities:
  - {name: alice, token_env: T}
  - {name: bob, token_sha256: "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"}
`), func(string) string { return "alice-token" })
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := identity.NewStore(cfg.Identities)
	if err != nil {
		tb.Fatal(err)
	}
	tlsCfg, err := TLSConfig(cfg.TLS)
	if err != nil {
		tb.Fatal(err)
	}
	return &Server{
		opts: Options{Config: cfg, Identities: ids, TLS: tlsCfg, MaxMessageSize: 1 << 20},
		log:  slog.New(slog.NewTextHandler(io.Discard, nil)), sessions: map[uint32]*session{},
	}
}

func startupPacket(params ...string) []byte {
	body := []byte{0, 3, 0, 0}
	for _, p := range params {
		body = append(append(body, p...), 0)
	}
	body = append(body, 0)
	n := len(body) + 4
	return append([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

// FuzzStartup feeds arbitrary bytes to the startup phase: it must answer or
// close, never panic or hang.
func FuzzStartup(f *testing.F) {
	s := startupTestServer(f)
	f.Add(startupPacket("user", "alice", "database", "shop"))
	f.Add(append(startupPacket("user", "bob", "database", "shop"), msg('p', "bob-token\x00")...))
	f.Add(append(startupPacket("user", "alice"), msg('p', "SCRAM-SHA-256\x00\x00\x00\x00\x20n,,n=,r=abcdefghijklmnopqrstuvwxyz")...))
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})                                     // SSLRequest
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 48})                                     // GSSENCRequest
	f.Add([]byte{0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0, 1, 0, 0, 0, 2})            // CancelRequest
	f.Add(startupPacket("user", "x", "replication", "database", "_pq_.foo", "1")) // odd params
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c := &scriptConn{r: bytes.NewReader(data)}
		ss, perr := s.startup(ctx, c)
		if ss != nil {
			t.Fatal("a session started from fuzz input")
		}
		if perr != nil && perr != gone && (perr.Code == "" || perr.Message == "") {
			t.Fatalf("error without code or message: %+v", perr)
		}
	})
}

func TestSCRAMRoundTrip(t *testing.T) {
	keys := deriveSCRAMKeys("pencil", []byte("0123456789abcdef"))
	srv := scramServer{keys: keys}
	first, err := srv.first("n,,n=,r=clientnonce")
	if err != nil {
		t.Fatal(err)
	}
	// Compute the client side with the same primitives.
	nonce := first[2:bytes.IndexByte([]byte(first), ',')]
	withoutProof := "c=biws,r=" + nonce
	auth := "n=,r=clientnonce," + first + "," + withoutProof
	proof := clientProof("pencil", []byte("0123456789abcdef"), auth)
	if _, err := srv.final(withoutProof + ",p=" + proof); err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	srv2 := scramServer{keys: keys}
	first2, _ := srv2.first("n,,n=,r=clientnonce")
	nonce2 := first2[2:bytes.IndexByte([]byte(first2), ',')]
	bad := clientProof("wrong", []byte("0123456789abcdef"), "n=,r=clientnonce,"+first2+",c=biws,r="+nonce2)
	if _, err := srv2.final("c=biws,r=" + nonce2 + ",p=" + bad); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := srv2.final("c=biws,r=othernonce,p=" + bad); err == nil {
		t.Fatal("wrong nonce accepted")
	}
}

// FuzzSCRAM feeds arbitrary client-first and client-final messages to the
// server side of SCRAM: it must refuse them, never panic, and never accept
// a proof it did not check.
func FuzzSCRAM(f *testing.F) {
	f.Add("n,,n=,r=abc", "c=biws,r=abc,p=AAAA")
	f.Add("y,,n=user,r=x", "c=eSws,r=x,p=")
	f.Add("p=tls-server-end-point,,n=,r=z", "")
	f.Add("n,,", ",p=")
	keys := deriveSCRAMKeys("secret", []byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, first, final string) {
		srv := scramServer{keys: keys}
		if _, err := srv.first(first); err != nil {
			return
		}
		if _, err := srv.final(final); err == nil {
			t.Fatalf("accepted a final message the fuzzer made up: %q after %q", final, first)
		}
	})
}
