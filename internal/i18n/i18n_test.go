package i18n

import (
	"slices"
	"testing"
)

func TestEveryKeyTranslated(t *testing.T) {
	en, zh := Keys("en"), Keys("zh")
	for _, k := range en {
		if !slices.Contains(zh, k) {
			t.Errorf("key %q has no Chinese translation", k)
		}
	}
	for _, k := range zh {
		if !slices.Contains(en, k) {
			t.Errorf("key %q exists only in Chinese", k)
		}
	}
}

func TestNegotiate(t *testing.T) {
	for header, want := range map[string]string{
		"":                        "en",
		"zh-CN,zh;q=0.9,en;q=0.8": "zh",
		"en-US,en;q=0.9":          "en",
		"fr-FR":                   "en",
		"zh-Hans":                 "zh",
		"de;q=0.9, zh-TW;q=0.5":   "zh",
		"garbage;;;":              "en",
	} {
		if got := Negotiate(header); got != want {
			t.Errorf("Negotiate(%q) = %q, want %q", header, got, want)
		}
	}
	if T("zh", "status.pending") != "等待客户回复" || T("fr", "status.pending") != "Pending" || T("zh", "no.such") != "no.such" {
		t.Error("T fallbacks wrong")
	}
}
