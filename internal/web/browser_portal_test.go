package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/liaison-dev/liaison/internal/testkit"
)

// domainTab is a browser tab in which the name domain resolves to the
// test server (Chromium's --host-resolver-rules), so that pages are asked
// for with that Host, as on a real custom domain.
func domainTab(t *testing.T, s *testkit.Server, domain string) *tab {
	t.Helper()
	exe := chromiumPath(t)
	hostport := strings.TrimPrefix(s.URL, "http://")
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP "+domain+" "+hostport),
		// Production serves custom domains over HTTPS; the test speaks
		// plain HTTP, which Chromium otherwise reports on (COOP ignored).
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", "http://"+domain),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// Long enough for a walk through every page a client reaches.
	ctx, cancelTime := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelCtx(); cancelAlloc() })
	b := &tab{t: t, ctx: ctx, base: "http://" + domain}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatal(err)
	}
	return b
}
