package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/jsonw"
)

// BenchmarkEncodeClientPage measures what encoding a client-list page of
// 50 costs per request the way huma encodes it (encoding/json's reflection,
// HTML escaping off) and with the page's own encoder (internal/jsonw), which
// the API uses since (bench/README.md, issue 23).
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
	benchEncode(b, page)
}

// BenchmarkEncodeMe: /me of a user in three accounts, both ways.
func BenchmarkEncodeMe(b *testing.B) {
	me := account.Me{User: auth.User{ID: "usr_qsbg3mkgpzpqgeywpgtg4wbdse", Email: "karin@blue-kitchen.example", Name: "Karin Blue",
		CreatedAt: time.Now()}, CurrentAcctID: "acc_qsbg3mkgpzpqgeywpgtg4wbdse", EmailVerified: true}
	for i := range 3 {
		me.Memberships = append(me.Memberships, account.Membership{Account: account.Ref{ID: fmt.Sprintf("acc_%026d", i), Kind: "agency",
			Name: "Tidal Agency"}, Role: "admin"})
	}
	benchEncode(b, me)
}

func benchEncode(b *testing.B, v jsonw.Appender) {
	b.Run("encoding-json", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
	})
	b.Run("jsonw", func(b *testing.B) {
		buf := make([]byte, 0, 32<<10)
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = v.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
}
