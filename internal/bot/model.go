package bot

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode"

	"vigil/internal/kb"
)

// Example is one labelled phrasing: a customer's question and the intent
// (for the live bot, an article slug) that answers it.
type Example struct {
	Text  string
	Label string
}

// Model is a linear intent classifier trained in-process: TF-IDF weighted
// words (and their stems), word bigrams and trigrams, character n-grams of each word (which absorb
// typos and inflections), and Chinese character unigrams to trigrams (no
// segmentation needed), scored by a multi-class linear SVM.
type Model struct {
	labels  []string
	vocab   map[string]int32
	idf     []float32
	weights [][]float32 // per label, per feature; the last entry is the bias
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
	C      float64 // SVM cost; 0 means 1
	Epochs int     // passes over the data at most; 0 means 50
	MinDF  int     // features seen in fewer examples are dropped; 0 means 1
}

// features extracts the raw features of a text with their counts.
func features(text string) map[string]float32 {
	out := map[string]float32{}
	text = strings.ToLower(text)
	var words []string
	var word, han []rune
	flush := func() {
		if len(word) > 0 {
			words = append(words, string(word))
			w := "<" + string(word) + ">"
			rs := []rune(w)
			for n := 3; n <= 5; n++ {
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
			word = append(word, r)
		default:
			flush()
		}
	}
	flush()
	for i, w := range words {
		out["w:"+w]++
		if i > 0 {
			out["b:"+words[i-1]+" "+w]++
		}
		if i > 1 {
			out["t:"+words[i-2]+" "+words[i-1]+" "+w]++
		}
		if st := kb.Stem(w); st != w {
			out["w:"+st]++
		}
	}
	return out
}

// sparse is a feature vector: sorted indices and values.
type sparse struct {
	idx []int32
	val []float32
}

// vector turns raw features into the model's TF-IDF vector, normalised to
// unit length; unknown features are dropped.
func (m *Model) vector(raw map[string]float32) sparse {
	var v sparse
	var norm float64
	for f, n := range raw {
		i, ok := m.vocab[f]
		if !ok {
			continue
		}
		x := float32(1+math.Log(float64(n))) * m.idf[i]
		v.idx = append(v.idx, i)
		v.val = append(v.val, x)
		norm += float64(x * x)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for k := range v.val {
			v.val[k] *= inv
		}
	}
	return v
}

// Train fits a model on examples.
func Train(examples []Example, o TrainOptions) *Model {
	if o.C == 0 {
		o.C = 1
	}
	if o.Epochs == 0 {
		o.Epochs = 50
	}
	if o.MinDF == 0 {
		o.MinDF = 1
	}
	m := &Model{vocab: map[string]int32{}, Temperature: 0.1}
	labelIdx := map[string]int{}
	raws := make([]map[string]float32, len(examples))
	y := make([]int, len(examples))
	df := map[string]int{}
	for i, ex := range examples {
		raws[i] = features(ex.Text)
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
	m.weights = trainMulticlass(xs, y, len(m.labels), dim, o)
	return m
}

// trainMulticlass fits all intents at once: the multi-class SVM of
// Crammer and Singer (JMLR 2001), solved in the dual one example at a
// time (Keerthi et al., KDD 2008), with the bias as a constant feature.
// Each example's true intent must outscore every other by a margin of 1;
// on BANKING77 this is more accurate than one SVM per intent against the
// rest, because the intents compete in training as they do in answering.
func trainMulticlass(xs []sparse, y []int, k, dim int, o TrainOptions) [][]float32 {
	w := make([]float64, dim*k) // feature-major: the k weights of one feature are adjacent
	alpha := make([]float64, len(xs)*k)
	sq := make([]float64, len(xs))
	for i, x := range xs {
		s := 1.0 // the bias feature
		for _, v := range x.val {
			s += float64(v * v)
		}
		sq[i] = s
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(1, 7))
	g, b, d, next := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	bias := w[(dim-1)*k:]
	for range o.Epochs {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		worst := 0.0
		for _, i := range order {
			x, yi, a := xs[i], y[i], alpha[i*k:i*k+k]
			// g: the gradient, each intent's score plus the margin it must lose by.
			for c := range g {
				g[c] = 1 + bias[c]
			}
			g[yi]--
			for n, f := range x.idx {
				v, row := float64(x.val[n]), w[int(f)*k:int(f)*k+k]
				for c := range row {
					g[c] += row[c] * v
				}
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for c := range g {
				if (c == yi && a[c] < o.C) || (c != yi && a[c] < 0) {
					lo = min(lo, g[c])
				}
				hi = max(hi, g[c])
			}
			if hi-lo < 1e-12 {
				continue
			}
			worst = max(worst, hi-lo)
			// The sub-problem over this example's k dual variables has a
			// closed form once the threshold beta is found.
			q := sq[i]
			for c := range g {
				b[c] = g[c] - q*a[c]
				d[c] = b[c]
			}
			d[yi] += q * o.C
			sort.Sort(sort.Reverse(sort.Float64Slice(d)))
			beta, n := d[0]-q*o.C, 1
			for ; n < k && beta < float64(n)*d[n]; n++ {
				beta += d[n]
			}
			beta /= float64(n)
			for c := range next {
				bound := 0.0
				if c == yi {
					bound = o.C
				}
				next[c] = min(bound, (beta-b[c])/q)
			}
			for c := range next {
				step := next[c] - a[c]
				if step == 0 {
					continue
				}
				a[c] = next[c]
				for n, f := range x.idx {
					w[int(f)*k+c] += step * float64(x.val[n])
				}
				bias[c] += step
			}
		}
		if worst < 0.1 {
			break
		}
	}
	out := make([][]float32, k)
	for c := range out {
		out[c] = make([]float32, dim)
		for f := range dim {
			out[c][f] = float32(w[f*k+c])
		}
	}
	return out
}

// Labels lists the intents the model knows.
func (m *Model) Labels() []string { return m.labels }

// Predict scores text against every intent.
func (m *Model) Predict(text string) Prediction {
	if len(m.labels) == 0 {
		return Prediction{}
	}
	x := m.vector(features(text))
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

// ChooseThreshold picks the confidence below which the bot hands over,
// from the training data alone: k-fold cross-validation gives each
// example a prediction from a model that did not see it, and the
// threshold is the lowest at which the answers given are right at least
// precision of the time. Examples labelled oos (out of scope; "" for
// none) count as wrong whenever they are answered.
func ChooseThreshold(examples []Example, oos string, folds int, precision float64, o TrainOptions) float64 {
	type outcome struct {
		conf    float64
		correct bool
	}
	// The folds train independently, so they run side by side.
	perFold := make([][]outcome, folds)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for f := range folds {
		var train, held []Example
		for i, ex := range examples {
			if i%folds == f {
				held = append(held, ex)
			} else if ex.Label != oos || oos == "" {
				train = append(train, ex)
			}
		}
		if len(train) == 0 || len(held) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			m := Train(train, o)
			for _, ex := range held {
				p := m.Predict(ex.Text)
				perFold[f] = append(perFold[f], outcome{p.Confidence, p.Label == ex.Label && ex.Label != oos})
			}
		}()
	}
	wg.Wait()
	var outs []outcome
	for _, fo := range perFold {
		outs = append(outs, fo...)
	}
	if len(outs) == 0 {
		return 0.5
	}
	// From the most confident down, the last point where precision holds.
	sort.Slice(outs, func(i, j int) bool { return outs[i].conf > outs[j].conf })
	threshold, right := 1.0, 0
	for i, o := range outs {
		if o.correct {
			right++
		}
		if float64(right)/float64(i+1) >= precision {
			threshold = o.conf
		}
	}
	return threshold
}
