// Package requestctx carries per-request facts (request id, client IP) in the
// context, for logs and audit entries.
package requestctx

import "context"

type key int

const (
	idKey key = iota
	ipKey
)

// WithID returns ctx carrying the request id.
func WithID(ctx context.Context, id string) context.Context { return context.WithValue(ctx, idKey, id) }

// ID returns the request id, or "".
func ID(ctx context.Context) string { s, _ := ctx.Value(idKey).(string); return s }

// WithIP returns ctx carrying the client IP.
func WithIP(ctx context.Context, ip string) context.Context { return context.WithValue(ctx, ipKey, ip) }

// IP returns the client IP, or "".
func IP(ctx context.Context) string { s, _ := ctx.Value(ipKey).(string); return s }
