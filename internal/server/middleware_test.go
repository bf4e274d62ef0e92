package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/requestctx"
)

func TestPanicsBecome500WithRequestID(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	h := observe(log, log, nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	for _, path := range []string{"/api/v1/x", "/page"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		rid := rec.Header().Get("X-Request-Id")
		if rec.Code != 500 || rid == "" {
			t.Fatalf("%s: %d %q", path, rec.Code, rid)
		}
		body, _ := io.ReadAll(rec.Body)
		if strings.Contains(string(body), "boom") {
			t.Fatalf("%s: panic value leaked to the client: %s", path, body)
		}
		if strings.HasPrefix(path, "/api/") {
			var e struct {
				Error struct {
					Code      string `json:"code"`
					RequestID string `json:"request_id"`
				}
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "internal" || e.Error.RequestID != rid {
				t.Fatalf("api panic body %s (%v)", body, err)
			}
		} else if !strings.Contains(string(body), rid) {
			t.Fatalf("page panic body lacks the request id: %s", body)
		}
	}
	if !strings.Contains(logged.String(), `"panic":"boom"`) || !strings.Contains(logged.String(), "stack") {
		t.Fatalf("panic not logged: %s", logged.String())
	}
}

// The client IP comes from X-Forwarded-For only when the peer is a trusted
// proxy, read from the right past every trusted proxy; otherwise it is the
// peer, whatever the header says.
func TestClientIPBehindTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32")}
	cases := []struct {
		name, peer string
		xff        []string
		trusted    []netip.Prefix
		want       string
	}{
		{"no proxies trusted: the header is ignored", "10.0.0.2:5000", []string{"203.0.113.9"}, nil, "10.0.0.2"},
		{"untrusted peer: the header is ignored", "198.51.100.4:5000", []string{"203.0.113.9"}, trusted, "198.51.100.4"},
		{"one trusted proxy", "10.0.0.2:5000", []string{"203.0.113.9"}, trusted, "203.0.113.9"},
		{"a spoofed left part is skipped", "10.0.0.2:5000", []string{"1.2.3.4, 203.0.113.9"}, trusted, "203.0.113.9"},
		{"two trusted proxies, two headers", "10.0.0.2:5000", []string{"6.6.6.6, 203.0.113.9", "192.168.1.7"}, trusted, "203.0.113.9"},
		{"trusted peer without the header", "10.0.0.2:5000", nil, trusted, "10.0.0.2"},
		{"garbage after the client", "10.0.0.2:5000", []string{"203.0.113.9, nonsense"}, trusted, "10.0.0.2"},
		{"all hops trusted", "10.0.0.2:5000", []string{"10.1.1.1, 10.0.0.3"}, trusted, "10.1.1.1"},
		{"IPv6 client", "10.0.0.2:5000", []string{"2001:db8::1"}, trusted, "2001:db8::1"},
	}
	for _, c := range cases {
		var got string
		h := observe(slog.New(slog.DiscardHandler), slog.New(slog.DiscardHandler), c.trusted, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got = requestctx.IP(r.Context())
		}))
		req := httptest.NewRequest("GET", "/x", nil)
		req.RemoteAddr = c.peer
		for _, v := range c.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got != c.want {
			t.Errorf("%s: client IP %q, want %q", c.name, got, c.want)
		}
	}
}
