package trust_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/net/idna"

	"vigil/internal/apperr"
	"vigil/internal/trust"
)

func TestReadings(t *testing.T) {
	for _, tc := range []struct {
		in         string
		kind, want string
	}{
		{"https://t.me/VigilSupport", trust.KindTelegram, "vigilsupport"},
		{"t.me/@VigilSupport?start=1", trust.KindTelegram, "vigilsupport"},
		{"https://twitter.com/VigilEx/status/1", trust.KindX, "vigilex"},
		{"x.com/vigilex", trust.KindX, "vigilex"},
		{"https://discord.gg/AbC123", trust.KindDiscord, "AbC123"},
		{"discord.com/invite/AbC123", trust.KindDiscord, "AbC123"},
		{"Support@Vigil-Exchange.COM", trust.KindEmail, "support@vigil-exchange.com"},
		{"mailto:support@vigil-exchange.com", trust.KindEmail, "support@vigil-exchange.com"},
		{"+65 6123-4567", trust.KindPhone, "+6561234567"},
		{"0065 (6123) 4567", trust.KindPhone, "+6561234567"},
		{"HTTPS://WWW.Vigil-Exchange.com/login?x=1", trust.KindDomain, "vigil-exchange.com"},
		{"vigil-exchange.com.", trust.KindDomain, "vigil-exchange.com"},
		{"bücher.example", trust.KindDomain, "xn--bcher-kva.example"},
		{"xn--bcher-kva.example", trust.KindDomain, "xn--bcher-kva.example"},
		{"ｖｉｇｉｌ－ｅｘｃｈａｎｇｅ．ｃｏｍ", trust.KindDomain, "vigil-exchange.com"},          // full-width forms
		{"vigil\u200b-exchange.com", trust.KindDomain, "vigil-exchange.com"},    // zero-width space
		{"\ufeff@vigil\u2060support\u200d", trust.KindTelegram, "vigilsupport"}, // BOM, word joiner, ZWJ
		{"vs-0042", trust.KindStaffID, "VS-0042"},
	} {
		cs, err := trust.Readings(tc.in)
		if err != nil {
			t.Errorf("Readings(%q): %v", tc.in, err)
			continue
		}
		found := false
		for _, c := range cs {
			if c.Kind == tc.kind {
				found = true
				if c.Value != tc.want {
					t.Errorf("Readings(%q) %s = %q, want %q", tc.in, tc.kind, c.Value, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("Readings(%q) = %+v, no %s reading", tc.in, cs, tc.kind)
		}
	}
	for _, bad := range []string{"", "   \u200b ", strings.Repeat("a", trust.MaxQuery+1), strings.Repeat("é", 2000), "\xff\xfe"} {
		if _, err := trust.Readings(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("Readings(%.20q…): %v, want invalid", bad, err)
		}
	}
}

func TestVerifier(t *testing.T) {
	e := newEnv(t)
	ctx := e.as(e.sup)
	add := func(kind, v string) trust.Official {
		t.Helper()
		o, err := e.trust.AddOfficial(ctx, kind, v, "")
		if err != nil {
			t.Fatalf("add %s %s: %v", kind, v, err)
		}
		return o
	}
	add(trust.KindDomain, "vigil-exchange.com")
	add(trust.KindEmail, "support@vigil-exchange.com")
	add(trust.KindTelegram, "https://t.me/VigilSupport")
	add(trust.KindPhone, "+65 6123 4567")
	old := add(trust.KindTelegram, "@VigilAnnouncementsOld")
	if _, err := e.trust.RetireOfficial(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.trust.AddOfficial(ctx, trust.KindTelegram, "t.me/vigilsupport", ""); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := e.trust.AddOfficial(ctx, trust.KindPhone, "not a phone", ""); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad phone: %v", err)
	}
	puny, err := idna.Display.ToASCII("vіgіl-exchange.com")
	if err != nil || !strings.HasPrefix(puny, "xn--") {
		t.Fatalf("punycode: %q %v", puny, err)
	}
	for _, tc := range []struct {
		q, verdict, lookalike string
	}{
		{"https://app.vigil-exchange.com/login", trust.VerdictOfficial, ""},
		{"VIGIL-EXCHANGE.COM", trust.VerdictOfficial, ""},
		{"vigil\u200b-exchange.com", trust.VerdictOfficial, ""},
		{"@vigilsupport", trust.VerdictOfficial, ""},
		{"0065-6123-4567", trust.VerdictOfficial, ""},
		{"t.me/VigilAnnouncementsOld", trust.VerdictFormer, ""},
		{"vigil-exchange.com.evil.example", trust.VerdictNotOfficial, ""},
		{"vigiI-exchange.com", trust.VerdictNotOfficial, "vigil-exchange.com"}, // capital I for l
		{"vіgіl-exchange.com", trust.VerdictNotOfficial, "vigil-exchange.com"}, // Cyrillic і
		{puny, trust.VerdictNotOfficial, "vigil-exchange.com"},                 // the same, in punycode
		{"vigi1-exchange.com", trust.VerdictNotOfficial, "vigil-exchange.com"},
		{"support@vigil-exchange.co", trust.VerdictNotOfficial, ""},
		{"supp0rt@vigil-exchange.com", trust.VerdictNotOfficial, "support@vigil-exchange.com"},
		{"@vigil_support", trust.VerdictNotOfficial, "@vigilsupport"},
		{"@VigiISupport", trust.VerdictNotOfficial, "@vigilsupport"},
		{"random-site.example", trust.VerdictNotOfficial, ""},
	} {
		a, err := e.trust.Verify(context.Background(), tc.q)
		if err != nil {
			t.Errorf("Verify(%q): %v", tc.q, err)
			continue
		}
		if a.Verdict != tc.verdict || a.LookalikeOf != tc.lookalike {
			t.Errorf("Verify(%q) = %s (look-alike of %q), want %s (%q)", tc.q, a.Verdict, a.LookalikeOf, tc.verdict, tc.lookalike)
		}
	}
}
