package bot

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ReadExamples reads a CSV of text,label rows; a header row whose first
// field is "text" is skipped.
func ReadExamples(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 2
	var out []Example
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if line == 1 && strings.EqualFold(rec[0], "text") {
			continue
		}
		text, label := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if text == "" || label == "" {
			return nil, fmt.Errorf("line %d: text and label must not be empty", line)
		}
		out = append(out, Example{Text: text, Label: label})
	}
	if len(out) == 0 {
		return nil, errors.New("no examples")
	}
	return out, nil
}

// EvalReport is what `vigil bot eval` prints.
type EvalReport struct {
	TrainExamples int     `json:"train_examples"`
	TestExamples  int     `json:"test_examples"`
	Intents       int     `json:"intents"`
	TrainSeconds  float64 `json:"train_seconds"`
	Accuracy      float64 `json:"accuracy"`
	MacroF1       float64 `json:"macro_f1"`
	// Threshold is the hand-off confidence chosen by cross-validation on
	// the training file; the test file plays no part in it.
	Threshold float64 `json:"threshold"`
	// Answered is the share of test questions the bot would answer at the
	// threshold, AnsweredAccuracy how many of those it gets right.
	Answered         float64 `json:"answered"`
	AnsweredAccuracy float64 `json:"answered_accuracy"`
	// OOSRecall is the share of out-of-scope test questions handed over;
	// present only when an out-of-scope label is given.
	OOSRecall *float64 `json:"oos_recall,omitempty"`
	P50Millis float64  `json:"p50_ms"`
	P99Millis float64  `json:"p99_ms"`
}

// EvalOptions configure Eval.
type EvalOptions struct {
	OOS       string  // the out-of-scope label, if the data has one
	Folds     int     // cross-validation folds for the threshold; 0 means 5
	Precision float64 // answers must be right this often; 0 means AnswerPrecision
	Train     TrainOptions
	// Threshold, when above 0, is a hand-off confidence already chosen by
	// cross-validation on the training file.
	Threshold float64
	Now       func() time.Time // the stopwatch
}

// Eval trains on train, chooses the hand-off threshold on train by
// cross-validation, and measures test. With an out-of-scope label, its
// examples are left out of training and a question is predicted out of
// scope when the confidence is below the threshold.
func Eval(train, test []Example, o EvalOptions) EvalReport {
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Precision == 0 {
		o.Precision = AnswerPrecision
	}
	var inScope []Example
	for _, ex := range train {
		if o.OOS == "" || ex.Label != o.OOS {
			inScope = append(inScope, ex)
		}
	}
	start := o.Now()
	m := Train(inScope, o.Train)
	rep := EvalReport{TrainExamples: len(train), TestExamples: len(test), Intents: len(m.Labels()),
		TrainSeconds: o.Now().Sub(start).Seconds()}
	rep.Threshold = o.Threshold
	if rep.Threshold == 0 {
		rep.Threshold = ChooseThreshold(train, o.OOS, o.Folds, o.Precision, o.Train)
	}

	lat := make([]time.Duration, 0, len(test))
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	var right, answered, answeredRight, oos, oosCaught int
	for _, ex := range test {
		t := o.Now()
		p := m.Predict(ex.Text)
		lat = append(lat, o.Now().Sub(t))
		label := p.Label
		confident := p.Confidence >= rep.Threshold
		if o.OOS != "" && !confident {
			label = o.OOS
		}
		if confident {
			answered++
			if p.Label == ex.Label {
				answeredRight++
			}
		}
		if ex.Label == o.OOS && o.OOS != "" {
			oos++
			if label == o.OOS {
				oosCaught++
			}
		}
		if label == ex.Label {
			right++
			tp[label]++
		} else {
			fp[label]++
			fn[ex.Label]++
		}
	}
	n := float64(len(test))
	rep.Accuracy = round4(float64(right) / n)
	rep.Answered = round4(float64(answered) / n)
	if answered > 0 {
		rep.AnsweredAccuracy = round4(float64(answeredRight) / float64(answered))
	}
	if o.OOS != "" && oos > 0 {
		r := round4(float64(oosCaught) / float64(oos))
		rep.OOSRecall = &r
	}
	labels := map[string]bool{}
	for _, ex := range test {
		labels[ex.Label] = true
	}
	var f1 float64
	for l := range labels {
		p, r := 0.0, 0.0
		if tp[l]+fp[l] > 0 {
			p = float64(tp[l]) / float64(tp[l]+fp[l])
		}
		if tp[l]+fn[l] > 0 {
			r = float64(tp[l]) / float64(tp[l]+fn[l])
		}
		if p+r > 0 {
			f1 += 2 * p * r / (p + r)
		}
	}
	rep.MacroF1 = round4(f1 / float64(len(labels)))
	slices.Sort(lat)
	rep.P50Millis = float64(lat[len(lat)/2].Microseconds()) / 1000
	rep.P99Millis = float64(lat[len(lat)*99/100].Microseconds()) / 1000
	return rep
}

func round4(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }
