package trust

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"

	"vigil/internal/apperr"
)

// Channel kinds of the official registry.
const (
	KindDomain   = "domain"
	KindEmail    = "email"
	KindPhone    = "phone"
	KindTelegram = "telegram"
	KindX        = "x"
	KindDiscord  = "discord"
	KindWeChat   = "wechat"
	KindStaffID  = "staff_id"
)

// Kinds are every kind, in the order the registry lists them.
var Kinds = []string{KindDomain, KindEmail, KindPhone, KindTelegram, KindX, KindDiscord, KindWeChat, KindStaffID}

// MaxQuery is the longest input the verifier reads, in bytes; anything
// longer is refused rather than cut, so no one can hide a tail.
const MaxQuery = 512

// Candidate is one reading of what someone typed: a kind and the
// canonical value the registry stores for it.
type Candidate struct {
	Kind  string
	Value string
	// Skeleton folds look-alike characters (Cyrillic "а" for "a", "0" for
	// "o", "rn" for "m"), so "vigiI-exchange.com" is recognised as an
	// imitation of "vigil-exchange.com". Set for domains and emails.
	Skeleton string
}

// invisible reports characters that change nothing visible: zero-width
// spaces and joiners, the byte-order mark, soft hyphens, bidirectional
// controls. Impersonators use them to make two strings look equal.
func invisible(r rune) bool {
	switch {
	case r == '\u00ad', r == '\u034f', r == '\u061c', r == '\u115f', r == '\u1160', r == '\u17b4', r == '\u17b5',
		r >= '\u180b' && r <= '\u180f', r >= '\u200b' && r <= '\u200f', r >= '\u202a' && r <= '\u202e',
		r >= '\u2060' && r <= '\u206f', r == '\u3164', r == '\ufeff', r == '\uffa0', r >= '\ufe00' && r <= '\ufe0f':
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// Clean removes invisible characters, folds compatibility forms (full-
// width letters, ligatures) with NFKC and trims. It refuses input that is
// too long or not UTF-8.
func Clean(s string) (string, error) {
	if len(s) > MaxQuery*4 {
		return "", apperr.Field("q", "verify.too_long", "at most %d characters", MaxQuery)
	}
	if !utf8.ValidString(s) {
		return "", apperr.Field("q", "verify.encoding", "must be valid UTF-8")
	}
	s = strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(norm.NFKC.String(s))
	if len(s) > MaxQuery {
		return "", apperr.Field("q", "verify.too_long", "at most %d characters", MaxQuery)
	}
	if s == "" {
		return "", apperr.Field("q", "verify.empty", "enter a link, email, phone number, handle or staff ID")
	}
	return s, nil
}

// Readings returns every way the input can be read, most specific first:
// a t.me link is only a Telegram handle, "@name" is a handle on any
// platform, a bare word is a handle or a staff ID.
func Readings(raw string) ([]Candidate, error) {
	s, err := Clean(raw)
	if err != nil {
		return nil, err
	}
	lower := strings.ToLower(s)
	if c, ok := handleLink(lower, s); ok {
		return []Candidate{c}, nil
	}
	if strings.HasPrefix(lower, "mailto:") {
		s, lower = s[len("mailto:"):], lower[len("mailto:"):]
	}
	if local, domain, ok := strings.Cut(lower, "@"); ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(domain, "/ ") {
		host, err := asciiHost(domain)
		if err != nil {
			return nil, err
		}
		v := local + "@" + host
		return []Candidate{{Kind: KindEmail, Value: v, Skeleton: skeleton(local) + "@" + hostSkeleton(domain)}}, nil
	}
	if p, ok := phone(lower); ok {
		return []Candidate{{Kind: KindPhone, Value: p}}, nil
	}
	if h, ok := strings.CutPrefix(lower, "@"); ok {
		return handles(h, KindTelegram, KindX, KindDiscord, KindWeChat), nil
	}
	if strings.Contains(lower, ".") && !strings.Contains(lower, " ") {
		host, err := hostOf(lower)
		if err != nil {
			return nil, err
		}
		ascii, err := asciiHost(host)
		if err != nil {
			return nil, err
		}
		return []Candidate{{Kind: KindDomain, Value: ascii, Skeleton: hostSkeleton(host)}}, nil
	}
	out := handles(lower, KindTelegram, KindX, KindDiscord, KindWeChat)
	return append(out, Candidate{Kind: KindStaffID, Value: strings.ToUpper(lower)}), nil
}

// Normalize turns a registry entry of a known kind into its stored value.
func Normalize(kind, raw string) (Candidate, error) {
	if kind == KindStaffID {
		s, err := Clean(raw)
		return Candidate{Kind: kind, Value: strings.ToUpper(s)}, err
	}
	cs, err := Readings(raw)
	if err != nil {
		return Candidate{}, err
	}
	for _, c := range cs {
		if c.Kind == kind {
			return c, nil
		}
	}
	return Candidate{}, apperr.Field("value", "verify.kind_mismatch", "%q is not a %s", raw, kind)
}

func handles(h string, kinds ...string) []Candidate {
	h = strings.TrimPrefix(h, "@")
	out := make([]Candidate, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, Candidate{Kind: k, Value: h, Skeleton: skeleton(h)})
	}
	return out
}

// handleLink reads links to a platform's profile: t.me/name,
// telegram.me/name, x.com/name, twitter.com/name, discord.gg/code,
// discord.com/invite/code. Discord invite codes keep their case.
func handleLink(lower, orig string) (Candidate, bool) {
	u := lower
	for _, p := range []string{"https://", "http://"} {
		u = strings.TrimPrefix(u, p)
	}
	u = strings.TrimPrefix(u, "www.")
	host, path, ok := strings.Cut(u, "/")
	if !ok {
		return Candidate{}, false
	}
	path, _, _ = strings.Cut(path, "?")
	first, _, _ := strings.Cut(strings.Trim(path, "/"), "/")
	first = strings.TrimPrefix(first, "@")
	if first == "" {
		return Candidate{}, false
	}
	switch host {
	case "t.me", "telegram.me", "telegram.dog":
		return Candidate{Kind: KindTelegram, Value: first, Skeleton: skeleton(first)}, true
	case "x.com", "twitter.com", "mobile.twitter.com":
		return Candidate{Kind: KindX, Value: first, Skeleton: skeleton(first)}, true
	case "discord.gg", "discord.com", "discordapp.com":
		code := first
		if first == "invite" {
			_, code, _ = strings.Cut(strings.Trim(path, "/"), "/")
		}
		// The original case: invite codes are case-sensitive.
		if i := strings.Index(strings.ToLower(orig), code); i >= 0 && code != "" {
			code = orig[i : i+len(code)]
		}
		if code == "" {
			return Candidate{}, false
		}
		return Candidate{Kind: KindDiscord, Value: code}, true
	}
	return Candidate{}, false
}

func hostOf(s string) (string, error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return "", apperr.Field("q", "verify.unreadable", "not a link or domain")
	}
	return strings.TrimSuffix(u.Hostname(), "."), nil
}

// asciiHost is the punycode form of a host, as DNS sees it.
func asciiHost(h string) (string, error) {
	a, err := idna.Lookup.ToASCII(strings.TrimPrefix(h, "www."))
	if err != nil {
		// Registration rules refuse mixed-script look-alikes; the
		// display profile still gives a comparable form.
		if a, err = idna.Display.ToASCII(strings.TrimPrefix(h, "www.")); err != nil {
			return "", apperr.Field("q", "verify.unreadable", "not a valid domain")
		}
	}
	return strings.ToLower(a), nil
}

func phone(s string) (string, bool) {
	s = strings.TrimPrefix(s, "tel:")
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "00") {
		d = d[2:]
	}
	if len(d) < 7 || len(d) > 15 {
		return "", false
	}
	return "+" + d, true
}

// hostSkeleton is a host's skeleton with punycode labels decoded first.
func hostSkeleton(h string) string {
	if u, err := idna.Display.ToUnicode(h); err == nil {
		h = u
	}
	return skeleton(strings.TrimPrefix(h, "www."))
}

// confusable maps characters that look like Latin letters to them. It is
// a small, deliberate subset of Unicode's confusables: the Cyrillic and
// Greek letters and digits impersonators actually use in domains.
var confusable = map[rune]string{
	'а': "a", 'е': "e", 'о': "o", 'р': "p", 'с': "c", 'у': "y", 'х': "x", 'і': "l", 'ј': "j", 'ѕ': "s", 'ԁ': "d",
	'ɡ': "g", 'һ': "h", 'ӏ': "l", 'ո': "n", 'ս': "u", 'ԛ': "q", 'ԝ': "w", 'к': "k", 'м': "m", 'т': "t", 'в': "b", 'н': "h",
	'α': "a", 'ο': "o", 'ρ': "p", 'ν': "v", 'τ': "t", 'ι': "l", 'κ': "k", 'χ': "x", 'υ': "u", 'ε': "e",
	'0': "o", '1': "l", '3': "e", '5': "s", 'i': "l", 'ı': "l", 'ł': "l", '|': "l",
}

// skeleton lowercases, strips accents and folds confusables ("i" and "l"
// fold together, as do "rn" and "m", "vv" and "w"); hyphens and
// underscores are dropped, so "vigil_support" imitates "vigilsupport".
func skeleton(s string) string {
	s = strings.ToLower(norm.NFKD.String(s))
	var b strings.Builder
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue // combining accents
		}
		if m, ok := confusable[r]; ok {
			b.WriteString(m)
			continue
		}
		b.WriteRune(r)
	}
	out := strings.ReplaceAll(b.String(), "rn", "m")
	out = strings.ReplaceAll(out, "vv", "w")
	return strings.NewReplacer("_", "", "-", "").Replace(out)
}
