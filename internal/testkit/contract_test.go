package testkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A small document in the shape the API publishes.
const contractDoc = `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
"paths":{
 "/api/v1/things/{id}":{"get":{"responses":{
   "200":{"description":"OK","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Thing"}}}},
   "404":{"description":"Not Found","headers":{"X-Request-Id":{"$ref":"#/components/headers/X-Request-Id"}},"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}},
   "default":{"description":"Error","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Error"}}}}}}},
 "/api/v1/things/export.csv":{"get":{"responses":{"200":{"description":"OK","content":{"text/csv":{}}}}}}},
"components":{"headers":{"X-Request-Id":{"required":true,"schema":{"type":"string"}}},"schemas":{
 "Thing":{"type":"object","additionalProperties":false,"required":["id","health","at"],"properties":{
   "id":{"type":"string"},"at":{"type":"string","format":"date-time"},
   "health":{"$ref":"#/components/schemas/Health"}}},
 "Health":{"type":"object","required":["score"],"properties":{"score":{"type":"integer"}}},
 "Error":{"type":"object","additionalProperties":false,"required":["error"],"properties":{"error":{"type":"object","required":["code","message"],"properties":{"code":{"type":"string"},"message":{"type":"string"}}}}}}}}`

// The check finds each kind of mismatch, and passes what fits: it must be
// able to fail.
func TestContractCheckFindsMismatches(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(contractDoc))
	}))
	defer srv.Close()
	c := newContract()
	if err := c.loadFrom(srv.URL, http.DefaultTransport); err != nil {
		t.Fatal(err)
	}
	js := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}}
	const ok = `{"id":"t1","at":"2026-01-05T09:00:00Z","health":{"score":3}}`
	const notFound = `{"error":{"code":"not_found","message":"No."}}`
	for _, tc := range []struct {
		name, method, path string
		status             int
		header             http.Header
		body, want         string // want: part of the problem, "" for none
	}{
		{"fits", "GET", "/api/v1/things/t1", 200, js, ok, ""},
		{"declared error", "GET", "/api/v1/things/t1", 404, js, notFound, ""},
		{"5xx falls back on default", "GET", "/api/v1/things/t1", 503, js, notFound, ""},
		{"null where an object is declared", "GET", "/api/v1/things/t1", 200, js,
			`{"id":"t1","at":"2026-01-05T09:00:00Z","health":null}`, "/health"},
		{"undeclared property", "GET", "/api/v1/things/t1", 200, js,
			`{"id":"t1","at":"2026-01-05T09:00:00Z","health":{"score":3},"extra":1}`, "extra"},
		{"format", "GET", "/api/v1/things/t1", 200, js, `{"id":"t1","at":"yesterday","health":{"score":3}}`, "/at"},
		{"required header missing", "GET", "/api/v1/things/t1", 404, http.Header{"Content-Type": {"application/json"}}, notFound, "X-Request-Id"},
		{"undeclared status", "GET", "/api/v1/things/t1", 409, js, notFound, "409 is not declared"},
		{"error in another shape", "GET", "/api/v1/things/t1", 404, js, `{"title":"Not Found"}`, "error"},
		{"undeclared content type", "GET", "/api/v1/things/t1", 200, http.Header{"Content-Type": {"text/plain"}}, "x", "text/plain"},
		{"literal path before template", "GET", "/api/v1/things/export.csv", 200, http.Header{"Content-Type": {"text/csv"}}, "a,b\n", ""},
		{"no such operation: an error", "POST", "/api/v1/things/t1", 405, js, notFound, ""},
		{"no such operation: a success", "GET", "/api/v1/nothing", 200, js, `{}`, "matches no operation"},
		{"unknown route in another shape", "GET", "/api/v1/nothing", 404, js, `{"detail":"x"}`, "error"},
		{"empty body where JSON is declared", "GET", "/api/v1/things/t1", 200, js, "", "empty body"},
	} {
		_, problem := c.check(tc.method, tc.path, tc.status, tc.header, []byte(tc.body))
		switch {
		case tc.want == "" && problem != "":
			t.Errorf("%s: unexpected problem: %s", tc.name, problem)
		case tc.want != "" && !strings.Contains(problem, tc.want):
			t.Errorf("%s: problem %q, want one mentioning %q", tc.name, problem, tc.want)
		}
	}
}
