package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A response is sent with its Content-Length in one piece, byte for byte
// what the handler wrote, with its status and headers; a body past the
// buffer's bound streams as before (no Content-Length), and so does one
// the handler flushes.
func TestBufferedResponses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		flush  bool
		status int
		length bool
	}{
		{"small", 380, false, 200, true},
		{"list-sized", 15772, false, 201, true},
		{"empty 204", 0, false, 204, false},
		{"past the bound", maxBuffered + 1, false, 200, false},
		{"flushed", 100, true, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte("x"), tc.size)
			h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				for rest := body; len(rest) > 0; { // in pieces, as an encoder writes
					n := min(len(rest), 1000)
					_, _ = w.Write(rest[:n])
					rest = rest[n:]
					if tc.flush {
						w.(http.Flusher).Flush()
					}
				}
			})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveBuffered(h, w, r) }))
			defer srv.Close()
			res, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got bytes.Buffer
			_, _ = got.ReadFrom(res.Body)
			if res.StatusCode != tc.status || !bytes.Equal(got.Bytes(), body) || res.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, %d bytes, type %q", res.StatusCode, got.Len(), res.Header.Get("Content-Type"))
			}
			if has := res.ContentLength == int64(tc.size) && len(res.TransferEncoding) == 0; has != tc.length && tc.size > 0 {
				t.Errorf("Content-Length %d, transfer %v; want a length: %v", res.ContentLength, res.TransferEncoding, tc.length)
			}
			if tc.length && res.Header.Get("Content-Length") == "" {
				t.Errorf("no Content-Length header")
			}
		})
	}
}
