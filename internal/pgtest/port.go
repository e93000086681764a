package pgtest

import (
	"fmt"
	"net"
)

// FreePort returns a TCP port of 127.0.0.1 that was free when it looked;
// another process may take it before the caller binds it.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freePort is FreePort; tests replace it to force a port clash.
var freePort = FreePort
