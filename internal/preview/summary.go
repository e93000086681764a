package preview

import (
	"strconv"
)

// Summary is one line for people: "deletes 1,204 rows from public.orders".
func (e *Effect) Summary() string {
	verb, prep := "changes", "in"
	switch e.Command {
	case "DELETE":
		verb, prep = "deletes", "from"
	case "UPDATE":
		verb, prep = "updates", "in"
	case "INSERT":
		verb, prep = "inserts", "into"
	case "MERGE":
		verb, prep = "merges", "into"
	}
	rows := "rows"
	if e.Rows == 1 {
		rows = "row"
	}
	return verb + " " + thousands(e.Rows) + " " + rows + " " + prep + " " + e.Table
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
