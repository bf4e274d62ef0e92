// Package totp computes and checks time-based one-time passwords (RFC 6238:
// HMAC-SHA1, 6 digits, 30-second steps, the variant every authenticator
// app reads from an otpauth:// URI) and draws the URI as a QR code.
//
// It keeps no state: the caller stores the secret and the last step
// accepted, so that a code is used at most once (Check answers the step it
// matched; the caller refuses any step at or below the last one).
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

const (
	// Period is the length of a step.
	Period = 30 * time.Second
	// Digits is the length of a code.
	Digits = 6
	// Skew is how many steps before and after the current one are
	// accepted, for clocks a little apart and codes typed slowly.
	Skew = 1
	// secretBytes is 160 bits, the size of an SHA-1 key (RFC 4226 §4).
	secretBytes = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a fresh random secret, base32 without padding (how
// authenticator apps take it when typed).
func NewSecret() string {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return b32.EncodeToString(b)
}

// decode reads a base32 secret, forgiving spaces, lower case and padding.
func decode(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(secret))
	return b32.DecodeString(s)
}

// Step is the step number of a time.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// CodeAt is the code of a secret at a step (RFC 4226 §5.3 truncation).
func CodeAt(secret string, step int64) (string, error) {
	key, err := decode(secret)
	if err != nil {
		return "", fmt.Errorf("totp: bad secret: %w", err)
	}
	return hotp(key, uint64(step)), nil
}

func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", Digits, v%1000000)
}

// Code is the code of a secret at a time.
func Code(secret string, t time.Time) (string, error) { return CodeAt(secret, Step(t)) }

// Normalize strips what people type around a code (spaces, a dash) and
// reports whether what is left looks like one.
func Normalize(code string) (string, bool) {
	c := strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code)
	if len(c) != Digits {
		return "", false
	}
	for i := 0; i < len(c); i++ {
		if c[i] < '0' || c[i] > '9' {
			return "", false
		}
	}
	return c, true
}

// Check reports the step, within Skew of now, whose code is code, and
// whether there is one. Steps at or below after are not considered (a
// code already used). The comparison takes the same time whatever matches.
func Check(secret, code string, now time.Time, after int64) (int64, bool) {
	c, ok := Normalize(code)
	if !ok {
		return 0, false
	}
	key, err := decode(secret)
	if err != nil {
		return 0, false
	}
	cur := Step(now)
	var found int64
	ok = false
	for s := cur - Skew; s <= cur+Skew; s++ {
		if hmac.Equal([]byte(hotp(key, uint64(s))), []byte(c)) && s > after && !ok {
			found, ok = s, true
		}
	}
	return found, ok
}

// URI is the otpauth:// URI an authenticator app reads from the QR code
// (Google Authenticator's key-URI format): label "Issuer:account".
func URI(secret, issuer, account string) string {
	v := url.Values{}
	v.Set("secret", secret)
	v.Set("issuer", issuer)
	v.Set("algorithm", "SHA1")
	v.Set("digits", fmt.Sprint(Digits))
	v.Set("period", fmt.Sprint(int(Period/time.Second)))
	label := url.PathEscape(issuer + ":" + account)
	return "otpauth://totp/" + label + "?" + v.Encode()
}

// QRPNG draws text as a QR code PNG of size×size pixels, medium error
// correction (a phone camera reads it off a screen easily).
func QRPNG(text string, size int) ([]byte, error) {
	return qrcode.Encode(text, qrcode.Medium, size)
}

// FormatSecret groups a secret in fours, easier to type by hand.
func FormatSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
