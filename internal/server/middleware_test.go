package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPanicsBecome500WithRequestID(t *testing.T) {
	var logged strings.Builder
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	h := observe(log, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
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
