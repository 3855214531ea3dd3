// Package email is the email channel: a built-in SMTP receiver for MX or
// forwarding, MIME parsing into the channel contract, bounce and
// auto-reply handling, and outbound mail over SMTP with DKIM signing.
package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"vigil/internal/channel"
)

func init() {
	// Mail labelled GB2312 is in practice written by GBK encoders (names,
	// punctuation outside GB2312 are common), and GBK is a superset; Big5
	// mail likewise uses the common extensions.
	for _, name := range []string{"gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "csgb2312"} {
		charset.RegisterEncoding(name, simplifiedchinese.GBK)
	}
	charset.RegisterEncoding("gb18030", simplifiedchinese.GB18030)
	for _, name := range []string{"big5", "big5-hkscs", "x-big5", "cp950"} {
		charset.RegisterEncoding(name, traditionalchinese.Big5)
	}
}

// Parsed is an email reduced to what the desk uses.
type Parsed struct {
	MessageID string   // "<id@host>"; a digest of the message when it has none
	InReplyTo []string // In-Reply-To, then References newest first
	From      mail.Address
	ReplyTo   string // Reply-To address, when it differs from From
	Subject   string
	Date      time.Time
	// Text is the full text as sent (from the text part, or made from the
	// HTML part); Body is Text with quoted replies and signatures removed.
	Text string
	Body string
	// HTML is the HTML part without the quoted reply, for display; it is
	// sanitised where it is stored. Empty for text-only mail.
	HTML        string
	Attachments []channel.File
	// Automatic is set for auto-replies, bulk and list mail: the desk never
	// answers those, so mail loops cannot start.
	Automatic bool
	// Bounce is set for delivery status notifications.
	Bounce *Bounce
}

// maxPartText bounds the text read from one part; the rest is in the original.
const maxPartText = 1 << 20

// Parse reads a raw RFC 5322 message. An unknown charset is not an error:
// the part is read as is and the original stays available.
func Parse(raw []byte) (Parsed, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return Parsed{}, fmt.Errorf("email: read header: %w", err)
	}
	h := mail.Header{Header: e.Header}
	p := Parsed{Automatic: automatic(h)}
	p.MessageID = messageID(h, raw)
	p.InReplyTo = references(h)
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		p.From = *from[0]
	} else if addr := looseAddress(h.Get("From")); addr != "" {
		p.From = mail.Address{Address: addr}
	}
	p.From.Address = strings.ToLower(p.From.Address)
	// Some clients (Foxmail) quote an encoded word, which the strict parser
	// leaves encoded.
	p.From.Name = decodeWord(p.From.Name)
	if rt, err := h.AddressList("Reply-To"); err == nil && len(rt) > 0 && !strings.EqualFold(rt[0].Address, p.From.Address) {
		p.ReplyTo = strings.ToLower(rt[0].Address)
	}
	if s, err := h.Subject(); err == nil {
		p.Subject = s
	} else {
		p.Subject = h.Get("Subject")
	}
	p.Subject = strings.Join(strings.Fields(p.Subject), " ")
	p.Date, _ = h.Date()

	var text, html strings.Builder
	err = e.Walk(func(path []int, part *message.Entity, werr error) error {
		if werr != nil && !message.IsUnknownCharset(werr) && !message.IsUnknownEncoding(werr) {
			return werr
		}
		mt, params, _ := part.Header.ContentType()
		if strings.HasPrefix(mt, "multipart/") {
			if mt == "multipart/report" && params["report-type"] == "delivery-status" {
				p.Bounce = &Bounce{}
			}
			return nil
		}
		disp, dparams, _ := part.Header.ContentDisposition()
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		name = decodeWord(name)
		switch {
		case mt == "message/delivery-status" && p.Bounce != nil:
			b, _ := io.ReadAll(io.LimitReader(part.Body, maxPartText))
			*p.Bounce = parseDeliveryStatus(b)
		case p.Bounce != nil && (mt == "message/rfc822" || mt == "text/rfc822-headers"):
			// The returned original: not the customer's words.
		case disp != "attachment" && (mt == "text/plain" || mt == "") && text.Len() == 0:
			b, _ := io.ReadAll(io.LimitReader(part.Body, maxPartText))
			text.WriteString(validUTF8(b))
		case disp != "attachment" && mt == "text/html" && html.Len() == 0:
			b, _ := io.ReadAll(io.LimitReader(part.Body, maxPartText))
			html.WriteString(validUTF8(b))
		case disp == "attachment" || disp == "inline" || name != "" || strings.HasPrefix(mt, "image/") || strings.HasPrefix(mt, "application/"):
			b, err := io.ReadAll(io.LimitReader(part.Body, maxAttachment+1))
			if err != nil {
				return fmt.Errorf("email: read attachment: %w", err)
			}
			if name == "" {
				name = "attachment-" + strconv.Itoa(len(p.Attachments)+1) + extension(mt)
			}
			if len(b) > maxAttachment {
				b = nil // named, not kept
			}
			p.Attachments = append(p.Attachments, channel.File{Name: name, Data: b})
		}
		return nil
	})
	if err != nil {
		return Parsed{}, fmt.Errorf("email: read body: %w", err)
	}
	p.Text = normaliseText(text.String())
	if strings.TrimSpace(p.Text) == "" && html.Len() > 0 {
		p.Text = normaliseText(htmlText(html.String(), true))
		p.Body = StripQuotes(normaliseText(htmlText(html.String(), false)))
	} else {
		p.Body = StripQuotes(p.Text)
	}
	if html.Len() > 0 {
		p.HTML = htmlDisplay(html.String())
	}
	if p.Bounce == nil && bounceSender(p.From.Address) {
		p.Bounce = &Bounce{}
	}
	return p, nil
}

// maxAttachment bounds one kept attachment; larger ones are named only.
const maxAttachment = 10 << 20

// automatic recognises mail written by a machine (RFC 3834 and the
// headers mail systems use in practice).
func automatic(h mail.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Reply", "List-Id", "List-Unsubscribe", "Feedback-ID"} {
		if h.Get(k) != "" {
			return true
		}
	}
	// Clients that set no header still mark the subject.
	return autoSubject.MatchString(h.Get("Subject")) || autoSubject.MatchString(decodeWord(h.Get("Subject")))
}

func bounceSender(addr string) bool {
	local, _, _ := strings.Cut(addr, "@")
	return local == "mailer-daemon" || local == "postmaster"
}

// messageID returns the Message-ID, or a stable stand-in made from the
// message itself, so a redelivery of a message without one is recognised.
func messageID(h mail.Header, raw []byte) string {
	if id, err := h.MessageID(); err == nil && id != "" && len(id) < 250 {
		return "<" + id + ">"
	}
	sum := sha256.Sum256(raw)
	return "<" + hex.EncodeToString(sum[:16]) + "@no-message-id.invalid>"
}

// references lists the ids a message answers, most direct first.
func references(h mail.Header) []string {
	var out []string
	seen := map[string]bool{}
	add := func(ids []string) {
		for _, id := range ids {
			id = "<" + id + ">"
			if !seen[id] && len(id) < 250 {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	irt, _ := h.MsgIDList("In-Reply-To")
	add(irt)
	refs, _ := h.MsgIDList("References")
	for i, j := 0, len(refs)-1; i < j; i, j = i+1, j-1 {
		refs[i], refs[j] = refs[j], refs[i]
	}
	add(refs)
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}

var looseAddr = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// looseAddress finds an address in a From header the strict parser refused.
func looseAddress(s string) string { return looseAddr.FindString(s) }

var autoSubject = regexp.MustCompile(`(?i)^\s*(automatic reply|auto[- ]?reply|out of (the )?office|自动回复|自動回覆)\b?`)

var subjectToken = regexp.MustCompile(`\[#(\d{1,18})\]`)

// SubjectToken returns the conversation number quoted in a subject ("[#123]").
func SubjectToken(subject string) int64 {
	m := subjectToken.FindStringSubmatch(subject)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fw|fwd|aw|sv|vs|答复|回复|转发)\s*[:：]\s*)+`)

// CleanSubject removes reply prefixes and the conversation token.
func CleanSubject(s string) string {
	s = subjectToken.ReplaceAllString(s, "")
	s = replyPrefix.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}

func decodeWord(s string) string {
	if d, err := (&mime.WordDecoder{CharsetReader: message.CharsetReader}).DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func extension(mt string) string {
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// normaliseText uses \n line ends and drops trailing spaces and blank runs.
func normaliseText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// Language guesses the language of a message from its script.
func Language(s string) string {
	han, letters := 0, 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if han > 0 && han*4 >= letters/2 {
		return "zh"
	}
	return "en"
}
