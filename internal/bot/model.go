package bot

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"vigil/internal/kb"
)

// Example is one labelled phrasing: a customer's question and the intent
// (for the live bot, an article slug) that answers it.
type Example struct {
	Text  string
	Label string
}

// Model is a linear intent classifier trained in-process: TF-IDF weighted
// words (and their stems), word bigrams and trigrams, pairs of words
// further apart (which catch "card … not … arrived" however it is put),
// character n-grams of each word (which absorb typos and inflections), and
// Chinese character unigrams to trigrams (no segmentation needed), scored
// by a multi-class linear SVM. The words and the characters are
// normalised apart, so neither outweighs the other; see DefaultFeatures.
type Model struct {
	labels  []string
	vocab   map[string]int32
	idf     []float32
	weights [][]float32 // per label, per feature; the last entry is the bias
	feat    Features
	// Temperature turns SVM scores into a softmax confidence: low when
	// two intents score alike, as well as when none scores well.
	Temperature float64
}

// Prediction is the model's answer for one text.
type Prediction struct {
	Label      string
	Confidence float64
	Score      float64 // the raw decision value of the best intent
}

// TrainOptions tune training; the zero value is the default.
type TrainOptions struct {
	C      float64 // SVM cost; 0 means DefaultC
	Epochs int     // passes over the data at most; 0 means 50
	// Tol stops training once no example's dual sub-problem is further
	// than this from optimal; 0 means 0.1.
	Tol   float64
	MinDF int // features seen in fewer examples are dropped; 0 means 1
	// Features says what is read from a text; nil means DefaultFeatures.
	Features *Features
	// Balanced weighs each example's cost by how rare its intent is in
	// the training data (C times examples / (intents × the intent's examples)).
	Balanced bool
	// Views, with Features.WordShare above 0, trains one SVM on the word
	// n-grams and another on the character n-grams and adds their scores
	// in the shares of WordShare, instead of one SVM on both.
	Views bool
	// Logistic, when above 0, adds a multinomial logistic regression on
	// the same features to the SVM: its scores, times Logistic, are added
	// to the SVM's, which for two linear models is adding their weights.
	Logistic       float64
	LogisticL2     float64 // its regularisation; 0 means 1e-5
	LogisticEpochs int     // 0 means 10
	LogisticRate   float64 // the first epoch's step size; 0 means 0.5
}

// Features says what the model reads from a text.
type Features struct {
	WordN            int  // word n-grams from 1 to WordN
	CharMin, CharMax int  // character n-grams of each word, within its boundaries
	Stem             bool // a word's light stem counts as a second unigram
	Digits           bool // every digit reads as 0, so "£50" and "£20" share features
	Skip             bool // pairs of words one word apart ("card * arrived")
	// Pairs, when 3 or more, adds every two words from 3 to Pairs words
	// apart, by their light stems and in either order, so "card still
	// has not arrived" and "has it arrived, my card" share one feature.
	Pairs int
	// WordShare, when above 0, normalises the word n-grams and the
	// character n-grams (Chinese included) to unit length each and gives
	// the words this share of the squared length; otherwise one vector
	// holds all, in which the many character n-grams outweigh the words.
	WordShare float64
}

// DefaultFeatures are the features chosen by cross-validation on the
// BANKING77 training file (docs/benchmarks.md).
var DefaultFeatures = Features{WordN: 3, CharMin: 2, CharMax: 5, Stem: true, Pairs: 40, WordShare: 0.6}

// maxPredictBytes bounds the text Predict reads: a question is in its
// first lines, and a 64 KiB message would otherwise cost some 30 ms of
// word pairs.
const maxPredictBytes = 2048

// head is the first n bytes of s, cut back to a whole UTF-8 character.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// DefaultC is the SVM cost chosen with DefaultFeatures.
const DefaultC = 1.5

func (o TrainOptions) withDefaults() TrainOptions {
	if o.C == 0 {
		o.C = DefaultC
	}
	if o.Epochs == 0 {
		o.Epochs = 50
	}
	if o.Tol == 0 {
		o.Tol = 0.1
	}
	if o.MinDF == 0 {
		o.MinDF = 1
	}
	if o.LogisticL2 == 0 {
		o.LogisticL2 = 1e-5
	}
	if o.LogisticEpochs == 0 {
		o.LogisticEpochs = 10
	}
	if o.LogisticRate == 0 {
		o.LogisticRate = 0.5
	}
	if o.Features == nil {
		f := DefaultFeatures
		o.Features = &f
	}
	return o
}

// features extracts the raw features of a text with their counts.
func features(text string, fo Features) map[string]float32 {
	out := map[string]float32{}
	text = strings.ToLower(text)
	var words []string
	var word, han []rune
	flush := func() {
		if len(word) > 0 {
			words = append(words, string(word))
			w := "<" + string(word) + ">"
			rs := []rune(w)
			for n := fo.CharMin; n <= fo.CharMax && n > 0; n++ {
				for i := 0; i+n <= len(rs); i++ {
					out["c:"+string(rs[i:i+n])]++
				}
			}
			word = word[:0]
		}
		if len(han) > 0 {
			for n := 1; n <= 3; n++ {
				for i := 0; i+n <= len(han); i++ {
					out["h:"+string(han[i:i+n])]++
				}
			}
			han = han[:0]
		}
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			if len(word) > 0 {
				flush()
			}
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'':
			if len(han) > 0 {
				flush()
			}
			if fo.Digits && unicode.IsDigit(r) {
				r = '0'
			}
			word = append(word, r)
		default:
			flush()
		}
	}
	flush()
	var stems []string
	if fo.Pairs > 0 {
		stems = make([]string, len(words))
		for i, w := range words {
			stems[i] = kb.Stem(w)
		}
	}
	for i, w := range words {
		out["w:"+w]++
		if fo.WordN >= 2 && i > 0 {
			out["b:"+words[i-1]+" "+w]++
		}
		if fo.WordN >= 3 && i > 1 {
			out["t:"+words[i-2]+" "+words[i-1]+" "+w]++
		}
		if fo.Skip && i > 1 {
			out["s:"+words[i-2]+" "+w]++
		}
		if st := kb.Stem(w); fo.Stem && st != w {
			out["w:"+st]++
		}
		// Pairs nearer than 3 are the bigrams and trigrams already.
		for j := max(0, i-fo.Pairs); j <= i-3; j++ {
			if a, b := stems[j], stems[i]; a < b {
				out["p:"+a+" "+b]++
			} else if a > b {
				out["p:"+b+" "+a]++
			}
		}
	}
	return out
}

// charFeature tells the character n-grams (Chinese included) from the
// word n-grams.
func charFeature(f string) bool { return f[0] == 'c' || f[0] == 'h' }

// sparse is a feature vector: sorted indices and values.
type sparse struct {
	idx []int32
	val []float32
}

// vector turns raw features into the model's TF-IDF vector, normalised to
// unit length; unknown features are dropped.
func (m *Model) vector(raw map[string]float32) sparse {
	var v sparse
	var norm [2]float64 // words, characters
	var block []bool
	for f, n := range raw {
		i, ok := m.vocab[f]
		if !ok {
			continue
		}
		x := float32(1+math.Log(float64(n))) * m.idf[i]
		v.idx = append(v.idx, i)
		v.val = append(v.val, x)
		c := m.feat.WordShare > 0 && charFeature(f)
		block = append(block, c)
		if c {
			norm[1] += float64(x * x)
		} else {
			norm[0] += float64(x * x)
		}
	}
	var scale [2]float32
	switch {
	case norm[0] > 0 && norm[1] > 0:
		scale[0] = float32(math.Sqrt(m.feat.WordShare / norm[0]))
		scale[1] = float32(math.Sqrt((1 - m.feat.WordShare) / norm[1]))
	case norm[0] > 0:
		scale[0] = float32(1 / math.Sqrt(norm[0]))
	case norm[1] > 0:
		scale[1] = float32(1 / math.Sqrt(norm[1]))
	}
	for k := range v.val {
		if block[k] {
			v.val[k] *= scale[1]
		} else {
			v.val[k] *= scale[0]
		}
	}
	return v
}

// Train fits a model on examples.
func Train(examples []Example, o TrainOptions) *Model {
	o = o.withDefaults()
	m := &Model{vocab: map[string]int32{}, feat: *o.Features, Temperature: 0.1}
	labelIdx := map[string]int{}
	raws := make([]map[string]float32, len(examples))
	y := make([]int, len(examples))
	df := map[string]int{}
	for i, ex := range examples {
		raws[i] = features(ex.Text, m.feat)
		for f := range raws[i] {
			df[f]++
		}
		li, ok := labelIdx[ex.Label]
		if !ok {
			li = len(m.labels)
			labelIdx[ex.Label] = li
			m.labels = append(m.labels, ex.Label)
		}
		y[i] = li
	}
	names := make([]string, 0, len(df))
	for f, n := range df {
		if n >= o.MinDF {
			names = append(names, f)
		}
	}
	sort.Strings(names) // a stable feature order makes training reproducible
	m.idf = make([]float32, len(names))
	n := float64(len(examples))
	for i, f := range names {
		m.vocab[f] = int32(i)
		m.idf[i] = float32(math.Log((1+n)/(1+float64(df[f]))) + 1)
	}
	xs := make([]sparse, len(examples))
	for i, r := range raws {
		xs[i] = m.vector(r)
	}
	dim := len(names) + 1 // + bias
	if o.Views && m.feat.WordShare > 0 {
		m.weights = trainViews(xs, y, names, len(m.labels), dim, m.feat.WordShare, o)
	} else {
		m.weights = trainMulticlass(xs, y, len(m.labels), dim, o)
	}
	if o.Logistic > 0 {
		lw := trainLogistic(xs, y, len(m.labels), dim, o)
		for c, row := range m.weights {
			for f := range row {
				row[f] += float32(o.Logistic * lw[f*len(m.labels)+c])
			}
		}
	}
	return m
}

// Labels lists the intents the model knows.
func (m *Model) Labels() []string { return m.labels }

// Predict scores text against every intent.
func (m *Model) Predict(text string) Prediction {
	if len(m.labels) == 0 {
		return Prediction{}
	}
	x := m.vector(features(head(text, maxPredictBytes), m.feat))
	best, bestScore := 0, math.Inf(-1)
	scores := make([]float64, len(m.labels))
	for c, w := range m.weights {
		s := float64(w[len(w)-1])
		for k, idx := range x.idx {
			s += float64(w[idx] * x.val[k])
		}
		scores[c] = s
		if s > bestScore {
			best, bestScore = c, s
		}
	}
	// The softmax includes a silent "none of these" intent scoring 0, the
	// mean of all intents' scores (each example's dual variables sum to
	// zero, so the weights do too): when no intent stands out from the
	// crowd, that one weighs in and the confidence is low.
	sum := math.Exp(-bestScore / m.Temperature)
	for _, s := range scores {
		sum += math.Exp((s - bestScore) / m.Temperature)
	}
	conf := 1 / sum
	if len(x.idx) == 0 {
		conf = 0 // nothing in the text is known: no basis for any answer
	}
	return Prediction{Label: m.labels[best], Confidence: conf, Score: bestScore}
}
