package bot

import (
	"time"
)

// Candidate is one model configuration to compare by cross-validation.
type Candidate struct {
	Name  string
	Train TrainOptions
}

// Candidates are the configurations `vigil bot eval --cv` compares on the
// training file. The first is the default model; the others each change
// one thing, or combine changes that helped on their own.
func Candidates() []Candidate {
	feat := func(change func(*Features)) *Features {
		f := DefaultFeatures
		change(&f)
		return &f
	}
	return []Candidate{
		{"default", TrainOptions{}},
		{"C=0.5", TrainOptions{C: 0.5}},
		{"C=2", TrainOptions{C: 2}},
		{"tol=0.01", TrainOptions{Tol: 0.01, Epochs: 200}},
		{"words 1-2", TrainOptions{Features: feat(func(f *Features) { f.WordN = 2 })}},
		{"chars 2-5", TrainOptions{Features: feat(func(f *Features) { f.CharMin = 2 })}},
		{"chars 3-6", TrainOptions{Features: feat(func(f *Features) { f.CharMax = 6 })}},
		{"chars 1-6", TrainOptions{Features: feat(func(f *Features) { f.CharMin, f.CharMax = 1, 6 })}},
		{"no stems", TrainOptions{Features: feat(func(f *Features) { f.Stem = false })}},
		{"digits as 0", TrainOptions{Features: feat(func(f *Features) { f.Digits = true })}},
		{"blocks words=0.5", TrainOptions{Features: feat(func(f *Features) { f.WordShare = 0.5 })}},
		{"blocks words=0.3", TrainOptions{Features: feat(func(f *Features) { f.WordShare = 0.3 })}},
		{"blocks words=0.7", TrainOptions{Features: feat(func(f *Features) { f.WordShare = 0.7 })}},
		{"min df 2", TrainOptions{MinDF: 2}},
		{"skip bigrams", TrainOptions{Features: feat(func(f *Features) { f.Skip = true })}},
		{"balanced", TrainOptions{Balanced: true}},
		{"+ logistic 0.1", TrainOptions{Logistic: 0.1}},
		{"+ logistic 0.3", TrainOptions{Logistic: 0.3}},
		{"+ logistic 0.03", TrainOptions{Logistic: 0.03}},
		// Combinations of the changes that helped alone.
		{"blocks words=0.5 chars 2-5", TrainOptions{Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.5, 2 })}},
		{"blocks words=0.5 C=0.7", TrainOptions{C: 0.7, Features: feat(func(f *Features) { f.WordShare = 0.5 })}},
		{"blocks words=0.5 C=1.5", TrainOptions{C: 1.5, Features: feat(func(f *Features) { f.WordShare = 0.5 })}},
		{"blocks words=0.5 chars 2-5 C=1.5", TrainOptions{C: 1.5, Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.5, 2 })}},
		{"blocks words=0.5 chars 2-5 skip bigrams", TrainOptions{Features: feat(func(f *Features) { f.WordShare, f.CharMin, f.Skip = 0.5, 2, true })}},
		{"blocks words=0.5 chars 2-5 C=2", TrainOptions{C: 2, Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.5, 2 })}},
		{"blocks words=0.5 chars 2-5 C=3", TrainOptions{C: 3, Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.5, 2 })}},
		{"blocks words=0.4 chars 2-5 C=1.5", TrainOptions{C: 1.5, Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.4, 2 })}},
		{"blocks words=0.6 chars 2-5 C=1.5", TrainOptions{C: 1.5, Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.6, 2 })}},
		{"two SVMs words=0.5 chars 2-5", TrainOptions{Views: true, Features: feat(func(f *Features) { f.WordShare, f.CharMin = 0.5, 2 })}},
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
