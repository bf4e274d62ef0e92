package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
	"github.com/liaison-dev/liaison/internal/webhook"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// receiver is a webhook endpoint: a real HTTP server on loopback that
// checks each delivery's signature with the endpoint's secret, as a
// customer's would, against the server's (fake) clock.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	now    func() time.Time
	mu     sync.Mutex
	secret string
	status int // what it answers; 0 is 200
	got    []outbox.Event
	bad    int // deliveries whose signature did not verify
}

func newReceiver(t *testing.T, now func() time.Time) *receiver {
	r := &receiver{t: t, now: now}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(r.secret, req.Header.Get(webhook.SignatureHeader), body, r.now(), 5*time.Minute); err != nil {
			r.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev outbox.Event
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" || ev.CreatedAt.IsZero() ||
			req.Header.Get("Liaison-Event-Id") != ev.ID || req.Header.Get("Liaison-Event-Type") != ev.Type {
			r.bad++
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if r.status != 0 {
			w.WriteHeader(r.status)
			return
		}
		r.got = append(r.got, ev)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.got {
		out = append(out, e.Type)
	}
	sort.Strings(out)
	return out
}

func (r *receiver) set(secret string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret, r.status = secret, status
}

// settle runs the due webhook jobs until none is left, the background
// runner's included.
func settle(t *testing.T, s *testkit.Server) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := s.HookJobs.RunDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB.Get(t.Context(), &n, `SELECT COUNT(*) FROM jobs WHERE kind = ? AND
			((status = 'queued' AND run_at <= ?) OR status = 'running')`, outbox.Job, s.Now()); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("webhook jobs still due after 15s")
}

func hookServer(t *testing.T, e db.Dialect) *testkit.Server {
	return testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true,
		Env: map[string]string{"LIAISON_WEBHOOK_ALLOW_LOOPBACK": "true"}})
}

func addHook(t *testing.T, c *testkit.APIClient, agency string, r *receiver, events ...string) string {
	t.Helper()
	if len(events) == 0 {
		events = outbox.Types
	}
	out := c.Must(t, 201, "POST", "/api/v1/agencies/"+agency+"/webhooks", map[string]any{"url": r.srv.URL + "/hook", "events": events})
	secret, _ := out.Body["secret"].(string)
	if len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	r.set(secret, 0)
	return out.Body["id"].(string)
}

// TestWebhooksSharedClient: agencies A and D share client C. Each gets,
// signed with its own secret, the events it is party to — its own link's
// request and acceptance, its own Login As, its disconnection — and never
// the other's.
func TestWebhooksSharedClient(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := hookServer(t, e)
		aAdmin, _, A := s.Signup(t, "A Admin", "a-admin@example.com", "Agency A", "agency")
		cAdmin, _, C := s.Signup(t, "C Admin", "c-admin@example.com", "Client C", "client")
		dAdmin, _, D := s.Signup(t, "D Admin", "d-admin@example.com", "Agency D", "agency")
		recvA, recvD := newReceiver(t, s.Now), newReceiver(t, s.Now)
		hookA := addHook(t, aAdmin, A, recvA)
		addHook(t, dAdmin, D, recvD)

		linkA := aAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+A+"/links", map[string]any{"target_account_id": C}).Body["id"].(string)
		cAdmin.Must(t, 200, "POST", "/api/v1/links/"+linkA+"/accept", nil)
		linkD := dAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+D+"/links", map[string]any{"target_account_id": C}).Body["id"].(string)
		cAdmin.Must(t, 200, "POST", "/api/v1/links/"+linkD+"/accept", nil)
		// Queued with the change: the delivery is there before any job ran.
		pending := aAdmin.Must(t, 200, "GET", "/api/v1/webhooks/"+hookA+"/deliveries", nil).Body["deliveries"].([]any)
		if len(pending) != 2 {
			t.Fatalf("A's deliveries before the jobs ran: %v", pending)
		}
		asA := s.Login(t, "a-admin@example.com", testkit.Password)
		asA.Must(t, 200, "POST", "/api/v1/agencies/"+A+"/clients/"+C+"/impersonate", nil)
		asA.Must(t, 200, "POST", "/api/v1/impersonation/end", nil)
		aAdmin.Must(t, 201, "POST", "/api/v1/agencies/"+A+"/members", map[string]any{"email": "new@example.com", "role": "member"})
		aAdmin.Must(t, 200, "DELETE", "/api/v1/links/"+linkA, nil)
		settle(t, s)

		wantA := []string{outbox.InvitationSent, outbox.LinkAccepted, outbox.LinkDisconnected, outbox.LinkRequested,
			outbox.LoginAsEnded, outbox.LoginAsStarted}
		if got := recvA.types(); !slices.Equal(got, wantA) {
			t.Errorf("A received %v, want %v", got, wantA)
		}
		if got, want := recvD.types(), []string{outbox.LinkAccepted, outbox.LinkRequested}; !slices.Equal(got, want) {
			t.Errorf("D received %v, want %v", got, want)
		}
		if recvA.bad+recvD.bad != 0 {
			t.Errorf("%d deliveries failed verification", recvA.bad+recvD.bad)
		}
		for _, ev := range append(append([]outbox.Event{}, recvA.got...), recvD.got...) {
			if ev.AgencyID != A && ev.AgencyID != D {
				t.Errorf("event %s of agency %s", ev.Type, ev.AgencyID)
			}
			if ev.Type == outbox.LinkAccepted && ev.Data["client_id"] != C {
				t.Errorf("link.accepted without the client: %v", ev.Data)
			}
		}
		dels := aAdmin.Must(t, 200, "GET", "/api/v1/webhooks/"+hookA+"/deliveries", nil).Body["deliveries"].([]any)
		if len(dels) != len(wantA) {
			t.Fatalf("A's deliveries: %d, want %d", len(dels), len(wantA))
		}
		for _, d := range dels {
			m := d.(map[string]any)
			if m["status"] != "delivered" || m["response_code"] != float64(200) || m["attempts"] != float64(1) {
				t.Errorf("delivery %v", m)
			}
		}
		// D's admin finds none of A's webhooks.
		dAdmin.Must(t, 404, "GET", "/api/v1/webhooks/"+hookA, nil)
		dAdmin.Must(t, 404, "GET", "/api/v1/agencies/"+A+"/webhooks", nil)
	})
}

// TestWebhookRetriesAndResend: an endpoint that fails is retried with
// growing waits for 24 hours, then its delivery is marked failed; a resend
// delivers it once the endpoint answers again. A redirect is not followed.
func TestWebhookRetriesAndResend(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := hookServer(t, e)
		aAdmin, _, A := s.Signup(t, "A Admin", "a-admin@example.com", "Agency A", "agency")
		recv := newReceiver(t, s.Now)
		hook := addHook(t, aAdmin, A, recv, outbox.InvitationSent)
		recv.set(recv.secret, http.StatusServiceUnavailable)
		aAdmin.Must(t, 201, "POST", "/api/v1/agencies/"+A+"/members", map[string]any{"email": "new@example.com", "role": "member"})
		settle(t, s)
		delivery := func() map[string]any {
			ds := aAdmin.Must(t, 200, "GET", "/api/v1/webhooks/"+hook+"/deliveries", nil).Body["deliveries"].([]any)
			if len(ds) != 1 {
				t.Fatalf("deliveries: %v", ds)
			}
			return ds[0].(map[string]any)
		}
		d := delivery()
		if d["status"] != "pending" || d["attempts"] != float64(1) || d["response_code"] != float64(503) {
			t.Fatalf("after the first attempt: %v", d)
		}
		start := s.Now()
		// The waits grow: the first retry comes within a minute, the fifth
		// only after several minutes.
		var waits []time.Duration
		last := start
		for i := 0; i < 5; i++ {
			next, _ := time.Parse(time.RFC3339Nano, delivery()["next_attempt_at"].(string))
			waits = append(waits, next.Sub(last))
			s.Clock.Set(next)
			last = next
			settle(t, s)
		}
		if waits[0] > time.Minute || waits[4] < 4*time.Minute || waits[4] <= waits[1] {
			t.Errorf("waits %v do not grow", waits)
		}
		// Still failing after almost 24 hours: still pending.
		for s.Now().Before(start.Add(23 * time.Hour)) {
			s.Clock.Advance(time.Hour)
			settle(t, s)
		}
		if d := delivery(); d["status"] != "pending" {
			t.Fatalf("before 24 h: %v", d)
		}
		s.Clock.Advance(2 * time.Hour)
		settle(t, s)
		d = delivery()
		if d["status"] != "failed" || d["attempts"].(float64) < 20 || d["next_attempt_at"] != nil {
			t.Fatalf("after 24 h: %v", d)
		}
		// Nothing more is tried.
		s.Clock.Advance(3 * time.Hour)
		settle(t, s)
		if n := delivery()["attempts"]; n != d["attempts"] {
			t.Fatalf("attempts went on: %v then %v", d["attempts"], n)
		}
		// A redirect is an answer, not followed.
		elsewhere := newReceiver(t, s.Now)
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.srv.URL+"/hook", http.StatusTemporaryRedirect)
		}))
		defer redirect.Close()
		aAdmin.Must(t, 200, "PATCH", "/api/v1/webhooks/"+hook, map[string]any{"url": redirect.URL + "/hook"})
		did := d["id"].(string)
		aAdmin.Must(t, 200, "POST", "/api/v1/webhooks/"+hook+"/deliveries/"+did+"/resend", nil)
		settle(t, s)
		if d := delivery(); d["status"] != "pending" || d["response_code"] != float64(307) || len(elsewhere.types()) != 0 {
			t.Fatalf("redirected: %v, elsewhere got %v", d, elsewhere.types())
		}
		// Back to the receiver, which answers again: a resend delivers.
		recv.set(recv.secret, 0)
		aAdmin.Must(t, 200, "PATCH", "/api/v1/webhooks/"+hook, map[string]any{"url": recv.srv.URL + "/hook"})
		aAdmin.Must(t, 200, "POST", "/api/v1/webhooks/"+hook+"/deliveries/"+did+"/resend", nil)
		settle(t, s)
		if d := delivery(); d["status"] != "delivered" || d["response_code"] != float64(200) {
			t.Fatalf("resent: %v", d)
		}
		if got := recv.types(); !slices.Equal(got, []string{outbox.InvitationSent}) {
			t.Fatalf("received %v", got)
		}
		// The superseded retry of the redirect's resend sends nothing more.
		s.Clock.Advance(2 * time.Hour)
		settle(t, s)
		if got := recv.types(); len(got) != 1 {
			t.Fatalf("received again: %v", got)
		}
		// Finished deliveries are kept 30 days.
		s.Clock.Advance(webhook.Retention + time.Hour)
		if n, err := s.Webhooks.Cleanup(t.Context()); err != nil || n != 1 {
			t.Fatalf("cleanup: %d, %v", n, err)
		}
	})
}

// TestWebhookLimit: an agency has at most webhook.MaxEndpoints endpoints.
func TestWebhookLimit(t *testing.T) {
	s := hookServer(t, db.SQLite)
	aAdmin, _, A := s.Signup(t, "A Admin", "a-admin@example.com", "Agency A", "agency")
	recv := newReceiver(t, s.Now)
	for i := 0; i < webhook.MaxEndpoints; i++ {
		addHook(t, aAdmin, A, recv, outbox.UserAdded)
	}
	wantError(t, aAdmin.Do(t, "POST", "/api/v1/agencies/"+A+"/webhooks", map[string]any{"url": recv.srv.URL, "events": []string{outbox.UserAdded}}),
		409, "webhook_limit", "")
	// Field errors name their field.
	wantError(t, aAdmin.Do(t, "POST", "/api/v1/agencies/"+A+"/webhooks", map[string]any{"url": "https://10.0.0.1/x", "events": []string{outbox.UserAdded}}),
		400, "", "url")
	wantError(t, aAdmin.Do(t, "POST", "/api/v1/agencies/"+A+"/webhooks", map[string]any{"url": "https://hooks.example.com/x", "events": []string{"nope"}}),
		400, "", "events")
}

// TestEveryEventTypeIsQueued makes each event type happen once, through
// the API as a user would, and checks that the agency's endpoint receives
// every type — so the audit actions outbox maps are the ones the code
// writes — and that a change that is no event (a client's seats) sends
// nothing.
func TestEveryEventTypeIsQueued(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := hookServer(t, e)
		aAdmin, _, A := s.Signup(t, "A Admin", "a-admin@example.com", "Agency A", "agency")
		_, _, C := s.Signup(t, "C Admin", "c-admin@example.com", "Client C", "client")
		s.AddLink(t, testkit.LinkFixture{AgencyID: A, ClientID: C})
		brand := s.AddBrand(t, A, "Nike")
		recv := newReceiver(t, s.Now)
		addHook(t, aAdmin, A, recv)
		client := "/api/v1/agencies/" + A + "/clients/" + C

		aAdmin.Must(t, 200, "PATCH", client, map[string]any{"seats": 7}) // no event
		aAdmin.Must(t, 204, "PUT", client+"/brands/"+brand, nil)
		aAdmin.Must(t, 200, "POST", "/api/v1/brands/"+brand+"/data", pts(pt(s.Now().Format(time.DateOnly), "sessions", 1, "")))
		aAdmin.Must(t, 204, "DELETE", client+"/brands/"+brand, nil)
		aAdmin.Must(t, 204, "PUT", client+"/brands/"+brand, nil) // a second start, at the same (fake) instant
		aAdmin.Must(t, 201, "POST", "/api/v1/accounts/"+C+"/invitations", map[string]any{"email": "zed@example.com", "role": "member"})
		acc := invAccept(t, s, invToken(t, invMailURL(t, s, "zed@example.com")), "Zed")
		if acc.Status != 200 {
			t.Fatalf("accept: %d %s", acc.Status, acc.Raw)
		}
		zed := acc.Body["user"].(map[string]any)["id"].(string)
		aAdmin.Must(t, 204, "DELETE", "/api/v1/accounts/"+C+"/users/"+zed, nil)
		aAdmin.Must(t, 200, "PATCH", client, map[string]any{"enabled": false})
		settle(t, s)

		got := recv.types()
		for _, want := range outbox.Types {
			switch want {
			case outbox.LinkRequested, outbox.LinkAccepted, outbox.LinkDisconnected, outbox.LoginAsStarted, outbox.LoginAsEnded:
				continue // TestWebhooksSharedClient
			}
			if !slices.Contains(got, want) {
				t.Errorf("no %s delivered; got %v", want, got)
			}
		}
		for _, ev := range recv.got {
			if ev.Type == outbox.ClientStatusChanged && ev.Data["action"] == "client.update" {
				after, _ := ev.Data["after"].(map[string]any)
				if after["enabled"] != false {
					t.Errorf("status change %v", ev.Data)
				}
			}
		}
		if n := len(got); n != 9 {
			t.Errorf("%d deliveries, want 9 (two billing starts; the seats change is none): %v", n, got)
		}
	})
}
