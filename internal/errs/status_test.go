package errs

import (
	"net/http"
	"testing"
)

// The one map from kinds to statuses, which the API and the pages share.
func TestHTTPStatus(t *testing.T) {
	for k, want := range map[Kind]int{Internal: http.StatusInternalServerError, Invalid: http.StatusBadRequest,
		Unauthorized: http.StatusUnauthorized, Forbidden: http.StatusForbidden, NotFound: http.StatusNotFound,
		Conflict: http.StatusConflict, Gone: http.StatusGone, TooLarge: http.StatusRequestEntityTooLarge,
		Unprocessable: http.StatusUnprocessableEntity, RateLimited: http.StatusTooManyRequests,
		Unavailable: http.StatusServiceUnavailable, Kind(99): http.StatusInternalServerError} {
		if got := k.HTTPStatus(); got != want {
			t.Errorf("kind %d: %d, want %d", k, got, want)
		}
	}
}
