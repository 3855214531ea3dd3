package bot

import "math"

// nbRatios gives each feature of vocab its largest Naive Bayes log-count
// ratio over the intents: log(P(f | c) / P(f | not c)), with P the share
// of the examples holding f (add-one smoothed), no less than 0, divided by
// the mean over all features. A feature seen in one intent only scores
// high, one spread evenly over the intents near 0.
func nbRatios(raws []map[string]float32, y []int, k int, vocab map[string]int32) []float64 {
	// The intents of the examples holding each feature, one entry per example.
	seen := make([][]uint16, len(vocab))
	perClass := make([]float64, k)
	for i, raw := range raws {
		perClass[y[i]]++
		for f := range raw {
			if j, ok := vocab[f]; ok {
				seen[j] = append(seen[j], uint16(y[i]))
			}
		}
	}
	n := float64(len(raws))
	ratio := make([]float64, len(vocab))
	count := make([]float64, k)
	var sum float64
	for j, cs := range seen {
		for _, c := range cs {
			count[c]++
		}
		total := float64(len(cs))
		best := 0.0
		for _, c := range cs {
			if count[c] < 0 {
				continue // this intent is done
			}
			in := (count[c] + 1) / (perClass[c] + 2)
			out := (total - count[c] + 1) / (n - perClass[c] + 2)
			best = max(best, math.Log(in/out))
			count[c] = -1
		}
		for _, c := range cs {
			count[c] = 0
		}
		ratio[j] = best
		sum += best
	}
	if sum == 0 {
		return ratio
	}
	mean := sum / float64(len(ratio))
	for j := range ratio {
		ratio[j] /= mean
	}
	return ratio
}
