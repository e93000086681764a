// Package mask masks sensitive values in query results as they stream to
// the client.
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
// strategy.go says what each strategy does to each kind of value;
// text.go and binary.go read and write PostgreSQL's text and binary wire
// formats; fake.go draws fakes; transform.go holds the Transformer, its
// keys, Value and Spans.
package mask
