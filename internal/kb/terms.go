package kb

import (
	"strings"
	"unicode"
)

// Terms splits text into search terms. Latin words are lower-cased, light
// stemmed ("withdrawals" → "withdrawal", "depositing" → "deposit") and
// stop words dropped. Chinese has no spaces between words, so a run of Han
// characters becomes its overlapping character bigrams ("提现失败" → 提现,
// 现失, 失败); a single character stays a unigram. Bigrams find words of
// two or more characters without a dictionary, which is what a help
// center's vocabulary (提现, 充值, 冻结, 手续费) mostly is.
func Terms(text string) []string {
	var out []string
	var word []rune
	var han []rune
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := stem(string(word))
		word = word[:0]
		if w != "" && !stopWords[w] {
			out = append(out, w)
		}
	}
	flushHan := func() {
		switch len(han) {
		case 0:
		case 1:
			out = append(out, string(han))
		default:
			for i := 0; i+1 < len(han); i++ {
				out = append(out, string(han[i:i+2]))
			}
		}
		han = han[:0]
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, unicode.ToLower(r))
		case r == '\'' && len(word) > 0:
			// "can't", "customer's": keep the word whole until the stemmer.
			word = append(word, r)
		default:
			flushWord()
			flushHan()
		}
	}
	flushWord()
	flushHan()
	return out
}

// IsHan reports whether a term is Chinese (a bigram or unigram).
func IsHan(term string) bool {
	for _, r := range term {
		return unicode.Is(unicode.Han, r)
	}
	return false
}

// Stem is the stemmer Terms uses, for other models of text.
func Stem(w string) string { return stem(w) }

// stem strips the common English inflections so a search for "withdrawals"
// finds "withdrawal" and "fees" finds "fee". It is deliberately light: a
// wrong cut costs more than a missed one.
func stem(w string) string {
	w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'")
	w = strings.ReplaceAll(w, "'", "")
	n := len(w)
	switch {
	case n > 5 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 5 && strings.HasSuffix(w, "ing"):
		return undouble(w[:n-3])
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		return undouble(w[:n-2])
	case n > 4 && strings.HasSuffix(w, "es") && strings.ContainsAny(w[n-3:n-2], "sxz"):
		return w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:n-1]
	}
	return w
}

// undouble turns "stopp" (from "stopped") back into "stop".
func undouble(w string) string {
	if n := len(w); n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("lsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from as is are was were be been being am
		i me my we our you your it its this that these those there here do doe did done have ha had can could would should will
		shall may might must not no so than too very just about into over out up down what which who whom how when where why
		please hi hello hey thank thanks`) {
		m[w] = true
	}
	return m
}()

// Language guesses the language of a customer's message: "zh" when it has
// Chinese characters, "en" when it has Latin words, "" when it has neither
// (an emoji, a transaction id) and the conversation's language should hold.
func Language(text string) string {
	han, latin, run, words := 0, 0, 0, 0
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			run = 0
		case r < unicode.MaxLatin1 && unicode.IsLetter(r):
			latin++
			if run++; run == 2 {
				words++
			}
		default:
			run = 0
		}
	}
	switch {
	case han > 0 && han*3 >= latin:
		return "zh"
	case latin >= 3 && words > 0:
		return "en"
	case han > 0:
		return "zh"
	}
	return ""
}
