package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/testkit"
)

// t0 is a moment of the real clock's last whole second plus 123,456 µs (a
// value with microseconds, which both engines keep exactly).
var t0 = time.Now().UTC().Truncate(time.Second).Add(123456 * time.Microsecond)

// appendOne appends e in a transaction of its own.
func appendOne(t *testing.T, d *db.DB, at time.Time, e audit.Entry) audit.Event {
	t.Helper()
	var ev audit.Event
	if err := d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		ev, err = audit.Append(context.Background(), tx, at, e)
		return err
	}); err != nil {
		t.Fatalf("append %s: %v", e.Action, err)
	}
	return ev
}

// seed appends n entries, one per transaction, and returns them in order.
func seed(t *testing.T, d *db.DB, n int) []audit.Event {
	t.Helper()
	evs := make([]audit.Event, n)
	for i := range evs {
		evs[i] = appendOne(t, d, t0.Add(time.Duration(i)*time.Second), audit.Entry{
			AccountID: "acc_a", ActorID: "usr_1", Action: fmt.Sprintf("thing.%d", i),
			After: map[string]int{"n": i},
		})
	}
	return evs
}

// reset empties the log, for tamper cases that share one database.
func reset(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := d.Exec(ctx, `DELETE FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `UPDATE audit_head SET seq = 0, hash = '' WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
}

func mustVerify(t *testing.T, d *db.DB, want int) {
	t.Helper()
	n, brk, err := audit.Verify(context.Background(), d)
	if err != nil || brk != nil || n != want {
		t.Fatalf("verify: checked %d (want %d), break %v, err %v", n, want, brk, err)
	}
}

func TestAppendAndVerify(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		mustVerify(t, d, 0) // an empty log is a valid chain

		first := appendOne(t, d, t0.Add(987*time.Nanosecond), audit.Entry{
			AccountID: "acc_a", ActorID: "usr_1", ImpersonatorID: "usr_agency", Action: "client.seats.update",
			TargetID: "acc_a", IP: "192.0.2.1", Before: map[string]int{"seats": 5},
			After: json.RawMessage(`{ "seats" : 10 }`),
		})
		if first.Seq != 1 || !strings.HasPrefix(first.ID, "aud_") || !first.At.Equal(t0) {
			t.Fatalf("first event: %+v", first)
		}
		if string(first.Before) != `{"seats":5}` || string(first.After) != `{"seats":10}` {
			t.Fatalf("before/after not compact JSON: %s %s", first.Before, first.After)
		}
		// Several entries in one transaction chain as well.
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			for _, a := range []string{"session.login", "session.logout"} {
				if _, err := audit.Append(ctx, tx, t0.Add(time.Minute), audit.Entry{AccountID: "acc_a", Action: a}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Append(ctx, nil, t0, audit.Entry{}); err == nil {
			t.Fatal("an entry without an action was accepted")
		}
		mustVerify(t, d, 3)

		evs, _, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_a"}})
		if err != nil || len(evs) != 3 {
			t.Fatalf("list: %v %v", evs, err)
		}
		got := evs[2]
		if got.ID != first.ID || !got.At.Equal(first.At) || *got.ImpersonatorID != "usr_agency" ||
			got.IP != "192.0.2.1" || string(got.After) != `{"seats":10}` {
			t.Fatalf("read back %+v, appended %+v", got, first)
		}
		// The API shape: empty before/after and absent IDs are null.
		b, err := json.Marshal(evs[0])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for _, k := range []string{"before", "after", "actor_id", "impersonator_id"} {
			if v, ok := m[k]; !ok || v != nil {
				t.Errorf("%s: want null, got %v in %s", k, v, b)
			}
		}
		if _, ok := m["seq"]; ok {
			t.Errorf("seq is exposed: %s", b)
		}
	})
}

func TestRollbackLeavesNoEntry(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seed(t, d, 2)
		boom := errors.New("boom")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := audit.Append(ctx, tx, t0, audit.Entry{AccountID: "acc_a", Action: "doomed"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		evs, _, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_a"}, Action: "doomed"})
		if err != nil || len(evs) != 0 {
			t.Fatalf("rolled-back entry visible: %v %v", evs, err)
		}
		next := appendOne(t, d, t0, audit.Entry{AccountID: "acc_a", Action: "after"})
		if next.Seq != 3 {
			t.Fatalf("entry after a rollback has seq %d, want 3", next.Seq)
		}
		mustVerify(t, d, 3)
	})
}

func TestListFilters(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		add := func(sec float64, acc, actor, action string) string {
			return appendOne(t, d, t0.Add(time.Duration(sec*float64(time.Second))),
				audit.Entry{AccountID: acc, ActorID: actor, Action: action}).ID
		}
		a1 := add(0, "acc_a", "usr_1", "session.login")
		a2 := add(1.5, "acc_a", "usr_2", "session.logout")
		a3 := add(3, "acc_a", "usr_1", "sessions.purge") // not under "session."
		a4 := add(4.25, "acc_a", "usr_2", "session")
		b1 := add(5, "acc_b", "usr_1", "session.login")
		add(6, "", "usr_1", "session.login") // no account: in no one's scope

		cases := []struct {
			name string
			f    audit.Filter
			want []string
		}{
			{"scope A", audit.Filter{AccountIDs: []string{"acc_a"}}, []string{a4, a3, a2, a1}},
			{"scope B", audit.Filter{AccountIDs: []string{"acc_b"}}, []string{b1}},
			{"scope A and B", audit.Filter{AccountIDs: []string{"acc_a", "acc_b"}}, []string{b1, a4, a3, a2, a1}},
			{"empty scope", audit.Filter{}, nil},
			{"unknown account", audit.Filter{AccountIDs: []string{"acc_zzz"}}, nil},
			{"action exact", audit.Filter{AccountIDs: []string{"acc_a"}, Action: "session.login"}, []string{a1}},
			{"action exact no prefix", audit.Filter{AccountIDs: []string{"acc_a"}, Action: "session"}, []string{a4}},
			{"action prefix", audit.Filter{AccountIDs: []string{"acc_a"}, Action: "session."}, []string{a2, a1}},
			{"action prefix is case-sensitive", audit.Filter{AccountIDs: []string{"acc_a"}, Action: "SESSION."}, nil},
			{"action wildcard is literal", audit.Filter{AccountIDs: []string{"acc_a"}, Action: "session%"}, nil},
			{"actor", audit.Filter{AccountIDs: []string{"acc_a"}, Actor: "usr_2"}, []string{a4, a2}},
			{"actor and scope", audit.Filter{AccountIDs: []string{"acc_b"}, Actor: "usr_2"}, nil},
			{"since is inclusive", audit.Filter{AccountIDs: []string{"acc_a"}, Since: t0.Add(1500 * time.Millisecond)}, []string{a4, a3, a2}},
			{"since just after", audit.Filter{AccountIDs: []string{"acc_a"}, Since: t0.Add(1500*time.Millisecond + time.Microsecond)}, []string{a4, a3}},
			{"since in another zone", audit.Filter{AccountIDs: []string{"acc_a"}, Since: t0.Add(4 * time.Second).In(time.FixedZone("X", -5*3600))}, []string{a4}},
			{"all filters", audit.Filter{AccountIDs: []string{"acc_a", "acc_b"}, Action: "session.", Actor: "usr_1", Since: t0.Add(time.Second)}, []string{b1}},
		}
		for _, c := range cases {
			evs, next, err := audit.List(ctx, d, c.f)
			if err != nil || next != "" {
				t.Errorf("%s: next %q err %v", c.name, next, err)
				continue
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.ID)
				if e.AccountID == nil || !contains(c.f.AccountIDs, *e.AccountID) {
					t.Errorf("%s: event of account %v outside scope %v", c.name, e.AccountID, c.f.AccountIDs)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
	})
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestListPaging(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		seed(t, d, 7)
		appendOne(t, d, t0, audit.Entry{AccountID: "acc_b", Action: "thing.b"}) // interleaved, other scope
		appendOne(t, d, t0, audit.Entry{AccountID: "acc_a", Action: "thing.7"})

		var got []int64
		cursor, pages := "", 0
		for {
			page, next, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_a"}, Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range page {
				got = append(got, e.Seq)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		want := []int64{9, 7, 6, 5, 4, 3, 2, 1}
		if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
			t.Fatalf("pages %d, seqs %v, want %v", pages, got, want)
		}

		_, _, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_a"}, Cursor: "not a cursor!"})
		if e := errs.As(err); e == nil || e.Kind != errs.Invalid || e.Field != "cursor" {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestListLimits(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := 0; i < audit.MaxLimit+1; i++ {
				if _, err := audit.Append(ctx, tx, t0, audit.Entry{AccountID: "acc_a", Action: "bulk"}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ limit, want int }{{0, audit.DefaultLimit}, {-1, audit.DefaultLimit}, {1000, audit.MaxLimit}, {audit.MaxLimit + 1, audit.MaxLimit}} {
			evs, next, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_a"}, Limit: c.limit})
			if err != nil || len(evs) != c.want || next == "" {
				t.Errorf("limit %d: %d events (want %d), next %q, err %v", c.limit, len(evs), c.want, next, err)
			}
		}
		mustVerify(t, d, audit.MaxLimit+1)
	})
}

func TestVerifyDetectsTampering(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		cases := []struct {
			name    string
			tamper  func(evs []audit.Event)
			wantSeq int64
			wantID  func(evs []audit.Event) string
		}{
			{"edit after_json", func([]audit.Event) {
				exec(`UPDATE audit_events SET after_json = '{"n":99}' WHERE seq = 3`)
			}, 3, idAt(2)},
			{"edit action", func([]audit.Event) {
				exec(`UPDATE audit_events SET action = 'thing.x' WHERE seq = 3`)
			}, 3, idAt(2)},
			{"edit time", func([]audit.Event) {
				exec(`UPDATE audit_events SET at = ? WHERE seq = 2`, t0.Add(time.Hour))
			}, 2, idAt(1)},
			{"null becomes empty", func([]audit.Event) {
				exec(`UPDATE audit_events SET impersonator_id = '' WHERE seq = 4`)
			}, 4, idAt(3)},
			{"edit first entry", func([]audit.Event) {
				exec(`UPDATE audit_events SET ip = '203.0.113.9' WHERE seq = 1`)
			}, 1, idAt(0)},
			{"edit with forged hash", func([]audit.Event) {
				// A forger who recomputes the edited entry's hash breaks the
				// link to the next entry instead.
				h, err := audit.ForgeHash(ctx, d, 2, "forged")
				if err != nil {
					t.Fatal(err)
				}
				exec(`UPDATE audit_events SET action = 'forged', hash = ? WHERE seq = 2`, h)
			}, 3, idAt(2)},
			{"delete middle row", func([]audit.Event) {
				exec(`DELETE FROM audit_events WHERE seq = 3`)
			}, 4, idAt(3)},
			{"delete first row", func([]audit.Event) {
				exec(`DELETE FROM audit_events WHERE seq = 1`)
			}, 2, idAt(1)},
			{"delete last row", func([]audit.Event) {
				exec(`DELETE FROM audit_events WHERE seq = 5`)
			}, 5, func([]audit.Event) string { return "" }},
			{"delete everything", func([]audit.Event) {
				exec(`DELETE FROM audit_events`)
			}, 1, func([]audit.Event) string { return "" }},
			{"delete last row and rewind head", func([]audit.Event) {
				// Without the old head's hash the rewound head is caught.
				exec(`DELETE FROM audit_events WHERE seq = 5`)
				exec(`UPDATE audit_head SET seq = 4 WHERE id = 1`)
			}, 4, idAt(3)},
			{"swap two rows (reorder)", func([]audit.Event) {
				exec(`UPDATE audit_events SET seq = -1 WHERE seq = 2`)
				exec(`UPDATE audit_events SET seq = 2 WHERE seq = 3`)
				exec(`UPDATE audit_events SET seq = 3 WHERE seq = -1`)
			}, 2, idAt(2)},
			{"row inserted beyond the head", func([]audit.Event) {
				exec(`INSERT INTO audit_events (seq, id, at, action, prev_hash, hash) VALUES (6, 'aud_fake', ?, 'x', ?, 'h')`,
					t0, "")
			}, 6, func([]audit.Event) string { return "aud_fake" }},
			{"head hash edited", func([]audit.Event) {
				exec(`UPDATE audit_head SET hash = 'abc' WHERE id = 1`)
			}, 5, idAt(4)},
		}
		for _, c := range cases {
			reset(t, d)
			evs := seed(t, d, 5)
			mustVerify(t, d, 5)
			c.tamper(evs)
			n, brk, err := audit.Verify(ctx, d)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if brk == nil {
				t.Errorf("%s: not detected (checked %d)", c.name, n)
				continue
			}
			if brk.Seq != c.wantSeq || brk.ID != c.wantID(evs) || brk.Reason == "" {
				t.Errorf("%s: break %v, want seq %d id %q", c.name, brk, c.wantSeq, c.wantID(evs))
			}
			t.Logf("%s: %v", c.name, brk)
		}
	})
}

// idAt returns the ID of the i-th seeded event (seq i+1).
func idAt(i int) func([]audit.Event) string {
	return func(evs []audit.Event) string { return evs[i].ID }
}

func TestVerifyStreamsLongChains(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		n := audit.VerifyPage*2 + 7 // crosses page boundaries
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			for i := 0; i < n; i++ {
				if _, err := audit.Append(ctx, tx, t0.Add(time.Duration(i)*time.Millisecond), audit.Entry{Action: "bulk", After: i}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, d, n)
		// A break in the second page is found and counted correctly.
		if _, err := d.Exec(ctx, `UPDATE audit_events SET after_json = '0' WHERE seq = ?`, audit.VerifyPage+3); err != nil {
			t.Fatal(err)
		}
		checked, brk, err := audit.Verify(ctx, d)
		if err != nil || brk == nil || brk.Seq != audit.VerifyPage+3 || checked != audit.VerifyPage+2 {
			t.Fatalf("checked %d, break %v, err %v", checked, brk, err)
		}
	})
}

func TestConcurrentAppenders(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		const n = 20
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errc <- d.InTx(ctx, func(tx *db.Tx) error {
					_, err := audit.Append(ctx, tx, time.Now(), audit.Entry{AccountID: "acc_a", ActorID: fmt.Sprintf("usr_%d", i), Action: "race"})
					return err
				})
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		mustVerify(t, d, n)
		evs, _, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_a"}, Limit: 100})
		if err != nil || len(evs) != n {
			t.Fatalf("list: %d events, err %v", len(evs), err)
		}
		for i, e := range evs {
			if e.Seq != int64(n-i) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
		}
	})
}

// An entry's agency (migration 00016) is hashed with it: adding, removing
// or changing it breaks the chain at that entry; and List with an AgencyID
// keeps that agency's entries and those of none (issue 15: one agency's
// view of a client it shares).
func TestAgencyIsHashedAndScopesTheList(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		for _, c := range []struct {
			name   string
			tamper string
		}{
			{"agency removed", `UPDATE audit_events SET agency_id = NULL WHERE seq = 2`},
			{"agency changed", `UPDATE audit_events SET agency_id = 'acc_other' WHERE seq = 2`},
			{"agency added", `UPDATE audit_events SET agency_id = 'acc_x' WHERE seq = 1`},
		} {
			reset(t, d)
			own := appendOne(t, d, t0, audit.Entry{AccountID: "acc_c", ActorID: "usr_c", Action: "client.own"})
			byX := appendOne(t, d, t0, audit.Entry{AccountID: "acc_c", ActorID: "usr_x", AgencyID: "acc_x", Action: "client.by_x"})
			byY := appendOne(t, d, t0, audit.Entry{AccountID: "acc_c", ActorID: "usr_y", AgencyID: "acc_y", Action: "client.by_y"})
			mustVerify(t, d, 3)
			evs, _, err := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_c"}, AgencyID: "acc_x"})
			if err != nil || len(evs) != 2 || evs[0].ID != byX.ID || evs[1].ID != own.ID {
				t.Fatalf("list for acc_x: %v %+v", err, evs)
			}
			if all, _, _ := audit.List(ctx, d, audit.Filter{AccountIDs: []string{"acc_c"}}); len(all) != 3 || all[0].ID != byY.ID {
				t.Fatalf("list for the client: %+v", all)
			}
			if _, err := d.Exec(ctx, c.tamper); err != nil {
				t.Fatal(err)
			}
			if _, brk, err := audit.Verify(ctx, d); err != nil || brk == nil {
				t.Errorf("%s: not detected (%v)", c.name, err)
			}
		}
	})
}
