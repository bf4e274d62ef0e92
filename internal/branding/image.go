package branding

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/webp"

	"github.com/liaison-dev/liaison/internal/errs"
)

// Logo limits (SPEC §7): bytes and pixels.
const (
	MaxLogoBytes  = 1 << 20
	MaxLogoPixels = 2048
)

// Image is an upload that passed CheckImage.
type Image struct {
	ContentType   string // image/png, image/jpeg or image/webp
	Ext           string // png, jpg, webp
	Width, Height int
}

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8, 0xff}
)

// sniff names the format from the first bytes, never from a file name or a
// Content-Type header: only PNG, JPEG and WebP are known.
func sniff(b []byte) (Image, func(io.Reader) (image.Config, error), func(io.Reader) (image.Image, error), bool) {
	switch {
	case bytes.HasPrefix(b, pngMagic):
		return Image{ContentType: "image/png", Ext: "png"}, png.DecodeConfig, png.Decode, true
	case bytes.HasPrefix(b, jpegMagic):
		return Image{ContentType: "image/jpeg", Ext: "jpg"}, jpeg.DecodeConfig, jpeg.Decode, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return Image{ContentType: "image/webp", Ext: "webp"}, webp.DecodeConfig, webp.Decode, true
	}
	return Image{}, nil, nil, false
}

// CheckImage decides whether b may be a logo: PNG, JPEG or WebP by its
// bytes, at most MaxLogoBytes, at most MaxLogoPixels on each side, and
// decodable as a whole. The declared size is checked from the header
// before anything is decoded, so an image claiming to be enormous costs
// nothing. SVG, HTML and anything else are refused.
func CheckImage(b []byte) (Image, error) {
	if len(b) == 0 {
		return Image{}, errs.E(errs.Invalid, "logo_missing", "Send the logo's bytes as the request body (PNG, JPEG or WebP).")
	}
	if len(b) > MaxLogoBytes {
		return Image{}, errs.E(errs.Invalid, "logo_too_large", "A logo may be at most 1 MiB; this one is %d bytes.", len(b))
	}
	img, config, decode, ok := sniff(b)
	if !ok {
		return Image{}, errs.E(errs.Invalid, "unsupported_image_type",
			"A logo must be a PNG, JPEG or WebP image. SVG, HTML and other files are not accepted.")
	}
	cfg, err := config(bytes.NewReader(b))
	if err != nil {
		return Image{}, errs.E(errs.Invalid, "invalid_image", "This %s file could not be read: it is damaged or not really an image.", img.Ext)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return Image{}, errs.E(errs.Invalid, "logo_dimensions",
			"A logo may be at most %d×%d pixels; this one is %d×%d.", MaxLogoPixels, MaxLogoPixels, cfg.Width, cfg.Height)
	}
	m, err := decode(bytes.NewReader(b))
	if err != nil {
		return Image{}, errs.E(errs.Invalid, "invalid_image", "This %s file could not be read: it is damaged or not really an image.", img.Ext)
	}
	r := m.Bounds()
	if r.Dx() != cfg.Width || r.Dy() != cfg.Height {
		return Image{}, errs.E(errs.Invalid, "invalid_image", "This %s file could not be read: its size does not match its header.", img.Ext)
	}
	img.Width, img.Height = cfg.Width, cfg.Height
	return img, nil
}
