// Package errs holds the one error type that every domain package returns.
//
// A Kind says which HTTP status the error becomes (Kind.HTTPStatus, the one
// mapping, which the API and the pages both use); a Code is the stable machine-readable string in the JSON error body
// ({"error":{"code","message"}}); the Message is for people. Field names the
// input field at fault, when there is one, so forms can show it beside the field.
package errs

import (
	"errors"
	"fmt"
)

// Kind is the class of an error; each maps to one HTTP status.
type Kind int

const (
	Internal      Kind = iota // 500
	Invalid                   // 400
	Unauthorized              // 401
	Forbidden                 // 403
	NotFound                  // 404
	Conflict                  // 409
	Gone                      // 410
	TooLarge                  // 413
	Unprocessable             // 422: a business rule, e.g. no seats left
	RateLimited               // 429
	Unavailable               // 503: try again after RetryAfter seconds
)

// HTTPStatus is the status of an answer carrying an error of this kind, in
// the API (JSON) and on the pages alike.
func (k Kind) HTTPStatus() int {
	switch k {
	case Invalid:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Conflict:
		return 409
	case Gone:
		return 410
	case TooLarge:
		return 413
	case Unprocessable:
		return 422
	case RateLimited:
		return 429
	case Unavailable:
		return 503
	}
	return 500
}

// Error is a domain error with a kind, a stable code and a readable message.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string // the input field at fault, if any
	// RetryAfter is set on RateLimited and Unavailable errors: seconds
	// until a retry may succeed.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// E builds an error of the given kind and code.
func E(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField reports a validation error for one input field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Code: "invalid_" + field, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Common errors with fixed codes.
var (
	ErrNotFound     = &Error{Kind: NotFound, Code: "not_found", Message: "Not found."}
	ErrForbidden    = &Error{Kind: Forbidden, Code: "forbidden", Message: "You are not allowed to do this."}
	ErrUnauthorized = &Error{Kind: Unauthorized, Code: "unauthorized", Message: "Log in first."}
	// ErrDatabaseUnavailable wraps the errors of a database that cannot
	// answer now: unreachable, out of disk, read-only (internal/db
	// classifies them). The request may well succeed if tried again.
	ErrDatabaseUnavailable = &Error{Kind: Unavailable, Code: "database_unavailable",
		Message: "The database is unavailable right now. Please try again shortly.", RetryAfter: 5}
)

// As returns the *Error inside err, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err; Internal for errors that are not *Error.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }
