package report

import (
	"context"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
)

// Whose branding a report's PDF wears (issue 24): the agency's, with a
// client's own branding over it, field by field, when the PDF is for one
// of the client's users. The export route and the scheduled e-mails both
// decide here.

// PDFBranding is whose branding a PDF for a relation to the report's brand
// wears: the brand's agency, and the client for a client's user ("" for
// the agency's users).
func PDFBranding(rel authz.Relation) (agencyID, clientID string) {
	if rel.AccountKind == "client" {
		clientID = rel.AccountID
	}
	return rel.BrandAgency(), clientID
}

// DocumentBrand is the brand and logo a PDF draws: the agency's
// (clientID ""), or the client's own branding over it (branding.ForClient,
// DocumentLogoFor). Brand.ClientBranded tells whether the client has any of
// its own.
func DocumentBrand(ctx context.Context, bs *branding.Service, agencyID, clientID string) (branding.Brand, Logo, error) {
	b, err := bs.ForClient(ctx, agencyID, clientID)
	if err != nil {
		return branding.Brand{}, Logo{}, err
	}
	data, typ, err := bs.DocumentLogoFor(ctx, agencyID, clientID)
	if err != nil {
		return branding.Brand{}, Logo{}, err
	}
	return b, Logo{Data: data, Type: typ}, nil
}
