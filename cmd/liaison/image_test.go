package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// nonroot is the distroless image's unprivileged user, the one the
// Dockerfile runs as.
const nonroot = "65532:65532"

// TestImageRunsInEmptyRoot proves the container image would run, on a
// machine without a container daemon: the binary built as the Dockerfile
// builds it (CGO_ENABLED=0, static) starts in a root holding only itself,
// the CA certificates and an empty /data owned by the image's user, runs as
// that user, serves /readyz, and its own healthcheck (the image's
// HEALTHCHECK) passes from inside that root. As root it uses chroot; as
// another user, unshare with a user namespace.
func TestImageRunsInEmptyRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; not in -short")
	}
	wrap, how := emptyRootRunner(t)
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "liaison")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary is dynamically linked: it would not run on scratch/distroless static")
		}
	}
	f.Close()
	certs := filepath.Join(root, "etc", "ssl", "certs")
	if err := os.MkdirAll(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	if ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		if err := os.WriteFile(filepath.Join(certs, "ca-certificates.crt"), ca, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(root, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(data, 65532, 65532); err != nil {
			t.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := []string{"LIAISON_ADDR=" + addr, "LIAISON_DATA_DIR=/data", "LIAISON_BASE_URL=http://" + addr}
	var logs bytes.Buffer
	srv := wrap(root, "/liaison", "serve")
	srv.Env, srv.Stdout, srv.Stderr = env, &logs, &logs
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		t.Fatalf("%s: %v", how, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		_ = syscall.Kill(-srv.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		select {
		case e := <-exited:
			t.Fatalf("the server exited in the empty root (%s): %v\n%s", how, e, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never answered 200 (%s): %v\n%s", how, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	hc := wrap(root, "/liaison", "healthcheck")
	hc.Env = env
	if out, err := hc.CombinedOutput(); err != nil {
		t.Fatalf("the image's HEALTHCHECK (liaison healthcheck) failed: %v\n%s", err, out)
	}
	// The server wrote its database and audit key into /data as the
	// unprivileged user.
	for _, name := range []string{"liaison.db", "audit-ed25519.pem"} {
		st, err := os.Stat(filepath.Join(data, name))
		if err != nil {
			t.Fatalf("/data/%s: %v", name, err)
		}
		if os.Geteuid() == 0 {
			if uid := st.Sys().(*syscall.Stat_t).Uid; uid != 65532 {
				t.Fatalf("/data/%s owned by %d, want the image's non-root user", name, uid)
			}
		}
	}
	t.Logf("served /readyz from an empty root via %s", how)
}

// emptyRootRunner returns how to run a command with root as its root
// directory: chroot as the image's non-root user when this test runs as
// root, else unshare in a user namespace; it skips, saying why, when
// neither is possible.
func emptyRootRunner(t *testing.T) (func(root string, args ...string) *exec.Cmd, string) {
	if os.Geteuid() == 0 {
		if p, err := exec.LookPath("chroot"); err == nil {
			return func(root string, args ...string) *exec.Cmd {
				return exec.Command(p, append([]string{"--userspec=" + nonroot, root}, args...)...)
			}, "chroot --userspec=" + nonroot
		}
	}
	p, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("neither chroot (as root) nor unshare is available: cannot start the binary in an empty root; run as root (.ci/run does)")
	}
	if out, err := exec.Command(p, "--map-root-user", "--root=/", "true").CombinedOutput(); err != nil {
		t.Skipf("not root and user namespaces are not allowed here (unshare: %v %s): cannot start the binary in an empty root; run as root (.ci/run does)", err, out)
	}
	return func(root string, args ...string) *exec.Cmd {
		return exec.Command(p, append([]string{"--map-root-user", "--root=" + root}, args...)...)
	}, "unshare --map-root-user --root"
}
