// Package branding is the white-label portal of SPEC §7: an agency's
// branding (portal name, colours, welcome message, sender, support address,
// hiding Liaison's own name), its logos, its custom domains verified by DNS,
// and the choice of agency and brand a client user sees in the portal.
//
// Other packages use it through one accessor:
//
//	b, err := svc.For(ctx, agencyID) // a Brand: name, colours, logo URLs, sender, base URL
//	b.Email(&e)                      // an e-mail sent in the agency's name, logo and colours
//	b.BaseURL                        // where the agency's links point: https://<verified domain> or LIAISON_BASE_URL
//	svc.BaseURL(ctx, tx, agencyID)   // the same, alone, inside the caller's transaction
//	branding.HostAgency(ctx)         // the agency whose verified domain the request came on
//
// E-mails need none of this: set mail.Email.BrandAgencyID and the Mailer
// brands them and moves their LIAISON_BASE_URL links to the agency's domain.
//
// Plain() is the unbranded Liaison portal, used for unknown hosts and for
// agency staff. Changes go through Service methods that take the caller's
// checked authz.Relation; they write audit entries (and e-mails) in the
// same transaction.
package branding

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// Defaults of a portal that set nothing: Liaison's own colours (those of
// web/static/css/app.css).
const (
	DefaultPrimary = "#2563eb"
	DefaultAccent  = "#f59e0b"
	// PlainName is the product's own name, shown only where no agency's
	// branding applies.
	PlainName = "Liaison"
)

// Service manages branding, logos and custom domains.
type Service struct {
	db       *db.DB
	now      clock.Clock
	mailer   *mail.Mailer
	resolver Resolver
	baseURL  string // LIAISON_BASE_URL, without a trailing slash
	baseHost string // its host name, lower case
	log      *slog.Logger
}

// Config configures the Service.
type Config struct {
	BaseURL string
	// Resolver looks up TXT records; nil uses the system's (net.DefaultResolver).
	Resolver Resolver
}

// New returns the branding service.
func New(d *db.DB, now clock.Clock, m *mail.Mailer, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{db: d, now: now, mailer: m, resolver: cfg.Resolver, baseURL: strings.TrimRight(cfg.BaseURL, "/"), log: log}
	if s.resolver == nil {
		s.resolver = systemResolver{}
	}
	if u, err := url.Parse(s.baseURL); err == nil {
		s.baseHost = strings.ToLower(u.Hostname())
	}
	return s
}

// Portal is an agency's branding as its admins edit it
// (GET/PUT /api/v1/agencies/{id}/portal).
type Portal struct {
	AgencyID            string     `json:"agency_id"`
	PortalName          string     `json:"portal_name" doc:"Shown in titles, headers and e-mails; the agency's name when empty"`
	PrimaryColor        string     `json:"primary_color" doc:"#rrggbb; white text on it must reach WCAG AA contrast (4.5:1)"`
	AccentColor         string     `json:"accent_color" doc:"#rrggbb"`
	WelcomeMessage      string     `json:"welcome_message" doc:"Plain text with **bold**, *italic*, [links](https://…) and blank lines between paragraphs"`
	SenderName          string     `json:"sender_name" doc:"Display name of the e-mails; the portal name when empty"`
	SenderEmail         string     `json:"sender_email" doc:"Address the e-mails come from; the server's when empty"`
	SupportEmail        string     `json:"support_email" doc:"Where clients write for help"`
	HideLiaisonBranding bool       `json:"hide_liaison_branding" doc:"No trace of the name Liaison anywhere a client looks"`
	Logos               Logos      `json:"logos"`
	ThemeURL            string     `json:"theme_url" doc:"The stylesheet setting the portal's colours"`
	UpdatedAt           *time.Time `json:"updated_at"`
}

// Logos are the URLs of an agency's logos on our origin ("" when none).
type Logos struct {
	Light  string `json:"light"`
	Dark   string `json:"dark"`
	Mobile string `json:"mobile"`
}

type portalRow struct {
	AgencyName   string  `db:"agency_name"`
	PortalName   *string `db:"portal_name"`
	Primary      *string `db:"primary_color"`
	Accent       *string `db:"accent_color"`
	Welcome      *string `db:"welcome_message"`
	SenderName   *string `db:"sender_name"`
	SenderEmail  *string `db:"sender_email"`
	SupportEmail *string `db:"support_email"`
	Hide         *bool   `db:"hide_liaison_branding"`
	UpdatedAt    db.Time `db:"updated_at"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// load reads an agency's stored branding (zero values when it saved none)
// and its name; ErrNotFound when the account is not an agency.
// Load reads an agency's portal settings in q (the caller's transaction,
// say) and the agency's name; settings left unset are empty. Other
// packages that present themselves as the agency (invitations) read them
// here.
func Load(ctx context.Context, q db.Querier, agencyID string) (Portal, string, error) {
	return load(ctx, q, agencyID)
}

func load(ctx context.Context, q db.Querier, agencyID string) (Portal, string, error) {
	var r portalRow
	err := q.Get(ctx, &r, `SELECT a.name AS agency_name, p.portal_name, p.primary_color, p.accent_color, p.welcome_message,
		p.sender_name, p.sender_email, p.support_email, p.hide_liaison_branding, p.updated_at
		FROM accounts a LEFT JOIN agency_portal p ON p.agency_id = a.id WHERE a.id = ? AND a.kind = 'agency'`, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return Portal{}, "", errs.ErrNotFound
	}
	if err != nil {
		return Portal{}, "", fmt.Errorf("branding: load %s: %w", agencyID, err)
	}
	p := Portal{AgencyID: agencyID, PortalName: str(r.PortalName), PrimaryColor: str(r.Primary), AccentColor: str(r.Accent),
		WelcomeMessage: str(r.Welcome), SenderName: str(r.SenderName), SenderEmail: str(r.SenderEmail),
		SupportEmail: str(r.SupportEmail), UpdatedAt: r.UpdatedAt.Ptr()}
	if r.Hide != nil {
		p.HideLiaisonBranding = *r.Hide
	}
	return p, r.AgencyName, nil
}

func need(rel authz.Relation, action authz.Action) (string, error) {
	if !rel.Visible() || rel.AccountKind != "agency" {
		return "", errs.ErrNotFound
	}
	if !authz.Allowed(rel.Role, action) {
		return "", errs.ErrForbidden
	}
	return rel.AccountID, nil
}

// Get returns the agency's branding (every agency member reads it).
func (s *Service) Get(ctx context.Context, rel authz.Relation) (Portal, error) {
	agencyID, err := need(rel, authz.AgencyRead)
	if err != nil {
		return Portal{}, err
	}
	return s.portal(ctx, s.db, agencyID)
}

func (s *Service) portal(ctx context.Context, q db.Querier, agencyID string) (Portal, error) {
	p, _, err := load(ctx, q, agencyID)
	if err != nil {
		return Portal{}, err
	}
	b, err := s.brand(ctx, q, agencyID)
	if err != nil {
		return Portal{}, err
	}
	p.Logos, p.ThemeURL = b.Logos, b.ThemeURL
	return p, nil
}

// Update changes some of the branding: a nil field keeps its value, an
// empty string restores the default.
type Update struct {
	PortalName, PrimaryColor, AccentColor, WelcomeMessage *string
	SenderName, SenderEmail, SupportEmail                 *string
	HideLiaisonBranding                                   *bool
}

// Limits of the text fields, in characters.
const (
	MaxPortalName = 80
	MaxWelcome    = 2000
)

func set(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

// Validate checks a whole branding and normalises it in place; the error
// names the first field at fault (SPEC §10: 400, nothing changed).
func (p *Portal) Validate() error {
	var err error
	if p.PortalName, err = cleanLine("portal_name", p.PortalName, MaxPortalName); err != nil {
		return err
	}
	if p.SenderName, err = cleanLine("sender_name", p.SenderName, MaxPortalName); err != nil {
		return err
	}
	for _, c := range []struct {
		field string
		v     *string
	}{{"primary_color", &p.PrimaryColor}, {"accent_color", &p.AccentColor}} {
		if strings.TrimSpace(*c.v) == "" {
			*c.v = ""
			continue
		}
		v, ok := parseColour(*c.v)
		if !ok {
			return errs.InvalidField(c.field, "Give a colour as # and six hexadecimal digits, like #1a2b3c.")
		}
		*c.v = v
	}
	if p.PrimaryColor != "" {
		if c := Contrast(p.PrimaryColor, "#ffffff"); c < MinTextContrast {
			return &errs.Error{Kind: errs.Invalid, Code: "low_contrast", Field: "primary_color", Message: fmt.Sprintf(
				"White text on %s is hard to read (contrast %.1f:1, at least %.1f:1 is needed): choose a darker primary colour.",
				p.PrimaryColor, c, MinTextContrast)}
		}
	}
	p.WelcomeMessage = strings.TrimSpace(strings.ReplaceAll(p.WelcomeMessage, "\r\n", "\n"))
	if utf8.RuneCountInString(p.WelcomeMessage) > MaxWelcome || !utf8.ValidString(p.WelcomeMessage) {
		return errs.InvalidField("welcome_message", "Keep the welcome message under %d characters.", MaxWelcome)
	}
	for _, r := range p.WelcomeMessage {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return errs.InvalidField("welcome_message", "The welcome message contains a control character.")
		}
	}
	for _, a := range []struct {
		field string
		v     *string
	}{{"sender_email", &p.SenderEmail}, {"support_email", &p.SupportEmail}} {
		v := strings.ToLower(strings.TrimSpace(*a.v))
		if v != "" {
			addr, err := netmail.ParseAddress(v)
			if err != nil || addr.Address != v || addr.Name != "" || !strings.Contains(v[strings.LastIndexByte(v, '@'):], ".") {
				return errs.InvalidField(a.field, "Give a plain e-mail address, like help@example.com.")
			}
		}
		*a.v = v
	}
	return nil
}

// cleanLine trims a one-line text and checks its length and characters.
func cleanLine(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", errs.InvalidField(field, "Use at most %d characters.", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", errs.InvalidField(field, "Use a single line without control characters.")
		}
	}
	return s, nil
}

// Put applies u to the agency's branding (admins only), validates the
// result and saves it with an audit entry.
func (s *Service) Put(ctx context.Context, a *authz.Actor, rel authz.Relation, u Update) (Portal, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Portal{}, err
	}
	var out Portal
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if tx.Dialect() == db.Postgres { // serialise partial updates of one agency
			if _, err := tx.Exec(ctx, `SELECT id FROM accounts WHERE id = ? FOR NO KEY UPDATE`, agencyID); err != nil {
				return err
			}
		}
		before, _, err := load(ctx, tx, agencyID)
		if err != nil {
			return err
		}
		after := before
		set(&after.PortalName, u.PortalName)
		set(&after.PrimaryColor, u.PrimaryColor)
		set(&after.AccentColor, u.AccentColor)
		set(&after.WelcomeMessage, u.WelcomeMessage)
		set(&after.SenderName, u.SenderName)
		set(&after.SenderEmail, u.SenderEmail)
		set(&after.SupportEmail, u.SupportEmail)
		if u.HideLiaisonBranding != nil {
			after.HideLiaisonBranding = *u.HideLiaisonBranding
		}
		if err := after.Validate(); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO agency_portal (agency_id, portal_name, primary_color, accent_color, welcome_message,
			sender_name, sender_email, support_email, hide_liaison_branding, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (agency_id) DO UPDATE SET portal_name = excluded.portal_name, primary_color = excluded.primary_color,
			accent_color = excluded.accent_color, welcome_message = excluded.welcome_message, sender_name = excluded.sender_name,
			sender_email = excluded.sender_email, support_email = excluded.support_email,
			hide_liaison_branding = excluded.hide_liaison_branding, updated_at = excluded.updated_at`,
			agencyID, after.PortalName, after.PrimaryColor, after.AccentColor, after.WelcomeMessage, after.SenderName,
			after.SenderEmail, after.SupportEmail, after.HideLiaisonBranding, now); err != nil {
			return err
		}
		before.UpdatedAt, after.UpdatedAt = nil, nil
		if err := record(ctx, tx, now, a, agencyID, "portal.update", agencyID, before, after); err != nil {
			return err
		}
		out, err = s.portal(ctx, tx, agencyID)
		return err
	})
	return out, err
}

// record appends an audit entry for a change made by a (nil: the system).
func record(ctx context.Context, tx *db.Tx, now time.Time, a *authz.Actor, accountID, action, target string, before, after any) error {
	e := audit.Entry{AccountID: accountID, Action: action, TargetID: target, Before: before, After: after}
	return audit.AppendAs(ctx, tx, now, a, e)
}

// Brand is everything a page or an e-mail needs to look like one agency's
// portal, or like the plain Liaison portal (AgencyID "").
type Brand struct {
	AgencyID     string
	Name         string // the portal name (the agency's name when unset)
	Primary      string // #rrggbb
	PrimaryHover string
	Accent       string
	Logos        Logos  // URL paths on our origin; "" when none
	ThemeURL     string // the stylesheet with the colours; "" for the plain portal
	SenderName   string
	SenderEmail  string // "" keeps the server's sender address
	SupportEmail string
	HideLiaison  bool
	Welcome      template.HTML
	// BaseURL is where this agency's links point: https://<its verified
	// custom domain> (the scheme of LIAISON_BASE_URL), or LIAISON_BASE_URL.
	BaseURL string
	// FullscreenLogo is the logo of the full-screen report view: a
	// client's own (client.go), else the light one.
	FullscreenLogo string
	// ClientBranded is set when a client's own branding is over the
	// agency's (client.go).
	ClientBranded bool
}

// Plain is the unbranded portal.
func (s *Service) Plain() Brand {
	return Brand{Name: PlainName, Primary: DefaultPrimary, PrimaryHover: darken(DefaultPrimary, 0.15), Accent: DefaultAccent,
		SenderName: PlainName, BaseURL: s.baseURL}
}

// Branded reports whether the brand is an agency's.
func (b Brand) Branded() bool { return b.AgencyID != "" }

// ShowLiaison reports whether the page may name Liaison (the plain portal,
// or an agency that does not hide it).
func (b Brand) ShowLiaison() bool { return !b.HideLiaison }

// For returns an agency's brand. It does not check access: what it returns
// is what the agency shows its clients anyway. ErrNotFound when agencyID is
// not an agency.
func (s *Service) For(ctx context.Context, agencyID string) (Brand, error) {
	return s.brand(ctx, s.db, agencyID)
}

func (s *Service) brand(ctx context.Context, q db.Querier, agencyID string) (Brand, error) {
	p, agencyName, err := load(ctx, q, agencyID)
	if err != nil {
		return Brand{}, err
	}
	b := Brand{AgencyID: agencyID, Name: p.PortalName, Primary: p.PrimaryColor, Accent: p.AccentColor,
		SenderName: p.SenderName, SenderEmail: p.SenderEmail, SupportEmail: p.SupportEmail,
		HideLiaison: p.HideLiaisonBranding, Welcome: RenderWelcome(p.WelcomeMessage), BaseURL: s.baseURL}
	if b.Name == "" {
		b.Name = agencyName
	}
	if b.Primary == "" {
		b.Primary = DefaultPrimary
	}
	if b.Accent == "" {
		b.Accent = DefaultAccent
	}
	b.PrimaryHover = darken(b.Primary, 0.15)
	if b.SenderName == "" {
		b.SenderName = b.Name
	}
	if b.Logos, err = logoURLs(ctx, q, agencyID); err != nil {
		return Brand{}, err
	}
	b.FullscreenLogo = b.Logos.Light
	b.ThemeURL = themeURL(agencyID, b)
	if b.BaseURL, err = s.BaseURL(ctx, q, agencyID); err != nil {
		return Brand{}, err
	}
	return b, nil
}

// domainURL is the base URL of a verified custom domain: the scheme of
// LIAISON_BASE_URL, the domain, no port (a custom domain is served on the
// default port by whatever terminates TLS in front of us).
func (s *Service) domainURL(domain string) string {
	scheme := "https"
	if strings.HasPrefix(s.baseURL, "http://") {
		scheme = "http"
	}
	return scheme + "://" + domain
}

// Email brands an e-mail: the agency's sender, name, colour and logo, and
// its base URL for the footer. Links in Data are the caller's (build them
// from b.BaseURL).
func (b Brand) Email(e *mail.Email) {
	data := make(map[string]any, len(e.Data)+4)
	for k, v := range e.Data {
		data[k] = v
	}
	data["BrandName"] = b.Name
	data["BrandColor"] = b.Primary
	data["BaseURL"] = b.BaseURL
	if b.Logos.Light != "" {
		data["BrandLogo"] = b.BaseURL + b.Logos.Light
	}
	e.Data = data
	if b.Branded() {
		e.FromName = b.SenderName
		if b.SenderEmail != "" {
			e.FromAddr = b.SenderEmail
		}
	}
}

// MailBrand is the mail.Brander: how the agency's e-mails look, read in
// the caller's transaction.
func (s *Service) MailBrand(ctx context.Context, q db.Querier, agencyID string) (mail.Brand, error) {
	b, err := s.brand(ctx, q, agencyID)
	if err != nil {
		return mail.Brand{}, err
	}
	mb := mail.Brand{Name: b.Name, Color: b.Primary, BaseURL: b.BaseURL, FromName: b.SenderName, FromAddr: b.SenderEmail}
	if b.Logos.Light != "" {
		mb.Logo = b.BaseURL + b.Logos.Light
	}
	return mb, nil
}

type hostAgencyKey struct{}

// HostAgency returns the agency whose verified custom domain the request
// came on ("" for any other host), as set by HostMiddleware.
func HostAgency(ctx context.Context) (string, bool) {
	if s, ok := requestctx.HostAgency(ctx); ok {
		return s, true
	}
	s, ok := ctx.Value(hostAgencyKey{}).(string)
	return s, ok
}

// HostMiddleware resolves the request's Host once: pages and the API read
// the agency with HostAgency, and e-mails sent during the request (a
// password reset asked for on the agency's domain) carry its brand.
func (s *Service) HostMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		agencyID, err := s.AgencyForHost(r.Context(), r.Host)
		if err != nil {
			s.log.WarnContext(r.Context(), "branding: host lookup", "host", r.Host, "err", err)
		}
		// Kept in the request's Info when it has one (every request
		// through the server): no context layer, no copy of the request
		// (issue 23). A custom domain's request needs its brand in the
		// context for e-mails, and so a copy.
		ctx := r.Context()
		if !requestctx.SetHostAgency(ctx, agencyID) {
			ctx = context.WithValue(ctx, hostAgencyKey{}, agencyID)
		}
		if agencyID == "" && ctx == r.Context() {
			next.ServeHTTP(w, r)
			return
		}
		if agencyID != "" {
			ctx = mail.WithBrand(ctx, agencyID)
		}
		r2 := r.WithContext(ctx)
		next.ServeHTTP(w, r2)
		r.Pattern = r2.Pattern // the metrics read the route the mux matched on the outer request
	})
}

// BaseURL is where an agency's links point (invitation, reset and portal
// links): its verified custom domain, else LIAISON_BASE_URL. An unknown
// agency gets LIAISON_BASE_URL.
func (s *Service) BaseURL(ctx context.Context, q db.Querier, agencyID string) (string, error) {
	var domain string
	err := q.Get(ctx, &domain, `SELECT domain FROM custom_domains WHERE agency_id = ? AND status = 'verified'
		ORDER BY verified_at, domain LIMIT 1`, agencyID)
	switch {
	case errors.Is(err, db.ErrNoRows):
		return s.baseURL, nil
	case err != nil:
		return "", err
	}
	return s.domainURL(domain), nil
}
