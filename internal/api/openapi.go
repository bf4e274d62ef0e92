package api

import (
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/client"
)

// The OpenAPI document is generated from the Go types; this file makes it
// true and good to generate clients from. Every response the API tests get
// is checked against it (testkit/contract.go), and CI lints it with Redocly
// (.ci/run, TestDumpOpenAPI).
//
//   - Errors: each operation declares the error statuses it can answer, with
//     the Error schema: the ones every route of its kind can answer
//     (declaredErrors) plus the ones of its domain (moreErrors, or
//     huma.Operation.Errors in the route table). 5xx are "default" and 503.
//   - Headers: X-Request-Id on every response, Liaison-Impersonation on every
//     response of an authenticated operation, Retry-After on 429 and 503.
//   - Null: a Go pointer to a struct without omitempty is sent as null when
//     nil; huma declares it as the bare $ref, so it becomes anyOf [$ref,
//     null] (nullableRefs). Maps likewise become nullable.
//   - Public operations say `security: []`; the others accept the session
//     cookie or a bearer token.

// moreErrors are the error statuses of an operation beyond declaredErrors,
// by operation ID: conflicts of public or user routes, 410 for used or
// expired tokens, 422 business rules, 429 rate limits.
var moreErrors = map[string][]int{
	"signup":                    {http.StatusConflict, http.StatusTooManyRequests},
	"login":                     {http.StatusUnauthorized, http.StatusTooManyRequests},
	"password-forgot":           {http.StatusTooManyRequests},
	"password-reset":            {http.StatusNotFound, http.StatusGone, http.StatusTooManyRequests},
	"token-create":              {http.StatusTooManyRequests},
	"email-verify":              {http.StatusGone},
	"email-verification-resend": {http.StatusConflict, http.StatusTooManyRequests},
	"switch-account":            {http.StatusNotFound},
	"invitation-lookup":         {http.StatusNotFound, http.StatusGone},
	"invitation-accept":         {http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusGone, http.StatusUnprocessableEntity},
	"invitation-client-create":  {http.StatusUnprocessableEntity},
	"invitation-team-create":    {http.StatusUnprocessableEntity},
	"invitation-staff-create":   {http.StatusUnprocessableEntity},
	"invitation-resend":         {http.StatusUnprocessableEntity},
	"client-update":             {http.StatusUnprocessableEntity},
	"portal-domain-add":         {http.StatusUnprocessableEntity},
	"impersonation-end":         {http.StatusConflict},
	"activity-page-view":        {http.StatusConflict},
	"access-request-create":     {http.StatusTooManyRequests}, // issue 21: per requester and day
}

// declaredErrors are the error statuses an operation declares: 400 when it
// takes parameters or a body, 413 when it takes a body, 401 when it needs a
// login, 403 when it needs one or is a write (refused cross-origin), 404 when it names something in its path or acts on an
// account, 409 when it changes an account's state, and its moreErrors.
func declaredErrors(o huma.Operation, acc Access, in reflect.Type) []int {
	params, pathParams, body := inputShape(in)
	set := map[int]bool{}
	if params > 0 || body {
		set[http.StatusBadRequest] = true
	}
	if body {
		set[http.StatusRequestEntityTooLarge] = true
	}
	if acc.Kind != Public {
		set[http.StatusUnauthorized] = true
	}
	if acc.Kind != Public || o.Method != http.MethodGet { // roles; or a cross-origin write (server.sameOrigin)
		set[http.StatusForbidden] = true
	}
	if pathParams > 0 || acc.Kind == Operator || acc.Kind >= Account {
		set[http.StatusNotFound] = true
	}
	if acc.Kind >= Account && o.Method != http.MethodGet {
		set[http.StatusConflict] = true
	}
	for _, c := range moreErrors[o.OperationID] {
		set[c] = true
	}
	for _, c := range o.Errors {
		set[c] = true
	}
	out := make([]int, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// inputShape counts an input struct's documented parameters (those in the
// path among them) and says whether it has a body.
func inputShape(t reflect.Type) (params, pathParams int, body bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			p, pp, b := inputShape(f.Type)
			params, pathParams, body = params+p, pathParams+pp, body || b
			continue
		}
		if f.Tag.Get("hidden") == "true" {
			continue
		}
		if f.Name == "Body" || f.Name == "RawBody" {
			body = true
		}
		for _, loc := range []string{"path", "query", "header", "cookie"} {
			if f.Tag.Get(loc) != "" {
				params++
				if loc == "path" {
					pathParams++
				}
			}
		}
	}
	return
}

// errorResponses are the error responses of an operation, on its error
// statuses: the Error schema, Retry-After where the client should wait.
func (a *API) errorResponses(codes []int) map[string]*huma.Response {
	ref := a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[Error](), true, "Error")
	out := map[string]*huma.Response{}
	resp := func(desc string) *huma.Response {
		return &huma.Response{Description: desc, Content: map[string]*huma.MediaType{"application/json": {Schema: ref}}}
	}
	for _, c := range codes {
		out[strconv.Itoa(c)] = resp(errorText[c])
		if out[strconv.Itoa(c)].Description == "" {
			out[strconv.Itoa(c)].Description = http.StatusText(c)
		}
	}
	out["503"] = resp("The database is unavailable or the server is busy: retry after Retry-After seconds.")
	out["default"] = resp("An unexpected error (500); the message quotes the request ID.")
	return out
}

var errorText = map[int]string{
	http.StatusBadRequest:            "The request is not valid: `field` names the parameter or body field at fault.",
	http.StatusUnauthorized:          "Not logged in, or the credentials are wrong.",
	http.StatusForbidden:             "Known, but not allowed for this user or role.",
	http.StatusNotFound:              "There is no such thing, or this user may not see it.",
	http.StatusConflict:              "The thing is not in a state that allows this (or already exists).",
	http.StatusGone:                  "The token or link has expired or was already used.",
	http.StatusRequestEntityTooLarge: "The request body is too large.",
	http.StatusUnprocessableEntity:   "A business rule refuses it (no seats left, too many domains, …).",
	http.StatusTooManyRequests:       "Too many attempts: retry after Retry-After seconds.",
}

// tagText describes the operations' tags; a tag without an entry is still
// declared, with a plain description.
var tagText = map[string]string{
	"auth":          "Sign up, log in and out, the current user, password reset.",
	"tokens":        "API tokens for programs (Authorization: Bearer).",
	"sessions":      "The current user's sessions.",
	"accounts":      "Accounts (agencies and clients).",
	"agency":        "An agency's staff, groups, settings and brands.",
	"audit":         "The audit log of an account.",
	"brands":        "Brands.",
	"clients":       "An agency's clients: the list, detail, users, brands, revoke.",
	"links":         "Link requests between an agency and a client account.",
	"invitations":   "Invitations of clients, client teams and agency staff.",
	"impersonation": "Login As: an agency user acting as a client's admin.",
	"portal":        "The white-label portal: branding, logos, custom domains.",
	"activity":      "Page views and client activity.",
	"operator":      "The instance operator's tools.",
}

// paramEnums are the enums of parameters whose values a domain package
// lists ("operation-id param"), so the document follows when it adds one.
var paramEnums = map[string][]any{
	"client-list status":   anys(client.Statuses),
	"client-export status": anys(client.Statuses),
}

func anys[T any](l []T) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}

// finishDocument completes the document once every route is registered.
func (a *API) finishDocument() {
	doc := a.huma.OpenAPI()
	doc.Info.Description = "The public API of Liaison. JSON over HTTP; times are RFC 3339 UTC, money integer cents. " +
		"Programs authenticate with `Authorization: Bearer <api token>`; browsers with the session cookie, same-origin only. " +
		"Errors are `{\"error\":{\"code\",\"message\",\"field\"?}}` with the statuses each operation declares; " +
		"every answer carries `X-Request-Id`, 429 and 503 carry `Retry-After`, and answers during Login As carry `Liaison-Impersonation`. " +
		"Lists answer `{\"<plural>\":[…],\"next_cursor\"}`; pass `next_cursor` back as `cursor`."
	doc.Servers = []*huma.Server{{URL: "/", Description: "This Liaison instance (the document's own origin)"}}
	if doc.Components.Headers == nil {
		doc.Components.Headers = map[string]*huma.Header{}
	}
	doc.Components.Headers["X-Request-Id"] = &huma.Header{Description: "The request's ID, also in the server's logs; quote it when reporting a problem.",
		Required: true, Schema: &huma.Schema{Type: huma.TypeString}}
	doc.Components.Headers["Retry-After"] = &huma.Header{Description: "Seconds to wait before trying again.",
		Schema: &huma.Schema{Type: huma.TypeInteger, Minimum: ptr(0.0)}}
	doc.Components.Headers["Liaison-Impersonation"] = &huma.Header{Description: "Present while the session is in Login As: the impersonation's ID. Every request is recorded in the client's log.",
		Schema: &huma.Schema{Type: huma.TypeString}}
	ref := func(name string) *huma.Header { return &huma.Header{Ref: "#/components/headers/" + name} }

	tags := map[string]bool{}
	for _, item := range doc.Paths {
		for _, o := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch, item.Head, item.Options} {
			if o == nil {
				continue
			}
			for _, t := range o.Tags {
				tags[t] = true
			}
			for _, p := range o.Parameters {
				if values, ok := paramEnums[o.OperationID+" "+p.Name]; ok && p.Schema != nil {
					p.Schema.Enum = values // the same schema validates the requests
					p.Schema.PrecomputeMessages()
				}
			}
			for code, r := range o.Responses {
				if r.Headers == nil {
					r.Headers = map[string]*huma.Header{}
				}
				r.Headers["X-Request-Id"] = ref("X-Request-Id")
				if len(o.Security) > 0 {
					r.Headers["Liaison-Impersonation"] = ref("Liaison-Impersonation")
				}
				if code == "429" || code == "503" {
					r.Headers["Retry-After"] = ref("Retry-After")
				}
			}
		}
	}
	doc.Tags = nil
	for _, t := range sortedKeys(tags) {
		d := tagText[t]
		if d == "" {
			d = strings.ToUpper(t[:1]) + t[1:] + "."
		}
		doc.Tags = append(doc.Tags, &huma.Tag{Name: t, Description: d})
	}
	nullableRefs(doc.Components.Schemas)
}

func ptr[T any](v T) *T { return &v }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// nullableRefs declares as nullable what Go sends as null: a pointer to a
// struct (a $ref) or a map, in a field without omitempty.
func nullableRefs(reg huma.Registry) {
	for name, s := range reg.Map() {
		t := reg.TypeFromRef("#/components/schemas/" + name)
		if t == nil {
			continue
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Struct {
			markNullable(s, t)
		}
	}
}

func markNullable(s *huma.Schema, t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				markNullable(s, ft)
			}
			continue
		}
		if !f.IsExported() || name == "-" || strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := s.Properties[name]
		if p == nil {
			continue
		}
		switch {
		case f.Type.Kind() == reflect.Pointer && p.Ref != "":
			n := &huma.Schema{Description: p.Description, AnyOf: []*huma.Schema{{Ref: p.Ref}, {Type: "null"}}}
			n.PrecomputeMessages()
			s.Properties[name] = n
		case f.Type.Kind() == reflect.Map && p.Type == huma.TypeObject:
			p.Nullable = true
		}
	}
}
