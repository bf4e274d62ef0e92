// Package password hashes and verifies passwords with argon2id and checks new
// passwords against a few minimum rules.
//
// Hashes are stored as PHC strings ($argon2id$v=19$m=…,t=…,p=…$salt$key), so
// each hash carries the parameters it was made with: when Default changes, old
// hashes still verify and Verify reports that they should be re-hashed at the
// next successful login.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters and the salt and key lengths.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over the memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// Default is OWASP's recommended argon2id setting: 19 MiB, 2 passes, 1 lane.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, both for a Hasher and for a stored hash being parsed.
// The upper bounds matter for parsing: a corrupted or hostile PHC string must
// not make Verify allocate gigabytes or spin for minutes.
const (
	maxMemory = 1 << 20 // KiB (1 GiB)
	maxTime   = 64
	minSalt   = 8 // RFC 9106 §3.1
	maxSalt   = 1024
	minKey    = 4 // RFC 9106 §3.1
	maxKey    = 1024
)

// ErrMalformed is wrapped by errors about a stored hash that cannot be parsed.
var ErrMalformed = errors.New("password: malformed hash")

// validate reports whether p is a setting argon2id accepts and that stays
// within the bounds above.
func (p Params) validate() error {
	switch {
	case p.Threads < 1:
		return errors.New("threads must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time must be within 1..%d", maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		// RFC 9106 requires at least 8 KiB per lane.
		return fmt.Errorf("memory must be within 8*threads..%d KiB", maxMemory)
	case p.SaltLen < minSalt || p.SaltLen > maxSalt:
		return fmt.Errorf("salt length must be within %d..%d", minSalt, maxSalt)
	case p.KeyLen < minKey || p.KeyLen > maxKey:
		return fmt.Errorf("key length must be within %d..%d", minKey, maxKey)
	}
	return nil
}

// Hasher hashes and verifies passwords with one set of parameters. Every hash
// it computes holds Memory KiB for its duration, so a semaphore bounds how many
// run at once: a burst of logins queues instead of exhausting memory.
type Hasher struct {
	p     Params
	sem   chan struct{}
	dummy string // a well-formed hash no password matches, for VerifyDummy

	// derive computes the argon2id key. It is a field so that tests can wrap it
	// and observe, from inside the guarded section, how many run at once.
	derive func(plain, salt []byte, p Params) []byte
}

func argon2id(plain, salt []byte, p Params) []byte {
	return argon2.IDKey(plain, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// NewHasher returns a Hasher for p that runs at most concurrency hashes at
// once (runtime.NumCPU() when concurrency <= 0: argon2 is CPU-bound, so more
// in parallel only adds memory, not throughput). Parameters outside what
// argon2id accepts are a programming error and panic.
func NewHasher(p Params, concurrency int) *Hasher {
	if err := p.validate(); err != nil {
		panic("password: invalid params: " + err.Error())
	}
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	h := &Hasher{p: p, sem: make(chan struct{}, concurrency), derive: argon2id}
	// The dummy hash has h's parameters and an all-zero key. Nothing needs to
	// be computed to build it, and verifying against it costs exactly what
	// verifying a current hash costs.
	salt := make([]byte, p.SaltLen)
	for i := range salt {
		salt[i] = byte(i)
	}
	h.dummy = encode(p, salt, make([]byte, p.KeyLen))
	return h
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.p }

// compute runs derive while holding a semaphore slot. Waiting for a slot ends
// with ctx; once started, a hash runs to completion (argon2 cannot be
// interrupted), which bounds the overrun to one hash's duration.
func (h *Hasher) compute(ctx context.Context, plain string, salt []byte, p Params) ([]byte, error) {
	// A cancelled ctx must fail even when a slot is free: select picks
	// randomly among ready cases, so check first.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.sem }()
	return h.derive([]byte(plain), salt, p), nil
}

// Hash returns the PHC string of plain with a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key, err := h.compute(ctx, plain, salt, h.p)
	if err != nil {
		return "", err
	}
	return encode(h.p, salt, key), nil
}

// Verify reports whether plain matches the PHC string phc, comparing in
// constant time. needsRehash is true when plain matches but phc was made with
// parameters other than h's, so the caller should store a fresh Hash. A
// malformed phc is an error wrapping ErrMalformed.
func (h *Hasher) Verify(ctx context.Context, plain, phc string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decode(phc)
	if err != nil {
		return false, false, err
	}
	got, err := h.compute(ctx, plain, salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.p, nil
}

// VerifyDummy does the work of a Verify that fails, so that a login for an
// unknown e-mail takes as long as one with a wrong password and response
// times do not reveal which e-mails have accounts.
func (h *Hasher) VerifyDummy(ctx context.Context, plain string) {
	_, _, _ = h.Verify(ctx, plain, h.dummy)
}

var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC string as encode writes it. It is strict (fixed field
// order, no optional fields, canonical base64) because the only hashes it
// must read are ones this package wrote.
func decode(phc string) (p Params, salt, key []byte, err error) {
	bad := func(format string, args ...any) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm %q is not argon2id", parts[1])
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version %q", parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return bad("want m=,t=,p= parameters")
	}
	m, err1 := param(kv[0], "m=", 32)
	t, err2 := param(kv[1], "t=", 32)
	l, err3 := param(kv[2], "p=", 8)
	if err := errors.Join(err1, err2, err3); err != nil {
		return bad("%v", err)
	}
	// The decoder skips '\r' and '\n' anywhere in its input, so re-encoding
	// is what shows the text to be canonical.
	if salt, err = b64.DecodeString(parts[4]); err != nil || b64.EncodeToString(salt) != parts[4] {
		return bad("salt is not canonical base64")
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || b64.EncodeToString(key) != parts[5] {
		return bad("key is not canonical base64")
	}
	p = Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(l), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.validate(); err != nil {
		return bad("%v", err)
	}
	return p, salt, key, nil
}

// param parses "name=digits" into an unsigned integer of the given bit size.
func param(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	// ParseUint rejects signs and spaces but accepts leading zeros; reject
	// those too, so that each hash has exactly one spelling.
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("bad parameter %q", s)
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("bad parameter %q", s)
	}
	return n, nil
}
