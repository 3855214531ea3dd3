package bot

import (
	"slices"
)

// neighbours scores the intents by the training examples most like a
// text: the cosine similarity of their vectors, found through an
// inverted index (feature → the examples holding it).
type neighbours struct {
	k        int
	label    []int32     // per training example
	postings [][]posting // per feature
	intents  int
}

type posting struct {
	example int32
	val     float32
}

func newNeighbours(xs []sparse, y []int, intents, features, k int) *neighbours {
	nb := &neighbours{k: k, label: make([]int32, len(xs)), postings: make([][]posting, features), intents: intents}
	for i, x := range xs {
		nb.label[i] = int32(y[i])
		for n, f := range x.idx {
			nb.postings[f] = append(nb.postings[f], posting{int32(i), x.val[n]})
		}
	}
	return nb
}

// scores adds, for each intent, share × the similarity of the k nearest
// examples of that intent over that of all k (so the shares sum to 1),
// less the mean over the intents, so that the scores still average 0.
func (nb *neighbours) scores(x sparse, share float64, out []float64) {
	sim := make([]float32, len(nb.label))
	for n, f := range x.idx {
		v := x.val[n]
		for _, p := range nb.postings[f] {
			sim[p.example] += v * p.val
		}
	}
	type near struct {
		example int32
		sim     float32
	}
	top := make([]near, 0, nb.k+1)
	for i, s := range sim {
		if s <= 0 || (len(top) == nb.k && s <= top[len(top)-1].sim) {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, s, func(a near, s float32) int {
			if a.sim > s {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, at, near{int32(i), s})
		if len(top) > nb.k {
			top = top[:nb.k]
		}
	}
	var total float64
	for _, t := range top {
		total += float64(t.sim)
	}
	if total == 0 {
		return
	}
	for _, t := range top {
		out[nb.label[t.example]] += share * float64(t.sim) / total
	}
	mean := share / float64(nb.intents)
	for c := range out {
		out[c] -= mean
	}
}
