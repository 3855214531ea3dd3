package bot

import (
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

// ChooseThreshold picks the confidence below which the bot hands over,
// from the training data alone: k-fold cross-validation gives each
// example a prediction from a model that did not see it, and the
// threshold is the lowest at which the answers given are right at least
// precision of the time. Examples labelled oos (out of scope; "" for
// none) count as wrong whenever they are answered.
func ChooseThreshold(examples []Example, oos string, folds int, precision float64, o TrainOptions) float64 {
	return threshold(crossPredict(examples, oos, folds, o), oos, precision)
}

// heldOut is one example's prediction by a model that did not see it.
type heldOut struct {
	Example
	Prediction
	fold int
}

// crossPredict predicts every example with a model trained on the other
// folds (example i is in fold i mod folds). Examples labelled oos are
// predicted but never trained on.
func crossPredict(examples []Example, oos string, folds int, o TrainOptions) []heldOut {
	// The folds train independently, so they run side by side.
	perFold := make([][]heldOut, folds)
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
				perFold[f] = append(perFold[f], heldOut{ex, m.Predict(ex.Text), f})
			}
		}()
	}
	wg.Wait()
	var outs []heldOut
	for _, fo := range perFold {
		outs = append(outs, fo...)
	}
	return outs
}

// threshold is the lowest confidence at which the held-out answers are
// right at least precision of the time.
func threshold(held []heldOut, oos string, precision float64) float64 {
	if len(held) == 0 {
		return 0.5
	}
	outs := slices.Clone(held)
	// From the most confident down, the last point where precision holds.
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Confidence > outs[j].Confidence })
	threshold, right := 1.0, 0
	for i, o := range outs {
		if o.Prediction.Label == o.Example.Label && (oos == "" || o.Example.Label != oos) {
			right++
		}
		if float64(right)/float64(i+1) >= precision {
			threshold = o.Confidence
		}
	}
	return threshold
}

// Candidate is one model configuration to compare by cross-validation.
type Candidate struct {
	Name  string
	Train TrainOptions
}

// Candidates are the configurations `vigil bot eval --cv` compares on the
// training file. The first is the earlier model (C = 1 on words, stems,
// word bigrams and trigrams and character 3–5-grams); the others each
// change one thing, or combine changes that helped on their own.
func Candidates() []Candidate {
	earlier := Features{WordN: 3, CharMin: 3, CharMax: 5, Stem: true}
	c := func(name string, o TrainOptions, change func(*Features)) Candidate {
		if o.C == 0 {
			o.C = 1
		}
		f := earlier
		if change != nil {
			change(&f)
		}
		o.Features = &f
		return Candidate{name, o}
	}
	blocks := func(share float64, charMin int) func(*Features) {
		return func(f *Features) { f.WordShare, f.CharMin = share, charMin }
	}
	pairs := func(share float64, far int) func(*Features) {
		return func(f *Features) { blocks(share, 2)(f); f.Pairs = far }
	}
	return []Candidate{
		c("earlier model", TrainOptions{}, nil),
		c("C=0.5", TrainOptions{C: 0.5}, nil),
		c("C=2", TrainOptions{C: 2}, nil),
		c("tol=0.01", TrainOptions{Tol: 0.01, Epochs: 200}, nil),
		c("words 1-2", TrainOptions{}, func(f *Features) { f.WordN = 2 }),
		c("chars 2-5", TrainOptions{}, func(f *Features) { f.CharMin = 2 }),
		c("chars 3-6", TrainOptions{}, func(f *Features) { f.CharMax = 6 }),
		c("chars 1-6", TrainOptions{}, func(f *Features) { f.CharMin, f.CharMax = 1, 6 }),
		c("no stems", TrainOptions{}, func(f *Features) { f.Stem = false }),
		c("digits as 0", TrainOptions{}, func(f *Features) { f.Digits = true }),
		c("blocks words=0.5", TrainOptions{}, blocks(0.5, 3)),
		c("blocks words=0.3", TrainOptions{}, blocks(0.3, 3)),
		c("blocks words=0.7", TrainOptions{}, blocks(0.7, 3)),
		c("min df 2", TrainOptions{MinDF: 2}, nil),
		c("skip bigrams", TrainOptions{}, func(f *Features) { f.Skip = true }),
		c("balanced", TrainOptions{Balanced: true}, nil),
		c("+ logistic 0.1", TrainOptions{Logistic: 0.1}, nil),
		c("+ logistic 0.3", TrainOptions{Logistic: 0.3}, nil),
		c("+ logistic 0.03", TrainOptions{Logistic: 0.03}, nil),
		// Combinations of the changes that helped alone.
		c("blocks words=0.5 chars 2-5", TrainOptions{}, blocks(0.5, 2)),
		c("blocks words=0.5 C=0.7", TrainOptions{C: 0.7}, blocks(0.5, 3)),
		c("blocks words=0.5 C=1.5", TrainOptions{C: 1.5}, blocks(0.5, 3)),
		c("blocks words=0.5 chars 2-5 C=1.5", TrainOptions{C: 1.5}, blocks(0.5, 2)),
		c("blocks words=0.5 chars 2-5 skip bigrams", TrainOptions{}, func(f *Features) { blocks(0.5, 2)(f); f.Skip = true }),
		c("blocks words=0.5 chars 2-5 C=2", TrainOptions{C: 2}, blocks(0.5, 2)),
		c("blocks words=0.5 chars 2-5 C=3", TrainOptions{C: 3}, blocks(0.5, 2)),
		c("blocks words=0.4 chars 2-5 C=1.5", TrainOptions{C: 1.5}, blocks(0.4, 2)),
		c("blocks words=0.6 chars 2-5 C=1.5", TrainOptions{C: 1.5}, blocks(0.6, 2)),
		c("two SVMs words=0.5 chars 2-5", TrainOptions{Views: true}, blocks(0.5, 2)),
		// Pairs of words 3 or more apart, added to the best of the above
		// (blocks words=0.5 chars 2-5 C=1.5).
		c("pairs 3-40 words=0.5 chars 2-5 C=1.5", TrainOptions{C: 1.5}, pairs(0.5, 40)),
		c("pairs 3-40 words=0.6 chars 2-5 C=1.5", TrainOptions{C: 1.5}, pairs(0.6, 40)),
		c("pairs 3-40 words=0.7 chars 2-5 C=1.5", TrainOptions{C: 1.5}, pairs(0.7, 40)),
		c("pairs 3-40 words=0.6 chars 2-5 C=1", TrainOptions{C: 1}, pairs(0.6, 40)),
		c("pairs 3-40 words=0.6 chars 2-5 C=2", TrainOptions{C: 2}, pairs(0.6, 40)),
		c("pairs 3-12 words=0.6 chars 2-5 C=1.5", TrainOptions{C: 1.5}, pairs(0.6, 12)),
	}
}

// CVResult is one candidate's mean held-out figures.
type CVResult struct {
	Name          string    `json:"name"`
	Accuracy      float64   `json:"accuracy"`
	MacroF1       float64   `json:"macro_f1"`
	FoldAccuracy  []float64 `json:"fold_accuracy"`
	Threshold     float64   `json:"threshold"`
	Seconds       float64   `json:"seconds"`
	TrainExamples int       `json:"train_examples"`
}

// CrossValidate scores one configuration by k-fold cross-validation on
// examples: each fold is predicted by a model trained on the others.
// Accuracy and macro-F1 count the in-scope examples, each given its best
// intent; the threshold is the one Eval would choose.
func CrossValidate(examples []Example, oos string, folds int, precision float64, c Candidate, now func() time.Time) CVResult {
	start := now()
	held := crossPredict(examples, oos, folds, c.Train)
	res := CVResult{Name: c.Name, Threshold: threshold(held, oos, precision), Seconds: now().Sub(start).Seconds()}
	right, total := make([]int, folds), make([]int, folds)
	var in []heldOut
	for _, h := range held {
		if oos != "" && h.Example.Label == oos {
			continue
		}
		in = append(in, h)
		total[h.fold]++
		if h.Prediction.Label == h.Example.Label {
			right[h.fold]++
		}
	}
	var sum, n int
	for f := range folds {
		if total[f] > 0 {
			res.FoldAccuracy = append(res.FoldAccuracy, round4(float64(right[f])/float64(total[f])))
		}
		sum += right[f]
		n += total[f]
	}
	res.TrainExamples = len(examples)
	if n > 0 {
		res.Accuracy = round4(float64(sum) / float64(n))
	}
	res.MacroF1 = round4(macroF1(in))
	return res
}

// macroF1 is the mean F1 over the true labels of held.
func macroF1(held []heldOut) float64 {
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	labels := map[string]bool{}
	for _, h := range held {
		labels[h.Example.Label] = true
		if h.Prediction.Label == h.Example.Label {
			tp[h.Example.Label]++
		} else {
			fp[h.Prediction.Label]++
			fn[h.Example.Label]++
		}
	}
	if len(labels) == 0 {
		return 0
	}
	var f1 float64
	for l := range labels {
		if tp[l] > 0 {
			p := float64(tp[l]) / float64(tp[l]+fp[l])
			r := float64(tp[l]) / float64(tp[l]+fn[l])
			f1 += 2 * p * r / (p + r)
		}
	}
	return f1 / float64(len(labels))
}

// CVReport is what `vigil bot eval --cv` prints: every candidate's
// cross-validated figures on the training file, the one chosen (the most
// accurate; on a tie, the earlier), and, when a test file is given, the
// chosen one's figures on it. The test file plays no part in the choice.
type CVReport struct {
	Folds      int         `json:"folds"`
	Candidates []CVResult  `json:"candidates"`
	Chosen     string      `json:"chosen"`
	Test       *EvalReport `json:"test,omitempty"`
}

// Select cross-validates candidates on train, chooses one, and evaluates
// it on test if test is not empty. Each result is passed to progress (if
// not nil) as soon as it is known.
func Select(train, test []Example, candidates []Candidate, o EvalOptions, progress func(CVResult)) CVReport {
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Precision == 0 {
		o.Precision = AnswerPrecision
	}
	rep := CVReport{Folds: o.Folds}
	best := -1
	for i, c := range candidates {
		r := CrossValidate(train, o.OOS, o.Folds, o.Precision, c, o.Now)
		rep.Candidates = append(rep.Candidates, r)
		if progress != nil {
			progress(r)
		}
		if best < 0 || r.Accuracy > rep.Candidates[best].Accuracy {
			best = i
		}
	}
	if best < 0 {
		return rep
	}
	rep.Chosen = candidates[best].Name
	if len(test) > 0 {
		o.Train = candidates[best].Train
		o.Threshold = rep.Candidates[best].Threshold
		e := Eval(train, test, o)
		rep.Test = &e
	}
	return rep
}
