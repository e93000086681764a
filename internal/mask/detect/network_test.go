package detect

import (
	"net/netip"
	"testing"
)

func TestIPv4(t *testing.T) {
	runCases(t, []scanCase{
		tc("from 192.168.1.10", "ipv4=192.168.1.10"),
		tc("10.0.0.0/8", "ipv4=10.0.0.0"),
		tc("127.0.0.1:5432", "ipv4=127.0.0.1"),
		tc("host 8.8.8.8.", "ipv4=8.8.8.8"),
		tc("[255.255.255.255]", "ipv4=255.255.255.255"),
		tc(`"client_ip":"203.0.113.7"`, "ipv4=203.0.113.7"),
		tc("999.1.1.1"),       // octet > 255
		tc("1.2.3.256"),       // octet > 255
		tc("1.2.3.4.5"),       // five parts: a version or an OID
		tc("1.3.6.1.4.1.311"), // an OID
		tc("v1.2.3.4"),        // a version
		tc("1.2.3"),           // three parts
		tc("01.02.03.04"),     // leading zeros
		tc("x1.2.3.4"),        // inside a word
		tc("1.2.3.4a"),        // inside a word
		tc("10.0.0.1/24/7"),   // not a CIDR
	})
}

func TestIPv6(t *testing.T) {
	runCases(t, []scanCase{
		tc("addr 2001:db8::1", "ipv6=2001:db8::1"),
		tc("::1", "ipv6=::1"),
		tc("[fe80::1%eth0]:22", "ipv6=fe80::1"),
		tc("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ipv6=2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
		tc("::ffff:192.0.2.128", "ipv6=::ffff:192.0.2.128"),
		tc("2001:DB8::FF00:42:8329", "ipv6=2001:DB8::FF00:42:8329"),
		tc("at 2001:db8::/32.", "ipv6=2001:db8::"),
		tc("::"),                // unspecified, alone
		tc("12:30:45"),          // a time
		tc("00:1a:2b:3c:4d:5e"), // a MAC address
		tc("Abc::Def"),          // a Perl or C++ name
		tc("2001:db8::1::2"),    // two "::"
		tc("1:2:3:4:5:6:7:8:9"), // nine groups
		tc("2001:db8:12345::1"), // a five-digit group
		tc("std::string"),
	})
}

// TestIPv6ShapeAgreesWithNetip checks that every candidate the shape check
// accepts is one netip parses (so ParseAddr never allocates an error).
func TestIPv6ShapeAgreesWithNetip(t *testing.T) {
	for _, s := range []string{"::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
		"1::2:3:4:5:6:7", "a:b:c:d:e:f:0:1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1.2.3.4", "::1.2.3", "1:::2"} {
		shape := ipv6Shape([]byte(s))
		_, err := netip.ParseAddr(s)
		if shape && err != nil {
			t.Errorf("%q: shape ok, netip: %v", s, err)
		}
		if !shape && err == nil && s != "1.2.3.4" {
			t.Logf("%q: netip parses it, the shape check is stricter", s)
		}
	}
}
