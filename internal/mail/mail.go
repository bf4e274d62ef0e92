// Package mail renders Liaison's e-mails, keeps them in an outbox table and
// delivers them.
//
// Send renders an e-mail and, in the caller's transaction, writes its
// mail_outbox row and a "mail.deliver" job: the e-mail exists if and only if
// the change that caused it commits. The job then hands the row to the SMTP
// server (retried with backoff by the job queue while the server is away) or,
// with no SMTP URL configured, marks it delivered to the local outbox — the row
// itself is the copy the operator reads in the browser (SPEC §11).
package mail

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/clock"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/id"
	"github.com/liaison-dev/liaison/internal/jobs"
)

// Statuses of an outbox row.
const (
	StatusQueued = "queued"
	StatusSent   = "sent"
	StatusFailed = "failed"
)

// Transports a row was delivered by.
const (
	TransportSMTP  = "smtp"
	TransportLocal = "local"
)

// JobKind is the job that delivers one outbox row.
const JobKind = "mail.deliver"

// MaxAttempts is how many delivery attempts a message gets before its row is
// marked failed. With the queue's default backoff (5s doubling to 1h) that
// spans several hours of SMTP outage.
const MaxAttempts = 10

// Message is one outbox row.
type Message struct {
	ID        string     `json:"id"`
	AccountID string     `json:"account_id,omitempty"`
	Template  string     `json:"template"`
	To        string     `json:"to"`
	FromName  string     `json:"from_name"`
	FromAddr  string     `json:"from_addr"`
	Subject   string     `json:"subject"`
	HTML      string     `json:"html"`
	Text      string     `json:"text"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	Transport string     `json:"transport,omitempty"`
	// Attachments are read by deliver only (attach.go).
	Attachments []Attachment `json:"-"`
	// MessageID is the Message-ID header, fixed when the row is written so
	// that every attempt sends the same one ("" on rows from before it was
	// stored: the sender derives it from ID as it always did).
	MessageID string `json:"-"`
	// AttemptStarted is set while a delivery attempt is under way (it is
	// committed before the SMTP conversation starts); a run that finds it
	// set knows the last attempt died midway.
	AttemptStarted *time.Time `json:"-"`
	// Interrupted counts attempts that died midway: each is a message that
	// may have reached the receiver twice.
	Interrupted int `json:"-"`
}

// Email is what a caller asks to send.
type Email struct {
	Template  string         // a name from Templates(), e.g. "password_reset"
	To        string         // one address; stored lower-cased
	AccountID string         // the account the e-mail is about, if any (for the outbox page)
	Data      map[string]any // the template's values; links must be complete URLs
	// FromName and FromAddr override the configured sender, e.g. with an
	// agency's branding (SPEC §7).
	FromName, FromAddr string
	// BrandAgencyID sends the e-mail in that agency's brand (brand.go).
	BrandAgencyID string
	// Attachments go with the message (attach.go).
	Attachments []Attachment
	// BrandClientID, with BrandAgencyID, sends it in that agency's brand
	// as the client's portal wears it: the client's own name and logo
	// where the agency gave it some (issue 24; brand.go).
	BrandClientID string
}

// Config configures a Mailer.
type Config struct {
	BaseURL  string // LIAISON_BASE_URL; offered to templates as BaseURL
	FromName string // default "Liaison"
	FromAddr string // default liaison@<host of BaseURL>
	SMTPURL  string // LIAISON_SMTP_URL; "" keeps e-mails in the local outbox
	// Sender, when set, replaces the one built from SMTPURL (tests, or another
	// transport); its rows are marked with transport "smtp".
	Sender Sender
}

// Mailer sends e-mails through the outbox.
type Mailer struct {
	d      *db.DB
	q      *jobs.Queue
	now    clock.Clock
	cfg    Config
	sender Sender // nil: local outbox
	log    *slog.Logger

	brander Brander // nil: plain e-mails (brand.go)
	// clientBrander brands e-mails that name a client (BrandClientID).
	clientBrander ClientBrander
}

// New returns a Mailer and registers the "mail.deliver" handler on q.
func New(d *db.DB, q *jobs.Queue, now clock.Clock, cfg Config, log *slog.Logger) (*Mailer, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.FromName == "" {
		cfg.FromName = DefaultBrandName
	}
	if cfg.FromAddr == "" {
		host := "localhost"
		if u, err := url.Parse(cfg.BaseURL); err == nil && u.Hostname() != "" && strings.Contains(u.Hostname(), ".") {
			host = u.Hostname()
		}
		cfg.FromAddr = "liaison@" + host
	}
	if _, err := cleanAddr(cfg.FromAddr); err != nil {
		return nil, fmt.Errorf("mail: sender address %q: %w", cfg.FromAddr, err)
	}
	m := &Mailer{d: d, q: q, now: now, cfg: cfg, sender: cfg.Sender, log: log}
	if m.sender == nil && cfg.SMTPURL != "" {
		s, err := NewSMTPSender(cfg.SMTPURL)
		if err != nil {
			return nil, err
		}
		m.sender = s
	}
	if _, err := load(); err != nil {
		return nil, err
	}
	q.Handle(JobKind, m.deliver)
	transport := "local outbox"
	switch {
	case cfg.Sender != nil:
		transport = "custom sender"
	case m.sender != nil:
		transport = "smtp " + hostPort(cfg.SMTPURL)
	}
	log.Info("mail configured", "transport", transport, "from", cfg.FromAddr)
	return m, nil
}

// Local reports whether e-mails stay in the local outbox (no SMTP server).
func (m *Mailer) Local() bool { return m.sender == nil }

type deliverPayload struct {
	ID string `json:"id"`
}

// Send renders e and, inside tx, writes its outbox row and enqueues its
// delivery job. Nothing is sent before tx commits, and nothing at all if it
// rolls back.
func (m *Mailer) Send(ctx context.Context, tx *db.Tx, e Email) error {
	p, err := m.Prepare(ctx, tx, e)
	if err != nil {
		return err
	}
	return m.SendPrepared(ctx, tx, p)
}

// Prepared is an e-mail rendered and branded, not yet in the outbox: a
// caller sending many (a scheduled report to a thousand recipients)
// renders them before its write transaction, so the transaction only
// inserts rows.
type Prepared struct {
	ID                     string // the outbox row's ID it will have
	MessageID              string // the Message-ID header every attempt sends
	AccountID, Template    string
	To, FromName, FromAddr string
	Subject, HTML, Text    string
	Attachments            []Attachment
}

// Prepare renders and brands e, reading the brand in q.
func (m *Mailer) Prepare(ctx context.Context, q db.Querier, e Email) (Prepared, error) {
	to, err := cleanAddr(e.To)
	if err != nil {
		return Prepared{}, errs.InvalidField("email", "%q is not an e-mail address.", e.To)
	}
	if err := m.brand(ctx, q, &e); err != nil {
		return Prepared{}, err
	}
	fromName, fromAddr := m.cfg.FromName, m.cfg.FromAddr
	if e.FromName != "" {
		fromName = e.FromName
	}
	if e.FromAddr != "" {
		if fromAddr, err = cleanAddr(e.FromAddr); err != nil {
			return Prepared{}, fmt.Errorf("mail: sender address %q: %w", e.FromAddr, err)
		}
	}
	data := e.Data
	if _, ok := data["BaseURL"]; !ok && m.cfg.BaseURL != "" {
		data = make(map[string]any, len(e.Data)+1)
		for k, v := range e.Data {
			data[k] = v
		}
		data["BaseURL"] = m.cfg.BaseURL
	}
	subject, html, text, err := Render(e.Template, data)
	if err != nil {
		return Prepared{}, err
	}
	msgID := id.New(id.Mail)
	return Prepared{ID: msgID, MessageID: msgID + "@" + domainOf(fromAddr), AccountID: e.AccountID, Template: e.Template, To: to, FromName: oneLine(fromName),
		FromAddr: fromAddr, Subject: subject, HTML: html, Text: text, Attachments: e.Attachments}, nil
}

// SendPrepared writes a prepared e-mail's outbox row, its attachments and
// its delivery job inside tx.
func (m *Mailer) SendPrepared(ctx context.Context, tx *db.Tx, p Prepared) error {
	var account any
	if p.AccountID != "" {
		account = p.AccountID
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	_, err := tx.Exec(ctx, `INSERT INTO mail_outbox (id, created_at, account_id, template, to_addr, from_name, from_addr,
		subject, html_body, text_body, status, attempts, last_error, transport, message_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, '', '', ?)`,
		p.ID, now, account, p.Template, p.To, p.FromName, p.FromAddr, p.Subject, p.HTML, p.Text, p.MessageID)
	if err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if err := m.attach(ctx, tx, p.ID, p.Attachments); err != nil {
		return err
	}
	// The job's own attempt limit sits above MaxAttempts so that deliver,
	// which counts attempts on the row, is the one that gives up and marks
	// the row failed; the queue's limit only catches runs that died midway.
	return m.q.Enqueue(ctx, tx, jobs.Job{
		Kind:        JobKind,
		Payload:     deliverPayload{ID: p.ID},
		UniqueKey:   JobKind + ":" + p.ID,
		MaxAttempts: MaxAttempts + 2,
	})
}

// cleanAddr accepts a bare address ("a@b.example", no display name) and
// returns it trimmed and lower-cased, the form stored (ARCHITECTURE: e-mails
// stored lower-cased).
func cleanAddr(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return "", err
	}
	if a.Address != s || a.Name != "" {
		return "", errors.New("not a bare address")
	}
	return s, nil
}

const columns = `id, created_at, account_id, template, to_addr, from_name, from_addr, subject,
	html_body, text_body, status, attempts, last_error, sent_at, transport, message_id, attempt_started_at, interrupted`

type row struct {
	ID        string    `db:"id"`
	CreatedAt time.Time `db:"created_at"`
	AccountID *string   `db:"account_id"`
	Template  string    `db:"template"`
	To        string    `db:"to_addr"`
	FromName  string    `db:"from_name"`
	FromAddr  string    `db:"from_addr"`
	Subject   string    `db:"subject"`
	HTML      string    `db:"html_body"`
	Text      string    `db:"text_body"`
	Status    string    `db:"status"`
	Attempts  int       `db:"attempts"`
	LastError string    `db:"last_error"`
	SentAt    db.Time   `db:"sent_at"`
	Transport string    `db:"transport"`
	MessageID string    `db:"message_id"`
	Started   db.Time   `db:"attempt_started_at"`
	Interrupt int       `db:"interrupted"`
}

func (r row) message() Message {
	m := Message{ID: r.ID, Template: r.Template, To: r.To, FromName: r.FromName,
		FromAddr: r.FromAddr, Subject: r.Subject, HTML: r.HTML, Text: r.Text, Status: r.Status,
		Attempts: r.Attempts, LastError: r.LastError, CreatedAt: r.CreatedAt.UTC(),
		SentAt: r.SentAt.Ptr(), Transport: r.Transport, MessageID: r.MessageID,
		AttemptStarted: r.Started.Ptr(), Interrupted: r.Interrupt}
	if r.AccountID != nil {
		m.AccountID = *r.AccountID
	}
	return m
}

// Get returns one outbox message; errs.ErrNotFound when there is none.
func (m *Mailer) Get(ctx context.Context, msgID string) (Message, error) {
	return get(ctx, m.d, msgID)
}

func get(ctx context.Context, q db.Querier, msgID string) (Message, error) {
	var r row
	err := q.Get(ctx, &r, `SELECT `+columns+` FROM mail_outbox WHERE id = ?`, msgID)
	if errors.Is(err, db.ErrNoRows) {
		return Message{}, errs.ErrNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("mail: get %s: %w", msgID, err)
	}
	return r.message(), nil
}

// List returns outbox messages newest first, for the operator's outbox page:
// at most limit (default 50, at most 200) after the opaque cursor before ("" for
// the first page), and the cursor of the next page ("" when there is none).
func (m *Mailer) List(ctx context.Context, limit int, before string) ([]Message, string, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	q := `SELECT ` + columns + ` FROM mail_outbox`
	args := []any{}
	if before != "" {
		at, lastID, err := decodeCursor(before)
		if err != nil {
			return nil, "", errs.InvalidField("cursor", "The cursor is not valid.")
		}
		q += ` WHERE created_at < ? OR (created_at = ? AND id < ?)`
		args = append(args, at, at, lastID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, limit+1)
	var rows []row
	if err := m.d.Select(ctx, &rows, q, args...); err != nil {
		return nil, "", fmt.Errorf("mail: list: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	out := make([]Message, len(rows))
	for i, r := range rows {
		out[i] = r.message()
	}
	return out, next, nil
}

// The cursor is the (created_at, id) of the last row shown, so paging stays
// stable while new e-mails arrive at the top.
func encodeCursor(at time.Time, msgID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + msgID))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, msgID, ok := strings.Cut(string(b), "|")
	if !ok || !id.Valid(id.Mail, msgID) {
		return time.Time{}, "", errors.New("bad cursor")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at.UTC(), msgID, err
}
