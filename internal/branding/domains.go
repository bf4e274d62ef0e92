package branding

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/mail"
)

// Custom domains (SPEC §7): an agency claims a domain, publishes a TXT
// record _liaison.<domain> holding the domain's token, and verifies it. A
// request whose Host is a verified domain gets that agency's portal; the
// agency's e-mails link to it. A job re-checks pending domains hourly and
// verified ones daily; a verified domain whose record disappears becomes
// "lost" and the agency's admins get an e-mail.

// Resolver looks up TXT records. *net.Resolver satisfies it; tests give one
// that asks a DNS server on loopback.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

type systemResolver struct{}

func (systemResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return net.DefaultResolver.LookupTXT(ctx, name)
}

// Domain statuses.
const (
	DomainPending  = "pending"
	DomainVerified = "verified"
	DomainLost     = "lost"
)

// Domain is one custom domain of an agency.
type Domain struct {
	Domain     string     `json:"domain" db:"domain"`
	Status     string     `json:"status" db:"status" enum:"pending,verified,lost"`
	TXTName    string     `json:"txt_name" doc:"Publish a TXT record with this name …"`
	TXTValue   string     `json:"txt_value" db:"token" doc:"… and this value"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	CheckedAt  *time.Time `json:"checked_at"`
	VerifiedAt *time.Time `json:"verified_at"`
	LastError  string     `json:"last_error" db:"last_error"`
	AgencyID   string     `json:"-" db:"agency_id"`
	Checked    db.Time    `json:"-" db:"checked_at"`
	Verified   db.Time    `json:"-" db:"verified_at"`
}

func (d *Domain) fill() {
	d.TXTName = "_liaison." + d.Domain
	d.CheckedAt, d.VerifiedAt = d.Checked.Ptr(), d.Verified.Ptr()
	d.CreatedAt = d.CreatedAt.UTC()
}

const domainCols = `domain, agency_id, token, status, created_at, checked_at, verified_at, last_error`

// NormalizeHost turns a Host header into the domain it names: lower case,
// without the port and without a trailing dot. "" when it is not a name.
func NormalizeHost(host string) string {
	host = strings.TrimSpace(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "" || strings.ContainsAny(host, "[]:/ ") {
		return ""
	}
	return host
}

// cleanDomain checks a domain an agency claims: a DNS name of at least two
// labels, letters, digits and hyphens, not an address and not this
// server's own host.
func (s *Service) cleanDomain(in string) (string, error) {
	d := NormalizeHost(in)
	bad := errs.InvalidField("domain", "Give a domain name like portal.example.com (no https://, no path).")
	if d == "" || len(d) > 253 || net.ParseIP(d) != nil || strings.Contains(in, "/") {
		return "", bad
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", bad
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", bad
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad
			}
		}
	}
	if d == s.baseHost {
		return "", errs.InvalidField("domain", "This is the server's own address; choose a domain of your own.")
	}
	return d, nil
}

// ErrDomainTaken: one domain belongs to one agency (SPEC §10: 409).
var ErrDomainTaken = errs.E(errs.Conflict, "domain_taken", "This domain is already in use by a portal.")

// MaxDomains bounds an agency's custom domains.
const MaxDomains = 10

// AddDomain claims a domain for the agency (admins only); it is pending
// until its TXT record is verified.
func (s *Service) AddDomain(ctx context.Context, a *authz.Actor, rel authz.Relation, domain string) (Domain, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Domain{}, err
	}
	d, err := s.cleanDomain(domain)
	if err != nil {
		return Domain{}, err
	}
	out := Domain{Domain: d, AgencyID: agencyID, Status: DomainPending, TXTValue: "liaison-verify=" + id.Secret()[:32]}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM custom_domains WHERE agency_id = ?`, agencyID); err != nil {
			return err
		}
		if n >= MaxDomains {
			return errs.E(errs.Unprocessable, "too_many_domains", "A portal may have at most %d custom domains.", MaxDomains)
		}
		out.CreatedAt = s.now()
		_, err := tx.Exec(ctx, `INSERT INTO custom_domains (domain, agency_id, token, status, created_at, last_error)
			VALUES (?, ?, ?, 'pending', ?, '')`, d, agencyID, out.TXTValue, out.CreatedAt)
		if errors.Is(err, db.ErrUnique) {
			return ErrDomainTaken
		}
		if err != nil {
			return err
		}
		return record(ctx, tx, out.CreatedAt, a, agencyID, "portal.domain.add", d, nil, map[string]any{"domain": d})
	})
	out.fill()
	return out, err
}

// Domains lists the agency's custom domains (every member reads them).
func (s *Service) Domains(ctx context.Context, rel authz.Relation) ([]Domain, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return nil, err
	}
	var out []Domain
	if err := s.db.Select(ctx, &out, `SELECT `+domainCols+` FROM custom_domains WHERE agency_id = ? ORDER BY domain`, agencyID); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].fill()
	}
	return out, nil
}

func getDomain(ctx context.Context, q db.Querier, agencyID, domain string) (Domain, error) {
	var d Domain
	err := q.Get(ctx, &d, `SELECT `+domainCols+` FROM custom_domains WHERE domain = ? AND agency_id = ?`,
		NormalizeHost(domain), agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return Domain{}, errs.ErrNotFound
	}
	d.fill()
	return d, err
}

// DeleteDomain gives a domain up (admins only).
func (s *Service) DeleteDomain(ctx context.Context, a *authz.Actor, rel authz.Relation, domain string) error {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		d, err := getDomain(ctx, tx, agencyID, domain)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM custom_domains WHERE domain = ?`, d.Domain); err != nil {
			return err
		}
		return record(ctx, tx, s.now(), a, agencyID, "portal.domain.delete", d.Domain, map[string]any{"domain": d.Domain, "status": d.Status}, nil)
	})
}

// lookup asks DNS for the domain's record. found: the token is published;
// gone: DNS answered that it is not (no such name, or no matching record);
// neither: DNS could not answer (a timeout, a server failure), which
// changes nothing.
func (s *Service) lookup(ctx context.Context, d Domain) (found, gone bool, problem string) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	txts, err := s.resolver.LookupTXT(ctx, "_liaison."+d.Domain)
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		for _, t := range txts {
			if strings.TrimSpace(t) == d.TXTValue {
				return true, false, ""
			}
		}
		return false, true, fmt.Sprintf("The TXT record _liaison.%s does not hold %s.", d.Domain, d.TXTValue)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return false, true, fmt.Sprintf("There is no TXT record _liaison.%s yet.", d.Domain)
	default:
		return false, false, "DNS did not answer; we will try again."
	}
}

// VerifyDomain checks the domain's TXT record now (admins only) and
// answers the domain with its new status.
func (s *Service) VerifyDomain(ctx context.Context, a *authz.Actor, rel authz.Relation, domain string) (Domain, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Domain{}, err
	}
	d, err := getDomain(ctx, s.db, agencyID, domain)
	if err != nil {
		return Domain{}, err
	}
	found, gone, problem := s.lookup(ctx, d)
	if err := s.apply(ctx, a, d, found, gone, problem); err != nil {
		return Domain{}, err
	}
	return getDomain(ctx, s.db, agencyID, d.Domain)
}

// apply records the outcome of one check: verified when found; lost (from
// verified, with an e-mail to the agency's admins) when gone; otherwise
// only the time and the problem.
func (s *Service) apply(ctx context.Context, a *authz.Actor, d Domain, found, gone bool, problem string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		status := d.Status
		switch {
		case found:
			status = DomainVerified
		case gone && d.Status == DomainVerified:
			status = DomainLost
		}
		verifiedAt := d.VerifiedAt
		if status == DomainVerified && d.Status != DomainVerified {
			verifiedAt = &now
		}
		// Conditional on the status read, so that a concurrent check or
		// deletion wins cleanly instead of being overwritten.
		res, err := tx.Exec(ctx, `UPDATE custom_domains SET status = ?, checked_at = ?, verified_at = ?, last_error = ?
			WHERE domain = ? AND agency_id = ? AND status = ?`, status, now, verifiedAt, problem, d.Domain, d.AgencyID, d.Status)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 || status == d.Status {
			return nil
		}
		if err := record(ctx, tx, now, a, d.AgencyID, "portal.domain."+status, d.Domain,
			map[string]any{"status": d.Status}, map[string]any{"status": status}); err != nil {
			return err
		}
		if status == DomainLost {
			return s.mailLoss(ctx, tx, d)
		}
		return nil
	})
}

// mailLoss tells the agency's admins that their domain stopped verifying.
func (s *Service) mailLoss(ctx context.Context, tx *db.Tx, d Domain) error {
	admins, err := account.Admins(ctx, tx, d.AgencyID)
	if err != nil {
		return err
	}
	for _, ad := range admins {
		e := mail.Email{Template: "domain_lost", To: ad.Email, AccountID: d.AgencyID, Data: map[string]any{
			"Name": ad.Name, "Domain": d.Domain, "TXTName": "_liaison." + d.Domain, "TXTValue": d.TXTValue,
			"URL": s.baseURL + "/app/portal"}}
		if err := s.mailer.Send(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// Recheck is the periodic job: every pending or lost domain, and every
// verified one not checked for a day. It answers how many it checked.
func (s *Service) Recheck(ctx context.Context) (int, error) {
	var due []Domain
	if err := s.db.Select(ctx, &due, `SELECT `+domainCols+` FROM custom_domains
		WHERE status <> 'verified' OR checked_at IS NULL OR checked_at <= ? ORDER BY domain LIMIT 1000`,
		s.now().Add(-23*time.Hour)); err != nil {
		return 0, err
	}
	for _, d := range due {
		d.fill()
		found, gone, problem := s.lookup(ctx, d)
		if err := s.apply(ctx, nil, d, found, gone, problem); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// AgencyForHost returns the agency whose verified custom domain the Host
// header names, or "" (the plain portal) for any other host: unknown,
// pending, lost, or the server's own.
func (s *Service) AgencyForHost(ctx context.Context, host string) (string, error) {
	if id, ok := HostAgency(ctx); ok {
		return id, nil // resolved once per request by HostMiddleware
	}
	h := NormalizeHost(host)
	if h == "" || h == s.baseHost || net.ParseIP(h) != nil || h == "localhost" {
		return "", nil
	}
	var agencyID string
	err := s.db.Get(ctx, &agencyID, `SELECT agency_id FROM custom_domains WHERE domain = ? AND status = 'verified'`, h)
	if errors.Is(err, db.ErrNoRows) {
		return "", nil
	}
	return agencyID, err
}

// ForHost is the brand of the Host: its agency's when it is a verified
// custom domain, the plain portal otherwise.
func (s *Service) ForHost(ctx context.Context, host string) (Brand, error) {
	agencyID, err := s.AgencyForHost(ctx, host)
	if err != nil || agencyID == "" {
		return s.Plain(), err
	}
	return s.For(ctx, agencyID)
}
