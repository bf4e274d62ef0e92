package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/liaison-dev/liaison/internal/db"
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
