package branding

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/liaison-dev/liaison/internal/errs"
)

func encodePNG(t testing.TB, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.NRGBA{10, 20, 30, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tinyWebP is a 1×1 lossless WebP (Go has no WebP encoder).
var tinyWebP, _ = base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

// hugePNG is a valid PNG whose header declares width×height (with a
// correct CRC) but whose data is that of a 1×1 image.
func hugePNG(t testing.TB, w, h uint32) []byte {
	b := encodePNG(t, 1, 1)
	out := append([]byte(nil), b...)
	// IHDR data starts after the 8-byte signature, 4-byte length, 4-byte type.
	binary.BigEndian.PutUint32(out[16:], w)
	binary.BigEndian.PutUint32(out[20:], h)
	binary.BigEndian.PutUint32(out[29:], crc32.ChecksumIEEE(out[12:29]))
	return out
}

var svgDoc = []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>`)

func imageSeeds(t testing.TB) map[string][]byte {
	p := encodePNG(t, 64, 32)
	return map[string][]byte{
		"png":           p,
		"jpeg":          encodeJPEG(t, 40, 20),
		"webp":          tinyWebP,
		"huge png":      hugePNG(t, 100000, 100000),
		"wide png":      hugePNG(t, 4096, 1),
		"svg named png": svgDoc,
		"html":          []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
		"gif":           []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
		"polyglot":      append(append([]byte(nil), p...), []byte("<html><script>alert(1)</script>")...),
		"png then junk": append([]byte(nil), p[:len(p)/2]...),
		"riff not webp": []byte("RIFF\x00\x00\x00\x00WAVEfmt "),
	}
}

// TestCheckImage pins the outcome of each seed.
func TestCheckImage(t *testing.T) {
	want := map[string]string{
		"png": "", "jpeg": "", "webp": "",
		"huge png": "logo_dimensions", "wide png": "logo_dimensions",
		"svg named png": "unsupported_image_type", "html": "unsupported_image_type", "gif": "unsupported_image_type",
		"riff not webp": "unsupported_image_type", "png then junk": "invalid_image",
		// A PNG with HTML after its end decodes as a PNG: it is kept, and
		// served only as image/png with nosniff and a sandbox CSP.
		"polyglot": "",
	}
	for name, b := range imageSeeds(t) {
		img, err := CheckImage(b)
		code := ""
		if e := errs.As(err); e != nil {
			code = e.Code
		} else if err != nil {
			code = err.Error()
		}
		if code != want[name] {
			t.Errorf("%s: %q, want %q", name, code, want[name])
		}
		if err == nil && (img.Width <= 0 || img.ContentType == "") {
			t.Errorf("%s: accepted without a size or type: %+v", name, img)
		}
	}
	if _, err := CheckImage(bytes.Repeat([]byte{0x89}, MaxLogoBytes+1)); errs.As(err) == nil || errs.As(err).Code != "logo_too_large" {
		t.Errorf("over 1 MiB: %v", err)
	}
}

// FuzzCheckImage: whatever the bytes, CheckImage does not panic, and what
// it accepts is a PNG, JPEG or WebP by its magic bytes, within the limits.
func FuzzCheckImage(f *testing.F) {
	for _, b := range imageSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := CheckImage(b)
		if err != nil {
			if e := errs.As(err); e == nil || e.Kind != errs.Invalid {
				t.Fatalf("not a 400: %v", err)
			}
			return
		}
		magic := map[string]bool{
			"image/png":  bytes.HasPrefix(b, pngMagic),
			"image/jpeg": bytes.HasPrefix(b, jpegMagic),
			"image/webp": len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP",
		}
		if !magic[img.ContentType] {
			t.Fatalf("accepted %q without its magic bytes", img.ContentType)
		}
		if len(b) > MaxLogoBytes || img.Width < 1 || img.Height < 1 || img.Width > MaxLogoPixels || img.Height > MaxLogoPixels {
			t.Fatalf("accepted outside the limits: %d bytes, %+v", len(b), img)
		}
	})
}

// TestValidateColours: the contrast check against white text.
func TestContrast(t *testing.T) {
	for _, tc := range []struct {
		c    string
		want float64
	}{{"#000000", 21}, {"#ffffff", 1}, {"#2563eb", 5.17}, {"#767676", 4.54}} {
		if got := Contrast(tc.c, "#ffffff"); got < tc.want-0.01 || got > tc.want+0.01 {
			t.Errorf("contrast of %s on white: %.2f, want %.2f", tc.c, got, tc.want)
		}
	}
}

// TestRenderWelcome: the small Markdown subset, everything else escaped.
func TestRenderWelcome(t *testing.T) {
	for in, want := range map[string]string{
		"Hello <b>you</b>":                     "<p>Hello &lt;b&gt;you&lt;/b&gt;</p>",
		"**bold** and *it*":                    "<p><strong>bold</strong> and <em>it</em></p>",
		"a\nb\n\nc":                            "<p>a<br>b</p><p>c</p>",
		"[site](https://x.example/a?b=1&c=2)":  `<p><a href="https://x.example/a?b=1&amp;c=2" rel="noopener noreferrer">site</a></p>`,
		"[x](javascript:alert(1))":             "<p>[x](javascript:alert(1))</p>",
		`[x](https://a.example/"onmouseover=)`: `<p>[x](https://a.example/&#34;onmouseover=)</p>`,
	} {
		if got := string(RenderWelcome(in)); got != want {
			t.Errorf("RenderWelcome(%q) = %s, want %s", in, got, want)
		}
	}
}
