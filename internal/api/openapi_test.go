package api_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// OpenAPIOutEnv names a file TestOpenAPIDocument writes the served document
// to; CI lints that file with Redocly (.ci/run).
const OpenAPIOutEnv = "LIAISON_OPENAPI_OUT"

// TestOpenAPIDocument checks what makes the document good to generate
// clients from, beyond what Redocly's lint checks: every operation declares
// its errors with the Error schema, public operations need no credentials,
// the headers are documented, no parameter is an implementation detail.
func TestOpenAPIDocument(t *testing.T) {
	s := testkit.StartServer(t, db.SQLite, testkit.ServerOptions{})
	r := s.NewClient().Must(t, 200, "GET", "/api/v1/openapi.json", nil)
	if out := os.Getenv(OpenAPIOutEnv); out != "" {
		if err := os.WriteFile(out, r.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	doc := r.Body
	if servers, _ := doc["servers"].([]any); len(servers) == 0 {
		t.Error("no servers")
	}
	headers, _ := dig(doc, "components", "headers").(map[string]any)
	for _, h := range []string{"X-Request-Id", "Retry-After", "Liaison-Impersonation"} {
		if headers[h] == nil {
			t.Errorf("header %s is not in components.headers", h)
		}
	}
	declaredTags := map[string]bool{}
	for _, tg := range doc["tags"].([]any) {
		tm := tg.(map[string]any)
		if tm["description"] == "" || tm["description"] == nil {
			t.Errorf("tag %v has no description", tm["name"])
		}
		declaredTags[tm["name"].(string)] = true
	}
	public := map[string]bool{}
	for _, rt := range s.API.Routes() {
		if rt.Access.Kind == api.Public {
			public[rt.Method+" "+rt.Path] = true
		}
	}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			name := strings.ToUpper(method) + " " + path
			for _, p := range asList(op["parameters"]) {
				pm := p.(map[string]any)
				if pm["in"] == "header" && strings.EqualFold(pm["name"].(string), "User-Agent") {
					t.Errorf("%s documents the User-Agent header as a parameter", name)
				}
				if pm["in"] == "query" && pm["name"] == "limit" {
					sc := pm["schema"].(map[string]any)
					if sc["minimum"] != 1.0 || sc["maximum"] == nil || sc["default"] == nil {
						t.Errorf("%s: limit without minimum 1, maximum and default: %v", name, sc)
					}
				}
			}
			sec, ok := op["security"].([]any)
			if public[name] != (ok && len(sec) == 0) {
				t.Errorf("%s: security %v (public %v)", name, op["security"], public[name])
			}
			for _, tg := range asList(op["tags"]) {
				if !declaredTags[tg.(string)] {
					t.Errorf("%s: tag %v is not declared", name, tg)
				}
			}
			responses := op["responses"].(map[string]any)
			n4xx := 0
			for code, resp := range responses {
				rm := resp.(map[string]any)
				hs, _ := rm["headers"].(map[string]any)
				if hs["X-Request-Id"] == nil {
					t.Errorf("%s %s: no X-Request-Id header", name, code)
				}
				if (code == "429" || code == "503") && hs["Retry-After"] == nil {
					t.Errorf("%s %s: no Retry-After header", name, code)
				}
				if !public[name] && hs["Liaison-Impersonation"] == nil {
					t.Errorf("%s %s: no Liaison-Impersonation header", name, code)
				}
				if code[0] == '4' || code[0] == '5' || code == "default" {
					n4xx++
					if ref := dig(rm, "content", "application/json", "schema", "$ref"); ref != "#/components/schemas/Error" {
						t.Errorf("%s %s: error schema %v", name, code, ref)
					}
				}
			}
			if responses["default"] == nil || responses["503"] == nil || (len(asList(op["parameters"])) > 0 || op["requestBody"] != nil) && responses["400"] == nil {
				t.Errorf("%s does not declare 400, 503 and default: %d error responses", name, n4xx)
			}
			if !public[name] {
				for _, c := range []string{"401", "403"} {
					if responses[c] == nil {
						t.Errorf("%s needs a login but does not declare %s", name, c)
					}
				}
			}
			if strings.Contains(path, "{") && responses["404"] == nil {
				t.Errorf("%s names something in its path but does not declare 404", name)
			}
		}
	}
	// A field the server sends as null is declared nullable.
	for _, c := range []struct{ schema, prop string }{
		{"ClientListItem", "health"}, {"AuthMe", "impersonation"}, {"ClientHealthReport", "parts"},
	} {
		p, _ := dig(doc, "components", "schemas", c.schema, "properties", c.prop).(map[string]any)
		if j, _ := json.Marshal(p); !strings.Contains(string(j), `"null"`) {
			t.Errorf("%s.%s is not nullable: %v", c.schema, c.prop, p)
		}
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestNullsAsDeclared gets the answers that carry null where an object may
// be — a client nobody has joined has no health score and so no parts, a
// session not in Login As has no impersonation — and the contract check
// (TestMain) validates them against the document, which must declare them
// nullable: a generated client would otherwise read health null as 0.
func TestNullsAsDeclared(t *testing.T) {
	testkit.EachEngine(t, func(t *testing.T, e db.Dialect) {
		s := testkit.StartServer(t, e, testkit.ServerOptions{})
		admin, _, agency := s.Signup(t, "Ada Admin", "ada@example.com", "Agency A", "agency")
		c := admin.Must(t, 201, "POST", "/api/v1/agencies/"+agency+"/clients", map[string]any{"name": "Nobody Yet"}).Body
		list := admin.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients", nil).Body["clients"].([]any)
		if h, ok := list[0].(map[string]any)["health"]; !ok || h != nil {
			t.Errorf("list: health %v, want null", h)
		}
		act := admin.Must(t, 200, "GET", "/api/v1/agencies/"+agency+"/clients/"+c["id"].(string)+"/activity", nil).Body
		if h := act["health"].(map[string]any); h["score"] != nil || h["parts"] != nil {
			t.Errorf("activity: health %v, want score and parts null", h)
		}
		if me := admin.Must(t, 200, "GET", "/api/v1/me", nil).Body; me["impersonation"] != nil {
			t.Errorf("me: impersonation %v, want null", me["impersonation"])
		}
	})
}
