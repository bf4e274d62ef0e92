package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/client"
)

// BenchmarkEncodeClientPage measures what encoding a client-list page of
// 50 costs per request the way huma encodes it (encoding/json's reflection,
// HTML escaping off): the number to weigh against a request's CPU before
// writing an encoder by hand (bench/README.md, issue 23).
func BenchmarkEncodeClientPage(b *testing.B) {
	var items []string
	for i := range 50 {
		items = append(items, fmt.Sprintf(`{"id":"acc_%026d","name":"Blue Kitchen %d LLC","email":"karin.%d@blue-kitchen-llc.example",`+
			`"status":"active","health":{"score":%d,"band":"healthy"},"last_active_at":"2026-11-30T10:00:00Z",`+
			`"brands":[{"id":"brd_qsbg3mkgpzpqgeywpgtg4wbdse","name":"Tidal"}],"users":2,"seats":9,"enabled":true,"metrics":{}}`, i, i, i, i))
	}
	raw := `{"clients":[` + strings.Join(items, ",") + `],"next_cursor":"abc","counts":{"all":10000,"active":7000}}`
	var page client.ClientPage
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(page); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
