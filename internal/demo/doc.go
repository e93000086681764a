// Package demo sets up the `make demo` world: a local PostgreSQL with a
// realistic shop database (customers with personal data, orders, API keys),
// a dbward config with a human DBA and an AI agent, and the commands that
// show an allowed and a blocked query.
package demo
