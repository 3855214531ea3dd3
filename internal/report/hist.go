package report

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hist is a histogram of durations: bucket upper bound in seconds → count.
// Buckets are 10 s wide up to 10 minutes, 1 minute up to an hour, 15
// minutes up to a day and an hour beyond, so a median read from it is
// exact for durations on those steps and otherwise at most one step high.
type Hist map[int64]int

// bucket returns the upper bound, in seconds, of the bucket holding d.
func bucket(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	step := int64(3600)
	switch {
	case s <= 600:
		step = 10
	case s <= 3600:
		step = 60
	case s <= 86400:
		step = 900
	}
	return (s + step - 1) / step * step
}

// Add counts one duration; negative ones (clock skew) count as zero.
func (h Hist) Add(d time.Duration) {
	h[bucket(max(d, 0))]++
}

// Merge adds another histogram's counts.
func (h Hist) Merge(o Hist) {
	for k, n := range o {
		h[k] += n
	}
}

// Count is how many durations the histogram holds.
func (h Hist) Count() int {
	n := 0
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile returns the nearest-rank q-quantile (0 < q <= 1), rounded up
// to its bucket; zero when empty.
func (h Hist) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := int(q*float64(n) + 0.999999)
	rank = max(1, min(rank, n))
	keys := make([]int64, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	seen := 0
	for _, k := range keys {
		seen += h[k]
		if seen >= rank {
			return time.Duration(k) * time.Second
		}
	}
	return time.Duration(keys[len(keys)-1]) * time.Second
}

// encode writes "bound:count,…" in bound order for the rollup table.
func (h Hist) encode() string {
	keys := make([]int64, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(k, 10))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(h[k]))
	}
	return b.String()
}

// mergeEncoded adds an encoded histogram without building a second map.
func (h Hist) mergeEncoded(s string) {
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, ",")
		k, n, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		kv, err1 := strconv.ParseInt(k, 10, 64)
		nv, err2 := strconv.Atoi(n)
		if err1 == nil && err2 == nil {
			h[kv] += nv
		}
	}
}
