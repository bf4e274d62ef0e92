package branding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image/png"
	"net/http"
	"strings"

	"golang.org/x/image/webp"

	"github.com/liaison-dev/liaison/internal/authz"
	"github.com/liaison-dev/liaison/internal/db"
	"github.com/liaison-dev/liaison/internal/errs"
)

// Logo slots: for the light theme, the dark theme, and narrow screens.
var Slots = []string{"light", "dark", "mobile"}

func validSlot(s string) bool { return s == "light" || s == "dark" || s == "mobile" }

// LogoPath is where a logo is served: its content hash names it, so the
// URL changes with the image and may be cached for a year.
const LogoPath = "/brand/logos/"

// logoURLs reads an agency's logo URLs.
func logoURLs(ctx context.Context, q db.Querier, agencyID string) (Logos, error) {
	var rows []struct {
		Slot        string `db:"slot"`
		Hash        string `db:"hash"`
		ContentType string `db:"content_type"`
	}
	if err := q.Select(ctx, &rows, `SELECT slot, hash, content_type FROM portal_logos WHERE agency_id = ?`, agencyID); err != nil {
		return Logos{}, err
	}
	var l Logos
	for _, r := range rows {
		u := LogoPath + r.Hash + "." + extOf(r.ContentType)
		switch r.Slot {
		case "light":
			l.Light = u
		case "dark":
			l.Dark = u
		case "mobile":
			l.Mobile = u
		}
	}
	return l, nil
}

func extOf(ct string) string {
	switch ct {
	case "image/png":
		return "png"
	case "image/jpeg":
		return "jpg"
	}
	return "webp"
}

// UploadLogo checks an image and makes it the agency's logo for slot
// (admins only). It answers the branding with the new logo URL.
func (s *Service) UploadLogo(ctx context.Context, a *authz.Actor, rel authz.Relation, slot string, body []byte) (Portal, error) {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return Portal{}, err
	}
	if !validSlot(slot) {
		return Portal{}, errs.InvalidField("slot", "The logo slot is light, dark or mobile.")
	}
	img, err := CheckImage(body)
	if err != nil {
		return Portal{}, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	var out Portal
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		if _, err := tx.Exec(ctx, `INSERT INTO portal_logos (agency_id, slot, hash, content_type, width, height, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agency_id, slot) DO UPDATE SET hash = excluded.hash,
			content_type = excluded.content_type, width = excluded.width, height = excluded.height, body = excluded.body,
			created_at = excluded.created_at`, agencyID, slot, hash, img.ContentType, img.Width, img.Height, body, now); err != nil {
			return err
		}
		after := map[string]any{"slot": slot, "hash": hash, "content_type": img.ContentType, "width": img.Width,
			"height": img.Height, "bytes": len(body)}
		if err := record(ctx, tx, now, a, agencyID, "portal.logo.upload", agencyID, nil, after); err != nil {
			return err
		}
		out, err = s.portal(ctx, tx, agencyID)
		return err
	})
	return out, err
}

// DeleteLogo removes the agency's logo for slot; pages fall back to the
// portal name. Removing a logo that is not there changes nothing.
func (s *Service) DeleteLogo(ctx context.Context, a *authz.Actor, rel authz.Relation, slot string) error {
	agencyID, err := need(rel, authz.AgencyManage)
	if err != nil {
		return err
	}
	if !validSlot(slot) {
		return errs.InvalidField("slot", "The logo slot is light, dark or mobile.")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM portal_logos WHERE agency_id = ? AND slot = ?`, agencyID, slot)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return record(ctx, tx, s.now(), a, agencyID, "portal.logo.delete", agencyID, map[string]any{"slot": slot}, nil)
	})
}

// serveLogo answers GET /brand/logos/<hash>.<ext>: the stored bytes with
// their sniffed type, nosniff, no active content, and a year of caching
// (the hash in the URL changes when the image does).
func (s *Service) serveLogo(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, LogoPath)
	hash, ext, ok := strings.Cut(name, ".")
	if !ok || len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		http.NotFound(w, r)
		return
	}
	var row struct {
		ContentType string `db:"content_type"`
		Body        []byte `db:"body"`
	}
	err := s.db.Get(r.Context(), &row, `SELECT content_type, body FROM portal_logos WHERE hash = ?
		UNION ALL SELECT content_type, body FROM client_logos WHERE hash = ? LIMIT 1`, hash, hash) // clients' logos: client.go
	if errors.Is(err, db.ErrNoRows) || (err == nil && extOf(row.ContentType) != ext) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "branding: serve logo", "err", err)
		http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", row.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+hash[:32]+`"`)
	if r.Header.Get("If-None-Match") == `"`+hash[:32]+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(row.Body)
}

// DocumentLogo returns the agency's light-theme logo for documents (the
// report PDF) as PNG or JPEG bytes with "PNG" or "JPG"; WebP is converted to
// PNG. Nil when the agency has no light logo.
func (s *Service) DocumentLogo(ctx context.Context, agencyID string) ([]byte, string, error) {
	var row struct {
		ContentType string `db:"content_type"`
		Body        []byte `db:"body"`
	}
	err := s.db.Get(ctx, &row, `SELECT content_type, body FROM portal_logos WHERE agency_id = ? AND slot = 'light'`, agencyID)
	if errors.Is(err, db.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	switch row.ContentType {
	case "image/png":
		return row.Body, "PNG", nil
	case "image/jpeg":
		return row.Body, "JPG", nil
	}
	img, err := webp.Decode(bytes.NewReader(row.Body))
	if err != nil {
		return nil, "", nil // stored bytes were checked on upload; draw no logo rather than fail
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "PNG", nil
}
