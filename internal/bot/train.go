package bot

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
)

// trainViews fits one multi-class SVM on the word block of each vector
// and one on the character block, each block scaled back to unit length
// (an example whose block is empty is left out of that SVM), and merges
// them into one weight table whose scores on a vector with both blocks
// are share × the word SVM's + (1 − share) × the character SVM's.
func trainViews(xs []sparse, y []int, names []string, k, dim int, share float64, o TrainOptions) [][]float32 {
	var part [2][]sparse
	var py [2][]int
	for i, x := range xs {
		var v [2]sparse
		var norm [2]float64
		for n, f := range x.idx {
			b := 0
			if charFeature(names[f]) {
				b = 1
			}
			v[b].idx = append(v[b].idx, f)
			v[b].val = append(v[b].val, x.val[n])
			norm[b] += float64(x.val[n] * x.val[n])
		}
		for b := range v {
			if norm[b] == 0 {
				continue
			}
			inv := float32(1 / math.Sqrt(norm[b]))
			for n := range v[b].val {
				v[b].val[n] *= inv
			}
			part[b] = append(part[b], v[b])
			py[b] = append(py[b], y[i])
		}
	}
	var w [2][][]float32
	var wg sync.WaitGroup
	for b := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w[b] = trainMulticlass(part[b], py[b], k, dim, o)
		}()
	}
	wg.Wait()
	shares := [2]float64{share, 1 - share}
	out := make([][]float32, k)
	for c := range out {
		out[c] = make([]float32, dim)
		for f := range dim - 1 {
			b := 0
			if charFeature(names[f]) {
				b = 1
			}
			out[c][f] = float32(math.Sqrt(shares[b])) * w[b][c][f]
		}
		out[c][dim-1] = float32(shares[0])*w[0][c][dim-1] + float32(shares[1])*w[1][c][dim-1]
	}
	return out
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
	cost := make([]float64, len(xs))
	count := make([]int, k)
	for _, yi := range y {
		count[yi]++
	}
	for i, yi := range y {
		cost[i] = o.C
		if o.Balanced {
			cost[i] = o.C * float64(len(y)) / float64(k*count[yi])
		}
	}
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
			x, yi, a, ci := xs[i], y[i], alpha[i*k:i*k+k], cost[i]
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
				if (c == yi && a[c] < ci) || (c != yi && a[c] < 0) {
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
			d[yi] += q * ci
			sort.Sort(sort.Reverse(sort.Float64Slice(d)))
			beta, n := d[0]-q*ci, 1
			for ; n < k && beta < float64(n)*d[n]; n++ {
				beta += d[n]
			}
			beta /= float64(n)
			for c := range next {
				bound := 0.0
				if c == yi {
					bound = ci
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
		if worst < o.Tol {
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

// trainLogistic fits a multinomial logistic regression by stochastic
// gradient descent with L2 regularisation (the weight decay kept as one
// scale factor, so a step touches only the example's features). Its
// weights, feature-major like trainMulticlass's, sum to zero over the
// intents for every feature, as the SVM's do.
func trainLogistic(xs []sparse, y []int, k, dim int, o TrainOptions) []float64 {
	w := make([]float64, dim*k)
	scale := 1.0
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	r := rand.New(rand.NewPCG(3, 11))
	p := make([]float64, k)
	bias := w[(dim-1)*k:]
	for ep := range o.LogisticEpochs {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		eta := o.LogisticRate / (1 + float64(ep))
		for _, i := range order {
			x, yi := xs[i], y[i]
			for c := range p {
				p[c] = bias[c]
			}
			for n, f := range x.idx {
				v, row := float64(x.val[n]), w[int(f)*k:int(f)*k+k]
				for c := range row {
					p[c] += row[c] * v
				}
			}
			top := math.Inf(-1)
			for c := range p {
				p[c] *= scale
				top = max(top, p[c])
			}
			var sum float64
			for c := range p {
				p[c] = math.Exp(p[c] - top)
				sum += p[c]
			}
			for c := range p {
				p[c] /= sum
			}
			p[yi]--
			scale *= 1 - eta*o.LogisticL2
			step := eta / scale
			for n, f := range x.idx {
				v, row := step*float64(x.val[n]), w[int(f)*k:int(f)*k+k]
				for c := range row {
					row[c] -= p[c] * v
				}
			}
			for c := range bias {
				bias[c] -= p[c] * step
			}
			if scale < 1e-9 {
				for j := range w {
					w[j] *= scale
				}
				scale = 1
			}
		}
	}
	for j := range w {
		w[j] *= scale
	}
	return w
}
