package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// APIClient speaks JSON to a test server as one caller: a browser-like client
// with a cookie jar, or a program with a bearer token.
type APIClient struct {
	S      *Server
	HTTP   *http.Client
	Bearer string
	// Header is added to every request (e.g. Sec-Fetch-Site).
	Header http.Header
}

// NewClient returns a client with an empty cookie jar.
func (s *Server) NewClient() *APIClient {
	return &APIClient{S: s, HTTP: s.Client(), Header: http.Header{}}
}

// Response is a decoded JSON answer.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Code returns the error code of an error response, or "".
func (r Response) Code() string {
	if e, ok := r.Body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

// Do sends a request; body may be nil, a string (sent as is) or a value
// (JSON-encoded).
func (c *APIClient) Do(t testing.TB, method, path string, body any) Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.S.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// Must sends a request and fails the test unless the status is want.
func (c *APIClient) Must(t testing.TB, want int, method, path string, body any) Response {
	t.Helper()
	r := c.Do(t, method, path, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// Password is a password that passes the rules, for tests.
const Password = "correct horse battery staple"

// Signup signs up a new user with an account of the kind and returns the
// logged-in client, the user ID and the account ID.
func (s *Server) Signup(t testing.TB, name, email, accountName, kind string) (c *APIClient, userID, accountID string) {
	t.Helper()
	c = s.NewClient()
	r := c.Must(t, http.StatusCreated, "POST", "/api/v1/signup", map[string]any{
		"name": name, "email": email, "password": Password, "account_name": accountName, "account_kind": kind})
	user := r.Body["user"].(map[string]any)
	acc := r.Body["account"].(map[string]any)
	s.ConfirmEmail(t, email)
	return c, user["id"].(string), acc["id"].(string)
}

// ConfirmEmail confirms an address as its owner would, by the link its
// confirmation e-mail carries: a user who signed up is unverified until
// then, and no account can join them by their address (auth/verify.go).
func (s *Server) ConfirmEmail(t testing.TB, address string) {
	t.Helper()
	link := s.MailLink(t, "email_verify", strings.ToLower(strings.TrimSpace(address)), "/verify/")
	s.NewClient().Must(t, http.StatusOK, "POST", "/api/v1/email/verify", map[string]any{"token": link[strings.LastIndex(link, "/")+1:]})
}

// Login logs a user in and returns the client.
func (s *Server) Login(t testing.TB, email, password string) *APIClient {
	t.Helper()
	c := s.NewClient()
	c.Must(t, http.StatusOK, "POST", "/api/v1/login", map[string]any{"email": email, "password": password})
	return c
}
