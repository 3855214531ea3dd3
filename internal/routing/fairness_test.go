package routing_test

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/customer"
	"vigil/internal/routing"
	"vigil/internal/ticket"
)

// TestFairnessOverManyAssignments simulates 10,000 arrivals and random
// completions among equal agents: at every step, the loads of the agents
// stay within one conversation of each other.
func TestFairnessOverManyAssignments(t *testing.T) {
	const agents, arrivals = 12, 10000
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 3, 14, 3, 0, 0, 0, time.UTC)
	cs := make([]routing.Candidate, agents)
	for i := range cs {
		cs[i] = routing.Candidate{ID: int64(i + 1), Languages: []string{"en", "zh"}, Max: 1 << 20}
	}
	given := make([]int, agents)
	for n := 0; n < arrivals; n++ {
		now := t0.Add(time.Duration(n) * time.Second)
		id, ok := routing.Pick(routing.Work{Language: "zh"}, cs)
		if !ok {
			t.Fatalf("arrival %d: nobody picked", n)
		}
		cs[id-1].Load++
		cs[id-1].LastGiven = now
		given[id-1]++
		// Conversations end at random: one of the agents with the most
		// open work (chosen at random among them) finishes one.
		if rng.IntN(2) == 0 {
			top := 0
			for _, c := range cs {
				top = max(top, c.Load)
			}
			var busiest []int
			for i, c := range cs {
				if c.Load == top {
					busiest = append(busiest, i)
				}
			}
			cs[busiest[rng.IntN(len(busiest))]].Load--
		}
		lo, hi := cs[0].Load, cs[0].Load
		for _, c := range cs {
			lo, hi = min(lo, c.Load), max(hi, c.Load)
		}
		if hi-lo > 1 {
			t.Fatalf("arrival %d: loads spread %d..%d", n, lo, hi)
		}
	}
	// Round robin among equals also spreads the total handed out: within
	// 5% of the mean for every agent.
	lo, hi, mean := slices.Min(given), slices.Max(given), arrivals/agents
	if float64(hi-mean) > 0.05*float64(mean) || float64(mean-lo) > 0.05*float64(mean) {
		t.Errorf("assignments per agent spread %d..%d around %d: %v", lo, hi, mean, given)
	}
}

func TestPassPrefersTheAccountManager(t *testing.T) {
	e := newEnv(t)
	other := e.agent(t, "other@desk.test", []string{"en"}, 5, agent.Online)
	mgr := e.agent(t, "manager@desk.test", []string{"en"}, 5, agent.Online)
	// The manager already has work; an even split would pick the other.
	for range 2 {
		c := e.open(t, "en", ticket.Normal)
		if _, err := e.tickets.Update(e.ctx, c.ID, ticket.Patch{AssigneeID: &mgr.ID}); err != nil {
			t.Fatal(err)
		}
	}
	name, tier := "Whale", 5
	vip, err := e.customers.Create(e.ctx, customer.Input{Name: &name, VIPTier: &tier, AccountManagerID: &mgr.ID})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.tickets.Open(e.ctx, ticket.OpenInput{CustomerID: vip.ID, Channel: "webchat", Language: "en",
		Message: ticket.MessageInput{AuthorKind: ticket.ByCustomer, AuthorID: vip.ID, Body: "withdrawal stuck"}})
	if err != nil {
		t.Fatal(err)
	}
	plain := e.open(t, "en", ticket.Normal)
	if err := e.router.Pass(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.assignee(t, c.ID); got != mgr.ID {
		t.Errorf("VIP conversation went to %d, want the account manager %d", got, mgr.ID)
	}
	if got := e.assignee(t, plain.ID); got != other.ID {
		t.Errorf("ordinary conversation went to %d, want the less loaded %d", got, other.ID)
	}
}

// BenchmarkPick500 is one assignment decision with 500 agents online, in
// varied languages, teams, topics and loads. It reports p99 per decision.
func BenchmarkPick500(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	cs := make([]routing.Candidate, 500)
	topics := []string{"deposit", "withdrawal", "kyc", "account_security", "trading"}
	for i := range cs {
		langs := []string{"en"}
		if i%3 == 0 {
			langs = append(langs, "zh")
		}
		cs[i] = routing.Candidate{ID: int64(i + 1), Languages: langs, Topics: []string{topics[i%len(topics)]},
			Teams: []int64{int64(i%4 + 1)}, Load: rng.IntN(5), Max: 5, LastGiven: time.Unix(int64(rng.IntN(1e6)), 0)}
	}
	works := make([]routing.Work, 1024)
	for i := range works {
		lang := "en"
		if i%2 == 0 {
			lang = "zh"
		}
		works[i] = routing.Work{Language: lang, Category: topics[i%len(topics)], TeamID: int64(i%4 + 1)}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		routing.Pick(works[i%len(works)], cs)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}
