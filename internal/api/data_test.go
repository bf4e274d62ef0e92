package api_test

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// dataWorld is an agency with a brand, a member and a viewer, a client
// granted the brand with one user, and another client without it.
type dataWorld struct {
	s                   *testkit.Server
	agency, brand       string
	admin, member, view *testkit.APIClient
	clientUser, other   *testkit.APIClient
	clientID            string
	today               time.Time
}

func newDataWorld(t *testing.T, e db.Dialect) *dataWorld {
	s := testkit.StartServer(t, e, testkit.ServerOptions{FakeClock: true})
	w := &dataWorld{s: s}
	var agencyID string
	w.admin, _, agencyID = s.Signup(t, "Ada Admin", "ada@agency.example", "Agency", "agency")
	w.agency = agencyID
	w.brand = w.admin.Must(t, 201, "POST", "/api/v1/agencies/"+agencyID+"/brands", map[string]any{"name": "Nike"}).Body["id"].(string)
	var uid string
	w.member, uid, _ = s.Signup(t, "Mo Member", "mo@agency.example", "Mo Own", "client")
	s.AddMember(t, agencyID, uid, "member")
	w.view, uid, _ = s.Signup(t, "Vi Viewer", "vi@agency.example", "Vi Own", "client")
	s.AddMember(t, agencyID, uid, "viewer")
	w.clientUser, _, w.clientID = s.Signup(t, "Cy Client", "cy@client.example", "Client Co", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: w.clientID})
	w.admin.Must(t, 204, "PUT", "/api/v1/agencies/"+agencyID+"/clients/"+w.clientID+"/brands/"+w.brand, nil)
	var otherID string
	w.other, _, otherID = s.Signup(t, "Oz Other", "oz@other.example", "Other Co", "client")
	s.AddLink(t, testkit.LinkFixture{AgencyID: agencyID, ClientID: otherID})
	n := s.Clock.Now()
	w.today = time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
	return w
}

// day is the day n days before today, as YYYY-MM-DD.
func (w *dataWorld) day(n int) string { return w.today.AddDate(0, 0, -n).Format(time.DateOnly) }

func pts(ps ...map[string]any) map[string]any { return map[string]any{"points": ps} }

func pt(date, metric string, value float64, dim string) map[string]any {
	p := map[string]any{"date": date, "metric": metric, "value": value}
	if dim != "" {
		p["dimension"] = dim
	}
	return p
}

func TestDataPushIsIdempotentAndReadsBack(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		path := "/api/v1/brands/" + w.brand + "/data"
		var batch []map[string]any
		for i := 0; i < 14; i++ {
			batch = append(batch, pt(w.day(i), "sessions", float64(100+i), ""), pt(w.day(i), "sessions", float64(10+i), "google"),
				pt(w.day(i), "conv_rate", float64(i), ""))
		}
		r := w.member.Must(t, 200, "POST", path, pts(batch...))
		if r.Body["received"] != 42.0 || r.Body["inserted"] != 42.0 || r.Body["updated"] != 0.0 {
			t.Fatalf("first push: %s", r.Raw)
		}
		r = w.member.Must(t, 200, "POST", path, pts(batch...))
		if r.Body["received"] != 42.0 || r.Body["inserted"] != 0.0 || r.Body["updated"] != 42.0 {
			t.Fatalf("second push: %s", r.Raw)
		}
		// One new point, one changed, one repeated within the batch (the last wins).
		r = w.member.Must(t, 200, "POST", path, pts(pt(w.day(20), "sessions", 5, ""), pt(w.day(0), "sessions", 1, ""), pt(w.day(0), "sessions", 1000, "")))
		if r.Body["received"] != 3.0 || r.Body["inserted"] != 1.0 || r.Body["updated"] != 1.0 {
			t.Fatalf("third push: %s", r.Raw)
		}
		// Daily series of the total line, the last 7 days.
		q := url.Values{"metrics": {"sessions"}, "from": {w.day(6)}, "to": {w.day(0)}}
		r = w.clientUser.Must(t, 200, "GET", path+"?"+q.Encode(), nil)
		series := r.Body["series"].([]any)[0].(map[string]any)["points"].([]any)
		if len(series) != 7 {
			t.Fatalf("7 days, got %d: %s", len(series), r.Raw)
		}
		last := series[6].(map[string]any)
		if last["date"] != w.day(0) || last["value"] != 1000.0 {
			t.Errorf("today's point %v", last)
		}
		if first := series[0].(map[string]any); first["value"] != 106.0 {
			t.Errorf("first point %v", first)
		}
		// A month of one dimension by month: the sum of its days; the
		// percent metric is averaged.
		w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+w.brand+"/metrics/conv_rate", map[string]any{"unit": "percent"})
		q = url.Values{"metrics": {"sessions,conv_rate"}, "from": {w.day(13)}, "to": {w.day(0)}, "granularity": {"month"}, "dimension": {"google"}}
		r = w.admin.Must(t, 200, "GET", path+"?"+q.Encode(), nil)
		var sum float64
		for _, p := range r.Body["series"].([]any)[0].(map[string]any)["points"].([]any) {
			if v, ok := p.(map[string]any)["value"].(float64); ok {
				sum += v
			}
		}
		if want := float64(10*14 + 13*14/2); sum != want {
			t.Errorf("monthly sums of google add to %v, want %v: %s", sum, want, r.Raw)
		}
		q.Set("dimension", "")
		q.Set("granularity", "week")
		r = w.admin.Must(t, 200, "GET", path+"?"+q.Encode(), nil)
		if m := r.Body["metrics"].([]any)[1].(map[string]any); m["aggregation"] != "avg" || m["unit"] != "percent" {
			t.Errorf("conv_rate in the answer: %v", m)
		}
		for _, p := range r.Body["series"].([]any)[1].(map[string]any)["points"].([]any) {
			if v, ok := p.(map[string]any)["value"].(float64); ok && v > 13 {
				t.Errorf("a percent was summed: %v", p)
			}
		}
		// The catalogue.
		r = w.view.Must(t, 200, "GET", "/api/v1/brands/"+w.brand+"/metrics", nil)
		ms := r.Body["metrics"].([]any)
		if len(ms) != 2 {
			t.Fatalf("catalogue %s", r.Raw)
		}
		if s := ms[1].(map[string]any); s["name"] != "sessions" || s["points"] != 29.0 || s["first_date"] != w.day(20) || s["last_date"] != w.day(0) {
			t.Errorf("sessions in the catalogue: %v", s)
		}
		// The push is audited with its counts, not its points.
		audit := w.admin.Must(t, 200, "GET", "/api/v1/accounts/"+w.agency+"/audit?action=metric_data.push", nil)
		if evs := audit.Body["events"].([]any); len(evs) != 3 || !strings.Contains(fmt.Sprint(evs[0]), "inserted") {
			t.Errorf("audit: %s", audit.Raw)
		}
	})
}

func TestDataAccess(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		path := "/api/v1/brands/" + w.brand + "/data"
		body := pts(pt(w.day(1), "sessions", 1, ""))
		w.view.Must(t, 403, "POST", path, body)
		w.clientUser.Must(t, 403, "POST", path, body)
		w.other.Must(t, 404, "POST", path, body)
		w.other.Must(t, 404, "GET", path+"?metrics=sessions", nil)
		w.clientUser.Must(t, 200, "GET", path+"?metrics=sessions", nil)
		w.member.Must(t, 200, "POST", path, body)
		w.member.Must(t, 403, "DELETE", path+"?metrics=sessions", nil)
		w.clientUser.Must(t, 403, "PUT", "/api/v1/brands/"+w.brand+"/metrics/sessions", map[string]any{"label": "Visits"})
		// Revoking the grant hides the brand from the client.
		w.admin.Must(t, 204, "DELETE", "/api/v1/agencies/"+w.agency+"/clients/"+w.clientID+"/brands/"+w.brand, nil)
		w.clientUser.Must(t, 404, "GET", path+"?metrics=sessions", nil)
		r := w.admin.Must(t, 200, "DELETE", path+"?metrics=sessions&from="+w.day(1)+"&to="+w.day(1), nil)
		if r.Body["deleted"] != 1.0 {
			t.Errorf("delete: %s", r.Raw)
		}
	})
}

func TestDataBadInputChangesNothing(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		path := "/api/v1/brands/" + w.brand + "/data"
		good := pt(w.day(1), "sessions", 1, "")
		many := make([]map[string]any, 11000)
		for i := range many {
			many[i] = pt(w.today.AddDate(0, 0, -i).Format(time.DateOnly), "sessions", 1, "")
		}
		big := bytes.Repeat([]byte(" "), 6<<20)
		copy(big, `{"points":[]}`)
		year := w.today.Year()
		cases := []struct {
			name  string
			body  any
			code  string
			field string
		}{
			{"a day that does not exist", pts(good, pt(fmt.Sprintf("%d-02-30", year), "sessions", 1, "")), "invalid_point", "points[1].date"},
			{"a date in another shape", pts(good, pt(w.today.Format("02/01/2006"), "sessions", 1, "")), "invalid_point", "points[1].date"},
			{"capitals in the metric", pts(good, good, pt(w.day(2), "Sessions", 1, "")), "invalid_point", "points[2].metric"},
			{"a value out of range", []byte(`{"points":[{"date":"` + w.day(1) + `","metric":"m","value":1e400}]}`), "invalid_point", "points[0].value"},
			{"a value as a string", []byte(`{"points":[{"date":"` + w.day(1) + `","metric":"m","value":"NaN"}]}`), "invalid_point", "points[0].value"},
			{"a missing value", []byte(`{"points":[{"date":"` + w.day(1) + `","metric":"m"}]}`), "invalid_point", "points[0].value"},
			{"a date as a number", []byte(`{"points":[{"date":5,"metric":"m","value":1}]}`), "invalid_point", "points[0].date"},
			{"a dimension too long", pts(pt(w.day(1), "m", 1, strings.Repeat("x", 129))), "invalid_point", "points[0].dimension"},
			{"11,000 points", pts(many...), "too_many_points", "points"},
			{"6 MiB", big, "batch_too_large", "points"},
			{"no points", map[string]any{}, "no_points", "points"},
			{"not JSON", []byte(`{"points":[`), "invalid_json", "points"},
		}
		for _, tc := range cases {
			r := w.admin.Do(t, "POST", path, tc.body)
			if r.Status != 400 || r.Code() != tc.code || !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
				t.Errorf("%s: %d %s, want 400 %s naming %s", tc.name, r.Status, clip(r.Raw), tc.code, tc.field)
			}
		}
		if r := w.admin.Must(t, 200, "GET", "/api/v1/brands/"+w.brand+"/metrics", nil); len(r.Body["metrics"].([]any)) != 0 {
			t.Errorf("bad batches stored something: %s", r.Raw)
		}
		for _, q := range []string{"metrics=Sessions", "metrics=s&from=" + w.day(0) + "&to=" + w.day(5), "metrics=s&granularity=hour",
			"", "metrics=s&from=" + fmt.Sprintf("%d-13-01", year) + "&to=" + w.day(0)} {
			if r := w.admin.Do(t, "GET", path+"?"+q, nil); r.Status != 400 {
				t.Errorf("GET ?%s: %d %s", q, r.Status, r.Raw)
			}
		}
		for _, b := range []map[string]any{{"unit": "percent", "aggregation": "sum"}, {"unit": "currency"}, {"unit": "kg"},
			{"aggregation": "median"}, {"unit": "count", "currency": "EUR"}} {
			if r := w.admin.Do(t, "PUT", "/api/v1/brands/"+w.brand+"/metrics/sessions", b); r.Status != 400 {
				t.Errorf("PUT %v: %d %s", b, r.Status, r.Raw)
			}
		}
		w.admin.Must(t, 400, "PUT", "/api/v1/brands/"+w.brand+"/metrics/Sessions", map[string]any{"label": "x"})
		w.admin.Must(t, 400, "DELETE", path, nil)
		r := w.admin.Must(t, 200, "PUT", "/api/v1/brands/"+w.brand+"/metrics/revenue", map[string]any{"unit": "currency", "currency": "EUR", "label": "Revenue"})
		if r.Body["currency"] != "EUR" || r.Body["aggregation"] != "sum" {
			t.Errorf("currency metric: %s", r.Raw)
		}
	})
}

func TestDeletingABrandDeletesItsData(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		w := newDataWorld(t, e)
		w.admin.Must(t, 200, "POST", "/api/v1/brands/"+w.brand+"/data", pts(pt(w.day(1), "sessions", 1, "a"), pt(w.day(1), "sessions", 2, "")))
		var days int
		if err := w.s.DB.Get(t.Context(), &days, `SELECT COUNT(*) FROM metric_days`); err != nil || days != 2 {
			t.Fatalf("%d days stored, %v", days, err)
		}
		w.admin.Must(t, 204, "DELETE", "/api/v1/brands/"+w.brand, nil)
		var n int
		// The days go with their series (a trigger, metric_days has no
		// foreign key): none may be left behind.
		if err := w.s.DB.Get(t.Context(), &n, `SELECT (SELECT COUNT(*) FROM metric_series WHERE brand_id = ?) + (SELECT COUNT(*) FROM metric_catalogue WHERE brand_id = ?)
			+ (SELECT COUNT(*) FROM metric_days) + (SELECT COUNT(*) FROM metric_versions WHERE brand_id = ?)`, w.brand, w.brand, w.brand); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows left of a deleted brand", n)
		}
	})
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
