// Package routing assigns waiting conversations to agents: when one
// arrives, when an agent comes online and when an agent frees up.
package routing

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"vigil/internal/agent"
	"vigil/internal/audit"
	"vigil/internal/customer"
	"vigil/internal/event"
	"vigil/internal/ticket"
)

// Candidate is an agent as the router weighs them.
type Candidate struct {
	ID        int64
	Languages []string // empty means English only
	Topics    []string
	Teams     []int64
	Load, Max int       // open assigned conversations, and the agent's capacity
	LastGiven time.Time // when the router last gave this agent a conversation
}

// Work is a waiting conversation as the router weighs it.
type Work struct {
	Language string
	Category string
	TeamID   int64
	// ManagerID is the customer's dedicated account manager, if any.
	ManagerID int64
}

// Pick chooses the agent for w, or ok=false when nobody fits. An agent
// fits when they have room (load below capacity), speak the language and
// belong to the conversation's team (any agent when it has none). Among
// those: a topic skill for the category first, then the lowest load
// relative to capacity, then whoever waited longest since their last
// conversation (round robin), then the lowest id. The customer's account
// manager comes before all of them when they fit. Candidates must be
// online already.
func Pick(w Work, cs []Candidate) (id int64, ok bool) {
	var best *Candidate
	for i := range cs {
		c := &cs[i]
		if !fits(w, c) {
			continue
		}
		if w.ManagerID != 0 && c.ID == w.ManagerID {
			return c.ID, true
		}
		if best == nil || better(w, c, best) {
			best = c
		}
	}
	if best == nil {
		return 0, false
	}
	return best.ID, true
}

func fits(w Work, c *Candidate) bool {
	if c.Load >= c.Max {
		return false
	}
	langs := c.Languages
	if len(langs) == 0 {
		langs = []string{"en"}
	}
	lang := w.Language
	if lang == "" {
		lang = "en"
	}
	if !slices.Contains(langs, lang) {
		return false
	}
	return w.TeamID == 0 || slices.Contains(c.Teams, w.TeamID)
}

// better reports whether a should be preferred to b for w.
func better(w Work, a, b *Candidate) bool {
	at, bt := slices.Contains(a.Topics, w.Category), slices.Contains(b.Topics, w.Category)
	if at != bt {
		return at
	}
	// Compare load/max as fractions without division.
	if l, r := a.Load*b.Max, b.Load*a.Max; l != r {
		return l < r
	}
	if !a.LastGiven.Equal(b.LastGiven) {
		return a.LastGiven.Before(b.LastGiven)
	}
	return a.ID < b.ID
}

// Router listens to the bus and assigns.
type Router struct {
	agents    *agent.Service
	customers *customer.Service
	tickets   *ticket.Service
	bus       event.Bus
	log       *slog.Logger
	now       func() time.Time
	lock      func(ctx context.Context) (release func(), ok bool, err error)

	mu    sync.Mutex // guards given and gone
	given map[int64]time.Time
	gone  map[int64]*time.Timer // agents offline, awaiting the grace period
	kick  chan struct{}

	// Grace is how long an agent may be offline before their waiting
	// conversations go to someone else (a dropped connection, a restart).
	Grace time.Duration
}

// Options wire a Router.
type Options struct {
	Agents    *agent.Service
	Customers *customer.Service
	Tickets   *ticket.Service
	Bus       event.Bus
	Logger    *slog.Logger
	Now       func() time.Time
	// Lock, when set, makes one instance at a time run routing passes
	// (db.DB.TryLock with db.LockRouting); others skip their pass.
	Lock func(ctx context.Context) (release func(), ok bool, err error)
}

// New returns a router; Run starts it.
func New(o Options) *Router {
	lock := o.Lock
	if lock == nil {
		lock = func(context.Context) (func(), bool, error) { return func() {}, true, nil }
	}
	return &Router{agents: o.Agents, customers: o.Customers, tickets: o.Tickets, bus: o.Bus, log: o.Logger.With("component", "routing"),
		now: o.Now, lock: lock, given: map[int64]time.Time{}, gone: map[int64]*time.Timer{}, kick: make(chan struct{}, 1), Grace: 5 * time.Minute}
}

// sweep is how often the router looks at the queue without being asked,
// in case an event was missed.
const sweep = 30 * time.Second

// Run assigns until ctx ends. Events only wake the loop; each pass reads
// the queue and the agents afresh, so a burst of events costs one pass.
func (r *Router) Run(ctx context.Context) {
	sub := r.bus.Subscribe("routing", 1024)
	defer sub.Close()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				if e, ok := ev.(event.AgentChanged); ok && !e.Access {
					r.presence(ctx, e.AgentID, agent.Status(e.Status))
				}
				if e, ok := ev.(event.ConversationCreated); ok {
					if err := r.Page(audit.WithActor(ctx, audit.Actor{Kind: "system"}), e); err != nil && ctx.Err() == nil {
						r.log.Warn("paging the on-call supervisor failed", "conversation", e.ConversationID, "err", err)
					}
				}
				if r.relevant(ev) {
					r.Kick()
				}
			}
		}
	}()
	t := time.NewTicker(sweep)
	defer t.Stop()
	r.Kick()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-t.C:
		}
		if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("routing pass failed", "err", err)
		}
	}
}

// presence starts the grace period when an agent goes offline and cancels
// it when they come back.
func (r *Router) presence(ctx context.Context, agentID int64, st agent.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.gone[agentID]; ok && st != agent.Offline {
		t.Stop()
		delete(r.gone, agentID)
		return
	}
	if st != agent.Offline || r.gone[agentID] != nil {
		return
	}
	r.gone[agentID] = time.AfterFunc(r.Grace, func() {
		r.mu.Lock()
		delete(r.gone, agentID)
		r.mu.Unlock()
		if err := r.release(ctx, agentID); err != nil && ctx.Err() == nil {
			r.log.Warn("re-routing an offline agent's conversations failed", "agent", agentID, "err", err)
		}
	})
}

// release hands an agent's waiting conversations back to the queue if the
// agent is still offline.
func (r *Router) release(ctx context.Context, agentID int64) error {
	ag, err := r.agents.ByID(ctx, agentID)
	if err != nil || ag.Status != agent.Offline {
		return err
	}
	n, err := r.tickets.Release(audit.WithActor(ctx, audit.Actor{Kind: "system"}), agentID)
	if n > 0 {
		r.log.Info("re-routing an offline agent's conversations", "agent", agentID, "conversations", n)
		r.Kick()
	}
	return err
}

// Kick asks for a pass soon.
func (r *Router) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *Router) relevant(ev event.Event) bool {
	switch e := ev.(type) {
	case event.ConversationCreated:
		return e.AssigneeID == 0
	case event.AgentChanged:
		return true
	case event.ConversationChanged:
		_, status := e.Changes["status"]
		_, assignee := e.Changes["assignee_id"]
		_, team := e.Changes["team_id"]
		return status || assignee || team
	}
	return false
}

// Pass assigns what it can of the queue, in queue order. With several
// instances only the one holding the routing lock assigns; the others
// return at once (their sweep retries soon).
func (r *Router) Pass(ctx context.Context) error {
	ctx = audit.WithActor(ctx, audit.Actor{Kind: "system"})
	release, ok, err := r.lock(ctx)
	if err != nil || !ok {
		return err
	}
	defer release()
	// Agents first: with nobody online (a quiet night) a pass costs one
	// small query, not a read of the queue.
	if n, err := r.agents.OnlineCount(ctx); err != nil || n == 0 {
		return err
	}
	cands, err := r.candidates(ctx)
	if err != nil || len(cands) == 0 {
		return err
	}
	waiting, err := r.tickets.Waiting(ctx, 500)
	if err != nil {
		return err
	}
	custIDs := make([]int64, len(waiting))
	for i, c := range waiting {
		custIDs[i] = c.CustomerID
	}
	managers, err := r.customers.Managers(ctx, custIDs)
	if err != nil {
		return err
	}
	for _, c := range waiting {
		id, ok := Pick(Work{Language: c.Language, Category: c.Category, TeamID: c.TeamID, ManagerID: managers[c.CustomerID]}, cands)
		if !ok {
			continue
		}
		done, err := r.tickets.AssignIfWaiting(ctx, c.ID, id)
		if err != nil {
			return err
		}
		if !done {
			continue
		}
		now := r.now()
		r.mu.Lock()
		r.given[id] = now
		r.mu.Unlock()
		for i := range cands {
			if cands[i].ID == id {
				cands[i].Load++
				cands[i].LastGiven = now
			}
		}
		r.log.Info("assigned", "conversation", c.ID, "agent", id)
	}
	return nil
}

func (r *Router) candidates(ctx context.Context) ([]Candidate, error) {
	ags, err := r.agents.List(ctx)
	if err != nil {
		return nil, err
	}
	load, err := r.tickets.Load(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Candidate
	for _, a := range ags {
		if a.Status != agent.Online || a.Disabled || a.MaxConcurrent == 0 {
			continue // never to an away or offline agent
		}
		out = append(out, Candidate{ID: a.ID, Languages: a.Languages, Topics: a.Topics, Teams: a.Teams,
			Load: load[a.ID], Max: a.MaxConcurrent, LastGiven: r.given[a.ID]})
	}
	return out, nil
}

// TakeNext gives the agent the first waiting conversation, in queue order,
// that they may see (allows) and that fits their language and teams. It
// is for agents who prefer to pull; capacity does not stop a deliberate
// pull. ok is false when nothing fits.
func (r *Router) TakeNext(ctx context.Context, ag agent.Agent, allows func(ticket.Conversation) bool) (ticket.Conversation, bool, error) {
	waiting, err := r.tickets.Waiting(ctx, 500)
	if err != nil {
		return ticket.Conversation{}, false, err
	}
	me := Candidate{ID: ag.ID, Languages: ag.Languages, Teams: ag.Teams, Max: 1}
	for _, c := range waiting {
		if !allows(c) || !fits(Work{Language: c.Language, TeamID: c.TeamID}, &me) {
			continue
		}
		done, err := r.tickets.AssignIfWaiting(ctx, c.ID, ag.ID)
		if err != nil {
			return ticket.Conversation{}, false, err
		}
		if done {
			r.mu.Lock()
			r.given[ag.ID] = r.now()
			r.mu.Unlock()
			c, err := r.tickets.ByID(ctx, ticket.Scope{All: true}, c.ID)
			return c, err == nil, err
		}
	}
	return ticket.Conversation{}, false, nil
}
