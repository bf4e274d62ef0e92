// Package seed fills a Liaison database with many clients, straight in SQL
// and in big transactions, for the client-list load runs (bench/clients.sh)
// and benchmarks (internal/api/bench_clients_test.go).
//
// The main agency has an admin (who sees every client), a few staff members
// with access lists, a group and brands; its clients are linked to it by
// active links (half with access "entire agency"), some also to another
// agency, some revoked, about a quarter nobody has joined (pending), the
// others with one to three users and up to two brands. Other agencies have
// clients of their own, and a few old disconnected links to the main agency
// stay as history (invisible). Everything is deterministic for a given Seed
// except the random IDs.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/id"
)

// Options say how much to seed.
type Options struct {
	Clients       int    // clients of the main agency
	OtherAgencies int    // agencies besides the main one
	OtherClients  int    // clients of each other agency
	AdminEmail    string // the main agency's admin (lower case)
	AdminName     string
	PasswordHash  string // PHC string of every seeded user's password
	AgencyName    string
	Seed          uint64
	Now           time.Time // UTC, truncated to microseconds
	// Events is about how many activity events (logins and page views over
	// the year before Now) the main agency's clients get in all: half of
	// the joined clients active in the last week, a quarter fading (last
	// seen 14–40 days ago), a quarter gone (50–300 days ago).
	Events int
}

// Result names what the load runs need.
type Result struct {
	AgencyID string
	AdminID  string
	Accounts int // rows written, for the record
	Users    int
	Links    int
}

// Common is a search term that matches about one client in twenty of the
// main agency (a word of the generated names), and some e-mails.
const Common = "harbor"

var (
	adjectives = []string{"Blue", "Red", "Green", "Silver", "Golden", "North", "South", "East", "West", "Bright",
		"Quiet", "Rapid", "Urban", "Rural", "Modern", "Classic", "Prime", "Global", "Local", "Happy"}
	nouns = []string{"Harbor", "River", "Mountain", "Forest", "Valley", "Bridge", "Garden", "Market", "Studio", "Kitchen",
		"Bakery", "Works", "Systems", "Labs", "Logistics", "Media", "Dental", "Fitness", "Motors", "Pharmacy"}
	suffixes = []string{"Ltd", "GmbH", "Inc", "& Co", "Group", "SARL", "BV", "LLC", "Partners", "AG"}
	first    = []string{"anna", "ben", "carla", "david", "emma", "felix", "greta", "hugo", "ines", "jonas",
		"karin", "leo", "maria", "nils", "olga", "paul", "rosa", "sven", "tina", "ugo"}
	brandNames = []string{"Acme", "Nimbus", "Orbit", "Pulse", "Quasar", "Zephyr", "Vertex", "Lumen", "Summit", "Cobalt",
		"Ember", "Tidal"}
)

// batch collects rows of one table and writes them as multi-row INSERTs.
// A full batch flushes every batch of its transaction, parents first, so
// foreign keys always find their rows.
type batch struct {
	ctx   context.Context
	tx    *db.Tx
	t     *tables
	table string
	cols  []string
	rows  []any
	n     int
	total int
}

func (t *tables) batch(ctx context.Context, tx *db.Tx, table string, cols ...string) *batch {
	return &batch{ctx: ctx, tx: tx, t: t, table: table, cols: cols}
}

// maxParams stays under SQLite's limit of bound parameters per statement
// (32766; PostgreSQL allows 65535).
const maxParams = 30000

func (b *batch) add(vals ...any) error {
	if len(vals) != len(b.cols) {
		return fmt.Errorf("seed: %s: %d values for %d columns", b.table, len(vals), len(b.cols))
	}
	b.rows = append(b.rows, vals...)
	b.n++
	b.total++
	if b.n >= min(1000, maxParams/len(b.cols)) {
		return b.t.flush()
	}
	return nil
}

func (b *batch) flush() error {
	if b.n == 0 {
		return nil
	}
	one := "(" + db.Placeholders(len(b.cols)) + ")"
	q := "INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+", ", b.n), ", ")
	_, err := b.tx.Exec(b.ctx, q, b.rows...)
	b.rows, b.n = b.rows[:0], 0
	if err != nil {
		return fmt.Errorf("seed: insert into %s: %w", b.table, err)
	}
	return nil
}

type tables struct {
	accounts, users, memberships, links, agencyClients, brands, clientBrands, linkUsers, groups, groupMembers, managers, events *batch
}

func (t *tables) all() []*batch {
	return []*batch{t.accounts, t.users, t.memberships, t.brands, t.groups, t.groupMembers, t.links, t.agencyClients,
		t.clientBrands, t.linkUsers, t.managers, t.events}
}

// flush writes every pending row, parents before children.
func (t *tables) flush() error {
	for _, b := range t.all() {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return nil
}

type seeder struct {
	o      Options
	r      *rand.Rand
	t      *tables
	users  int
	emailN int
}

// agency is one seeded agency: its ID, admin, brands and staff.
type agency struct {
	id     string
	admin  string
	brands []string
	staff  []string
	group  string
}

// Seed writes the data in one transaction per agency (the database must be
// migrated and hold no seeded data yet).
func Seed(ctx context.Context, d *db.DB, o Options) (Result, error) {
	s := &seeder{o: o, r: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
	var res Result
	var main agency
	var others []agency
	// The agencies, their admins, staff, groups and brands.
	err := s.inTx(ctx, d, func() error {
		var err error
		if main, err = s.agency(o.AgencyName, o.AdminEmail, o.AdminName, 5); err != nil {
			return err
		}
		for i := range o.OtherAgencies {
			a, err := s.agency(fmt.Sprintf("Other Agency %02d", i+1), fmt.Sprintf("admin%02d@other-agency.example", i+1),
				fmt.Sprintf("Other Admin %02d", i+1), 2)
			if err != nil {
				return err
			}
			others = append(others, a)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.AgencyID, res.AdminID = main.id, main.admin
	// The main agency's clients, in transactions of 2,000.
	for from := 0; from < o.Clients; from += 2000 {
		err := s.inTx(ctx, d, func() error {
			for i := from; i < min(from+2000, o.Clients); i++ {
				var also *agency
				if len(others) > 0 && s.r.IntN(30) == 0 {
					also = &others[s.r.IntN(len(others))]
				}
				if err := s.client(main, also, nil, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	// The other agencies' clients; one in fifty once had a link to the
	// main agency, now disconnected.
	for ai, a := range others {
		err := s.inTx(ctx, d, func() error {
			for i := range o.OtherClients {
				var history *agency
				if s.r.IntN(50) == 0 {
					history = &main
				}
				if err := s.client(a, nil, history, o.Clients+ai*o.OtherClients+i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	res.Accounts, res.Users, res.Links = s.t.accounts.total, s.t.users.total, s.t.links.total
	return res, nil
}

func (s *seeder) inTx(ctx context.Context, d *db.DB, fn func() error) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		t := &tables{}
		t.accounts = t.batch(ctx, tx, "accounts", "id", "kind", "name", "created_at", "updated_at")
		t.users = t.batch(ctx, tx, "users", "id", "email", "name", "password_hash", "created_at", "updated_at")
		t.memberships = t.batch(ctx, tx, "memberships", "account_id", "user_id", "role", "created_at")
		t.brands = t.batch(ctx, tx, "brands", "id", "agency_id", "name", "name_key", "created_at", "updated_at")
		t.groups = t.batch(ctx, tx, "agency_groups", "id", "agency_id", "name", "name_key", "created_at")
		t.groupMembers = t.batch(ctx, tx, "group_members", "group_id", "user_id")
		t.links = t.batch(ctx, tx, "links", "id", "agency_id", "client_id", "status", "initiated_by", "access_all",
			"created_at", "decided_at", "ended_at")
		t.agencyClients = t.batch(ctx, tx, "agency_clients", "agency_id", "client_id", "seats", "revoked_at", "created_at", "updated_at")
		t.clientBrands = t.batch(ctx, tx, "client_brands", "client_id", "brand_id", "created_at")
		t.linkUsers = t.batch(ctx, tx, "link_access_users", "link_id", "user_id")
		t.managers = t.batch(ctx, tx, "client_account_managers", "agency_id", "client_id", "user_id")
		t.events = t.batch(ctx, tx, "activity_events", "client_id", "user_id", "kind", "page", "at")
		if s.t != nil { // keep the totals across transactions
			for i, b := range t.all() {
				b.total = s.t.all()[i].total
			}
		}
		s.t = t
		if err := fn(); err != nil {
			return err
		}
		return t.flush()
	})
}

// at returns a time some seconds before now, so rows have distinct times.
func (s *seeder) at(back int) time.Time { return s.o.Now.Add(-time.Duration(back) * time.Second) }

func (s *seeder) user(email, name string) (string, error) {
	uid := id.New(id.User)
	s.users++
	return uid, s.t.users.add(uid, email, name, s.o.PasswordHash, s.at(s.users), s.at(s.users))
}

func (s *seeder) agency(name, adminEmail, adminName string, staff int) (agency, error) {
	a := agency{id: id.New(id.Account)}
	if err := s.t.accounts.add(a.id, "agency", name, s.at(1e6), s.at(1e6)); err != nil {
		return a, err
	}
	var err error
	if a.admin, err = s.user(adminEmail, adminName); err != nil {
		return a, err
	}
	if err := s.t.memberships.add(a.id, a.admin, "admin", s.at(1e6)); err != nil {
		return a, err
	}
	roles := []string{"account_manager", "member", "viewer"}
	for i := range staff {
		slug := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
		uid, err := s.user(fmt.Sprintf("staff%d@%s.example", i+1, slug), fmt.Sprintf("Staff %d", i+1))
		if err != nil {
			return a, err
		}
		if err := s.t.memberships.add(a.id, uid, roles[i%len(roles)], s.at(1e6-i)); err != nil {
			return a, err
		}
		a.staff = append(a.staff, uid)
	}
	a.group = id.New(id.Group)
	if err := s.t.groups.add(a.group, a.id, "Team", "team", s.at(1e6)); err != nil {
		return a, err
	}
	for _, u := range a.staff[:len(a.staff)/2] {
		if err := s.t.groupMembers.add(a.group, u); err != nil {
			return a, err
		}
	}
	for _, b := range brandNames {
		bid := id.New(id.Brand)
		if err := s.t.brands.add(bid, a.id, b, strings.ToLower(b), s.at(1e6), s.at(1e6)); err != nil {
			return a, err
		}
		a.brands = append(a.brands, bid)
	}
	return a, nil
}

// client seeds the i-th client of agency a, also linked to another agency
// when also is set, and with an old disconnected link to history when set.
func (s *seeder) client(a agency, also, history *agency, i int) error {
	r := s.r
	name := fmt.Sprintf("%s %s %s", adjectives[r.IntN(len(adjectives))], nouns[r.IntN(len(nouns))], suffixes[r.IntN(len(suffixes))])
	if r.IntN(3) == 0 {
		name += fmt.Sprintf(" %d", r.IntN(1000))
	}
	cid := id.New(id.Account)
	created := s.at(1e5 + i)
	if err := s.t.accounts.add(cid, "client", name, created, created); err != nil {
		return err
	}
	// Users: a quarter of the clients nobody has joined yet.
	var firstUser string
	if r.IntN(4) != 0 {
		domain := strings.ToLower(strings.NewReplacer(" ", "-", "&", "and").Replace(name)) + ".example"
		for j := range 1 + r.IntN(3) {
			s.emailN++
			f := first[r.IntN(len(first))]
			uid, err := s.user(fmt.Sprintf("%s.%d@%s", f, s.emailN, domain), strings.ToUpper(f[:1])+f[1:])
			if err != nil {
				return err
			}
			role := "member"
			if j == 0 {
				role, firstUser = "admin", uid
			}
			if err := s.t.memberships.add(cid, uid, role, created.Add(time.Duration(j+1)*time.Minute)); err != nil {
				return err
			}
		}
	}
	if firstUser != "" && i < s.o.Clients && s.o.Events > 0 {
		if err := s.activity(cid, firstUser); err != nil {
			return err
		}
	}
	for _, ag := range []*agency{&a, also} {
		if ag == nil {
			continue
		}
		if err := s.link(*ag, cid, "active", r.IntN(2) == 0, created); err != nil {
			return err
		}
		var revoked any
		if r.IntN(25) == 0 {
			revoked = s.o.Now.Add(-time.Hour)
		}
		if err := s.t.agencyClients.add(ag.id, cid, r.IntN(11), revoked, created, created); err != nil {
			return err
		}
		for _, k := range r.Perm(len(ag.brands))[:r.IntN(3)] {
			if err := s.t.clientBrands.add(cid, ag.brands[k], created); err != nil {
				return err
			}
		}
		if len(ag.staff) > 0 && r.IntN(10) == 0 {
			if err := s.t.managers.add(ag.id, cid, ag.staff[0]); err != nil {
				return err
			}
		}
	}
	if history != nil {
		return s.link(*history, cid, "disconnected", true, created.Add(-24*time.Hour))
	}
	return nil
}

// link writes a link; an active link without access_all names a staff
// member in its access list.
func (s *seeder) link(a agency, clientID, status string, all bool, at time.Time) error {
	lid := id.New(id.Link)
	var ended any
	if status == "disconnected" {
		ended = at.Add(time.Hour)
	}
	if err := s.t.links.add(lid, a.id, clientID, status, "agency", all, at, at, ended); err != nil {
		return err
	}
	if status == "active" && !all && len(a.staff) > 1 {
		return s.t.linkUsers.add(lid, a.staff[1+s.r.IntN(len(a.staff)-1)])
	}
	return nil
}

// pages are the portal pages the seeded page views name.
var pages = []string{"dashboard", "reports", "users", "agencies", "security", "profile", "billing"}

// activity writes one joined client's logins and page views.
func (s *seeder) activity(clientID, userID string) error {
	r := s.r
	n := s.o.Events * 4 / (3 * max(1, s.o.Clients)) // 3 clients in 4 have users
	var last float64                                // days before Now of the last event
	switch p := r.IntN(4); {
	case p < 2:
		last = r.Float64() * 7
	case p == 2:
		last = 14 + r.Float64()*26
	default:
		last = 50 + r.Float64()*250
	}
	span := 365 - last
	for range n {
		ago := last + r.Float64()*span
		at := s.o.Now.Add(-time.Duration(ago * float64(24*time.Hour))).Truncate(time.Microsecond)
		kind, page := "login", any(nil)
		if r.IntN(5) >= 3 {
			kind, page = "page_view", pages[r.IntN(len(pages))]
		}
		if err := s.t.events.add(clientID, userID, kind, page, at); err != nil {
			return err
		}
	}
	return nil
}
