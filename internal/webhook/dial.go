package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// sender sends deliveries. Its dialer checks the address each connection
// is made to, after name resolution, so a hostname that resolves (or is
// rebound) to a private address is refused as its literal address would
// be; proxies from the environment are not used, as they would connect on
// our behalf and bypass the check; redirects are not followed, as they
// could point anywhere.
type sender struct {
	client *http.Client
}

func newSender(cfg Config) *sender {
	d := &net.Dialer{Timeout: cfg.Timeout, Control: func(network, address string, _ syscall.RawConn) error {
		return checkDial(address, cfg.AllowLoopback)
	}}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          20,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &sender{client: &http.Client{Transport: tr, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// errRefused marks a connection refused by checkDial.
type errRefused struct{ addr netip.Addr }

func (e errRefused) Error() string {
	return fmt.Sprintf("refused to connect to %s: a private, loopback or link-local address", e.addr)
}

// checkDial refuses a connection to an address that is not public.
func checkDial(address string, allowLoopback bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("refused to connect to %q: not an IP address", host)
	}
	ip = ip.Unmap()
	if refused(ip, allowLoopback) {
		return errRefused{ip}
	}
	return nil
}

// notPublic are the ranges beyond netip's predicates that no webhook may
// reach: "this network", shared address space (carrier NAT), IETF
// protocol assignments, benchmarking, reserved and broadcast, NAT64 (which
// maps onto IPv4, private included), documentation and discard.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// refused reports whether ip is no address a webhook may be sent to:
// anything but a public unicast address (loopback allowed when
// allowLoopback, for development and tests).
func refused(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return !allowLoopback
	}
	if !ip.IsValid() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return true
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
