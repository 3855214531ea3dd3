package incident

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"vigil/internal/exchange"
)

// Audience is who is looking at an incident banner: an identified
// customer, described by what they use on the exchange, or an anonymous
// visitor, described by the words of the page they are on.
type Audience struct {
	// Identified is set when the exchange told us about the customer; the
	// fields below then come from their account and recent activity.
	Identified bool
	Region     string   // ISO 3166-1 alpha-2 country, lowercase
	Assets     []string // lowercase: "usdt"
	Networks   []string // lowercase: "trc20"
	// Features are those seen in their activity among the ones the
	// connector can show (deposits, withdrawals, trading).
	Features []string
	// Context is the page's words ("usdt", "withdrawal"): what an anonymous
	// visitor is reading about.
	Context []string
}

// observable are the features the connector's activity shows; a customer
// is presumed to use the others (login, kyc, futures…), which it cannot.
var observable = []string{"deposits", "withdrawals", "trading"}

// Global reports whether the incident touches everyone: no feature,
// asset, network or region in its scope.
func (i Incident) Global() bool {
	s := i.Scope
	return len(s.Features)+len(s.Assets)+len(s.Networks)+len(s.Regions) == 0
}

// Concerns reports whether the audience should see the incident's banner.
// Global incidents concern everyone. An identified customer is touched when
// every kind of thing the incident is scoped to has one they use: their
// region, an asset and a network they moved or traded, a feature they
// used (or one the connector cannot show). An anonymous visitor is
// touched when the page is about something the incident names.
func (i Incident) Concerns(a Audience) bool {
	if i.Global() {
		return true
	}
	s := i.Scope
	if !a.Identified {
		text := " " + strings.Join(a.Context, " ") + " "
		for _, w := range slices.Concat(s.Assets, s.Networks, s.Regions) {
			if mentions(text, w) {
				return true
			}
		}
		for _, f := range s.Features {
			for _, w := range append([]string{f}, Features[f]...) {
				if mentions(text, w) {
					return true
				}
			}
		}
		return false
	}
	overlaps := func(scope, have []string) bool {
		return len(scope) == 0 || slices.ContainsFunc(scope, func(v string) bool { return slices.Contains(have, v) })
	}
	features := len(s.Features) == 0 || slices.ContainsFunc(s.Features, func(f string) bool {
		return !slices.Contains(observable, f) || slices.Contains(a.Features, f)
	})
	return features && overlaps(s.Regions, []string{a.Region}) && overlaps(s.Assets, a.Assets) && overlaps(s.Networks, a.Networks)
}

// ActiveFor lists the open incidents the audience should see.
func (s *Service) ActiveFor(ctx context.Context, a Audience) ([]Incident, error) {
	list, err := s.Active(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(i Incident) bool { return !i.Concerns(a) }), nil
}

// Accounts is the part of the exchange connector that describes a
// customer.
type Accounts interface {
	Lookup(ctx context.Context, q exchange.Query) (exchange.Customer, error)
	Activity(ctx context.Context, uid string, limit int) (exchange.Activity, error)
}

// AudienceOf describes the exchange customer uid from their account and
// recent activity. It returns an anonymous audience with the page's words
// when there is no UID, no exchange, or the exchange cannot answer: the
// banner is a courtesy, and the page must not wait on it or fail.
func (s *Service) AudienceOf(ctx context.Context, uid string, page []string) Audience {
	anon := Audience{Context: page}
	if uid == "" || s.accounts == nil {
		return anon
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := s.accounts.Lookup(ctx, exchange.Query{UID: uid})
	if err != nil {
		return anon
	}
	act, err := s.accounts.Activity(ctx, uid, 50)
	if err != nil {
		return anon
	}
	a := Audience{Identified: true, Region: strings.ToLower(c.Country), Context: page}
	add := func(list *[]string, v string) {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" && !slices.Contains(*list, v) {
			*list = append(*list, v)
		}
	}
	for feature, ts := range map[string][]exchange.Transfer{"deposits": act.Deposits, "withdrawals": act.Withdrawals} {
		for _, t := range ts {
			add(&a.Assets, t.Asset)
			add(&a.Networks, t.Network)
			add(&a.Features, feature)
		}
	}
	for _, o := range act.Orders {
		add(&a.Features, "trading")
		for _, part := range strings.FieldsFunc(o.Symbol, func(r rune) bool { return r == '/' || r == '-' || r == '_' }) {
			add(&a.Assets, part)
		}
	}
	return a
}

// maxPageWords bounds the page context a visitor can send.
const maxPageWords = 20

// PageWords splits a page context ("withdraw usdt", "/articles/trc20-delay")
// into at most 20 lowercase words of at most 32 characters.
func PageWords(s string) []string {
	if len(s) > 400 {
		s = s[:400]
	}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(out) == maxPageWords {
			break
		}
		if len(w) <= 32 {
			out = append(out, w)
		}
	}
	return out
}
