// Package requestctx carries per-request facts (request id, client IP, the
// matched route) in the context, for logs, metrics and audit entries.
package requestctx

import "context"

type key int

const (
	idKey key = iota
	ipKey
	routeKey
)

// WithID returns ctx carrying the request id.
func WithID(ctx context.Context, id string) context.Context { return context.WithValue(ctx, idKey, id) }

// ID returns the request id, or "".
func ID(ctx context.Context) string { s, _ := ctx.Value(idKey).(string); return s }

// WithIP returns ctx carrying the client IP.
func WithIP(ctx context.Context, ip string) context.Context { return context.WithValue(ctx, ipKey, ip) }

// IP returns the client IP, or "".
func IP(ctx context.Context) string { s, _ := ctx.Value(ipKey).(string); return s }

// Route is where the route pattern a mux matched is written for the
// outermost middleware to read. Middlewares between them pass copies of the
// request (r.WithContext), and the mux sets Pattern on its copy only; the
// holder is shared by every copy because they share the context.
type Route struct{ Pattern string }

// WithRoute returns ctx carrying an empty route holder, and the holder.
func WithRoute(ctx context.Context) (context.Context, *Route) {
	r := &Route{}
	return context.WithValue(ctx, routeKey, r), r
}

// SetRoute records the matched pattern in ctx's holder, if it has one.
func SetRoute(ctx context.Context, pattern string) {
	if r, ok := ctx.Value(routeKey).(*Route); ok && pattern != "" {
		r.Pattern = pattern
	}
}
