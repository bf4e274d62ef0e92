// Package server assembles Liaison: it opens the database, builds the domain
// services, mounts the API, the pages and the operations endpoints, and runs
// the HTTP server and the job runner until told to stop.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/liaison-dev/liaison/internal/accessreq"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/liaison-dev/liaison/internal/account"
	"github.com/liaison-dev/liaison/internal/activity"
	"github.com/liaison-dev/liaison/internal/agency"
	"github.com/liaison-dev/liaison/internal/api"
	"github.com/liaison-dev/liaison/internal/audit"
	"github.com/liaison-dev/liaison/internal/auth"
	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/billing"
	"github.com/liaison-dev/liaison/internal/branding"
	"github.com/liaison-dev/liaison/internal/client"
	"github.com/liaison-dev/liaison/internal/clientbilling"
	"github.com/liaison-dev/liaison/internal/clientgroup"
	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/config"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/digest"
	"github.com/liaison-dev/liaison/internal/impersonation"
	"github.com/liaison-dev/liaison/internal/invite"
	"github.com/liaison-dev/liaison/internal/jobs"
	"github.com/liaison-dev/liaison/internal/link"
	"github.com/liaison-dev/liaison/internal/mail"
	"github.com/liaison-dev/liaison/internal/metricdata"
	"github.com/liaison-dev/liaison/internal/password"
	"github.com/liaison-dev/liaison/internal/ratelimit"
	"github.com/liaison-dev/liaison/internal/report"
	"github.com/liaison-dev/liaison/internal/requestctx"
	"github.com/liaison-dev/liaison/internal/schedule"
	"github.com/liaison-dev/liaison/internal/signup"
	"github.com/liaison-dev/liaison/internal/source"
	"github.com/liaison-dev/liaison/internal/web"
	"github.com/liaison-dev/liaison/internal/webhook"
	"github.com/liaison-dev/liaison/internal/webhook/outbox"
)

// App is a running Liaison: its database, services and HTTP handler.
type App struct {
	Config  config.Config
	DB      *db.DB
	Jobs    *jobs.Queue
	Mailer  *mail.Mailer
	Auth    *auth.Service
	Signups *signup.Service // sign-up, setup, `admin create` (issue 22)
	Audit   *audit.Log
	API     *api.API
	Handler http.Handler
	Log     *slog.Logger
	Now     clock.Clock

	// Branding is the white-label portal (tests run its domain re-check).
	Branding *branding.Service
	// Impersonation is Login As (its sweep is a job; tests call it).
	Impersonation *impersonation.Service
	// Digest sends the weekly health digests (a job; tests call it).
	Digest *digest.Service
	// Activity records page views in batches; Close writes what is queued.
	Activity *activity.Service
	// Clients holds the client list; Close waits for its refreshes running
	// behind the readers (clientlist/behind.go).
	Clients *client.Service
	// Data is the brands' metric data (issue 16).
	Data *metricdata.Service
	// Reports is the brands' reports (issue 16).
	Reports *report.Service
	// Schedules sends scheduled report e-mails (a job; tests call Run).
	Schedules *schedule.Service
	// Links ends access whose end date came (the access.expiry job; tests
	// call RunEnds).
	Links *link.Service

	// Webhooks is the agencies' signed webhooks (issue 21); HookJobs is
	// the queue that sends their deliveries (Serve runs it with Jobs).
	Webhooks *webhook.Service
	HookJobs *jobs.Queue

	// AuditKey signs the audit trail (ops.go).
	AuditKey *audit.Key

	leader *leaseHolder // exports the database-wide gauges (metrics.go)
}

// Options are the parts tests may replace.
type Options struct {
	Now clock.Clock
	Log *slog.Logger
	// AccessLog takes the one line per request (nil: Log). serve gives it
	// a buffered writer: a write(2) per request was a tenth of /me's CPU.
	AccessLog      *slog.Logger
	PasswordParams *password.Params // nil: password.Default
	MailSender     mail.Sender      // nil: from the configuration

	// Resolver looks up custom domains' TXT records; nil: the system's.
	Resolver branding.Resolver

	// AuditKey replaces the key loaded from the configuration (ops.go).
	AuditKey *audit.Key

	// NoDigestJob leaves the weekly health digest out of the job runner.
	// Test servers set it (testkit): on a Monday morning every test's
	// agency would otherwise get a digest in its outbox; the digest's own
	// tests call App.Digest.Run.
	NoDigestJob bool
	// NoScheduleJob leaves the scheduled report e-mails out of the job
	// runner (test servers: their tests call App.Schedules.Run).
	NoScheduleJob bool
}

// New opens the database, runs migrations and builds the App.
func New(ctx context.Context, cfg config.Config, o Options) (*App, error) {
	if o.Now == nil {
		o.Now = clock.Real
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if _, ok := o.Log.Handler().(requestctx.LogHandler); !ok {
		// Every line logged during a request names it.
		o.Log = slog.New(requestctx.NewLogHandler(o.Log.Handler()))
	}
	d, err := db.OpenWith(ctx, cfg.DatabaseURL, cfg.SQLitePath(), db.Options{SQLiteMmap: cfg.SQLiteMmapMB << 20})
	if err != nil {
		return nil, err
	}
	n, err := d.Migrate(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if n > 0 {
		o.Log.Info("migrations applied", "count", n, "engine", d.Dialect())
	}
	// At start, which is also after migrations (db.Optimize).
	if err := d.Optimize(ctx, true); err != nil {
		o.Log.Warn("database optimize", "err", err)
	}
	app, err := build(cfg, d, o)
	if err != nil {
		d.Close()
		return nil, err
	}
	return app, nil
}

func build(cfg config.Config, d *db.DB, o Options) (*App, error) {
	q := jobs.New(d, o.Now, o.Log)
	m, err := mail.New(d, q, o.Now, mail.Config{BaseURL: cfg.BaseURL, SMTPURL: cfg.SMTPURL, Sender: o.MailSender}, o.Log)
	if err != nil {
		return nil, err
	}
	params := password.Default
	if o.PasswordParams != nil {
		params = *o.PasswordParams
	}
	limiter := ratelimit.New(d, o.Now)
	authSvc := auth.New(d, password.NewHasher(params, 0), limiter, m, o.Now,
		auth.Config{BaseURL: cfg.BaseURL, OpenSignup: cfg.OpenSignup, Hooks: authHooks}, o.Log)
	signups := signup.New(d, authSvc, limiter, o.Now)
	auditLog := audit.NewLog(d)
	auditLog.SetClock(o.Now)
	invites := invite.New(d, m, authSvc, authz.New(d), o.Now, cfg.BaseURL)
	brands := branding.New(d, o.Now, m, branding.Config{BaseURL: cfg.BaseURL, Resolver: o.Resolver}, o.Log)
	imp := impersonation.New(d, m, o.Now, cfg.BaseURL, o.Log)
	clients := client.New(d, o.Now)       // one instance: its counts cache is shared
	acts := activity.New(d, o.Now, o.Log) // one instance: the API's and the pages'
	digests := digest.New(d, clients, m, o.Now, cfg.BaseURL, o.Log)
	bills := billing.New(d, o.Now)
	if err := bills.RecordPrices(context.Background(), billing.Prices{MonthlyCents: cfg.PriceMonthlyCents, AnnualCents: cfg.PriceAnnualCents}); err != nil {
		return nil, fmt.Errorf("billing prices: %w", err)
	}
	billingDetails := clientbilling.New(d, o.Now)
	data := metricdata.New(d, o.Now)
	reports := report.New(d, data, o.Now)
	groups := clientgroup.New(d, o.Now)
	sources := source.New(d, data, o.Now)
	links := link.New(d, m, o.Now, cfg.BaseURL)
	requests := accessreq.New(d, m, o.Now, cfg.BaseURL)
	schedules := schedule.New(d, authz.New(d), reports, brands, m, o.Now, cfg.BaseURL, o.Log)
	hooks := webhook.New(d, o.Now, webhook.Config{AllowLoopback: cfg.WebhookAllowLoopback})
	// Deliveries are queued by internal/webhook/outbox in each event's
	// transaction; this job sends them (issue 21). A queue of its own
	// (claims pick only the kinds a queue handles): an agency's slow
	// endpoint, up to 10 s an attempt, then holds webhook workers only,
	// never the workers that send e-mail.
	hookQ := jobs.New(d, o.Now, o.Log)
	hookQ.Workers = 4
	hookQ.Handle(outbox.Job, hooks.Handle)
	q.Every("webhook.cleanup", 24*time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		_, err := hooks.Cleanup(ctx)
		return err
	})
	a := api.New(api.Deps{Billing: bills, Activity: acts, Digest: digests, Impersonation: imp, Auth: authSvc, Signups: signups, Agency: agency.New(d, o.Now), Accounts: account.NewService(d), Authz: authz.New(d), Audit: auditLog,
		Mailer: m, Links: links, AccessRequests: requests, Clients: clients, Invites: invites, SecureCookies: cfg.SecureCookies(), Log: o.Log,
		Branding: brands, ClientBilling: billingDetails, Data: data, Reports: reports, Sources: sources, Schedules: schedules, ClientGroups: groups, Webhooks: hooks})
	pages, err := web.New(web.Deps{Audit: auditLog, Billing: bills, Activity: acts, Impersonation: imp, Auth: authSvc, Signups: signups, Accounts: account.NewService(d), Authz: authz.New(d), Mailer: m,
		Agency: agency.New(d, o.Now), Links: links, AccessRequests: requests, Clients: clients,
		Invites: invites, Digest: digests, SecureCookies: cfg.SecureCookies(), BaseURL: cfg.BaseURL, Log: o.Log, Branding: brands,
		ClientBilling: billingDetails, Data: data, Reports: reports, Sources: sources, Schedules: schedules, ClientGroups: groups, Webhooks: hooks})
	if err != nil {
		return nil, err
	}
	app := &App{Config: cfg, DB: d, Jobs: q, Mailer: m, Auth: authSvc, Signups: signups, Audit: auditLog, API: a, Log: o.Log, Now: o.Now,
		Clients: clients}
	app.leader = newLeaseHolder(d, o.Now)
	app.Impersonation = imp
	app.Digest = digests
	app.Activity = acts
	app.Data = data
	app.Reports = reports
	app.Schedules = schedules
	app.Webhooks = hooks
	app.HookJobs = hookQ
	app.Links = links
	registerSweeps(q, d, limiter, authSvc)
	if app.AuditKey, err = registerAuditCheckpoints(cfg, d, q, o); err != nil {
		return nil, err
	}
	q.Every("invite.expire", 10*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		_, err := invites.Expire(ctx)
		return err
	})
	app.Branding = brands
	m.SetBrander(brands.MailBrand)
	m.SetClientBrander(brands.MailBrandFor) // per-client branding (issue 24)
	q.Every("portal.domains.recheck", time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		_, err := brands.Recheck(ctx)
		return err
	})
	// The weekly health digest: each run sends the digests whose Monday
	// 08:00 has come (digest_sends keeps it to one per agency and week).
	if !o.NoDigestJob {
		q.Every("health.digest", 15*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
			_, err := digests.Run(ctx)
			return err
		})
	}
	// Scheduled report e-mails: each run sends the occurrences that have
	// come (report_deliveries keeps each recipient to one e-mail each).
	if !o.NoScheduleJob {
		q.Every("report.schedules", 5*time.Minute, func(ctx context.Context, _ json.RawMessage) error {
			_, err := schedules.Run(ctx)
			return err
		})
	}
	// Access that expires (issue 21): each run sends the 7-day and 1-day
	// notices due and ends the grants whose end date came; each notice and
	// each end happens once however many processes run it (link/ends_job.go).
	q.Every("access.expiry", time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		_, err := links.RunEnds(ctx)
		return err
	})
	q.Every("impersonation.sweep", time.Minute, func(ctx context.Context, _ json.RawMessage) error {
		_, err := imp.Sweep(ctx)
		return err
	})

	mux := http.NewServeMux()
	mux.Handle("/api/", a)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", app.readyz)
	mux.Handle("GET /brand/", brands.Handler())
	mux.Handle("/", pages)
	access := o.AccessLog
	if access == nil {
		access = o.Log
	} else if _, ok := access.Handler().(requestctx.LogHandler); !ok {
		access = slog.New(requestctx.NewLogHandler(access.Handler()))
	}
	app.Handler = observe(o.Log, access, cfg.TrustedProxies, securityHeaders(cfg.SecureCookies(), checkInput(sameOrigin(authenticate(authSvc, cfg.SecureCookies(),
		impersonate(imp, cfg.SecureCookies(), o.Log, brands.HostMiddleware(recordRoute(mux))))))))
	app.Handler = app.withMetrics(app.Handler)
	return app, nil
}

// registerSweeps schedules the periodic clean-ups.
func registerSweeps(q *jobs.Queue, d *db.DB, l *ratelimit.Limiter, a *auth.Service) {
	q.Every("ratelimit.sweep", time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		_, err := l.Sweep(ctx)
		return err
	})
	q.Every("auth.sweep", 24*time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		_, err := a.Sweep(ctx)
		return err
	})
	// SQLite's planner statistics, kept current as tables grow (db.Optimize).
	q.Every("db.optimize", 3*time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		return d.Optimize(ctx, false)
	})
	q.Every("jobs.cleanup", 24*time.Hour, func(ctx context.Context, _ json.RawMessage) error {
		_, err := q.Cleanup(ctx)
		return err
	})
}

func (app *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := app.DB.Ping(ctx); err != nil {
		app.notReady(w, r, "database unreachable", err)
		return
	}
	// A database that answers reads may still take no writes (a full
	// disk, read-only, its write connections failing).
	if err := app.DB.CheckWrites(ctx); err != nil {
		app.notReady(w, r, "database takes no writes", err)
		return
	}
	pending, err := app.DB.Pending(ctx)
	if err != nil || pending {
		http.Error(w, "migrations pending", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (app *App) notReady(w http.ResponseWriter, r *http.Request, why string, err error) {
	app.Log.WarnContext(r.Context(), "readyz: not ready", "reason", why, "err", err)
	w.Header().Set("Retry-After", "5")
	http.Error(w, why, http.StatusServiceUnavailable)
}

// Close writes the page views still queued, stops the client list's
// refreshes behind the readers after their current batch, and releases
// the database.
func (app *App) Close() error {
	app.Activity.Close()
	app.Clients.StopBehind()
	return app.DB.Close()
}

// Serve runs the HTTP server on ln and the job runner until ctx is
// cancelled, then shuts both down gracefully: in-flight requests finish
// (up to 15 s) and running jobs finish or release their leases.
func (app *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: app.Handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(app.Log.Handler(), slog.LevelWarn)}
	jobsDone := make(chan error, 2)
	jctx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	go func() { jobsDone <- app.Jobs.Run(jctx) }()
	go func() { jobsDone <- app.HookJobs.Run(jctx) }()
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	stopMetrics, err := app.serveMetrics(srvErr)
	if err != nil {
		_ = srv.Close()
		stopJobs()
		<-jobsDone
		<-jobsDone
		return err
	}
	defer stopMetrics()
	app.Log.Info("liaison listening", "addr", ln.Addr().String(), "base_url", app.Config.BaseURL, "engine", app.DB.Dialect())
	select {
	case <-ctx.Done():
	case err = <-srvErr:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if e := srv.Shutdown(sctx); e != nil && err == nil {
		err = e
	}
	stopJobs()
	<-jobsDone
	<-jobsDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// ListenAndServe listens on the configured address and serves.
func (app *App) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", app.Config.Addr)
	if err != nil {
		return fmt.Errorf("LIAISON_ADDR: cannot listen on %s: %w", app.Config.Addr, err)
	}
	return app.Serve(ctx, ln)
}
