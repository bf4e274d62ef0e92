package password

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-dev/liaison/internal/errs"
)

// fast keeps the tests quick: 64 KiB and one pass instead of 19 MiB and two.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var ctx = context.Background()

func TestRoundTrip(t *testing.T) {
	h := NewHasher(fast, 0)
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	ok, rehash, err := h.Verify(ctx, "correct horse battery staple", phc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	again, _ := h.Hash(ctx, "correct horse battery staple")
	if again == phc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestWrongPassword(t *testing.T) {
	h := NewHasher(fast, 0)
	phc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "Correct horse battery staple", "correct horse battery staple "} {
		ok, rehash, err := h.Verify(ctx, wrong, phc)
		if err != nil || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, nil", wrong, ok, rehash, err)
		}
	}
}

func TestPHCFormat(t *testing.T) {
	h := NewHasher(fast, 1)
	phc, err := h.Hash(ctx, "some password")
	if err != nil {
		t.Fatal(err)
	}
	// 16 bytes of salt are 22 base64 characters unpadded, 32 of key 43.
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(phc) {
		t.Fatalf("PHC string %q does not match %s", phc, re)
	}
	p, salt, key, err := decode(phc)
	if err != nil {
		t.Fatal(err)
	}
	if p != fast || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("decode: %+v, %d-byte salt, %d-byte key", p, len(salt), len(key))
	}
	if encode(p, salt, key) != phc {
		t.Fatal("encode(decode(phc)) != phc")
	}
}

// A hash made by another argon2id implementation verifies: the vector is the
// reference implementation's output for "password" with salt "somesalt",
// t=2, m=64, p=1 (as used by golang.org/x/crypto/argon2's own tests).
func TestReferenceVector(t *testing.T) {
	h := NewHasher(fast, 1)
	ok, rehash, err := h.Verify(ctx, "password", referencePHC())
	if err != nil || !ok {
		t.Fatalf("Verify(reference vector) = %v, %v", ok, err)
	}
	if !rehash {
		t.Fatal("a hash with other parameters should need a rehash")
	}
}

func referencePHC() string {
	key, _ := hex.DecodeString("068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7")
	return "$argon2id$v=19$m=64,t=2,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("somesalt")) +
		"$" + base64.RawStdEncoding.EncodeToString(key)
}

func TestDefaultParams(t *testing.T) {
	h := NewHasher(Default, 0)
	phc, err := h.Hash(ctx, "a default password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected PHC prefix: %s", phc)
	}
	ok, rehash, err := h.Verify(ctx, "a default password", phc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v", ok, rehash, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	old := NewHasher(fast, 0)
	phc, err := old.Hash(ctx, "an old password")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Params{
		{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
	} {
		h := NewHasher(p, 0)
		ok, rehash, err := h.Verify(ctx, "an old password", phc)
		if err != nil || !ok || !rehash {
			t.Errorf("params %+v: Verify = %v, %v, %v; want true, true, nil", p, ok, rehash, err)
		}
		// A wrong password is simply wrong; no rehash advice.
		if ok, rehash, _ := h.Verify(ctx, "wrong", phc); ok || rehash {
			t.Errorf("params %+v: wrong password gave %v, %v", p, ok, rehash)
		}
	}
}

var malformed = []string{
	"",
	"$",
	"$$$$$",
	"plain text",
	"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ",                              // no key
	"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA$extra", // extra field
	"x$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=16$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$m=64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=1,p=1,k=2$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=0,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=1,p=0$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=1,p=256$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=4294967296,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=4294967295,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=064,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=+64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=-1,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m= 64,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=,t=1,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=8,t=1,p=2$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",   // m < 8 KiB per lane
	"$argon2id$v=19$m=64,t=1,p=1$c29tZQ$AAAAAAAAAAAAAAAAAAAAAA",       // 4-byte salt
	"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$AAA",                     // 2-byte key
	"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ=$AAAAAAAAAAAAAAAAAAAAAA", // padded
	"$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHR$AAAAAAAAAAAAAAAAAAAAAA",  // non-canonical last character
	"$argon2id$v=19$m=64,t=1,p=1$c29t!XNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=1,p=1$$AAAAAAAAAAAAAAAAAAAAAA",
	"$argon2id$v=19$m=64,t=1,p=1$c29tZX\r\nNhbHQ$AAAAAAAAAAAAAAAAAAAAAA", // base64 decoding skips line breaks
	"$argon2id$v=19$m=10,t=1,p=1$000000\r00000$0000000",                  // found by FuzzVerify
}

func TestMalformed(t *testing.T) {
	h := NewHasher(fast, 1)
	for _, phc := range malformed {
		ok, rehash, err := h.Verify(ctx, "password", phc)
		if !errors.Is(err, ErrMalformed) || ok || rehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrMalformed", phc, ok, rehash, err)
		}
	}
}

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and any
// string it accepts must be the one canonical spelling of its parameters.
func FuzzVerify(f *testing.F) {
	h := NewHasher(fast, 1)
	good, err := h.Hash(ctx, "password")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("password", good)
	f.Add("password", referencePHC())
	for _, m := range malformed {
		f.Add("password", m)
	}
	f.Fuzz(func(t *testing.T, plain, phc string) {
		p, salt, key, err := decode(phc)
		if err == nil {
			if encode(p, salt, key) != phc {
				t.Fatalf("accepted a non-canonical hash %q", phc)
			}
			// Parameters within the package's bounds can still cost up to
			// 1 GiB × 64 passes; verifying those would only slow the fuzzer.
			if uint64(p.Memory)*uint64(p.Time) > 1<<14 {
				return
			}
		}
		ok, rehash, err := h.Verify(ctx, plain, phc)
		if err != nil && (ok || rehash) {
			t.Fatalf("error %v with ok=%v rehash=%v", err, ok, rehash)
		}
	})
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 4, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 2},
		{Memory: 1<<20 + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", p)
				}
			}()
			NewHasher(p, 1)
		}()
	}
}

// VerifyDummy does the same work as verifying a current hash: one derivation
// with the Hasher's own parameters.
func TestVerifyDummy(t *testing.T) {
	h := NewHasher(fast, 1)
	var calls []Params
	h.derive = func(plain, salt []byte, p Params) []byte {
		calls = append(calls, p)
		return argon2id(plain, salt, p)
	}
	h.VerifyDummy(ctx, "anything at all")
	if len(calls) != 1 || calls[0] != fast {
		t.Fatalf("VerifyDummy derived with %+v; want one call with %+v", calls, fast)
	}
	if ok, _, err := h.Verify(ctx, "", h.dummy); ok || err != nil {
		t.Fatalf("dummy hash: ok=%v err=%v; want false, nil", ok, err)
	}
}

// gate wraps a Hasher's derivation so that a test can hold derivations inside
// the semaphore-guarded section and count how many are there at once. It
// observes the real code path: Hash and Verify call derive only while they
// hold a slot, so the count is exactly what the semaphore is meant to bound.
type gate struct {
	inFlight, max atomic.Int32
	release       chan struct{}
}

func newGate(h *Hasher) *gate {
	g := &gate{release: make(chan struct{})}
	h.derive = func(plain, salt []byte, p Params) []byte {
		n := g.inFlight.Add(1)
		for {
			m := g.max.Load()
			if n <= m || g.max.CompareAndSwap(m, n) {
				break
			}
		}
		<-g.release
		g.inFlight.Add(-1)
		return argon2id(plain, salt, p)
	}
	return g
}

// waitFor polls until cond holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSemaphoreBoundsConcurrency(t *testing.T) {
	h := NewHasher(fast, 2)
	g := newGate(h)
	var wg sync.WaitGroup
	errc := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			_, err := h.Hash(ctx, "password")
			errc <- err
		})
	}
	// Two derivations enter and are held there; the other eight must wait
	// for a slot. Give them ample time to (wrongly) get in as well.
	waitFor(t, "two hashes in flight", func() bool { return g.inFlight.Load() == 2 })
	time.Sleep(50 * time.Millisecond)
	if n := g.inFlight.Load(); n != 2 {
		t.Fatalf("%d hashes in flight with concurrency 2", n)
	}
	close(g.release)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if m := g.max.Load(); m != 2 {
		t.Fatalf("max in flight = %d, want 2", m)
	}
}

func TestCancelWhileWaiting(t *testing.T) {
	h := NewHasher(fast, 1)
	g := newGate(h)
	phc := encode(fast, make([]byte, 16), make([]byte, 32))
	done := make(chan error, 1)
	go func() { _, err := h.Hash(ctx, "holds the only slot"); done <- err }()
	waitFor(t, "the slot to be taken", func() bool { return g.inFlight.Load() == 1 })

	c, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := h.Hash(c, "waits"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash while waiting: got %v, want context.Canceled", err)
	}
	d, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	if _, _, err := h.Verify(d, "waits", phc); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Verify while waiting: got %v, want context.DeadlineExceeded", err)
	}
	h.VerifyDummy(d, "returns at once") // must not block either

	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// With a free slot, an already-cancelled context still fails, every time.
	for range 20 {
		if _, err := h.Hash(c, "x"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash with cancelled ctx and a free slot: %v", err)
		}
	}
}

func TestValidate(t *testing.T) {
	const email, name = "Jane.Doe-Smith@Example.com", "Jane Doe-Smith"
	for _, tc := range []struct {
		plain string
		ok    bool
		why   string // a word the message must contain
	}{
		{"correct horse battery staple", true, ""},
		{"Tr0ub4dor&3x", true, ""},
		{"ünïcödé pāss", true, ""},
		{"", false, "at least 10"},
		{"short", false, "at least 10"},
		{"123456789", false, "at least 10"},
		{"ééééééééé", false, "at least 10"}, // 9 characters, 18 bytes
		{"ab" + strings.Repeat("x", 8), true, ""},
		{strings.Repeat("ab", 128), true, ""},                   // 256 bytes
		{strings.Repeat("ab", 128) + "c", false, "at most 256"}, // 257 bytes
		{strings.Repeat("é", 129), false, "at most 256"},        // 129 characters, 258 bytes
		{strings.Repeat("a", 10), false, "repeated"},            // one character
		{strings.Repeat("é", 12), false, "repeated"},            // one multi-byte character
		{strings.Repeat(" ", 12), false, "repeated"},            // only spaces
		{"aaaaaaaaab", true, ""},                                // not all one character
		{"jane.doe-smith@example.com", false, "e-mail"},         // case-insensitive
		{" Jane.Doe-Smith@Example.com ", false, "e-mail"},       // surrounding spaces
		{"JANE.DOE-SMITH", false, "e-mail"},                     // local part
		{"jane doe-smith", false, "name"},                       // name
		{"password123", false, "common"},
		{"QwertyUIOP", false, "common"},
		{"1234567890", false, "common"},
		{"password1234!", true, ""},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6", false, "invalid"},
	} {
		err := Validate(tc.plain, email, name)
		if tc.ok {
			if err != nil {
				t.Errorf("Validate(%q) = %v, want nil", tc.plain, err)
			}
			continue
		}
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || e.Field != "password" || e.Code != "invalid_password" {
			t.Errorf("Validate(%q) = %#v, want an invalid_password error", tc.plain, err)
			continue
		}
		if !strings.Contains(e.Message, tc.why) {
			t.Errorf("Validate(%q) message %q does not mention %q", tc.plain, e.Message, tc.why)
		}
	}
	// Without an e-mail or name, only the other rules apply.
	if err := Validate("jane.doe-smith", "", ""); err != nil {
		t.Errorf("Validate without e-mail: %v", err)
	}
	if n := len(common); n < 90 {
		t.Errorf("common list has %d entries, want about 100", n)
	}
}

// BenchmarkHash measures one hash with the Default (production) parameters.
func BenchmarkHash(b *testing.B) {
	h := NewHasher(Default, 1)
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
