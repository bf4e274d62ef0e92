package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/input"
	"github.com/liaison-dev/liaison/internal/metrics"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// statusWriter remembers the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// clientIP is the address of whoever sent the request: the peer, unless the
// peer is a trusted proxy (LIAISON_TRUSTED_PROXIES); then X-Forwarded-For
// is read from the right, past every trusted proxy, to the first address
// that is not one — the client as the outermost trusted proxy saw it.
// Addresses left of that one were written by the client and prove nothing.
// Rate limits and audit entries use it (requestctx.IP).
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	ip := peer
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return ip.String() // a hop the trusted proxy did not write: stop at it
			}
			ip = a.Unmap()
			if !isTrusted(ip, trusted) {
				return ip.String()
			}
		}
	}
	return ip.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// observe is the outermost middleware: request id, client IP, recovery,
// the access log (a line per request on access) and the request metrics.
// No panic reaches a client: it is logged on log with the stack and
// answered 500 with the request id.
func observe(log, access *slog.Logger, trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := newRequestID()
		ip := clientIP(r, trusted)
		ctx, matched := requestctx.With(r.Context(), rid, ip)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", rid)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(ctx, "panic", "request_id", rid, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					if isAPI(r) {
						api.WriteJSONError(sw, r, fmt.Errorf("panic: %v", p))
					} else {
						http.Error(sw, "Something went wrong on our side. Request "+rid, http.StatusInternalServerError)
					}
				}
			}
			route := matched.Route
			if route == "" {
				route = r.Pattern
			}
			if route == "" {
				route = "unmatched"
			}
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			d := time.Since(start)
			metrics.HTTPRequests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			metrics.HTTPDuration.WithLabelValues(route).Observe(d.Seconds())
			if r.URL.Path != "/healthz" && r.URL.Path != "/metrics" {
				access.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("request_id", rid), slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.String("route", route), slog.Int("status", sw.status),
					slog.Duration("duration", d), slog.String("ip", ip))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// recordRoute wraps the router: after it has served the request, the
// pattern it matched (nested muxes set theirs on the same request) goes to
// the route holder observe reads, however many copies of the request the
// middlewares in between made.
func recordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { requestctx.SetRoute(r.Context(), r.Pattern) }()
		mux.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries. The CSP allows
// no inline script: page behaviour lives in files under /static/js.
// Cache-Control is no-store unless the handler says otherwise: nearly every
// answer depends on who asks (API, CSV, pages, redirects, errors), and a
// shared or browser cache must keep none of them; static files, logos and
// themes set their own caching.
//
// The values are slices shared by every response, set straight into the
// header map: Header.Set allocated one per header per request, a sixth of
// the bytes /me allocated (issue 23). Each slice's capacity is its length,
// so a handler's Add copies it and nothing can write into the shared one;
// a handler's Set or Del replaces it.
func securityHeaders(https bool, next http.Handler) http.Handler {
	set := map[string][]string{}
	add := func(k, v string) { set[http.CanonicalHeaderKey(k)] = []string{v}[:1:1] }
	add("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	add("X-Content-Type-Options", "nosniff")
	add("Referrer-Policy", "strict-origin-when-cross-origin")
	add("X-Frame-Options", "DENY")
	add("Cross-Origin-Opener-Policy", "same-origin")
	add("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	add("Cache-Control", "no-store")
	if https {
		add("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range set {
			h[k] = v
		}
		next.ServeHTTP(w, r)
	})
}

// checkInput refuses a request whose path or query holds a control
// character or invalid UTF-8 (input.URL), before anything reads them: the
// session lookup, the Login As action log, the routes. The API answers
// the JSON 400, pages a plain one.
func checkInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := input.URL(r.URL); err != nil {
			if isAPI(r) {
				api.WriteJSONError(w, r, err)
			} else {
				http.Error(w, "Bad request: "+errs.As(err).Message, http.StatusBadRequest)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate puts the actor on the request: from a bearer token (programs)
// or the session cookie (browsers). A bad bearer token is refused at once; a
// stale cookie is dropped and the request goes on anonymous.
func authenticate(s *auth.Service, secure bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ip := requestctx.IP(ctx)
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, tok, _ := strings.Cut(h, " ")
			if !strings.EqualFold(scheme, "Bearer") {
				api.WriteJSONError(w, r, errs.E(errs.Unauthorized, "invalid_token", "Use Authorization: Bearer <token>."))
				return
			}
			if tok = strings.TrimSpace(tok); strings.HasPrefix(tok, authz.SourceTokenPrefix) {
				// A data source's token is no user: the route's access
				// check lets it reach its source's push route only.
				next.ServeHTTP(w, r.WithContext(authz.WithSourceToken(ctx, tok)))
				return
			}
			a, err := s.AuthenticateToken(ctx, tok, ip)
			if err != nil {
				api.WriteJSONError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(authz.WithActor(ctx, a)))
			return
		}
		if c, err := r.Cookie(auth.CookieName); err == nil && c.Value != "" {
			a, err := s.Authenticate(ctx, c.Value, ip)
			if err == nil {
				r = r.WithContext(authz.WithActor(ctx, a))
			} else if errs.KindOf(err) == errs.Unauthorized {
				cl := auth.ClearCookie(secure)
				http.SetCookie(w, &cl)
			} else {
				api.WriteJSONError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses cross-origin state-changing requests made with cookies
// (Go's CrossOriginProtection: Sec-Fetch-Site, then Origin against Host).
// Requests with a bearer token carry no ambient credentials and skip it.
func sameOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := errs.E(errs.Forbidden, "cross_origin", "Cross-origin requests are not allowed. Use the page itself, or an API token.")
		if isAPI(r) {
			api.WriteJSONError(w, r, err)
			return
		}
		http.Error(w, err.Message, http.StatusForbidden)
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}
