package input

import (
	"net/url"
	"testing"

	"github.com/liaison-dev/liaison/internal/errs"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		s         string
		multiline bool
		ok        bool
	}{
		{"Acme", false, true}, {`Acme "Best", Zoë «Ü» 日本`, false, true}, {"", false, true},
		{"a\x00b", false, false}, {"a\nb", false, false}, {"a\rb", false, false}, {"a\tb", false, false},
		{"a\x1bb", false, false}, {"a\x7fb", false, false}, {"a\u0085b", false, false}, {"a\u2028b", false, false},
		{"a\xffb", false, false}, {"\xc3\x28", false, false},
		{"line\r\nline\tend\n", true, true}, {"a\x00b", true, false}, {"a\x0bb", true, false}, {"a\xffb", true, false},
	} {
		err := Text("name", c.s, c.multiline)
		if (err == nil) != c.ok {
			t.Errorf("Text(%q, multiline %v) = %v, want ok %v", c.s, c.multiline, err, c.ok)
		}
		if err != nil && (errs.KindOf(err) != errs.Invalid || errs.As(err).Field != "name") {
			t.Errorf("Text(%q): %v is not a 400 naming the field", c.s, err)
		}
	}
}

func TestURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"/api/v1/brands/br_1?q=caf%C3%A9": true, "/a%20b?x=1&y=": true,
		"/api/v1/brands/%00": false, "/clients/%ff%fe": false, "/c?q=%ff": false, "/c?q=a%0ab": false, "/c?%00=1": false,
		"/c?q=%zz": true, "/c?q=%zz&r=%00": false, "/c?a=1;b=%ff": true, "/c?a=1&b=%ff;c=2": true,
	} {
		u, err := url.ParseRequestURI(raw)
		if err != nil {
			t.Fatal(raw, err)
		}
		if got := URL(u) == nil; got != ok {
			t.Errorf("URL(%q) ok = %v, want %v", raw, got, ok)
		}
	}
}

func TestStruct(t *testing.T) {
	type access struct {
		UserIDs []string `json:"user_ids"`
	}
	type in struct {
		ID    string `path:"id"`
		Q     string `query:"q"`
		Limit int    `query:"limit"`
		Body  *struct {
			Name    string            `json:"name"`
			Message string            `json:"message,omitempty"`
			Seats   *int              `json:"seats,omitempty"`
			Access  *access           `json:"access,omitempty"`
			Meta    map[string]any    `json:"meta,omitempty"`
			Tags    map[string]string `json:"tags,omitempty"`
		}
		RawBody []byte
	}
	mk := func() *in {
		v := &in{ID: "acc_1", RawBody: []byte{0, 0xff, '\n'}}
		v.Body = &struct {
			Name    string            `json:"name"`
			Message string            `json:"message,omitempty"`
			Seats   *int              `json:"seats,omitempty"`
			Access  *access           `json:"access,omitempty"`
			Meta    map[string]any    `json:"meta,omitempty"`
			Tags    map[string]string `json:"tags,omitempty"`
		}{Name: "Acme", Message: "Hi\n\tthere", Access: &access{UserIDs: []string{"usr_1"}}, Meta: map[string]any{"a": []any{"x", 1.0}}}
		return v
	}
	if err := Struct(mk()); err != nil {
		t.Fatalf("a clean input: %v", err)
	}
	huge := 1 << 40
	for field, spoil := range map[string]func(*in){
		"id":              func(v *in) { v.ID = "acc_\x00" },
		"q":               func(v *in) { v.Q = "\xff" },
		"limit":           func(v *in) { v.Limit = huge },
		"name":            func(v *in) { v.Body.Name = "A\nB" },
		"message":         func(v *in) { v.Body.Message = "Hi\x00" },
		"seats":           func(v *in) { v.Body.Seats = &huge },
		"access.user_ids": func(v *in) { v.Body.Access.UserIDs = []string{"usr_\x1b"} },
		"meta":            func(v *in) { v.Body.Meta["a"] = []any{"x\x00"} },
		"tags":            func(v *in) { v.Body.Tags = map[string]string{"k\n": "v"} },
	} {
		v := mk()
		spoil(v)
		err := Struct(v)
		if e := errs.As(err); e == nil || e.Kind != errs.Invalid || e.Field != field {
			t.Errorf("%s: %v, want a 400 naming %q", field, err, field)
		}
	}
}
