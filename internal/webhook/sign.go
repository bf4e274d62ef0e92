package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a delivery's signature: "t=<unix seconds>,v1=<hex>",
// with a second v1 while a rotated secret's previous one still signs.
const SignatureHeader = "Liaison-Signature"

// Sign is the hex HMAC-SHA256, keyed by secret, of "<unix seconds>.<body>":
// the time is signed with the body so a captured delivery cannot be
// replayed later with a fresh timestamp.
func Sign(secret string, t time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// signatureHeader is the header value for body sent at t, signed by each
// of secrets.
func signatureHeader(t time.Time, body []byte, secrets ...string) string {
	parts := []string{"t=" + strconv.FormatInt(t.Unix(), 10)}
	for _, s := range secrets {
		if s != "" {
			parts = append(parts, "v1="+Sign(s, t, body))
		}
	}
	return strings.Join(parts, ",")
}

// Verify checks a Liaison-Signature header against body with secret, as a
// receiver does (docs/OPERATING.md shows the same in a few lines): one of
// its v1 signatures must match, and its time be within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts int64 = -1
	var sigs []string
	for _, p := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return errors.New("webhook: bad timestamp")
			}
			ts = n
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts < 0 || len(sigs) == 0 {
		return errors.New("webhook: no timestamp or signature")
	}
	t := time.Unix(ts, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp outside the tolerance")
	}
	want := Sign(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook: signature does not match")
}
