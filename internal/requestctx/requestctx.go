// Package requestctx carries per-request facts (request id, client IP, the
// matched route) in the context, for logs, metrics and audit entries.
package requestctx

import (
	"context"
	"log/slog"
)

type key int

const infoKey key = 0

// Info is what the context says of its request: one value set once by the
// outermost middleware (With), not one context layer per fact, because
// each layer and each copy of the request made for it were allocations on
// every request (issue 23). Fields other than the ID and IP are written by
// the middlewares that learn them, on the request's own goroutine, before
// anything reads them.
type Info struct {
	ID, IP string
	// Route is the route pattern the mux matched, written for the
	// outermost middleware to read: middlewares between them pass copies
	// of the request (r.WithContext), and the mux sets Pattern on its copy
	// only; the Info is shared by every copy because they share the context.
	Route string
	// hostAgency is the agency whose verified domain the request came on
	// ("" for none), once hostSet (SetHostAgency).
	hostAgency string
	hostSet    bool
}

// With returns ctx carrying a request's Info with its id and client IP.
func With(ctx context.Context, id, ip string) (context.Context, *Info) {
	in := &Info{ID: id, IP: ip}
	return context.WithValue(ctx, infoKey, in), in
}

// WithID returns ctx carrying the request id (and no IP).
func WithID(ctx context.Context, id string) context.Context {
	ctx, _ = With(ctx, id, "")
	return ctx
}

func info(ctx context.Context) *Info { in, _ := ctx.Value(infoKey).(*Info); return in }

// ID returns the request id, or "".
func ID(ctx context.Context) string {
	if in := info(ctx); in != nil {
		return in.ID
	}
	return ""
}

// IP returns the client IP, or "".
func IP(ctx context.Context) string {
	if in := info(ctx); in != nil {
		return in.IP
	}
	return ""
}

// SetRoute records the matched pattern in ctx's Info, if it has one.
func SetRoute(ctx context.Context, pattern string) {
	if in := info(ctx); in != nil && pattern != "" {
		in.Route = pattern
	}
}

// SetHostAgency records the agency the request's Host resolved to ("" for
// none) in ctx's Info; false when ctx has none (the caller then carries
// it in a context of its own).
func SetHostAgency(ctx context.Context, agencyID string) bool {
	in := info(ctx)
	if in == nil {
		return false
	}
	in.hostAgency, in.hostSet = agencyID, true
	return true
}

// HostAgency returns what SetHostAgency recorded, and whether it did.
func HostAgency(ctx context.Context) (string, bool) {
	if in := info(ctx); in != nil && in.hostSet {
		return in.hostAgency, true
	}
	return "", false
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
