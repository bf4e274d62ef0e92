package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender hands one rendered message to a mail server.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// smtpTimeout bounds the connection and each exchange with the server: a
// hung server must not hold a job past its lease.
const smtpTimeout = 30 * time.Second

type smtpSender struct {
	host string
	opts []gomail.Option
}

// NewSMTPSender returns a Sender for an smtp:// or smtps:// URL:
//
//   - smtp://host[:port] uses STARTTLS when the server offers it and plain SMTP
//     otherwise (port 587 by default);
//   - smtps://host[:port] uses implicit TLS (port 465 by default);
//   - user:pass@ in the URL turns on SMTP AUTH. The mechanism is discovered
//     from what the server offers (PLAIN and LOGIN only over TLS, so a
//     password is never sent in the clear); ?auth=plain, login, cram-md5,
//     plain-noenc, … forces one.
func NewSMTPSender(smtpURL string) (Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP URL: %w", err)
	}
	var opts []gomail.Option
	port := 587
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("mail: SMTP URL must start with smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("mail: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL has a bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port), gomail.WithTimeout(smtpTimeout))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		auth := gomail.SMTPAuthAutoDiscover
		if a := u.Query().Get("auth"); a != "" {
			if err := auth.UnmarshalString(a); err != nil {
				return nil, fmt.Errorf("mail: SMTP URL: %w", err)
			}
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	// Check the options once now, so a bad URL fails at start-up, not at the
	// first e-mail.
	if _, err := gomail.NewClient(host, opts...); err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	return &smtpSender{host: host, opts: opts}, nil
}

// Send dials the server, sends m as multipart/alternative (text and HTML) and
// hangs up. A client per message keeps Send safe to call from several job
// workers at once; e-mail volume is far too low for connection reuse to matter.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg()
	from, err := fromHeader(m.FromName, m.FromAddr)
	if err != nil {
		return err
	}
	msg.FromMailAddress(from)
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.CreatedAt)
	// The outbox ID in the Message-ID makes a message resent after a lost
	// reply recognisable as the same message.
	msg.SetMessageIDWithValue(m.messageID())
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("attachment %q: %w", a.Name, err)
		}
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// fromHeader is the From of a message. The display name is encoded by
// net/mail when the header is written: quoted with its quotes and
// backslashes escaped (RFC 5322) when it is printable ASCII, an RFC 2047
// encoded word otherwise. go-mail's FromFormat pasted the name between
// quotes and parsed the result, so a quote in an agency's sender name
// failed every e-mail ("no angle-addr"). Line breaks never reach here
// (input refuses them, Send stores the name on one line); they are dropped
// again for safety.
func fromHeader(name, addr string) (*netmail.Address, error) {
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Name != "" {
		return nil, fmt.Errorf("from %q: not a bare address", addr)
	}
	return &netmail.Address{Name: oneLine(name), Address: a.Address}, nil
}

// messageID is the Message-ID every attempt at m sends: the stored one, or
// for rows written before it was stored, the same value derived from the
// row's ID and sender.
func (m Message) messageID() string {
	if m.MessageID != "" {
		return m.MessageID
	}
	return m.ID + "@" + domainOf(m.FromAddr)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "localhost"
}

// isPermanent reports whether the server refused the message for good (a 5xx
// reply to MAIL, RCPT or DATA, e.g. an unknown recipient): retrying would only
// repeat the refusal. Connection and authentication failures stay temporary,
// since the operator can fix those.
func isPermanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	code := se.ErrorCode()
	return code >= 500 && code < 600 && !se.IsTemp()
}

// hostPort is used in log lines: the URL may hold a password, the address not.
func hostPort(smtpURL string) string {
	u, err := url.Parse(smtpURL)
	if err != nil {
		return "?"
	}
	if u.Port() == "" {
		return u.Hostname()
	}
	return net.JoinHostPort(u.Hostname(), u.Port())
}
