package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The API contract check: while it is on, every response to a /api/ request
// made through a test server's clients (Server.Client, so every APIClient)
// is checked against the OpenAPI document that server publishes at
// /api/v1/openapi.json, and a mismatch fails the test that got it:
//
//   - the request must match an operation of the document (method and path
//     template); a request that matches none must have been answered with the
//     document's Error schema (unknown routes are 404, known paths 405);
//   - the status must be declared by that operation (5xx may fall back on
//     "default");
//   - the Content-Type must be one the response declares, and a JSON body
//     must validate against its schema (JSON Schema 2020-12, formats
//     asserted, additionalProperties as declared).
//
// The internal/api tests turn it on in their TestMain (CheckAPIContract);
// LIAISON_TEST_CONTRACT=1 turns it on in any package, =0 off everywhere.
// Nothing here knows the routes: a new route is checked as soon as it is in
// the document.

// ContractEnv overrides CheckAPIContract: "1" on, "0" off.
const ContractEnv = "LIAISON_TEST_CONTRACT"

var contractOn bool

// CheckAPIContract turns the contract check on for this test binary. Call it
// from TestMain before m.Run.
func CheckAPIContract() { contractOn = true }

func contractEnabled() bool {
	switch os.Getenv(ContractEnv) {
	case "1", "true":
		return true
	case "0", "false":
		return false
	}
	return contractOn
}

// ContractReportEnv makes TestMain print ContractReport after the tests.
const ContractReportEnv = "LIAISON_TEST_CONTRACT_REPORT"

// ContractReport says what the check has seen in this test binary: how many
// answers it checked, and the operations of the document none of whose
// answers was a success (their success bodies went unchecked).
func ContractReport() string {
	c := theContract
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.doc == nil {
		return "API contract: no answer checked"
	}
	var never []string
	total := 0
	paths, _ := c.doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		for _, m := range sortedKeys(item) {
			total++
			op := strings.ToUpper(m) + " " + p
			ok := false
			for st := range c.seen[op] {
				ok = ok || st < 300
			}
			if !ok {
				never = append(never, op)
			}
		}
	}
	return fmt.Sprintf("API contract: %d answers checked; %d of %d operations answered a success; never: %s",
		c.checked, total-len(never), total, strings.Join(never, ", "))
}

// contract is the compiled document. One test binary serves the same
// document from every server (it is generated from the Go types), so it is
// loaded once, from the first server that answers.
type contract struct {
	load    sync.Once
	loadErr error
	doc     map[string]any
	ops     []contractPath
	comp    *jsonschema.Compiler

	mu       sync.Mutex
	schemas  map[string]*jsonschema.Schema
	checked  int
	seen     map[string]map[int]bool
	reported map[string]bool
}

var theContract = newContract()

func newContract() *contract {
	return &contract{schemas: map[string]*jsonschema.Schema{}, seen: map[string]map[int]bool{}, reported: map[string]bool{}}
}

type contractPath struct {
	template string
	re       *regexp.Regexp
	params   int
}

var arrayIndex = regexp.MustCompile(`/[0-9]+`)

const contractURL = "https://liaison.invalid/api/v1/openapi.json"

func (c *contract) loadFrom(base string, rt http.RoundTripper) error {
	c.load.Do(func() {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/openapi.json", nil)
		res, err := rt.RoundTrip(req)
		if err != nil {
			c.loadErr = err
			return
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			c.loadErr = fmt.Errorf("GET /api/v1/openapi.json: %d", res.StatusCode)
			return
		}
		if err := json.Unmarshal(raw, &c.doc); err != nil {
			c.loadErr = err
			return
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			c.loadErr = err
			return
		}
		c.comp = jsonschema.NewCompiler()
		c.comp.DefaultDraft(jsonschema.Draft2020)
		c.comp.AssertFormat()
		if err := c.comp.AddResource(contractURL, inst); err != nil {
			c.loadErr = err
			return
		}
		paths, _ := c.doc["paths"].(map[string]any)
		for p := range paths {
			var b strings.Builder
			n := 0
			for _, seg := range strings.Split(p, "/") {
				if seg == "" {
					continue
				}
				b.WriteString("/")
				if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
					b.WriteString("[^/]+")
					n++
				} else {
					b.WriteString(regexp.QuoteMeta(seg))
				}
			}
			c.ops = append(c.ops, contractPath{template: p, re: regexp.MustCompile("^" + b.String() + "$"), params: n})
		}
		// The most literal template wins: /clients.csv before /clients/{client_id}.
		sort.Slice(c.ops, func(i, j int) bool {
			if c.ops[i].params != c.ops[j].params {
				return c.ops[i].params < c.ops[j].params
			}
			return c.ops[i].template < c.ops[j].template
		})
	})
	return c.loadErr
}

// schema compiles (once) the schema at a JSON pointer into the document.
func (c *contract) schema(ptr string) (*jsonschema.Schema, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.schemas[ptr]; ok {
		return s, nil
	}
	s, err := c.comp.Compile(contractURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	c.schemas[ptr] = s
	return s, nil
}

func ptrEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// check returns "" when the response fits the document, or what is wrong.
func (c *contract) check(method, path string, status int, header http.Header, body []byte) (op string, problem string) {
	var tmpl string
	for _, p := range c.ops {
		if p.re.MatchString(path) {
			tmpl = p.template
			break
		}
	}
	item, _ := c.doc["paths"].(map[string]any)[tmpl].(map[string]any)
	operation, _ := item[strings.ToLower(method)].(map[string]any)
	if operation == nil {
		// No such operation: the answer must be an error in the API's shape.
		op = method + " " + path + " (no operation)"
		if status < 400 {
			return op, fmt.Sprintf("status %d for a request that matches no operation of the document", status)
		}
		return op, c.validate("/components/schemas/Error", body)
	}
	op = method + " " + tmpl
	c.mu.Lock()
	c.checked++
	if c.seen[op] == nil {
		c.seen[op] = map[int]bool{}
	}
	c.seen[op][status] = true
	c.mu.Unlock()

	responses, _ := operation["responses"].(map[string]any)
	code := strconv.Itoa(status)
	resp, _ := responses[code].(map[string]any)
	if resp == nil && status >= 500 {
		code = "default"
		resp, _ = responses[code].(map[string]any)
	}
	if resp == nil {
		return op, fmt.Sprintf("status %d is not declared (declared: %s)", status, strings.Join(sortedKeys(responses), ", "))
	}
	if missing := c.missingHeaders(resp, header); missing != "" {
		return op, fmt.Sprintf("status %d lacks the required header %s", status, missing)
	}
	content, _ := resp["content"].(map[string]any)
	if len(body) == 0 {
		if len(content) > 0 && method != http.MethodHead {
			return op, fmt.Sprintf("status %d has an empty body, the document declares %s", status, strings.Join(sortedKeys(content), ", "))
		}
		return op, ""
	}
	if len(content) == 0 {
		return op, fmt.Sprintf("status %d has a body (%s) but the document declares none", status, header.Get("Content-Type"))
	}
	mt, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	media, ok := content[mt].(map[string]any)
	if !ok {
		return op, fmt.Sprintf("status %d is %q, the document declares %s", status, mt, strings.Join(sortedKeys(content), ", "))
	}
	if _, ok := media["schema"]; !ok || !strings.Contains(mt, "json") {
		return op, ""
	}
	return op, c.validate("/paths/"+ptrEscape(tmpl)+"/"+strings.ToLower(method)+"/responses/"+code+"/content/"+ptrEscape(mt)+"/schema", body)
}

// missingHeaders names a header the response declares required (directly
// or through a components.headers $ref) and the answer lacks.
func (c *contract) missingHeaders(resp map[string]any, header http.Header) string {
	hs, _ := resp["headers"].(map[string]any)
	for _, name := range sortedKeys(hs) {
		h, _ := hs[name].(map[string]any)
		if ref, ok := h["$ref"].(string); ok {
			h, _ = c.doc["components"].(map[string]any)["headers"].(map[string]any)[strings.TrimPrefix(ref, "#/components/headers/")].(map[string]any)
		}
		if req, _ := h["required"].(bool); req && header.Get(name) == "" {
			return name
		}
	}
	return ""
}

func (c *contract) validate(ptr string, body []byte) string {
	s, err := c.schema(ptr)
	if err != nil {
		return "the document's schema does not compile: " + err.Error()
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return "the body is not JSON: " + err.Error()
	}
	if err := s.Validate(inst); err != nil {
		return "the body does not match the document: " + err.Error()
	}
	return ""
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// contractTransport checks each /api/ answer when the check is on, and
// fails t (the test that started the server) on a mismatch.
type contractTransport struct {
	t    testing.TB
	base string
	next http.RoundTripper
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := ct.next.RoundTrip(req)
	if err != nil || !contractEnabled() || !strings.HasPrefix(req.URL.Path, "/api/") || strings.HasPrefix(req.URL.Path, "/api/v1/openapi") { // not the document itself
		return res, err
	}
	raw, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(raw))
	if rerr != nil {
		return res, nil // the caller sees the short body and fails on its own
	}
	if lerr := theContract.loadFrom(ct.base, ct.next); lerr != nil {
		ct.t.Errorf("API contract: loading the OpenAPI document: %v", lerr)
		return res, nil
	}
	op, problem := theContract.check(req.Method, req.URL.Path, res.StatusCode, res.Header, raw)
	if problem == "" {
		return res, nil
	}
	key := op + " " + strconv.Itoa(res.StatusCode) + " " + arrayIndex.ReplaceAllString(problem, "/*")
	theContract.mu.Lock()
	first := !theContract.reported[key]
	theContract.reported[key] = true
	theContract.mu.Unlock()
	if first {
		body := raw
		if len(body) > 600 {
			body = append(body[:600:600], "…"...)
		}
		ct.t.Errorf("API contract: %s %s → %d (%s): %s\n  body: %s", req.Method, req.URL.RequestURI(), res.StatusCode, op, problem, body)
	}
	return res, nil
}
