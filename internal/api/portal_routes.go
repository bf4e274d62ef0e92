package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/branding"
)

// The white-label portal (SPEC §7, §10): an agency's branding, logos and
// custom domains, and the public branding of the current Host.

type portalOut struct{ Body branding.Portal }

type portalPutIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		PortalName          *string `json:"portal_name,omitempty" maxLength:"400" doc:"At most 80 characters; empty: the agency's name"`
		PrimaryColor        *string `json:"primary_color,omitempty" maxLength:"20" doc:"#rrggbb; 400 low_contrast when white text on it is below 4.5:1"`
		AccentColor         *string `json:"accent_color,omitempty" maxLength:"20" doc:"#rrggbb"`
		WelcomeMessage      *string `json:"welcome_message,omitempty" maxLength:"10000" doc:"At most 2000 characters; **bold**, *italic*, [links](https://…)"`
		SenderName          *string `json:"sender_name,omitempty" maxLength:"400"`
		SenderEmail         *string `json:"sender_email,omitempty" maxLength:"320"`
		SupportEmail        *string `json:"support_email,omitempty" maxLength:"320"`
		HideLiaisonBranding *bool   `json:"hide_liaison_branding,omitempty"`
	}
}

type logoIn struct {
	ID      string `path:"id" maxLength:"64"`
	Slot    string `path:"slot" enum:"light,dark,mobile"`
	RawBody []byte `contentType:"application/octet-stream"`
}

type logoPath struct {
	ID   string `path:"id" maxLength:"64"`
	Slot string `path:"slot" enum:"light,dark,mobile"`
}

type domainsOut struct {
	Body struct {
		Domains    []branding.Domain `json:"domains"`
		NextCursor string            `json:"next_cursor"`
	}
}

type domainOut struct{ Body branding.Domain }

type domainAddIn struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Domain string `json:"domain" maxLength:"300" doc:"e.g. portal.example.com"`
	}
}

type domainPath struct {
	ID     string `path:"id" maxLength:"64"`
	Domain string `path:"domain" maxLength:"300"`
}

// PublicPortal is the branding a visitor of a host sees (GET /api/v1/portal):
// nothing about the agency beyond what its login page shows.
type PublicPortal struct {
	Branded             bool           `json:"branded" doc:"false: the host is not a verified custom domain (the plain portal)"`
	PortalName          string         `json:"portal_name"`
	PrimaryColor        string         `json:"primary_color"`
	AccentColor         string         `json:"accent_color"`
	WelcomeHTML         string         `json:"welcome_html" doc:"The welcome message, rendered and escaped"`
	SupportEmail        string         `json:"support_email"`
	HideLiaisonBranding bool           `json:"hide_liaison_branding"`
	Logos               branding.Logos `json:"logos"`
	ThemeURL            string         `json:"theme_url"`
}

type publicPortalOut struct{ Body PublicPortal }

type hostKey struct{}

// withHost hands the request's Host to the handler (huma inputs cannot
// read it: net/http moves it out of the headers).
func withHost(hc huma.Context, next func(huma.Context)) {
	r, _ := humago.Unwrap(hc)
	next(huma.WithValue(hc, hostKey{}, r.Host))
}

func (a *API) portalRoutes() {
	read := Access{Kind: Account, Action: authz.AgencyRead, Param: "id"}
	manage := Access{Kind: Account, Action: authz.AgencyManage, Param: "id"}
	svc := a.deps.Branding
	actor := authz.ActorFrom
	created := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusCreated; return o }
	noContent := func(o huma.Operation) huma.Operation { o.DefaultStatus = http.StatusNoContent; return o }

	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/portal", "portal-get", "The agency's portal branding", "portal"),
		func(ctx context.Context, in *idPath) (*portalOut, error) {
			p, err := svc.Get(ctx, RelationFrom(ctx))
			return &portalOut{Body: p}, err
		})
	o := op(http.MethodPut, "/api/v1/agencies/{id}/portal", "portal-put",
		"Save the portal branding; every field is optional, an omitted one keeps its value, an empty string restores the default", "portal")
	o.Description = "Validated as a whole; a 400 names the field at fault (low_contrast for a primary colour too light for white text) and nothing is saved."
	add(a, manage, o, func(ctx context.Context, in *portalPutIn) (*portalOut, error) {
		b := in.Body
		p, err := svc.Put(ctx, actor(ctx), RelationFrom(ctx), branding.Update{PortalName: b.PortalName, PrimaryColor: b.PrimaryColor,
			AccentColor: b.AccentColor, WelcomeMessage: b.WelcomeMessage, SenderName: b.SenderName, SenderEmail: b.SenderEmail,
			SupportEmail: b.SupportEmail, HideLiaisonBranding: b.HideLiaisonBranding})
		return &portalOut{Body: p}, err
	})
	o = op(http.MethodPost, "/api/v1/agencies/{id}/portal/logos/{slot}", "portal-logo-upload",
		"Upload a logo: the image's bytes as the body (PNG, JPEG or WebP, at most 1 MiB and 2048×2048 px)", "portal")
	o.Description = "The type is read from the bytes, never from a name or header. 400 unsupported_image_type (SVG, HTML, anything else), " +
		"invalid_image, logo_too_large, logo_dimensions. Answers the branding with the new logo's URL."
	o.MaxBodyBytes = branding.MaxLogoBytes + 1
	add(a, manage, o, func(ctx context.Context, in *logoIn) (*portalOut, error) {
		p, err := svc.UploadLogo(ctx, actor(ctx), RelationFrom(ctx), in.Slot, in.RawBody)
		return &portalOut{Body: p}, err
	})
	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/agencies/{id}/portal/logos/{slot}", "portal-logo-delete",
		"Remove a logo; the portal shows its name instead", "portal")),
		func(ctx context.Context, in *logoPath) (*empty, error) {
			return nil, svc.DeleteLogo(ctx, actor(ctx), RelationFrom(ctx), in.Slot)
		})

	add(a, read, op(http.MethodGet, "/api/v1/agencies/{id}/portal/domains", "portal-domain-list", "The agency's custom domains", "portal"),
		func(ctx context.Context, in *idPath) (*domainsOut, error) {
			ds, err := svc.Domains(ctx, RelationFrom(ctx))
			out := &domainsOut{}
			out.Body.Domains = orEmpty(ds)
			return out, err
		})
	add(a, manage, created(op(http.MethodPost, "/api/v1/agencies/{id}/portal/domains", "portal-domain-add",
		"Claim a custom domain; publish the TXT record it answers, then verify (409 domain_taken)", "portal")),
		func(ctx context.Context, in *domainAddIn) (*domainOut, error) {
			d, err := svc.AddDomain(ctx, actor(ctx), RelationFrom(ctx), in.Body.Domain)
			return &domainOut{Body: d}, err
		})
	add(a, manage, op(http.MethodPost, "/api/v1/agencies/{id}/portal/domains/{domain}/verify", "portal-domain-verify",
		"Look the domain's TXT record up now; answers the domain with its status (and last_error when not verified)", "portal"),
		func(ctx context.Context, in *domainPath) (*domainOut, error) {
			d, err := svc.VerifyDomain(ctx, actor(ctx), RelationFrom(ctx), in.Domain)
			return &domainOut{Body: d}, err
		})
	add(a, manage, noContent(op(http.MethodDelete, "/api/v1/agencies/{id}/portal/domains/{domain}", "portal-domain-delete",
		"Give a custom domain up", "portal")),
		func(ctx context.Context, in *domainPath) (*empty, error) {
			return nil, svc.DeleteDomain(ctx, actor(ctx), RelationFrom(ctx), in.Domain)
		})

	o = op(http.MethodGet, "/api/v1/portal", "portal-public", "The branding of the current Host (public): an agency's on its verified custom domain, the plain portal elsewhere", "portal")
	o.Middlewares = append(o.Middlewares, withHost)
	add(a, Access{Kind: Public}, o, func(ctx context.Context, _ *struct{}) (*publicPortalOut, error) {
		host, _ := ctx.Value(hostKey{}).(string)
		b, err := svc.ForHost(ctx, host)
		if err != nil {
			return nil, err
		}
		out := &publicPortalOut{Body: PublicPortal{Branded: b.Branded(), PortalName: b.Name, PrimaryColor: b.Primary,
			AccentColor: b.Accent, WelcomeHTML: string(b.Welcome), SupportEmail: b.SupportEmail,
			HideLiaisonBranding: b.HideLiaison, Logos: b.Logos, ThemeURL: b.ThemeURL}}
		return out, nil
	})
}
