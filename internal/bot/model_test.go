package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPairsTellApartWhichWordsGoTogether trains on an exclusive or: a
// lost card and a found phone are one intent, a lost phone and a found
// card the other, with the telling words always 4 apart. Single words,
// bigrams and trigrams appear as often in both intents, so no linear model
// on them can answer all four new questions; word pairs can, in either
// order.
func TestPairsTellApartWhichWordsGoTogether(t *testing.T) {
	fillers := []string{"my old blue", "the new shiny", "a small black", "that nice red", "our spare work"}
	var train []Example
	for _, f := range fillers {
		train = append(train,
			Example{"lost " + f + " card", "x"}, Example{"found " + f + " phone", "x"},
			Example{"lost " + f + " phone", "y"}, Example{"found " + f + " card", "y"})
	}
	questions := []Example{
		{"lost his brand grey card", "x"}, {"found his brand grey phone", "x"},
		{"lost his brand grey phone", "y"}, {"found his brand grey card", "y"},
	}
	reversed := []Example{{"card his brand grey lost", "x"}, {"card his brand grey found", "y"}}
	base := Features{WordN: 3, CharMin: 2, CharMax: 5, Stem: true, WordShare: 0.5}
	withPairs := base
	withPairs.Pairs = 40

	m := Train(train, TrainOptions{Features: &withPairs})
	for _, q := range append(questions, reversed...) {
		if p := m.Predict(q.Text); p.Label != q.Label {
			t.Errorf("with pairs, %q: got %s (%.2f), want %s", q.Text, p.Label, p.Confidence, q.Label)
		}
	}
	m = Train(train, TrainOptions{Features: &base})
	right := 0
	for _, q := range questions {
		if m.Predict(q.Text).Label == q.Label {
			right++
		}
	}
	if right == len(questions) {
		t.Errorf("without pairs all %d questions were answered right; the exclusive or does not test pairs", right)
	}
}

// A long message is read by its first 2 KiB: the question there is
// answered, the rest is not scored, and no character is cut in half.
func TestPredictReadsTheHeadOfALongMessage(t *testing.T) {
	m := Train([]Example{
		{Text: "my card has not arrived", Label: "card_arrival"},
		{Text: "when will my card arrive", Label: "card_arrival"},
		{Text: "how much is the withdrawal fee", Label: "fees"},
		{Text: "what fee do you charge", Label: "fees"},
	}, TrainOptions{})
	first := "my card has not arrived yet. " + strings.Repeat("please ", 285) // 2,024 bytes
	tail := strings.Repeat("fee fee fee withdrawal fee ", 2000)
	if got := m.Predict(first + tail).Label; got != "card_arrival" {
		t.Errorf("long message answered as %q, want card_arrival from its first lines", got)
	}
	zh := strings.Repeat("提现", 1000)
	if h := head(zh, 2048); len(h) > 2048 || !utf8.ValidString(h) {
		t.Errorf("head cut a character: %d bytes, valid %v", len(h), utf8.ValidString(h))
	}
}
