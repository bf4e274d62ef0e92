package authz

import "context"

// CheckWebhook decides an action on a webhook endpoint (issue 21): on its
// agency, with the actor's role there, like a data source. Anyone without
// a role in that agency finds nothing (404).
func (z *Authorizer) CheckWebhook(ctx context.Context, a *Actor, endpointID string, action Action) (Relation, error) {
	return z.checkOnAgency(ctx, a, `SELECT agency_id FROM webhook_endpoints WHERE id = ?`, endpointID, action)
}
