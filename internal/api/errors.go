package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-dev/liaison/internal/errs"
	"github.com/liaison-dev/liaison/internal/requestctx"
)

// Error is the JSON error of SPEC §10: {"error":{"code","message"}}. It is the
// only error shape the API writes.
type Error struct {
	Status int       `json:"-"`
	Body   ErrorBody `json:"error"`
	header http.Header
}

// ErrorBody is the inside of an Error.
type ErrorBody struct {
	Code      string `json:"code" example:"not_found"`
	Message   string `json:"message" example:"Not found."`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

func (e *Error) Error() string           { return e.Body.Code + ": " + e.Body.Message }
func (e *Error) GetStatus() int          { return e.Status }
func (e *Error) GetHeaders() http.Header { return e.header }

// FromDomain turns any error into the API's Error. Errors that are not
// *errs.Error are internal: logged with the request id, never shown.
func FromDomain(ctx context.Context, err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	e := errs.As(err)
	if e == nil {
		rid := requestctx.ID(ctx)
		slog.ErrorContext(ctx, "internal error", "err", err, "request_id", rid)
		return &Error{Status: 500, Body: ErrorBody{Code: "internal", Message: "Something went wrong on our side. Quote request " + rid + " if you report it.", RequestID: rid}}
	}
	out := &Error{Status: e.Kind.HTTPStatus(), Body: ErrorBody{Code: e.Code, Message: e.Message, Field: e.Field}}
	if e.Kind == errs.Unavailable {
		// The cause (which database error) is for the operator's log.
		rid := requestctx.ID(ctx)
		slog.WarnContext(ctx, "unavailable", "code", e.Code, "err", err, "request_id", rid)
		out.Body.RequestID = rid
	}
	if e.RetryAfter > 0 {
		out.header = http.Header{"Retry-After": {strconv.Itoa(e.RetryAfter)}}
	}
	return out
}

var requiredProp = regexp.MustCompile(`expected required property (\S+) to be present`)

// newHumaError replaces huma.NewError so that huma's own errors (validation,
// malformed JSON, body too large) come out in our shape. Huma answers
// validation failures with 422; SPEC §10 wants 400 naming the field.
func newHumaError(status int, msg string, list ...error) huma.StatusError {
	for _, e := range list {
		var ae *Error
		if errors.As(e, &ae) {
			return ae
		}
	}
	out := &Error{Status: status, Body: ErrorBody{Message: msg}}
	switch status {
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		out.Status = http.StatusBadRequest
		out.Body.Code = "invalid_request"
		if msg == "" || strings.Contains(msg, "validation failed") {
			out.Body.Message = "The request is not valid."
		}
		for _, e := range list {
			var d *huma.ErrorDetail
			if !errors.As(e, &d) {
				continue
			}
			field := d.Location // body.x.y, query.limit, path.id
			for _, in := range []string{"body", "query", "path", "header"} {
				if field == in || strings.HasPrefix(field, in+".") {
					field = strings.TrimPrefix(strings.TrimPrefix(field, in), ".")
					break
				}
			}
			if m := requiredProp.FindStringSubmatch(d.Message); m != nil {
				field = strings.TrimPrefix(field+"."+m[1], ".")
			}
			if field == "" && strings.HasPrefix(d.Message, "unexpected property") {
				field = "body"
			}
			if field != "" {
				out.Body.Field = field
				out.Body.Code = "invalid_" + strings.ReplaceAll(field, ".", "_")
				out.Body.Message = field + ": " + d.Message
			} else {
				out.Body.Message = d.Message
			}
			break
		}
		if strings.Contains(strings.ToLower(msg), "unmarshal") || strings.Contains(strings.ToLower(msg), "json") {
			out.Body.Code = "malformed_json"
			out.Body.Message = "The request body is not valid JSON."
		}
	case http.StatusRequestEntityTooLarge:
		out.Body.Code = "too_large"
		out.Body.Message = "The request body is larger than 1 MiB."
	case http.StatusNotFound:
		out.Body.Code = "not_found"
	case http.StatusMethodNotAllowed:
		out.Body.Code = "method_not_allowed"
	case http.StatusUnsupportedMediaType, http.StatusNotAcceptable:
		out.Body.Code = "unsupported_media_type"
	default:
		if status >= 500 {
			out.Body.Code = "internal"
			out.Body.Message = "Something went wrong on our side."
		} else {
			out.Body.Code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		}
	}
	if out.Body.Message == "" {
		out.Body.Message = http.StatusText(out.Status)
	}
	return out
}

func init() {
	huma.NewError = newHumaError
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, list ...error) huma.StatusError {
		e := newHumaError(status, msg, list...)
		if ae, ok := e.(*Error); ok && ae.Status >= 500 && ctx != nil {
			ae.Body.RequestID = requestctx.ID(ctx.Context())
		}
		return e
	}
}

// WriteJSONError writes an error outside huma (unknown routes, middleware).
func WriteJSONError(w http.ResponseWriter, r *http.Request, err error) {
	e := FromDomain(r.Context(), err)
	for k, v := range e.header {
		w.Header()[k] = v
	}
	writeJSON(w, e.Status, e)
}
