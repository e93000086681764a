package config

import (
	"fmt"
	"net"
	"os"

	"gopkg.in/yaml.v3"
)

// ServerURL is the HTTP API of the dbward that serves the config at path,
// for commands that act as a person on another machine: it reads listen.http
// alone (default 127.0.0.1:8080), so that it needs none of the secrets Load
// would. An unspecified listen host (0.0.0.0, ::) is reached on loopback.
func ServerURL(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading config: %w", err)
	}
	var c struct {
		Listen struct {
			HTTP string `yaml:"http"`
		} `yaml:"listen"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	addr := c.Listen.HTTP
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s: listen.http %q is not host:port", path, addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
