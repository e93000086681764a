package analyze

import (
	"net/url"
	"strings"
)

// Intent reads sqlcommenter-style comments — /* ticket='OPS-42',reason='fix%20totals' */
// — anywhere in sql: keys and values are URL-decoded, values are single-quoted.
// It returns nil when there are none.
func Intent(sql string) map[string]string {
	if !strings.Contains(sql, "/*") {
		return nil
	}
	var out map[string]string
	for rest := sql; ; {
		i := strings.Index(rest, "/*")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i+2:], "*/")
		if j < 0 {
			break
		}
		body := strings.TrimSpace(rest[i+2 : i+2+j])
		rest = rest[i+2+j+2:]
		for _, pair := range strings.Split(body, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
				continue
			}
			key, err1 := url.QueryUnescape(strings.TrimSpace(k))
			val, err2 := url.PathUnescape(v[1 : len(v)-1])
			if err1 != nil || err2 != nil || key == "" || strings.ContainsAny(key, " \t\n") {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			out[key] = val
		}
	}
	return out
}
