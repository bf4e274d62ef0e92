package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/webhook"
)

// verifyLiaison is the receiver's check shown in docs/OPERATING.md, kept
// here word for word so that the documented code is known to work: it
// needs nothing of Liaison's.
func verifyLiaison(secret string, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(r.Header.Get("Liaison-Signature"), ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(t, 0)).Abs() > 5*time.Minute {
		return nil, errors.New("missing or stale timestamp")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return body, nil
		}
	}
	return nil, errors.New("bad signature")
}

func TestDocumentedReceiver(t *testing.T) {
	body := []byte(`{"id":"evt_x","type":"link.accepted"}`)
	now := time.Now()
	req := httptest.NewRequest("POST", "/hook", bytes.NewReader(body))
	req.Header.Set(webhook.SignatureHeader, "t="+strconv.FormatInt(now.Unix(), 10)+",v1="+webhook.Sign("whsec_abc", now, body))
	if got, err := verifyLiaison("whsec_abc", req); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("documented check: %v", err)
	}
	req = httptest.NewRequest("POST", "/hook", bytes.NewReader(body))
	req.Header.Set(webhook.SignatureHeader, "t="+strconv.FormatInt(now.Unix(), 10)+",v1="+webhook.Sign("whsec_other", now, body))
	if _, err := verifyLiaison("whsec_abc", req); err == nil {
		t.Fatal("another secret's signature passed")
	}
}
