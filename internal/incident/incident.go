// Package incident keeps the exchange's incidents and its public status
// page: components with a state, incidents with a scope (features, assets,
// networks, regions), a public message per language and updates over time,
// and the conversations linked to each, so that resolving an incident can
// answer and solve them together.
package incident

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
)

// Languages an incident's public text can be written in; English is
// required and is the fallback.
var Languages = []string{"en", "zh"}

// Severities in increasing order.
var Severities = []string{"minor", "major", "critical"}

// Statuses an incident moves through; resolved is set by Resolve only.
var Statuses = []string{"investigating", "identified", "monitoring", "resolved"}

// ComponentStates in increasing order of trouble.
var ComponentStates = []string{"operational", "degraded", "partial_outage", "major_outage", "maintenance"}

// Features an incident can touch; the words customers use for each let
// the bot and the automatic linking recognise a question about it.
var Features = map[string][]string{
	"deposits":    {"deposit", "deposits", "top up", "充值", "入金", "存入"},
	"withdrawals": {"withdraw", "withdrawal", "withdrawals", "提现", "提币", "出金"},
	"trading":     {"trade", "trading", "order", "orders", "交易", "下单", "订单"},
	"login":       {"login", "log in", "sign in", "登录", "登陆"},
	"kyc":         {"kyc", "verification", "identity", "认证", "实名"},
	"p2p":         {"p2p", "otc", "c2c"},
	"futures":     {"futures", "contract", "合约", "期货"},
	"api":         {"api", "websocket"},
}

// Incident is one outage or security event as the public sees it.
type Incident struct {
	ID         int64             `json:"id"`
	Severity   string            `json:"severity"`
	Status     string            `json:"status"`
	Scope      Scope             `json:"scope"`
	Titles     map[string]string `json:"titles"`
	Messages   map[string]string `json:"messages"`
	StartedAt  time.Time         `json:"started_at"`
	ResolvedAt *time.Time        `json:"resolved_at,omitempty"`
	CreatedBy  int64             `json:"created_by,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Updates    []Update          `json:"updates"`
}

// Scope is what an incident touches; an empty list means "not limited".
type Scope struct {
	Features   []string `json:"features"`
	Assets     []string `json:"assets"`
	Networks   []string `json:"networks"`
	Regions    []string `json:"regions"`
	Components []string `json:"components"`
}

// Update is one public note on an incident's progress.
type Update struct {
	ID        int64             `json:"id"`
	Status    string            `json:"status"`
	Bodies    map[string]string `json:"bodies"`
	CreatedBy int64             `json:"created_by,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// Active reports whether the incident is still open.
func (i Incident) Active() bool { return i.ResolvedAt == nil }

// Title is the incident's title in lang, or the English one.
func (i Incident) Title(lang string) string { return pick(i.Titles, lang) }

// Message is the incident's public message in lang, or the English one.
func (i Incident) Message(lang string) string { return pick(i.Messages, lang) }

// Body is the update's text in lang, or the English one.
func (u Update) Body(lang string) string { return pick(u.Bodies, lang) }

func pick(m map[string]string, lang string) string {
	if t := m[lang]; t != "" {
		return t
	}
	return m["en"]
}

// Matches reports whether a customer's text is about this incident: it
// must name something the incident touches, and when both features and
// assets or networks are scoped, one of each (a BTC deposit question does
// not match an ETH withdrawal incident).
func (i Incident) Matches(text string) bool {
	t := " " + strings.ToLower(text) + " "
	feature := len(i.Scope.Features) == 0
	for _, f := range i.Scope.Features {
		for _, w := range Features[f] {
			if mentions(t, w) {
				feature = true
			}
		}
	}
	coins := slices.Concat(i.Scope.Assets, i.Scope.Networks)
	coin := len(coins) == 0
	for _, c := range coins {
		if mentions(t, c) {
			coin = true
		}
	}
	named := len(i.Scope.Features)+len(coins) > 0
	return named && feature && coin
}

// mentions finds w in t as a word for Latin text and as a substring for
// Chinese, which has no spaces between words.
func mentions(t, w string) bool {
	w = strings.ToLower(w)
	if w == "" {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(w); r > 0x2E80 {
		return strings.Contains(t, w)
	}
	for rest := t; ; {
		k := strings.Index(rest, w)
		if k < 0 {
			return false
		}
		before, _ := utf8.DecodeLastRuneInString(rest[:k])
		after, _ := utf8.DecodeRuneInString(rest[k+len(w):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		rest = rest[k+len(w):]
	}
}

func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
}

// Input declares or changes an incident.
type Input struct {
	Severity string            `json:"severity"`
	Status   string            `json:"status"`
	Scope    Scope             `json:"scope"`
	Titles   map[string]string `json:"titles"`
	Messages map[string]string `json:"messages"`
	// StartedAt defaults to now.
	StartedAt time.Time `json:"started_at"`
}

func (in *Input) validate() error {
	if in.Status == "" {
		in.Status = "investigating"
	}
	switch {
	case !slices.Contains(Severities, in.Severity):
		return apperr.Field("severity", "incident.severity_invalid", "severity must be one of %s", strings.Join(Severities, ", "))
	case in.Status == "resolved" || !slices.Contains(Statuses, in.Status):
		return apperr.Field("status", "incident.status_invalid", "status must be one of investigating, identified, monitoring")
	}
	if err := in.Scope.normalise(); err != nil {
		return err
	}
	if err := texts("titles", in.Titles, 200); err != nil {
		return err
	}
	return texts("messages", in.Messages, 4000)
}

// texts trims a per-language map and checks English is present and every
// text fits.
func texts(field string, m map[string]string, max int) error {
	for lang, v := range m {
		if !slices.Contains(Languages, lang) {
			return apperr.Field(field, "incident.language_invalid", "language must be one of %s", strings.Join(Languages, ", "))
		}
		m[lang] = strings.TrimSpace(v)
		if utf8.RuneCountInString(m[lang]) > max {
			return apperr.Field(field, "incident.text_invalid", "an English text of 1-%d characters is required", max)
		}
	}
	if m["en"] == "" {
		return apperr.Field(field, "incident.text_invalid", "an English text of 1-%d characters is required", max)
	}
	return nil
}

// normalise lowercases and de-duplicates the scope and checks each word.
func (s *Scope) normalise() error {
	lists := []struct {
		name string
		l    *[]string
	}{{"features", &s.Features}, {"assets", &s.Assets}, {"networks", &s.Networks}, {"regions", &s.Regions}, {"components", &s.Components}}
	for _, f := range lists {
		out := []string{}
		for _, v := range *f.l {
			v = strings.ToLower(strings.TrimSpace(v))
			if v == "" || slices.Contains(out, v) {
				continue
			}
			if len(v) > 32 || strings.ContainsAny(v, ", ") {
				return apperr.Field("scope."+f.name, "incident.scope_invalid", "scope entries are single words of at most 32 characters")
			}
			if f.name == "features" && Features[v] == nil {
				return apperr.Field("scope.features", "incident.feature_invalid", "unknown feature %q", v)
			}
			out = append(out, v)
		}
		if len(out) > 50 {
			return apperr.Field("scope."+f.name, "incident.scope_invalid", "at most 50 entries per scope list")
		}
		*f.l = out
	}
	return nil
}

// UpdateInput is a progress note; Status moves the incident on.
type UpdateInput struct {
	Status string            `json:"status"`
	Bodies map[string]string `json:"bodies"`
}

func (in *UpdateInput) validate() error {
	if in.Status == "resolved" || !slices.Contains(Statuses, in.Status) {
		return apperr.Field("status", "incident.status_invalid", "status must be one of investigating, identified, monitoring")
	}
	return texts("bodies", in.Bodies, 4000)
}

// ResolveInput closes an incident with a closing message. With
// NotifyLinked the message is posted to every linked open conversation, and
// with SolveLinked those conversations are solved too.
type ResolveInput struct {
	Bodies       map[string]string `json:"bodies"`
	NotifyLinked bool              `json:"notify_linked"`
	SolveLinked  bool              `json:"solve_linked"`
}

// ResolveResult says what resolving did to the linked conversations.
type ResolveResult struct {
	Incident Incident `json:"incident"`
	Notified int      `json:"notified"`
	Solved   int      `json:"solved"`
}

// Component is one part of the service on the status page.
type Component struct {
	ID        int64             `json:"id"`
	Slug      string            `json:"slug"`
	Names     map[string]string `json:"names"`
	State     string            `json:"state"`
	Position  int               `json:"position"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Name is the component's name in lang, or the English one.
func (c Component) Name(lang string) string { return pick(c.Names, lang) }

// ComponentInput creates or changes a component.
type ComponentInput struct {
	Slug     string            `json:"slug"`
	Names    map[string]string `json:"names"`
	State    string            `json:"state"`
	Position int               `json:"position"`
}

func (in *ComponentInput) validate() error {
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	if in.State == "" {
		in.State = "operational"
	}
	switch {
	case in.Slug == "" || len(in.Slug) > 40 || strings.ContainsAny(in.Slug, ", /"):
		return apperr.Field("slug", "incident.slug_invalid", "a slug of 1-40 characters without spaces, commas or slashes is required")
	case !slices.Contains(ComponentStates, in.State):
		return apperr.Field("state", "incident.state_invalid", "state must be one of %s", strings.Join(ComponentStates, ", "))
	}
	return texts("names", in.Names, 100)
}
