// Package smtpsink is a minimal SMTP server for tests: it accepts every
// message on 127.0.0.1 and keeps it in memory, so a test can speak real SMTP
// to it (through the same client code production uses) and then look at what
// arrived.
//
// It offers neither STARTTLS nor AUTH, so a client with an opportunistic TLS
// policy and no credentials talks to it in the clear. It can be stopped and
// started again on the same address, which lets a test simulate an outage of
// the mail server and check that delivery is retried.
package smtpsink

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// Message is one message the sink received.
type Message struct {
	From     string   // the MAIL FROM address
	To       []string // the RCPT TO addresses
	Data     []byte   // the message as sent after DATA, lines ending in \n, dots unstuffed
	Subject  string   // the decoded Subject header
	Received time.Time
}

// Sink is an SMTP server that records what it receives. The zero value is not
// usable; call New.
type Sink struct {
	// ReplyDelay holds back the reply to a message's data after it was
	// recorded: the window in which a sender that dies has delivered a
	// message without knowing it (the fault suite's duplicates). Set it
	// before Start.
	ReplyDelay time.Duration

	mu      sync.Mutex
	ln      net.Listener
	addr    string
	conns   map[net.Conn]struct{}
	msgs    []Message
	arrived chan struct{} // closed and replaced on every new message
	wg      sync.WaitGroup
}

// New returns a sink that is not listening yet.
func New() *Sink {
	return &Sink{conns: map[net.Conn]struct{}{}, arrived: make(chan struct{})}
}

// Start listens on addr ("" or "127.0.0.1:0" for a random port) and serves
// connections until Stop. After a Stop it may be started again, also on the
// address it had before (see Addr).
func (s *Sink) Start(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("smtpsink: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("smtpsink: %w", err)
	}
	s.ln = ln
	s.addr = ln.Addr().String()
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

// Stop closes the listener and every open connection and waits for them to
// end. Received messages are kept. Stopping a stopped sink does nothing.
func (s *Sink) Stop() {
	s.mu.Lock()
	ln := s.ln
	s.ln = nil
	if ln != nil {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Addr is the host:port the sink listens (or last listened) on.
func (s *Sink) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is an smtp:// URL for the sink, the form LIAISON_SMTP_URL takes.
func (s *Sink) URL() string { return "smtp://" + s.Addr() }

// Messages returns a copy of the messages received so far, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Reset forgets the messages received so far.
func (s *Sink) Reset() {
	s.mu.Lock()
	s.msgs = nil
	s.mu.Unlock()
}

// WaitFor waits until at least n messages have arrived and returns them; after
// timeout it returns what has arrived and an error.
func (s *Sink) WaitFor(n int, timeout time.Duration) ([]Message, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, ch := len(s.msgs), s.arrived
		msgs := append([]Message(nil), s.msgs...)
		s.mu.Unlock()
		if got >= n {
			return msgs, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return msgs, fmt.Errorf("smtpsink: %d message(s) after %s, want %d", got, timeout, n)
		}
	}
}

func (s *Sink) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Stop
		}
		s.mu.Lock()
		if s.ln != ln { // Stop ran between Accept and here
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Sink) record(m Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
	s.mu.Unlock()
}

// serve speaks the server side of one SMTP session (RFC 5321, the subset a
// submission client needs).
func (s *Sink) serve(c net.Conn) {
	r := textproto.NewReader(bufio.NewReader(c))
	w := bufio.NewWriter(c)
	reply := func(lines ...string) bool {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		return w.Flush() == nil
	}
	if !reply("220 smtpsink ESMTP ready") {
		return
	}
	var from string
	var to []string
	inTx := false
	for {
		// A generous per-command deadline keeps a stuck client from pinning
		// the goroutine for the rest of the test run.
		c.SetDeadline(time.Now().Add(time.Minute))
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		ok := true
		switch strings.ToUpper(verb) {
		case "EHLO":
			from, to, inTx = "", nil, false
			ok = reply("250-smtpsink greets "+arg, "250-8BITMIME", "250-PIPELINING", "250 SIZE 10485760")
		case "HELO":
			from, to, inTx = "", nil, false
			ok = reply("250 smtpsink greets " + arg)
		case "MAIL":
			addr, good := pathArg(arg, "FROM:")
			if !good {
				ok = reply("501 syntax: MAIL FROM:<address>")
				break
			}
			from, to, inTx = addr, nil, true
			ok = reply("250 OK")
		case "RCPT":
			addr, good := pathArg(arg, "TO:")
			switch {
			case !inTx:
				ok = reply("503 need MAIL first")
			case !good || addr == "":
				ok = reply("501 syntax: RCPT TO:<address>")
			default:
				to = append(to, addr)
				ok = reply("250 OK")
			}
		case "DATA":
			if !inTx || len(to) == 0 {
				ok = reply("503 need RCPT first")
				break
			}
			if !reply("354 end data with <CR><LF>.<CR><LF>") {
				return
			}
			data, err := r.ReadDotBytes()
			if err != nil {
				return
			}
			s.record(Message{From: from, To: to, Data: data, Subject: subjectOf(data), Received: time.Now()})
			from, to, inTx = "", nil, false
			time.Sleep(s.ReplyDelay)
			ok = reply("250 OK queued")
		case "RSET":
			from, to, inTx = "", nil, false
			ok = reply("250 OK")
		case "NOOP":
			ok = reply("250 OK")
		case "VRFY":
			ok = reply("252 cannot verify, will accept")
		case "QUIT":
			reply("221 bye")
			return
		default: // STARTTLS and AUTH included: not offered, so not implemented
			ok = reply("502 command not implemented")
		}
		if !ok {
			return
		}
	}
}

// pathArg parses "FROM:<a@b> SIZE=…" (prefix is "FROM:" or "TO:") into a@b.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

var words = new(mime.WordDecoder)

func subjectOf(data []byte) string {
	m, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		return ""
	}
	subj := m.Header.Get("Subject")
	if dec, err := words.DecodeHeader(subj); err == nil {
		return dec
	}
	return subj
}

// Header returns the message's parsed header.
func (m Message) Header() (mail.Header, error) {
	p, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		return nil, err
	}
	return p.Header, nil
}

// Bodies walks the message's MIME tree and returns each leaf part's decoded
// text by media type ("text/plain", "text/html"), so tests can look at the
// content without knowing the transfer encoding the client chose.
func (m Message) Bodies() (map[string]string, error) {
	p, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	err = walk(textproto.MIMEHeader(p.Header), p.Body, out)
	return out, err
}

func walk(h textproto.MIMEHeader, body io.Reader, out map[string]string) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return err
	}
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(part.Header, part, out); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks itself
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	out[media] = string(b)
	return nil
}
