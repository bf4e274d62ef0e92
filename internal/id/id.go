// Package id makes the random identifiers and secret tokens that Liaison stores.
//
// IDs are a kind prefix ("acc_", "usr_", …) and 16 random bytes in unpadded
// base32 (lower case): short, URL-safe and unguessable, so an account ID can be
// shared with another party without revealing anything. Tokens handed to users
// (sessions, invitations, resets, API tokens) are 32 random bytes; only their
// SHA-256 is stored.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Prefixes of the kinds of ID.
const (
	Account    = "acc"
	User       = "usr"
	Session    = "ses"
	Token      = "tok"
	Reset      = "rst"
	Audit      = "aud"
	Mail       = "mail"
	Job        = "job"
	Link       = "lnk"
	Invitation = "inv"
	Group      = "grp"
	Brand      = "brd"
	Report     = "rep"
	Billing    = "bil"
	Source     = "src"
)

// New returns a fresh ID with the given prefix, e.g. "acc_k5x…".
func New(prefix string) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return prefix + "_" + strings.ToLower(enc.EncodeToString(b[:]))
}

// Valid reports whether s has the shape of an ID with the given prefix. It lets
// handlers refuse garbage before it reaches a query; it does not say the ID exists.
func Valid(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Secret returns a new random token for a user (43 URL-safe characters).
func Secret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return strings.ToLower(enc.EncodeToString(b[:]))
}

// Hash returns the hex SHA-256 of a secret token, the form kept in the database.
func Hash(secret string) string {
	// Encoded into an array on the stack: one allocation, the string,
	// instead of three on every request's session lookup (issue 23).
	h := sha256.Sum256([]byte(secret))
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h[:])
	return string(out[:])
}

// Equal compares two token hashes in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
