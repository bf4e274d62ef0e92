// Package webassets holds the files of the server-rendered pages: the
// html/template views and the static CSS, JavaScript and images, embedded in
// the binary so that one file is the whole server.
package webassets

import "embed"

// FS holds static/ (served at /static/) and templates/ (parsed by
// internal/web).
//
//go:embed static templates
var FS embed.FS
