package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// axe-core (testdata/axe, MPL-2.0, vendored for the tests only: it is never
// served) checks each page the browser tests visit for accessibility
// problems: contrast, names of links and buttons, labels, landmarks, ARIA.
// Any violation fails the test.

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

func axeScript() (string, error) {
	axeOnce.Do(func() {
		b, err := os.ReadFile("testdata/axe/axe.min.js")
		axeSource, axeErr = string(b), err
	})
	return axeSource, axeErr
}

// axeRun checks the whole document for WCAG 2.x A and AA rules and best
// practices; it answers the violations, one line per element.
const axeRun = `axe.run(document, {resultTypes: ["violations"],
	runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, help: v.help,
	nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))}))))`

type axeViolation struct {
	ID    string   `json:"id"`
	Help  string   `json:"help"`
	Nodes []string `json:"nodes"`
}

// accessible fails the test when axe-core finds a violation on the page.
// The script is evaluated through DevTools, which the page's CSP does
// not restrict; the page never loads it itself.
func (b *tab) accessible(what string) {
	b.t.Helper()
	src, err := axeScript()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`typeof axe === "undefined" ? "" : "loaded"`))
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	if out == "" {
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](src+"\n;undefined")); err != nil {
			b.t.Fatalf("%s: load axe-core: %v", what, err)
		}
	}
	res, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: axe-core: %v", what, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(res), &vs); err != nil {
		b.t.Fatalf("%s: axe-core answered %q: %v", what, res, err)
	}
	if len(vs) == 0 {
		return
	}
	var lines []string
	for _, v := range vs {
		lines = append(lines, fmt.Sprintf("%s (%s):\n    %s", v.ID, v.Help, strings.Join(v.Nodes, "\n    ")))
	}
	b.t.Errorf("%s: axe-core finds %d violation(s):\n  %s", what, len(vs), strings.Join(lines, "\n  "))
}
