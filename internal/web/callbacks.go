package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/callback"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

// callbackPanel is a phone conversation's callback on its page: the
// request, the notice, the buttons the rules allow now, and the calls.
type callbackPanel struct {
	ID          int64
	Window      string
	Reason      string
	State       string
	Notice      string // "Caller VS-0007 at …" once the customer was told
	CallAt      string // a time to offer for the notice, RFC 3339
	CanSchedule bool
	CanCall     bool // the notice named this agent and the call may be placed now
	Dials       bool // a SIP trunk is configured
	Live        bool
	LiveSince   string
	Calls       []callRow
	Outcomes    []option
}

type callRow struct {
	Outcome   string
	Via       string
	Seconds   int
	At        string
	AtISO     string
	Recording string
	Deleted   bool
}

func utcMinute(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") + " UTC" }

func windowLabel(cb callback.Callback) string {
	return utcMinute(cb.WindowStart) + " – " + utcMinute(cb.WindowEnd)
}

// callbackPanelFor builds the panel, or nil when the conversation is not
// a callback.
func (c *Console) callbackPanelFor(ctx context.Context, p *page, scope ticket.Scope, convID int64) (*callbackPanel, error) {
	if c.Callbacks == nil {
		return nil, nil
	}
	cb, calls, err := c.Callbacks.OfConversation(ctx, scope, convID)
	if apperr.Is(err, apperr.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := c.Now()
	d := &callbackPanel{ID: cb.ID, Window: windowLabel(cb), Reason: p.T("console.callback_reason." + cb.Reason),
		State: p.T("console.callback_state." + string(cb.State)), Dials: c.Callbacks.CanDial(),
		CanSchedule: (cb.State == callback.Requested || cb.State == callback.Scheduled) && now.Before(cb.WindowEnd)}
	if cb.CallAt != nil {
		d.Notice = p.T("console.callback_notice", cb.StaffID, utcMinute(*cb.CallAt))
	}
	offer := now.Add(10 * time.Minute).Truncate(5 * time.Minute)
	if offer.Before(cb.WindowStart) {
		offer = cb.WindowStart
	}
	d.CallAt = offer.UTC().Format(time.RFC3339)
	d.CanCall = cb.State == callback.Scheduled && cb.AgentID == p.Principal.AgentID && now.Before(cb.WindowEnd)
	var since *time.Time
	if d.Live, since = c.Callbacks.Live(cb.ID); since != nil {
		d.LiveSince = p.T("console.callback_live_since", utcMinute(*since))
	}
	for _, call := range calls {
		row := callRow{Via: call.Via, Seconds: call.Seconds, At: utcMinute(call.StartedAt), AtISO: call.StartedAt.UTC().Format(time.RFC3339),
			Recording: call.Recording, Deleted: call.RecordingAt != nil}
		if call.Outcome != "" {
			row.Outcome = i18n.T(p.Lang, "callback.outcome."+string(call.Outcome))
		}
		d.Calls = append(d.Calls, row)
	}
	for _, o := range callback.Outcomes {
		d.Outcomes = append(d.Outcomes, option{string(o), i18n.T(p.Lang, "callback.outcome."+string(o)), o == callback.Answered})
	}
	return d, nil
}

type callbacksData struct {
	All  bool
	Rows []callbackRow
}

type callbackRow struct {
	ID, ConversationID int64
	Customer           string
	Window             string
	Reason             string
	State              string
	Notice             string
}

// callbacksPage lists the callbacks the agent may see, soonest window
// first: the open ones, or all with ?all=1.
func (c *Console) callbacksPage(w http.ResponseWriter, r *http.Request, p *page) {
	p.Title, p.View = p.T("console.callbacks"), "callbacks"
	d := &callbacksData{All: r.URL.Query().Get("all") == "1"}
	p.Data = d
	if !c.admit(w, r, p, "callbacks", c.Callbacks != nil, "callback.off") {
		return
	}
	scope, err := c.scope(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := callback.Filter{Limit: 100}
	if !d.All {
		f.States = []callback.State{callback.Requested, callback.Scheduled, callback.Calling}
	}
	list, err := c.Callbacks.List(r.Context(), scope, f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var ids []int64
	for _, cb := range list {
		ids = append(ids, cb.CustomerID)
	}
	names := map[int64]string{}
	if len(ids) > 0 {
		custs, err := c.Customers.List(r.Context(), customer.ListFilter{OnlyIDs: ids, Limit: 100})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		for _, cu := range custs {
			// Lists never show a contact address whole.
			names[cu.ID] = displayName(trust.MaskCustomer(cu))
		}
	}
	for _, cb := range list {
		row := callbackRow{ID: cb.ID, ConversationID: cb.ConversationID, Customer: names[cb.CustomerID],
			Window: windowLabel(cb), Reason: p.T("console.callback_reason." + cb.Reason), State: p.T("console.callback_state." + string(cb.State))}
		if row.Customer == "" {
			row.Customer = "#" + strconv.FormatInt(cb.CustomerID, 10)
		}
		if cb.CallAt != nil {
			row.Notice = p.T("console.callback_notice", cb.StaffID, utcMinute(*cb.CallAt))
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, "callbacks", http.StatusOK, p)
}
