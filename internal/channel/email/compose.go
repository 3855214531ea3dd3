package email

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"vigil/internal/channel"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// messageIDFor derives the Message-ID of a delivery from its idempotency
// key: a retried delivery carries the same id, and the HMAC keeps ids
// unguessable so nobody can forge a reply into a thread by naming one.
func (s *Sender) messageIDFor(key string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(key))
	return "<" + hex.EncodeToString(m.Sum(nil))[:32] + "@" + s.domain + ">"
}

// compose writes the message: headers for threading, an anti-phishing
// line, the reply, and a footer on how to verify it, as text and HTML.
func (s *Sender) compose(ctx context.Context, out channel.Outbound, msgID string, date time.Time) ([]byte, error) {
	lang := out.Conversation.Language
	var h mail.Header
	h.SetDate(date)
	h.SetAddressList("From", []*mail.Address{&s.from})
	h.SetAddressList("To", []*mail.Address{{Name: out.Customer.Name, Address: out.To}})
	subject := CleanSubject(out.Conversation.Subject)
	if subject == "" {
		subject = i18n.T(lang, "email.default_subject")
	}
	if len(out.Thread) > 0 {
		subject = "Re: " + subject
	}
	h.SetSubject(fmt.Sprintf("%s [#%d]", subject, out.Conversation.ID))
	h.SetMessageID(strings.Trim(msgID, "<>"))
	if out.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{strings.Trim(out.InReplyTo, "<>")})
	}
	if len(out.Thread) > 0 {
		refs := out.Thread
		if len(refs) > 20 {
			// The first message and the latest ones are what clients thread by.
			refs = append(refs[:1:1], refs[len(refs)-19:]...)
		}
		ids := make([]string, len(refs))
		for i, r := range refs {
			ids[i] = strings.Trim(r, "<>")
		}
		h.SetMsgIDList("References", ids)
	}
	switch out.Message.AuthorKind {
	case ticket.ByBot:
		h.Set("Auto-Submitted", "auto-replied")
	case ticket.BySystem:
		h.Set("Auto-Submitted", "auto-generated")
	}
	if out.Message.AuthorKind != ticket.ByAgent {
		// Ask other systems not to answer automatic mail automatically.
		h.Set("X-Auto-Response-Suppress", "All")
	}
	h.Set("Reply-To", s.replyTo(out.Conversation.ID))

	var buf bytes.Buffer
	if len(out.Message.Attachments) == 0 {
		w, err := mail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("email: compose: %w", err)
		}
		if err := s.writeBodies(w, out, lang); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	// With files: multipart/mixed holding the alternative bodies, then
	// each file as an attachment.
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	iw, err := w.CreateInline()
	if err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	if err := s.writeBodies(iw, out, lang); err != nil {
		return nil, err
	}
	for _, a := range out.Message.Attachments {
		if err := s.attach(ctx, w, a.ID); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	return buf.Bytes(), nil
}

// writeBodies writes the text and HTML alternatives and closes w.
func (s *Sender) writeBodies(w *mail.InlineWriter, out channel.Outbound, lang string) error {
	var th mail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	if err := writePart(w, th, s.textBody(out, lang)); err != nil {
		return err
	}
	var hh mail.InlineHeader
	hh.Set("Content-Type", "text/html; charset=utf-8")
	if err := writePart(w, hh, s.htmlBody(out, lang)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: compose: %w", err)
	}
	return nil
}

// attach adds one of the message's files.
func (s *Sender) attach(ctx context.Context, w *mail.Writer, id int64) error {
	if s.files == nil {
		return errors.New("email: no file store to attach from")
	}
	meta, f, err := s.files.OpenAttachment(ctx, ticket.Scope{All: true}, id)
	if err != nil {
		return fmt.Errorf("email: attachment %d: %w", id, err)
	}
	defer f.Close()
	var ah mail.AttachmentHeader
	ah.Set("Content-Type", meta.ContentType)
	ah.SetFilename(meta.Filename)
	pw, err := w.CreateAttachment(ah)
	if err != nil {
		return fmt.Errorf("email: compose attachment: %w", err)
	}
	if _, err := io.Copy(pw, f); err != nil {
		return fmt.Errorf("email: read attachment %d: %w", id, err)
	}
	return pw.Close()
}

// replyTo is the plus address that names the conversation, so a reply
// from a client that drops our headers and edits the subject still threads.
func (s *Sender) replyTo(convID int64) string {
	local, domain, _ := strings.Cut(s.from.Address, "@")
	a := mail.Address{Name: s.from.Name, Address: fmt.Sprintf("%s+%d@%s", local, convID, domain)}
	return a.String()
}

func writePart(w *mail.InlineWriter, h mail.InlineHeader, body string) error {
	pw, err := w.CreatePart(h)
	if err != nil {
		return fmt.Errorf("email: compose part: %w", err)
	}
	if _, err := io.WriteString(pw, body); err != nil {
		return fmt.Errorf("email: compose part: %w", err)
	}
	return pw.Close()
}

func (s *Sender) phishingLine(out channel.Outbound, lang string) string {
	if out.Customer.AntiPhishingCode != "" {
		return i18n.T(lang, "email.anti_phishing", out.Customer.AntiPhishingCode)
	}
	return i18n.T(lang, "email.anti_phishing_missing")
}

func (s *Sender) textBody(out channel.Outbound, lang string) string {
	var b strings.Builder
	b.WriteString(s.phishingLine(out, lang) + "\n\n")
	b.WriteString(strings.TrimSpace(out.Message.Body) + "\n\n")
	if out.Message.AuthorName != "" {
		b.WriteString(out.Message.AuthorName + "\n")
	}
	b.WriteString(s.from.Name + "\n\n")
	if out.Link != "" {
		b.WriteString(i18n.T(lang, "email.continue_chat") + "\n" + out.Link + "\n\n")
	}
	b.WriteString("-- \n" + i18n.T(lang, "email.reference", out.Conversation.ID) + "\n")
	b.WriteString(i18n.T(lang, "email.verify", s.domain, s.verifyURL) + "\n")
	return b.String()
}

func (s *Sender) htmlBody(out channel.Outbound, lang string) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="` + e(lang) + `"><body style="font-family:sans-serif;line-height:1.5">`)
	b.WriteString(`<p style="border:1px solid #c9a227;background:#fff8e1;padding:8px 12px;border-radius:4px"><strong>` +
		e(s.phishingLine(out, lang)) + `</strong></p>`)
	// BodyHTML is the desk's own rendering of the message, already sanitised.
	b.WriteString(`<div>` + out.Message.BodyHTML + `</div>`)
	b.WriteString(`<p>`)
	if out.Message.AuthorName != "" {
		b.WriteString(e(out.Message.AuthorName) + `<br>`)
	}
	b.WriteString(e(s.from.Name) + `</p>`)
	if out.Link != "" {
		b.WriteString(`<p>` + e(i18n.T(lang, "email.continue_chat")) + `<br><a href="` + e(out.Link) + `">` + e(out.Link) + `</a></p>`)
	}
	b.WriteString(`<hr><p style="color:#555;font-size:12px">` + e(i18n.T(lang, "email.reference", out.Conversation.ID)) +
		`<br>` + e(i18n.T(lang, "email.verify", s.domain, s.verifyURL)) + `</p></body></html>`)
	return b.String()
}
