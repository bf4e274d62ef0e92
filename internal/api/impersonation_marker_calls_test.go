package api_test

import (
	"testing"
)

// markerIDs are the things of client C that the Login As marker test's
// calls act on. They are made for that test beside the access walk's world
// (newWorld stays the walk's), so that each call has a real target: the
// walk fills a route's secondary parameters with IDs that exist nowhere.
type markerIDs struct {
	member, leaver string // members of C: one is made an admin, one is removed
	group, doomed  string // groups of C: one renamed and filled, one deleted
	agency         string // an agency C has no link with, to send a request to
}

// newMarkerIDs makes them, as C's own admin and through the fixtures.
func newMarkerIDs(t *testing.T, w *world) markerIDs {
	t.Helper()
	var admin persona
	for _, p := range w.personas {
		if p.name == "client C admin" {
			admin = p
		}
	}
	var ids markerIDs
	_, ids.member, _ = w.s.Signup(t, "C Marker", "c-marker@example.com", "C Marker Own", "client")
	w.s.AddMember(t, w.clientC, ids.member, "member")
	_, ids.leaver, _ = w.s.Signup(t, "C Leaver", "c-leaver@example.com", "C Leaver Own", "client")
	w.s.AddMember(t, w.clientC, ids.leaver, "member")
	groups := "/api/v1/accounts/" + w.clientC + "/groups"
	ids.group = admin.client.Must(t, 201, "POST", groups, map[string]any{"name": "Marker group"}).Body["id"].(string)
	ids.doomed = admin.client.Must(t, 201, "POST", groups, map[string]any{"name": "Doomed group"}).Body["id"].(string)
	_, _, ids.agency = w.s.Signup(t, "E Admin", "e-admin@example.com", "Agency E", "agency")
	return ids
}

// markerCall is a valid call of one write route: the path parameters it
// needs beyond the walk's target, and its body (nil: the walk's generic one).
type markerCall struct {
	params map[string]string
	body   any
}

// markerCalls are valid calls (the handlers' inputs, SPEC §10) of every
// write route that the Login As persona — client C's admin — may make and
// that Login As does not refuse (refusedAsClient, and the user routes
// answered 403 impersonation_forbidden). Each one must succeed, so a body
// that no longer fits its route fails the test instead of quietly testing
// less. They run in the route table's order on one world: the group
// renamed and filled is not the one deleted, the user whose role changes
// is not the one removed.
func markerCalls(ids markerIDs) map[string]markerCall {
	return map[string]markerCall{
		"POST /api/v1/activity": {body: map[string]any{"page": "dashboard"}},
		"PATCH /api/v1/accounts/{id}/users/{user_id}": {params: map[string]string{"user_id": ids.member},
			body: map[string]any{"role": "admin"}},
		"DELETE /api/v1/accounts/{id}/users/{user_id}":   {params: map[string]string{"user_id": ids.leaver}},
		"POST /api/v1/accounts/{id}/groups":              {body: map[string]any{"name": "Marked group"}},
		"PATCH /api/v1/accounts/{id}/groups/{group_id}":  {params: map[string]string{"group_id": ids.group}, body: map[string]any{"name": "Renamed group"}},
		"DELETE /api/v1/accounts/{id}/groups/{group_id}": {params: map[string]string{"group_id": ids.doomed}},
		"PUT /api/v1/accounts/{id}/groups/{group_id}/members": {params: map[string]string{"group_id": ids.group},
			body: map[string]any{"user_ids": []string{ids.member}}},
		"POST /api/v1/accounts/{id}/invitations": {body: map[string]any{"email": "marked@example.com", "role": "member"}},
		"POST /api/v1/invitations/{id}/link":     {},
		"POST /api/v1/invitations/{id}/resend":   {},
		"DELETE /api/v1/invitations/{id}":        {},
		"POST /api/v1/accounts/{id}/links":       {body: map[string]any{"target_account_id": ids.agency}},
		"POST /api/v1/logout":                    {},
	}
}
