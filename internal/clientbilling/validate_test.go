package clientbilling

import (
	"strings"
	"testing"

	"github.com/liaison-dev/liaison/internal/errs"
)

func str(s string) *string { return &s }

func TestValidate(t *testing.T) {
	ok := []struct {
		field, in, want string
	}{
		{"contact_name", "  Wile E. Coyote ", "Wile E. Coyote"},
		{"contact_name", "", ""},
		{"contact_name", strings.Repeat("é", 200), strings.Repeat("é", 200)},
		{"contact_email", " Billing@ACME.example ", "billing@acme.example"},
		{"contact_email", "", ""},
		{"address", "1 Road\r\nDesert City  \r\n\r\nAZ ", "1 Road\nDesert City\n\nAZ"},
		{"address", strings.Repeat("x\n", 9) + "x", strings.Repeat("x\n", 9) + "x"},
		{"tax_id", "DE 123 456 789", "DE 123 456 789"},
		{"po_reference", "PO-2024/17", "PO-2024/17"},
		{"company_name", "ACME‍ Corp", "ACME‍ Corp"}, // a zero-width joiner is text
	}
	for _, tc := range ok {
		f := fieldNamed(t, tc.field)
		var c Change
		f.Set(&c, tc.in)
		got, err := Validate(c)
		if err != nil {
			t.Errorf("%s %q: %v", tc.field, tc.in, err)
			continue
		}
		if v := *f.change(&got); v == nil || *v != tc.want {
			t.Errorf("%s %q: got %v, want %q", tc.field, tc.in, v, tc.want)
		}
	}
	bad := []struct{ field, in string }{
		{"contact_name", strings.Repeat("a", 201)},
		{"contact_name", "two\nlines"},
		{"contact_name", "tab\there"},
		{"company_name", "bell\a"},
		{"company_name", "evil\u202Egnp.exe"},
		{"company_name", "sep\u2028x"},
		{"company_name", "\xff\xfe"},
		{"tax_id", "DE\x00123"},
		{"tax_id", strings.Repeat("1", 65)},
		{"po_reference", strings.Repeat("p", 101)},
		{"address", strings.Repeat("x\n", 10) + "x"},
		{"address", strings.Repeat("y", 1001)},
		{"address", "line\x1b[31m"},
		{"contact_email", "not an address"},
		{"contact_email", "Wile <wile@acme.example>"},
		{"contact_email", "wile@localhost"},
		{"contact_email", strings.Repeat("a", 250) + "@x.example"},
	}
	for _, tc := range bad {
		var c Change
		if tc.field != "po_reference" {
			c.POReference = str("Fine") // a good field beside the bad one
		}
		fieldNamed(t, tc.field).Set(&c, tc.in)
		_, err := Validate(c)
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || e.Field != tc.field || e.Code != "invalid_"+tc.field {
			t.Errorf("%s %q: got %v, want invalid_%s", tc.field, tc.in, err, tc.field)
		}
	}
	// Fields not named stay unnamed.
	got, err := Validate(Change{TaxID: str("X")})
	if err != nil || got.ContactName != nil || got.Address != nil || *got.TaxID != "X" {
		t.Errorf("partial change: %+v %v", got, err)
	}
}

func fieldNamed(t *testing.T, name string) Field {
	t.Helper()
	for _, f := range Fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %s", name)
	return Field{}
}
