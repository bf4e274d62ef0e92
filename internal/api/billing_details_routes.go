package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clientbilling"
)

// A client's billing details (SPEC §10, §12). Access is the route table's:
// the client's admins while its manage_billing permission is on (else 403
// billing_not_allowed), never its members (403), the agency's admins and
// assigned account managers always (authz.BillingDetailsRead/Write and
// their gate); anyone who does not see the client gets 404.

type billingDetailsOut struct{ Body clientbilling.Details }

// The domain checks lengths and characters and names the field at fault;
// the bound here only caps the body.
type billingDetailsIn struct {
	ID   string              `path:"id" maxLength:"64"`
	Body *billingDetailsBody // optional: an empty body changes nothing
}

type billingDetailsBody struct {
	ContactName  *string `json:"contact_name,omitempty" maxLength:"4000" doc:"At most 200 characters, one line"`
	ContactEmail *string `json:"contact_email,omitempty" maxLength:"4000" doc:"An e-mail address (stored lower-cased), or \"\""`
	CompanyName  *string `json:"company_name,omitempty" maxLength:"4000" doc:"At most 200 characters, one line"`
	Address      *string `json:"address,omitempty" maxLength:"4000" doc:"At most 1000 characters on up to 10 lines"`
	TaxID        *string `json:"tax_id,omitempty" maxLength:"4000" doc:"At most 64 characters, one line"`
	POReference  *string `json:"po_reference,omitempty" maxLength:"4000" doc:"At most 100 characters, one line"`
}

func (a *API) billingDetailsRoutes() {
	add(a, Access{Kind: Account, Action: authz.BillingDetailsRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/billing-details", "billing-details-get",
			"A client's billing details: its admins while the agency allows manage_billing, and the agency's admins and assigned account managers", "billing"),
		func(ctx context.Context, in *idPath) (*billingDetailsOut, error) {
			d, err := a.deps.ClientBilling.Get(ctx, RelationFrom(ctx))
			return &billingDetailsOut{Body: d}, err
		})

	add(a, Access{Kind: Account, Action: authz.BillingDetailsWrite, Param: "id"},
		op(http.MethodPut, "/api/v1/accounts/{id}/billing-details", "billing-details-put",
			"Change a client's billing details: the fields named are replaced (\"\" clears one), the others stay; audited on the client and the agency", "billing"),
		func(ctx context.Context, in *billingDetailsIn) (*billingDetailsOut, error) {
			b := in.Body
			if b == nil {
				b = &billingDetailsBody{}
			}
			d, err := a.deps.ClientBilling.Update(ctx, RelationFrom(ctx), authz.ActorFrom(ctx), clientbilling.Change{
				ContactName: b.ContactName, ContactEmail: b.ContactEmail, CompanyName: b.CompanyName,
				Address: b.Address, TaxID: b.TaxID, POReference: b.POReference})
			return &billingDetailsOut{Body: d}, err
		})
}
