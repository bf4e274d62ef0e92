package db

import "testing"

func TestTouchesAuth(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT * FROM sessions`:                                      false,
		`INSERT INTO sessions (id) VALUES (?)`:                        false,
		`UPDATE sessions SET last_seen_at = ?, ip = ? WHERE id = ?`:   false,
		`UPDATE sessions SET revoked_at = ? WHERE id = ?`:             true,
		`DELETE FROM memberships WHERE account_id = ?`:                true,
		`UPDATE billing_accounts SET seq = seq + 1`:                   false,
		`UPDATE agency_clients SET enabled = ? WHERE client_id = ?`:   true,
		"\n\t\tUPDATE links SET status = 'active'":                    true,
		`INSERT INTO client_users_view (x) VALUES (1)`:                false,
		`WITH x AS (SELECT 1) UPDATE users SET name = ? WHERE id = ?`: true,
	} {
		if got := touchesAuth(q); got != want {
			t.Errorf("touchesAuth(%q) = %v, want %v", q, got, want)
		}
	}
}
