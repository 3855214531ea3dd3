// Package i18n holds the translation catalogue: every string a customer or
// agent reads comes from here, in English and Simplified Chinese.
package i18n

import (
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

// Supported languages, default first.
var Supported = []string{"en", "zh"}

var matcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese})

// Negotiate picks a supported language from an Accept-Language header.
func Negotiate(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return Supported[idx]
}

// Normalize maps "zh-CN", "zh-Hans", "ZH" to "zh" and anything unknown to "en".
func Normalize(lang string) string {
	l := strings.ToLower(lang)
	if strings.HasPrefix(l, "zh") {
		return "zh"
	}
	return "en"
}

// T returns the message for key in lang, formatted with args. A key
// missing in lang falls back to English; a key missing everywhere is
// returned as is, so a gap shows up in review instead of as a blank.
func T(lang, key string, args ...any) string {
	msg, ok := catalogue[Normalize(lang)][key]
	if !ok {
		if msg, ok = catalogue["en"][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether key has an English message.
func Has(key string) bool {
	_, ok := catalogue["en"][key]
	return ok
}

// Keys returns every key of a language's catalogue (for completeness tests).
func Keys(lang string) []string {
	out := make([]string, 0, len(catalogue[lang]))
	for k := range catalogue[lang] {
		out = append(out, k)
	}
	return out
}
