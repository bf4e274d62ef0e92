package api

import (
	"context"
	"net/http"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
)

type auditExportOut struct {
	ContentDisposition string `header:"Content-Disposition"`
	Body               audit.Export
}

// auditExportRoutes: a client's admins (and the agency staff who may read
// its audit trail) download the account's entries with the hashes,
// signatures and signed checkpoint needed to check them offline
// (`liaison audit verify-export`, docs/OPERATING.md). Scoped like the
// listing: an agency sees its own entries and the client's, never another
// agency's that shares the client.
func (a *API) auditExportRoutes() {
	add(a, Access{Kind: Account, Action: authz.AuditRead, Param: "id"},
		op(http.MethodGet, "/api/v1/accounts/{id}/audit/export", "audit-export",
			"The account's audit entries with their proofs, for offline verification", "audit"),
		func(ctx context.Context, in *idPath) (*auditExportOut, error) {
			ex, err := a.deps.Audit.Export(ctx, RelationFrom(ctx))
			if err != nil {
				return nil, err
			}
			return &auditExportOut{ContentDisposition: `attachment; filename="audit-` + ex.AccountID + `.json"`, Body: ex}, nil
		})
}
