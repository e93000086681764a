// Package archtest holds tests that keep the architecture as DESIGN §2
// draws it: layers that point one way, and a doc comment on every package.
package archtest
