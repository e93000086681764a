// Package mask masks sensitive values in query results as they stream to
// the client.
//
// # The pieces
//
// Classify builds a datastore's Classification from its catalog: which
// column (by table OID and attribute number, as RowDescription names it)
// holds which detect.Class, by configuration or by name, with view
// columns tied to the base columns they show where that can be told.
// A Plan, read from a policy decision's mask (ParsePlan), says which
// Strategy each class or column gets. NewResult combines the columns of
// one result set (ParseRowDescription), the Classification and the Plan
// into what happens to each column: masked whole by its strategy, scanned
// by the content detectors (free text, and every column whose source
// cannot be traced: expressions, functions, set operations, view columns
// over sensitive data), or left alone. Result.Row then rewrites each
// DataRow, one at a time, with no allocation: memory stays constant
// however large the result.
//
// # Transforms
//
// A Transformer, keyed once with a secret, masks one column value with
// Value, or the sensitive spans that detectors found inside a text with
// Spans. A Strategy says how: Clear, Redact, Partial, Token, Fake,
// Nullify or Hash. Every masked value is a valid value of its PostgreSQL
// type in its wire format (a masked int4 is an int4, a masked uuid a
// uuid), so clients and drivers decode masked rows as they would real
// ones; where no such value exists, Value asks for NULL rather than pass
// the original through.
//
// Token, Fake and Hash are deterministic: keyed HMAC-SHA256 over the
// value's canonical form (the same in text and binary format), with keys
// scoped by purpose and detect.Class, so equal values mask equally across
// tables and joins and GROUP BY still work, while nothing without the key
// can map a masked value back or confirm a guess.
//
// classification.go, plan.go, wire.go and result.go hold the pieces above;
// key.go keeps the key in a file. strategy.go says what each strategy does to each kind of value;
// text.go and binary.go read and write PostgreSQL's text and binary wire
// formats; fake.go draws fakes; transform.go holds the Transformer, its
// keys, Value and Spans.
package mask
