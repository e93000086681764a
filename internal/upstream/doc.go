// Package upstream holds dbward's own connections to the real databases.
//
// Connect logs in with the datastore's vaulted credentials (SCRAM-SHA-256,
// md5 or trust; TLS disable/prefer/require/verify-full) using pgconn, then
// hijacks the raw connection so the session can relay protocol messages
// byte for byte. Cancel sends a CancelRequest for such a connection.
// Catalog answers questions the analyzer cannot answer from SQL text alone
// (does this function write?) from the upstream's system catalog, cached.
//
// Clients never see anything of this package's credentials: errors returned
// here are logged by the caller and reach clients only as a generic 08006.
package upstream
