// Command testsummary reads `go test -json` output on stdin, echoes the
// human-readable output, and ends with one line "N passed, N failed, N
// skipped". It exits non-zero when a test failed, when nothing ran, or — with
// -no-skips — when any test skipped: in CI the PostgreSQL and browser tests
// must run, and a skip means they silently did not.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	noSkips := flag.Bool("no-skips", false, "fail when any test skipped")
	quiet := flag.Bool("quiet", false, "print only failures, skips and the summary")
	flag.Parse()
	os.Exit(summarize(os.Stdin, os.Stdout, *noSkips, *quiet))
}

func summarize(in io.Reader, out io.Writer, noSkips, quiet bool) int {
	var passed, failed, skipped int
	var failures, skips []string
	buildFailed := false
	output := map[string][]string{} // test → its output lines, printed on failure
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Fprintln(out, string(line)) // build errors are not JSON
			buildFailed = true
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			if e.Test != "" {
				output[key] = append(output[key], e.Output)
			}
			if !quiet && e.Test == "" {
				fmt.Fprint(out, e.Output)
			}
		case "pass":
			if e.Test != "" {
				passed++
				delete(output, key)
			}
		case "fail":
			if e.Test != "" {
				failed++
				failures = append(failures, key)
				for _, l := range output[key] {
					fmt.Fprint(out, l)
				}
			} else if quiet {
				fmt.Fprintf(out, "FAIL %s\n", e.Package)
			}
		case "skip":
			if e.Test != "" {
				skipped++
				msg := ""
				for _, l := range output[key] {
					msg += l
				}
				skips = append(skips, key+": "+msg)
				delete(output, key)
			}
		}
	}
	sort.Strings(skips)
	for _, s := range skips {
		fmt.Fprintln(out, "SKIP", s)
	}
	for _, f := range failures {
		fmt.Fprintln(out, "FAILED", f)
	}
	fmt.Fprintf(out, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	switch {
	case failed > 0 || buildFailed:
		return 1
	case passed == 0:
		fmt.Fprintln(out, "no test ran")
		return 1
	case noSkips && skipped > 0:
		fmt.Fprintln(out, "tests skipped in CI: the PostgreSQL or browser tests did not run")
		return 1
	}
	return 0
}
