package mask

import (
	"fmt"

	"github.com/dbward/dbward/internal/mask/detect"
)

// Proposal is a classification `dbward classify` proposes for one column,
// with the evidence, for a person to review.
type Proposal struct {
	Column   CatalogColumn
	Class    detect.Class // "" when neither name nor content suggests one
	ByName   detect.Class // what the column's name suggests
	Sampled  int          // non-NULL values looked at
	Matching int          // of those, how many the detectors found Class in
	Why      string
}

// minShare is the share of sampled values that must look like one class
// for the content to classify a column.
const minShare = 0.5

// Propose classifies a column from its name and a sample of its values
// (as text): the class the detectors find in at least half of the values
// wins; otherwise the name's; otherwise none. A value counts for a class
// when a finding of it covers at least half of the value, so a comment
// that mentions an email address does not make a column of emails.
func Propose(col CatalogColumn, values [][]byte) Proposal {
	p := Proposal{Column: col, ByName: detect.ClassOfName(col.Name), Sampled: len(values)}
	counts := map[detect.Class]int{}
	var findings []detect.Finding
	for _, v := range values {
		findings = detect.Scan(findings[:0], v, "")
		covered := map[detect.Class]int{}
		for _, f := range findings {
			covered[f.Class] += f.End - f.Start
		}
		for c, n := range covered {
			if 2*n >= len(v) {
				counts[c]++
			}
		}
	}
	best := detect.Class("")
	for _, c := range detect.Classes { // in a fixed order: ties go the same way each run
		if counts[c] > counts[best] || best == "" && counts[c] > 0 {
			best = c
		}
	}
	switch {
	case best != "" && float64(counts[best]) >= minShare*float64(len(values)):
		p.Class, p.Matching = best, counts[best]
		p.Why = fmt.Sprintf("%d of %d sampled values look like %s", counts[best], len(values), best)
		if p.ByName != "" && p.ByName != best {
			p.Why += fmt.Sprintf("; the name suggests %s", p.ByName)
		}
	case p.ByName != "":
		p.Class = p.ByName
		p.Why = "by its name"
		if len(values) > 0 {
			p.Why += fmt.Sprintf("; %d of %d sampled values look like it", counts[p.ByName], len(values))
		}
	}
	return p
}
