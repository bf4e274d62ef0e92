package api_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/server"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// dnsServer is a small authoritative DNS server on loopback: it answers TXT
// questions from its records and NXDOMAIN for anything else, so the custom
// domain checks go through a real resolver and a real DNS exchange.
type dnsServer struct {
	mu      sync.Mutex
	records map[string][]string // FQDN → TXT values
	addr    string
}

func startDNS(t *testing.T) *dnsServer {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dnsServer{records: map[string][]string{}, addr: pc.LocalAddr().String()}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		m.Authoritative = true
		d.mu.Lock()
		defer d.mu.Unlock()
		found := false
		for _, q := range req.Question {
			vals, ok := d.records[strings.ToLower(q.Name)]
			if !ok {
				continue
			}
			found = true
			if q.Qtype == dns.TypeTXT {
				for _, v := range vals {
					m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: []string{v}})
				}
			}
		}
		if !found {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return d
}

func (d *dnsServer) set(name string, vals ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if vals == nil {
		delete(d.records, dns.Fqdn(name))
		return
	}
	d.records[dns.Fqdn(name)] = vals
}

// resolver asks only this server.
func (d *dnsServer) resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "udp", d.addr)
	}}
}

// TestCustomDomainDNS claims a domain, verifies it through a DNS server on
// loopback (refused before the record is published, verified after), checks
// that another agency cannot claim it (409), that the Host routes to the
// agency and its e-mails link to the domain, and that the daily re-check
// marks it lost when the record disappears and e-mails the agency's admins.
func TestCustomDomainDNS(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		d := startDNS(t)
		s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true, Options: server.Options{Resolver: d.resolver()}})
		adm, _, ag := s.Signup(t, "Ada Admin", "ada@agency.example", "Acme Agency", "agency")
		other, _, ob := s.Signup(t, "Bo Admin", "bo@other.example", "Other Agency", "agency")
		base := "/api/v1/agencies/" + ag + "/portal/domains"
		adm.Must(t, 400, "POST", base, map[string]any{"domain": "https://portal.acme.example/x"})
		adm.Must(t, 400, "POST", base, map[string]any{"domain": "localhost"})
		r := adm.Must(t, 201, "POST", base, map[string]any{"domain": "Portal.Acme.Example"})
		if r.Body["domain"] != "portal.acme.example" || r.Body["status"] != "pending" || r.Body["txt_name"] != "_liaison.portal.acme.example" {
			t.Fatalf("added: %s", r.Raw)
		}
		token := r.Body["txt_value"].(string)
		other.Must(t, 409, "POST", "/api/v1/agencies/"+ob+"/portal/domains", map[string]any{"domain": "portal.acme.example"})

		verify := base + "/portal.acme.example/verify"
		r = adm.Must(t, 200, "POST", verify, nil)
		if r.Body["status"] != "pending" || r.Body["last_error"] == "" {
			t.Fatalf("verified without a record: %s", r.Raw)
		}
		d.set("_liaison.portal.acme.example", "some-other=value")
		if r = adm.Must(t, 200, "POST", verify, nil); r.Body["status"] != "pending" {
			t.Fatalf("verified with a wrong record: %s", r.Raw)
		}
		if code, body := hostGet(t, s, "portal.acme.example", "/api/v1/portal"); code != 200 || !strings.Contains(body, `"branded":false`) {
			t.Fatalf("pending domain routed: %s", body)
		}
		d.set("_liaison.portal.acme.example", "some-other=value", token)
		if r = adm.Must(t, 200, "POST", verify, nil); r.Body["status"] != "verified" || r.Body["verified_at"] == nil {
			t.Fatalf("not verified with the record: %s", r.Raw)
		}
		if code, body := hostGet(t, s, "portal.acme.example", "/api/v1/portal"); code != 200 || !strings.Contains(body, `"portal_name":"Acme Agency"`) {
			t.Fatalf("verified domain not routed: %s", body)
		}

		// The agency's e-mails to clients link to its domain: a link
		// request to a client goes out in the agency's brand.
		cl, _, c := s.Signup(t, "Cleo Client", "cleo@client.example", "Client C", "client")
		_ = cl
		adm.Must(t, 201, "POST", "/api/v1/accounts/"+ag+"/links", map[string]any{"target_account_id": c})
		var msg struct {
			FromName string `db:"from_name"`
			Text     string `db:"text_body"`
		}
		if err := s.DB.Get(context.Background(), &msg, `SELECT from_name, text_body FROM mail_outbox WHERE template = 'link_request' AND to_addr = ?`,
			"cleo@client.example"); err != nil {
			t.Fatal(err)
		}
		if msg.FromName != "Acme Agency" || !strings.Contains(msg.Text, "http://portal.acme.example/app/links") || strings.Contains(msg.Text, "Liaison") {
			t.Errorf("link request e-mail not in the agency's brand: from %q\n%s", msg.FromName, msg.Text)
		}

		// The record disappears: a day later the re-check marks the domain
		// lost and e-mails the admins; the host falls back to the plain portal.
		d.set("_liaison.portal.acme.example")
		if n, err := s.Branding.Recheck(context.Background()); err != nil || n != 0 {
			t.Fatalf("re-check within a day checked %d verified domains (%v)", n, err)
		}
		s.Clock.Advance(24 * time.Hour)
		if n, err := s.Branding.Recheck(context.Background()); err != nil || n != 1 {
			t.Fatalf("re-check: %d, %v", n, err)
		}
		r = adm.Must(t, 200, "GET", base, nil)
		if got := r.Body["domains"].([]any)[0].(map[string]any)["status"]; got != "lost" {
			t.Fatalf("status after losing the record: %v", got)
		}
		var n int
		if err := s.DB.Get(context.Background(), &n, `SELECT COUNT(*) FROM mail_outbox WHERE template = 'domain_lost' AND to_addr = 'ada@agency.example'`); err != nil || n != 1 {
			t.Fatalf("%d domain_lost e-mails (%v)", n, err)
		}
		if _, body := hostGet(t, s, "portal.acme.example", "/api/v1/portal"); !strings.Contains(body, `"branded":false`) {
			t.Fatalf("lost domain still routed: %s", body)
		}
		// Published again, the next check verifies it again.
		d.set("_liaison.portal.acme.example", token)
		s.Clock.Advance(time.Hour)
		if _, err := s.Branding.Recheck(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, body := hostGet(t, s, "portal.acme.example", "/api/v1/portal"); !strings.Contains(body, `"branded":true`) {
			t.Fatalf("re-published domain not routed: %s", body)
		}
		adm.Must(t, 204, "DELETE", base+"/portal.acme.example", nil)
		other.Must(t, 201, "POST", "/api/v1/agencies/"+ob+"/portal/domains", map[string]any{"domain": "portal.acme.example"})
	})
}
