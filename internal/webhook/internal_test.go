package webhook

import (
	"net/netip"
	"testing"
	"time"
)

func TestRefusedAddresses(t *testing.T) {
	private := []string{"127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "fe80::1", "fc00::1", "fd12::1", "0.0.0.0", "0.1.2.3", "::", "100.64.0.1", "::ffff:127.0.0.1",
		"::ffff:10.0.0.1", "::ffff:169.254.169.254", "224.0.0.1", "ff02::1", "64:ff9b::a00:1", "255.255.255.255", "198.18.0.1"}
	for _, s := range private {
		ip := netip.MustParseAddr(s)
		if !refused(ip, false) {
			t.Errorf("%s is not refused", s)
		}
		loop := ip.Unmap().IsLoopback()
		if refused(ip, true) == loop {
			t.Errorf("%s with loopback allowed: refused=%v", s, !loop)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "::ffff:8.8.8.8"} {
		if refused(netip.MustParseAddr(s), false) {
			t.Errorf("public %s is refused", s)
		}
	}
	if err := checkDial("[::ffff:127.0.0.1]:443", false); err == nil {
		t.Error("dial to a mapped loopback address allowed")
	}
	if err := checkDial("8.8.8.8:443", false); err != nil {
		t.Errorf("dial to a public address: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	prod := &Service{cfg: Config{}}
	dev := &Service{cfg: Config{AllowLoopback: true}}
	for _, tc := range []struct {
		url       string
		prod, dev bool // accepted
	}{
		{"https://hooks.example.com/liaison", true, true},
		{"https://hooks.example.com:8443/a?b=c", true, true},
		{"http://hooks.example.com/liaison", false, false},
		{"https://127.0.0.1/x", false, true},
		{"http://127.0.0.1:8080/x", false, true},
		{"http://localhost:8080/x", false, true},
		{"https://[::1]/x", false, true},
		{"https://10.0.0.1/x", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://[fe80::1]/x", false, false},
		{"https://user:pass@hooks.example.com/x", false, false},
		{"https://hooks.example.com/x#frag", false, false},
		{"ftp://hooks.example.com/x", false, false},
		{"hooks.example.com/x", false, false},
		{"https://exa mple.com/x", false, false},
		{"javascript:alert(1)", false, false},
	} {
		if _, err := prod.checkURL(tc.url); (err == nil) != tc.prod {
			t.Errorf("production %q: %v", tc.url, err)
		}
		if _, err := dev.checkURL(tc.url); (err == nil) != tc.dev {
			t.Errorf("development %q: %v", tc.url, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	now := time.Now()
	body := []byte(`{"id":"evt_x"}`)
	h := signatureHeader(now, body, "s1", "s0")
	if err := Verify("s1", h, body, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := Verify("s0", h, body, now, time.Minute); err != nil {
		t.Fatal("the previous secret's signature:", err)
	}
	if Verify("s2", h, body, now, time.Minute) == nil || Verify("s1", h, []byte(`{"id":"evt_y"}`), now, time.Minute) == nil ||
		Verify("s1", h, body, now.Add(10*time.Minute), time.Minute) == nil {
		t.Fatal("a wrong secret, body or time verified")
	}
}
