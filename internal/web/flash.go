package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// flashCookie carries a notice across the redirect that follows a form post.
// It holds only what the page just did ("Token revoked."), or a new API
// token, which must be shown once and nowhere else: the cookie is
// HttpOnly, lives two minutes at most and is cleared by the next page.
const flashCookie = "liaison_flash"

type flash struct {
	Notice string `json:"n,omitempty"`
	Error  string `json:"e,omitempty"`
	Token  string `json:"t,omitempty"`
	// Link is an invitation link just made, shown once to copy.
	Link string `json:"l,omitempty"`
	// Field, when set, is the field Error belongs beside (the page's
	// address ends with a fragment that scrolls to it).
	Field string `json:"f,omitempty"`
}

func (h *handler) setFlash(w http.ResponseWriter, f flash) {
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: 120, HttpOnly: true, Secure: h.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// takeFlash reads the flash of the request and clears it.
func (h *handler) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return flash{}
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
	var f flash
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) > 2048 || json.Unmarshal(b, &f) != nil {
		return flash{}
	}
	return f
}
