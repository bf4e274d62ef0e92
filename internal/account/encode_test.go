package account_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/jsonw/jsonwtest"
)

// TestMeJSON compares /me's hand-written encoder with encoding/json over
// fixed and random answers (nulls, empty lists, omitted current account,
// HTML's <>&, escapes, invalid UTF-8, times in odd zones).
func TestMeJSON(t *testing.T) {
	for typ, n := range map[reflect.Type]int{reflect.TypeFor[account.Me](): 5, reflect.TypeFor[auth.User](): 5,
		reflect.TypeFor[account.Membership](): 2, reflect.TypeFor[account.Ref](): 3, reflect.TypeFor[auth.MeImpersonation](): 10,
		reflect.TypeFor[auth.MeImpersonator](): 3} {
		if typ.NumField() != n {
			t.Fatalf("%s has %d fields, the encoder writes %d: add the new ones to encode.go and this test", typ, typ.NumField(), n)
		}
	}
	now := time.Now()
	jsonwtest.Same(t, account.Me{})
	jsonwtest.Same(t, account.Me{Memberships: []account.Membership{}})
	jsonwtest.Same(t, account.Me{User: auth.User{ID: "usr_1", Email: "a&b@<x>.example", Name: "Zoë \"Z\"", IsOperator: true, CreatedAt: now},
		Memberships:   []account.Membership{{Account: account.Ref{ID: "acc_1", Kind: "agency", Name: "Tidal & Co"}, Role: "admin"}},
		CurrentAcctID: "acc_1", EmailVerified: true,
		Impersonation: &auth.MeImpersonation{ID: "imp_1", ClientName: "<Blue>", Impersonator: auth.MeImpersonator{Email: "x"},
			StartedAt: now, ExpiresAt: now.Add(time.Hour), IdleSeconds: 1800, ReturnTo: "/agency?x=1&y=2"}})
	r := rand.New(rand.NewPCG(uint64(now.UnixNano()), 5))
	s := func() string { return jsonwtest.RandString(r) }
	for range 5000 {
		m := account.Me{User: auth.User{ID: s(), Email: s(), Name: s(), IsOperator: r.IntN(2) == 0, CreatedAt: jsonwtest.RandTime(r, now)},
			EmailVerified: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			m.CurrentAcctID = s()
		}
		if r.IntN(6) > 0 {
			m.Memberships = []account.Membership{}
			for range r.IntN(5) {
				m.Memberships = append(m.Memberships, account.Membership{Account: account.Ref{ID: s(), Kind: s(), Name: s()}, Role: s()})
			}
		}
		if r.IntN(3) == 0 {
			m.Impersonation = &auth.MeImpersonation{ID: s(), ClientID: s(), ClientName: s(), AgencyID: s(), AgencyName: s(),
				Impersonator: auth.MeImpersonator{ID: s(), Name: s(), Email: s()}, StartedAt: jsonwtest.RandTime(r, now),
				ExpiresAt: jsonwtest.RandTime(r, now), IdleSeconds: r.IntN(1e5) - 10, ReturnTo: s()}
		}
		jsonwtest.Same(t, m)
	}
}
