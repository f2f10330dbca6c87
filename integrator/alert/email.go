package alert

// Email uses the standard library's net/smtp: it is frozen but maintained with Go, and
// one plain-text message over STARTTLS or implicit TLS with PLAIN authentication is all an
// alert needs, so a third-party mail library would add a dependency for nothing.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// TLS modes of EmailConfig.
const (
	// TLSStartTLS upgrades the connection with STARTTLS when the server offers it, and
	// requires it whenever a password is to be sent (the default).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit = "tls"
	// TLSNone never encrypts; only for a relay on the same host or network. A password
	// is then refused.
	TLSNone = "none"
)

// EmailConfig configures an Email sender.
type EmailConfig struct {
	// Addr is the SMTP server, host:port.
	Addr string
	// From is the sender address; To the recipients (at least one).
	From string
	To   []string
	// Username and Password authenticate with PLAIN, over TLS only. The password is a
	// secret: it never appears in errors or logs.
	Username, Password string
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string
	// TLSConfig overrides the TLS settings (default: verify the server's name).
	TLSConfig *tls.Config
	// Hello is the name sent in EHLO (default "localhost").
	Hello string
}

// Email sends messages by SMTP.
type Email struct {
	cfg  EmailConfig
	host string
}

var _ Sender = (*Email)(nil)

// NewEmail validates cfg and returns the sender.
func NewEmail(cfg EmailConfig) (*Email, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("alert: email: the SMTP server %q must be host:port", cfg.Addr)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("alert: email: from address %q: %w", cfg.From, err)
	}
	if len(cfg.To) == 0 {
		return nil, errors.New("alert: email: at least one recipient is required")
	}
	for _, to := range cfg.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return nil, fmt.Errorf("alert: email: recipient %q: %w", to, err)
		}
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if cfg.Password != "" {
			return nil, errors.New("alert: email: a password is never sent without TLS (tls none)")
		}
	default:
		return nil, fmt.Errorf("alert: email: tls %q must be starttls, tls or none", cfg.TLS)
	}
	if cfg.Hello == "" {
		cfg.Hello = "localhost"
	}
	return &Email{cfg: cfg, host: host}, nil
}

func (e *Email) Name() string { return "email" }

func (e *Email) tlsConfig() *tls.Config {
	if e.cfg.TLSConfig != nil {
		return e.cfg.TLSConfig
	}
	return &tls.Config{ServerName: e.host, MinVersion: tls.VersionTLS12}
}

// Send delivers the message to every recipient in one SMTP transaction, within ctx.
func (e *Email) Send(ctx context.Context, m Message) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("alert: email: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(DefaultSendTimeout))
	}
	if e.cfg.TLS == TLSImplicit {
		conn = tls.Client(conn, e.tlsConfig())
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return fmt.Errorf("alert: email: %w", err)
	}
	defer c.Close()
	if err := c.Hello(e.cfg.Hello); err != nil {
		return fmt.Errorf("alert: email: EHLO: %w", err)
	}
	if e.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tlsConfig()); err != nil {
				return fmt.Errorf("alert: email: STARTTLS: %w", err)
			}
		} else if e.cfg.Password != "" {
			return errors.New("alert: email: the server does not offer STARTTLS; the password is not sent in clear")
		}
	}
	if e.cfg.Username != "" {
		// PlainAuth itself refuses to send the password over an unencrypted connection
		// to anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.host)); err != nil {
			return fmt.Errorf("alert: email: authentication as %s failed: %w", e.cfg.Username, redactPassword(err, e.cfg.Password))
		}
	}
	if err := c.Mail(e.cfg.From); err != nil {
		return fmt.Errorf("alert: email: MAIL FROM: %w", err)
	}
	for _, to := range e.cfg.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("alert: email: RCPT TO %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("alert: email: DATA: %w", err)
	}
	if _, err := w.Write(e.compose(m)); err != nil {
		return fmt.Errorf("alert: email: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("alert: email: the server refused the message: %w", err)
	}
	return c.Quit()
}

// compose renders the message: headers free of line breaks a summary could smuggle in,
// a quoted-printable UTF-8 body.
func (e *Email) compose(m Message) []byte {
	var b bytes.Buffer
	oneLine := strings.NewReplacer("\r", " ", "\n", " ")
	var id [12]byte
	_, _ = rand.Read(id[:])
	fmt.Fprintf(&b, "From: %s\r\n", e.cfg.From)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(e.cfg.To, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", oneLine.Replace(m.Subject())))
	fmt.Fprintf(&b, "Date: %s\r\n", m.At.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s.%s@peakready>\r\n", hex.EncodeToString(id[:]), oneLine.Replace(m.Condition))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(m.Text(), "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

func redactPassword(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "[redacted]"))
}
