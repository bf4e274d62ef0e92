// Package requestctx carries per-request facts (request id, client IP, the
// matched route) in the context, for logs, metrics and audit entries.
package requestctx

import (
	"context"
	"log/slog"
)

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

// LogHandler adds the request id of the record's context to every line
// logged with one (ErrorContext, LogAttrs…), so a 500's error line names the
// request its answer quotes, wherever it was logged. A line that names its
// request_id itself keeps it as it is.
type LogHandler struct{ slog.Handler }

// NewLogHandler wraps h.
func NewLogHandler(h slog.Handler) LogHandler { return LogHandler{h} }

// Handle implements slog.Handler.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := ID(ctx); id != "" {
		named := false
		r.Attrs(func(a slog.Attr) bool {
			named = a.Key == "request_id"
			return !named
		})
		if !named {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h LogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(as)}
}

// WithGroup implements slog.Handler.
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
