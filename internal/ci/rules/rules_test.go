package rules

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/liaison-dev/liaison/"

// root is the module's directory (the test runs in internal/ci/rules).
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

// packageDirs are the directories under internal/ and cmd/ that hold Go
// files, relative to the root ("internal/auth").
func packageDirs(t *testing.T, rootDir string) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(rootDir, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(p, ".go") {
				rel, _ := filepath.Rel(rootDir, filepath.Dir(p))
				seen[filepath.ToSlash(rel)] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for d := range seen {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// imports maps each package ("internal/auth") to what its non-test files
// import: the module's packages by their path in the module, others by
// their import path ("database/sql").
func imports(t *testing.T) map[string][]string {
	t.Helper()
	rootDir := root(t)
	out := map[string][]string{}
	for _, dir := range packageDirs(t, rootDir) {
		p, err := build.Default.ImportDir(filepath.Join(rootDir, dir), 0)
		if _, ok := err.(*build.NoGoError); ok {
			continue // test files only
		}
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range p.Imports {
			out[dir] = append(out[dir], strings.TrimPrefix(imp, module))
		}
	}
	return out
}

// reaches answers every package pkg imports, directly or not.
func reaches(graph map[string][]string, pkg string) map[string]bool {
	seen := map[string]bool{}
	next := []string{pkg}
	for len(next) > 0 {
		p := next[len(next)-1]
		next = next[:len(next)-1]
		for _, q := range graph[p] {
			if !seen[q] {
				seen[q] = true
				next = append(next, q)
			}
		}
	}
	return seen
}

// TestImportRules: auth (the guard) runs no capability, so it reaches
// neither accounts, activity nor Login As (issue 22: sign-up and invitation
// acceptance call auth, never the other way round); the handlers reach the
// database only through the domains.
func TestImportRules(t *testing.T) {
	graph := imports(t)
	if len(graph["internal/auth"]) == 0 {
		t.Fatal("internal/auth imports nothing: the walk of the tree is wrong")
	}
	never := map[string][]string{
		"internal/auth": {"internal/account", "internal/activity", "internal/impersonation", "internal/signup", "internal/invite"},
	}
	for pkg, banned := range never {
		all := reaches(graph, pkg)
		for _, b := range banned {
			if all[b] {
				t.Errorf("%s imports %s (directly or through another package): move the code that needs it out of %s", pkg, b, pkg)
			}
		}
	}
	for _, pkg := range []string{"internal/api", "internal/web"} {
		for _, imp := range graph[pkg] {
			if imp == "database/sql" || imp == "internal/db" {
				t.Errorf("handler package %s imports %s: handlers call the domains", pkg, imp)
			}
		}
	}
}

// owners are the packages that write each table (INSERT, UPDATE, DELETE);
// every other package calls them, in its own transaction. internal/db
// (which recognises statements) and internal/testkit (fixtures) are not
// writers.
var owners = map[string][]string{
	"sessions":       {"internal/auth"},
	"memberships":    {"internal/account"},
	"links":          {"internal/link"},
	"agency_clients": {"internal/client"},
	"client_list":    {"internal/clientlist", "internal/clientlist/due"},
	// When each row falls due (migration 00058).
	"client_list_due": {"internal/clientlist", "internal/clientlist/due"},
	// The client commands' table; a package of its own so that agency
	// and link call it without an import cycle (agency ← clientlist ←
	// client).
	"client_account_managers": {"internal/client/managers"},
}

var writeRe = regexp.MustCompile(`(?i)\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)\b`)

// TestTableOwners: each table of owners is written by its owners' non-test
// files only.
func TestTableOwners(t *testing.T) {
	rootDir := root(t)
	found := map[string]bool{}
	for _, dir := range packageDirs(t, rootDir) {
		if dir == "internal/db" || strings.HasPrefix(dir, "internal/testkit") {
			continue
		}
		files, err := filepath.Glob(filepath.Join(rootDir, dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				for _, m := range writeRe.FindAllStringSubmatch(s, -1) {
					table := strings.ToLower(m[1])
					own, ok := owners[table]
					if !ok {
						continue
					}
					found[table] = true
					if !slices.Contains(own, dir) {
						t.Errorf("%s: %s writes %s, which %s owns: call its function with the transaction",
							fset.Position(lit.Pos()), dir, table, strings.Join(own, ", "))
					}
				}
				return true
			})
		}
	}
	for table := range owners {
		if !found[table] {
			t.Errorf("no statement writes %s: the scan is wrong, or the table moved (update owners)", table)
		}
	}
}
