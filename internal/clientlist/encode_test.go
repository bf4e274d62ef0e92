package clientlist_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/clientlist"
	"github.com/liaison-dev/liaison/internal/jsonw/jsonwtest"
)

// TestClientPageJSON compares the page's hand-written encoder with
// encoding/json over a fixed page and random ones: nulls, empty lists,
// HTML's <>&, escapes, invalid UTF-8, floats of every size.
func TestClientPageJSON(t *testing.T) {
	// Every field is written by AppendJSON: a new field fails here until
	// the encoder (and randomPage) have it.
	for typ, n := range map[reflect.Type]int{reflect.TypeFor[clientlist.ClientPage](): 4, reflect.TypeFor[clientlist.ClientListItem](): 11,
		reflect.TypeFor[clientlist.ClientCounts](): 7, reflect.TypeFor[clientlist.ClientHealth](): 2, reflect.TypeFor[clientlist.ClientBrand](): 2} {
		if got := exportedFields(typ); got != n {
			t.Fatalf("%s has %d fields, the encoder writes %d: add the new ones to encode.go and this test", typ, got, n)
		}
	}
	email := "karin@blue-kitchen.example"
	now := time.Now()
	fixed := []clientlist.ClientPage{
		{},
		{Clients: []clientlist.ClientListItem{}, HeadlineMetrics: []string{}},
		{Clients: []clientlist.ClientListItem{{ID: "acc_1", Name: "Blue <Kitchen> & Co", Email: &email, Status: "active",
			Health: &clientlist.ClientHealth{Score: 87, Band: "healthy"}, LastActiveAt: &now,
			Brands: []clientlist.ClientBrand{{ID: "brd_1", Name: "Tidal \"x\""}}, Users: 2, Seats: 9, Enabled: true,
			Metrics: map[string]float64{"revenue": 1234.5, "leads": 7, "tiny": 1e-9}}, {ID: "acc_2", Brands: []clientlist.ClientBrand{},
			Metrics: map[string]float64{}}}, HeadlineMetrics: []string{"revenue", "leads"}, NextCursor: "eyJzIjoibmFtZSJ9",
			ClientCounts: clientlist.ClientCounts{All: 10000, Pending: 1, LinkInvite: 2, Active: 3, AtRisk: 4, Churned: 5, Revoked: 6}},
	}
	for _, p := range fixed {
		jsonwtest.Same(t, p)
	}
	r := rand.New(rand.NewPCG(uint64(now.UnixNano()), 23))
	for range 3000 {
		jsonwtest.Same(t, randomPage(r, now))
	}
}

// exportedFields counts the fields encoding/json writes (an item's kept
// JSON, unexported, is not one).
func exportedFields(typ reflect.Type) (n int) {
	for i := range typ.NumField() {
		if typ.Field(i).IsExported() {
			n++
		}
	}
	return n
}

func randomPage(r *rand.Rand, now time.Time) clientlist.ClientPage {
	s := func() string { return jsonwtest.RandString(r) }
	var p clientlist.ClientPage
	if r.IntN(8) > 0 {
		p.Clients = []clientlist.ClientListItem{}
	}
	for range r.IntN(6) {
		c := clientlist.ClientListItem{ID: s(), Name: s(), Email: jsonwtest.RandStringPtr(r), Status: s(),
			LastActiveAt: jsonwtest.RandTimePtr(r, now), Users: r.IntN(100) - 3, Seats: r.IntN(1 << 20), Enabled: r.IntN(2) == 0}
		if r.IntN(3) > 0 {
			c.Health = &clientlist.ClientHealth{Score: r.IntN(101), Band: s()}
		}
		if r.IntN(6) > 0 {
			c.Brands = []clientlist.ClientBrand{}
			for range r.IntN(4) {
				c.Brands = append(c.Brands, clientlist.ClientBrand{ID: s(), Name: s()})
			}
		}
		if r.IntN(6) > 0 {
			c.Metrics = map[string]float64{}
			for range r.IntN(5) {
				c.Metrics[s()] = jsonwtest.RandFloat(r)
			}
		}
		p.Clients = append(p.Clients, c)
	}
	if r.IntN(6) > 0 {
		p.HeadlineMetrics = []string{}
		for range r.IntN(4) {
			p.HeadlineMetrics = append(p.HeadlineMetrics, s())
		}
	}
	p.NextCursor = s()
	p.ClientCounts = clientlist.ClientCounts{All: r.Int(), Pending: -r.IntN(5), LinkInvite: r.IntN(9), Active: r.IntN(1e6),
		AtRisk: r.IntN(3), Churned: r.IntN(3), Revoked: r.IntN(3)}
	return p
}
