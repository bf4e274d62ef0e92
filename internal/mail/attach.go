package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/jobs"
)

// Attachments (issue 17: a scheduled report's PDF). Their content is kept
// once per SHA-256 in mail_blobs (StoreBlob): a PDF sent to a thousand
// recipients is one row there and a thousand small mail_attachments rows,
// so queueing the e-mails writes little. deliver reads them back and the
// SMTP sender attaches them.

// Attachment is one file of a message: its content given as Data, or
// stored beforehand with StoreBlob and named by Blob.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Blob        string `json:"-"`
	Data        []byte `json:"-"`
}

// StoreBlob keeps data (once per content) and returns its hash, for
// Attachment.Blob.
func (m *Mailer) StoreBlob(ctx context.Context, tx *db.Tx, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	_, err := tx.Exec(ctx, `INSERT INTO mail_blobs (hash, data, created_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
		h, data, m.now())
	if err != nil {
		return "", fmt.Errorf("mail: store attachment: %w", err)
	}
	return h, nil
}

func (m *Mailer) attach(ctx context.Context, tx *db.Tx, msgID string, as []Attachment) error {
	for i, a := range as {
		h := a.Blob
		if h == "" {
			var err error
			if h, err = m.StoreBlob(ctx, tx, a.Data); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mail_attachments (mail_id, position, filename, content_type, blob_hash)
			VALUES (?, ?, ?, ?, ?)`, msgID, i, oneLine(a.Name), a.ContentType, h); err != nil {
			return fmt.Errorf("mail: attachment: %w", err)
		}
	}
	return nil
}

// Attachments returns a message's attachments with their content.
func (m *Mailer) Attachments(ctx context.Context, msgID string) ([]Attachment, error) {
	return attachments(ctx, m.d, msgID)
}

func attachments(ctx context.Context, q db.Querier, msgID string) ([]Attachment, error) {
	var rows []struct {
		Name string `db:"filename"`
		Type string `db:"content_type"`
		Hash string `db:"blob_hash"`
		Data []byte `db:"data"`
	}
	if err := q.Select(ctx, &rows, `SELECT a.filename, a.content_type, a.blob_hash, b.data FROM mail_attachments a
		JOIN mail_blobs b ON b.hash = a.blob_hash WHERE a.mail_id = ? ORDER BY a.position`, msgID); err != nil {
		return nil, fmt.Errorf("mail: attachments of %s: %w", msgID, err)
	}
	out := make([]Attachment, len(rows))
	for i, r := range rows {
		out[i] = Attachment{Name: r.Name, ContentType: r.Type, Blob: r.Hash, Data: r.Data}
	}
	return out, nil
}

// SendPreparedMany is SendPrepared for many e-mails in a few statements
// (outbox rows, attachments, jobs: one each), so that a transaction
// queueing hundreds stays short.
func (m *Mailer) SendPreparedMany(ctx context.Context, tx *db.Tx, ps []Prepared) error {
	if len(ps) == 0 {
		return nil
	}
	now := m.now().UTC().Truncate(time.Microsecond)
	var b, ab strings.Builder
	b.WriteString(`INSERT INTO mail_outbox (id, created_at, account_id, template, to_addr, from_name, from_addr,
		subject, html_body, text_body, status, attempts, last_error, transport) VALUES `)
	ab.WriteString(`INSERT INTO mail_attachments (mail_id, position, filename, content_type, blob_hash) VALUES `)
	args := make([]any, 0, len(ps)*10)
	var aargs []any
	js := make([]jobs.Job, len(ps))
	for i, p := range ps {
		var account any
		if p.AccountID != "" {
			account = p.AccountID
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, '', '')`)
		args = append(args, p.ID, now, account, p.Template, p.To, p.FromName, p.FromAddr, p.Subject, p.HTML, p.Text)
		for k, a := range p.Attachments {
			if a.Blob == "" { // content given inline: stored first
				h, err := m.StoreBlob(ctx, tx, a.Data)
				if err != nil {
					return err
				}
				a.Blob = h
			}
			if len(aargs) > 0 {
				ab.WriteString(", ")
			}
			ab.WriteString(`(?, ?, ?, ?, ?)`)
			aargs = append(aargs, p.ID, k, oneLine(a.Name), a.ContentType, a.Blob)
		}
		js[i] = jobs.Job{Kind: JobKind, Payload: deliverPayload{ID: p.ID}, UniqueKey: JobKind + ":" + p.ID, MaxAttempts: MaxAttempts + 2}
	}
	if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if len(aargs) > 0 {
		if _, err := tx.Exec(ctx, ab.String(), aargs...); err != nil {
			return fmt.Errorf("mail: attachments: %w", err)
		}
	}
	return m.q.EnqueueMany(ctx, tx, js)
}
