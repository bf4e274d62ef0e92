package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeyFileName is the signing key's file in the data directory when
// LIAISON_AUDIT_KEY_FILE is not set.
const KeyFileName = "audit-ed25519.pem"

// Key signs the audit trail's entries and checkpoints. It lives outside the
// database: whoever can only write the database cannot sign.
type Key struct {
	priv ed25519.PrivateKey
	// ID names the key in signatures: the first 16 hex digits of the
	// SHA-256 of the public key.
	ID string
}

// NewKey wraps an Ed25519 private key.
func NewKey(priv ed25519.PrivateKey) *Key {
	return &Key{priv: priv, ID: KeyID(priv.Public().(ed25519.PublicKey))}
}

// GenerateKey makes a new random key (tests, and the first start).
func GenerateKey() *Key {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("audit: generate key: " + err.Error())
	}
	return NewKey(priv)
}

// Public is the key's public half.
func (k *Key) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// PublicString is the public key as operators publish it and `liaison audit
// verify-export --public-key` reads it: base64 of the 32 raw bytes.
func (k *Key) PublicString() string { return base64.StdEncoding.EncodeToString(k.Public()) }

func (k *Key) sign(msg []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, msg))
}

// KeyID names a public key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// ParsePublicKey reads a public key as PublicString writes it, or a PEM
// "PUBLIC KEY" block (openssl pkey -pubout).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("audit: public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, errors.New("audit: public key is not Ed25519")
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("audit: public key is neither base64 of 32 bytes nor a PEM PUBLIC KEY")
	}
	return ed25519.PublicKey(raw), nil
}

// LoadKey reads the signing key: from file when it is set (the operator's
// LIAISON_AUDIT_KEY_FILE, which must exist), otherwise from KeyFileName in
// dataDir, which is created (mode 0600) on the first start. Several
// processes on one PostgreSQL database must share one key: give each the
// same LIAISON_AUDIT_KEY_FILE. The file is PEM "PRIVATE KEY" (PKCS #8), as
// `openssl genpkey -algorithm ed25519` writes it.
func LoadKey(file, dataDir string) (*Key, error) {
	create := false
	if file == "" {
		file, create = filepath.Join(dataDir, KeyFileName), true
	}
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && create {
		return createKey(file)
	}
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("audit key %s: not a PEM PRIVATE KEY", file)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", file, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit key %s: not an Ed25519 key", file)
	}
	return NewKey(priv), nil
}

func createKey(file string) (*Key, error) {
	k := GenerateKey()
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	// Written aside, then linked into place: two processes starting at
	// once on one data directory keep one key (the loser reads the
	// winner's), and no process ever reads a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(file), ".audit-key-*")
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if err := os.Link(tmp.Name(), file); errors.Is(err, fs.ErrExist) {
		return LoadKey(file, "")
	} else if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	return k, nil
}
