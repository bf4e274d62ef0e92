package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/liaison-dev/liaison/internal/db"
)

// Page views are acknowledged (204) before they are written: the server's
// recorder (internal/activity/recorder.go) queues them in memory and writes
// what has queued up in one transaction. A SIGKILL therefore loses the
// views of the killed process that were acknowledged and not yet
// committed: at most its queue plus the batch being written. That is the
// bound the suite checks, exactly: every acknowledged view is stored,
// except views acknowledged by a process that was then killed, at most
// MaxLostViews of them per kill; a process stopped with SIGTERM writes all
// of its own.

// MaxLostViews is the most page views a kill may lose: the recorder's
// queue (activity queueSize, 4096) plus one batch being written (maxBatch,
// 512). Keep it in step with internal/activity/recorder.go.
const MaxLostViews = 4096 + 512

type view struct {
	tag   string // the view's brand_id: unique, so it can be found
	acked bool
	at    time.Time // when the 204 arrived
	gen   int       // the process incarnation that acknowledged it
}

// viewer signs a client user up through an invitation's e-mail link (as a
// person would) and returns its session cookie.
func (s *suite) viewer(ctx context.Context) (*http.Cookie, error) {
	const email = "viewer@faults.example"
	p := s.live()
	if p == nil {
		return nil, errors.New("viewer: no process up")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if _, err := post(ctx, c, "http://"+p.addr+"/api/v1/agencies/"+s.agency+"/invitations", s.token, map[string]any{"email": email}, 201); err != nil {
		return nil, fmt.Errorf("viewer: invitation: %w", err)
	}
	token := ""
	re := regexp.MustCompile(`/invite/([A-Za-z0-9_\-]+)`)
	for deadline := time.Now().Add(30 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range s.sink.Messages() {
			if len(m.To) == 0 || !strings.EqualFold(m.To[0], email) {
				continue
			}
			bodies, err := m.Bodies()
			if err != nil {
				return nil, err
			}
			for _, b := range bodies {
				if sm := re.FindStringSubmatch(b); sm != nil {
					token = sm[1]
				}
			}
		}
	}
	if token == "" {
		return nil, errors.New("viewer: no invitation e-mail with a link within 30 s")
	}
	req, err := jsonRequest(ctx, "http://"+p.addr+"/api/v1/invitations/accept", "", map[string]any{
		"token": token, "name": "Fault Viewer", "password": "another perfectly good passphrase"})
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("viewer: accept: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 201 {
		return nil, fmt.Errorf("viewer: accept: status %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Value != "" && strings.Contains(ck.Name, "session") {
			return ck, nil
		}
	}
	return nil, errors.New("viewer: accept set no session cookie")
}

// viewWrite is a page-view worker: POST /api/v1/activity as the client
// user, each view tagged with a brand_id of its own.
func (s *suite) viewWrite(ctx context.Context, w int, cookie *http.Cookie) {
	c := &http.Client{Timeout: 10 * time.Second}
	for n := 0; ctx.Err() == nil; n++ {
		p := s.live()
		if p == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		v := view{tag: fmt.Sprintf("v%d-%d-%d", w, n, rand.N(1<<30)), gen: p.gen}
		req, err := jsonRequest(context.WithoutCancel(ctx), "http://"+p.addr+"/api/v1/activity", "", map[string]any{"page": "dashboard", "brand_id": v.tag})
		if err == nil {
			req.AddCookie(cookie)
			var resp *http.Response
			if resp, err = c.Do(req); err == nil {
				resp.Body.Close()
				v.acked = resp.StatusCode == http.StatusNoContent
				if !v.acked && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
					s.logf("view worker %d: status %d", w, resp.StatusCode)
				}
			}
		}
		v.at = time.Now()
		s.mu.Lock()
		s.views = append(s.views, v)
		s.mu.Unlock()
		if !v.acked {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// checkViews finds the acknowledged page views that are not stored and
// holds them to the bound.
func (s *suite) checkViews(ctx context.Context, d *db.DB, res *Result) error {
	var tags []string
	if err := d.Select(ctx, &tags, `SELECT brand_id FROM activity_events WHERE kind = 'page_view' AND brand_id IS NOT NULL`); err != nil {
		return err
	}
	stored := make(map[string]bool, len(tags))
	for _, t := range tags {
		stored[t] = true
	}
	lostBy := map[int]int{} // incarnation → views lost
	for _, v := range s.views {
		if !v.acked {
			continue
		}
		res.Views++
		if stored[v.tag] {
			continue
		}
		res.ViewsLost++
		lostBy[v.gen]++
		kill, killed := s.killedAt[v.gen]
		switch {
		case !killed:
			res.Missing = append(res.Missing, fmt.Sprintf("page view %s: acknowledged by process incarnation %d, never killed, not stored", v.tag, v.gen))
		case v.at.After(kill):
			res.Missing = append(res.Missing, fmt.Sprintf("page view %s: acknowledged after its process was killed", v.tag))
		default:
			res.ViewLossMaxAge = max(res.ViewLossMaxAge, kill.Sub(v.at))
		}
	}
	for gen, n := range lostBy {
		res.ViewsLostMaxPerKill = max(res.ViewsLostMaxPerKill, n)
		if n > MaxLostViews {
			res.Missing = append(res.Missing, fmt.Sprintf("page views: %d lost at the kill of incarnation %d, more than the bound %d", n, gen, MaxLostViews))
		}
	}
	return nil
}
