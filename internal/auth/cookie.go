package auth

import (
	"net/http"
	"time"
)

// CookieName is the session cookie.
const CookieName = "liaison_session"

// Cookie returns the session cookie for a login: HttpOnly, SameSite=Lax,
// Secure when the server is reached over https. Its lifetime is a Max-Age
// (the session's absolute timeout; a login is always new), never an
// Expires date: the browser counts it on its own clock, so a server clock
// that differs from the browser's cannot make it expire early or late.
func Cookie(l Login, secure bool) http.Cookie {
	return http.Cookie{Name: CookieName, Value: l.Token, Path: "/", MaxAge: int(AbsoluteTimeout / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// ClearCookie removes the session cookie.
func ClearCookie(secure bool) http.Cookie {
	return http.Cookie{Name: CookieName, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}
