package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent"
	"vigil/internal/api"
	"vigil/internal/auth"
	"vigil/internal/customer"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
	"vigil/internal/trust"
)

type option struct {
	Value    string
	Label    string
	Selected bool
}

type threadMessage struct {
	ticket.Message
	Author string
	Class  string
	HTML   template.HTML // sanitised when stored
	At     string
	AtISO  string
}

type conversationData struct {
	Conv       ticket.Conversation
	Customer   customer.Customer
	Name       string
	Messages   []threadMessage
	LastSeq    int64
	ReadSeq    int64
	Statuses   []option
	Priorities []option
	Assignees  []option
	Teams      []option
	Tags       string
	Earlier    []row
	CanAssign  bool
	Category   string
	Language   string
	SLA        slaPanel
	Exchange   exchangePanel
	Identity   identityPanel
	Freezes    []freezeRow
	CanFreeze  bool // the customer has an exchange account and no freeze in force
	Macros     []option
	MacroDone  bool
	Callback   *callbackPanel // phone callbacks only
	Complaint  complaintPanel
}

// thread is how many messages the page renders; older ones load on demand
// through the API.
const thread = 500

func (c *Console) conversation(w http.ResponseWriter, r *http.Request, p *page) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	scope, serr := c.scope(r, p)
	if serr != nil {
		c.fail(w, r, serr)
		return
	}
	var conv ticket.Conversation
	if err == nil {
		conv, err = c.Tickets.ByID(r.Context(), scope, id)
	}
	if err != nil {
		if status, msg, ok := api.Explain(err, p.Lang); ok || strings.Contains(err.Error(), "invalid syntax") {
			if !ok {
				status = http.StatusNotFound
			}
			p.Title, p.Error = p.T("console.not_found"), msg
			if status == http.StatusNotFound {
				p.Error = p.T("console.not_found")
			}
			p.Data = &conversationData{}
			c.render(w, "conversation", status, p)
			return
		}
		c.fail(w, r, err)
		return
	}
	ctx := r.Context()
	msgs, err := c.Tickets.Messages(ctx, scope, id, ticket.MessagesFilter{IncludeInternal: true, Limit: thread})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	cu, err := c.Customers.ByID(ctx, conv.CustomerID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if c.Trust != nil {
		if err := c.Trust.ViewProfile(ctx, p.Principal.AgentID, cu.ID); err != nil {
			c.fail(w, r, err)
			return
		}
	}
	readSeq, err := c.Tickets.ReadUpTo(ctx, id, ticket.ByCustomer)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	earlier, _, err := c.Tickets.List(ctx, scope, ticket.Filter{CustomerID: cu.ID, Limit: 11})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for i, e := range earlier {
		if e.ID == conv.ID {
			earlier = append(earlier[:i], earlier[i+1:]...)
			break
		}
	}
	if len(earlier) > 10 {
		earlier = earlier[:10]
	}
	d := &conversationData{Conv: conv, Customer: cu, Name: displayName(cu), LastSeq: conv.LastSeq, ReadSeq: readSeq,
		Tags: strings.Join(conv.Tags, ", "), CanAssign: p.Principal.Can(auth.PermConversationAssign),
		Category: i18n.T(p.Lang, "category."+conv.Category), Language: conv.Language}
	var mask trust.Masking
	view, err := c.Tickets.SLAView(ctx, conv)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.SLA = slaPanelFor(c.Now(), view, p.Lang)
	if d.Identity, mask, err = c.identityPanelFor(ctx, conv.ID, p.Principal.AgentID, cu, p.Lang); err != nil {
		c.fail(w, r, err)
		return
	}
	if mask.Masked {
		d.Customer = trust.MaskCustomer(cu)
		d.Name = displayName(d.Customer) // a customer without a name goes by their (masked) email
	}
	if d.Freezes, err = c.freezeRows(ctx, p, conv, d.Identity.LevelClass == "level-verified"); err != nil {
		c.fail(w, r, err)
		return
	}
	d.CanFreeze = c.Trust != nil && c.Exchange != nil && cu.UID != ""
	for _, f := range d.Freezes {
		if f.Active {
			d.CanFreeze = false
		}
	}
	d.Exchange = c.exchangePanelFor(ctx, conv, p.Principal.AgentID, cu, p.Lang)
	dir, err := c.people(ctx)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Earlier, err = c.rows(ctx, p, dir, earlier); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, m := range msgs {
		d.Messages = append(d.Messages, c.threadMessage(p, m, dir.names))
	}
	for _, st := range ticket.Statuses {
		d.Statuses = append(d.Statuses, option{string(st), i18n.T(p.Lang, "status."+string(st)), st == conv.Status})
	}
	for _, pr := range []ticket.Priority{ticket.Low, ticket.Normal, ticket.High, ticket.Urgent} {
		d.Priorities = append(d.Priorities, option{pr.String(), i18n.T(p.Lang, "priority."+pr.String()), pr == conv.Priority})
	}
	d.Assignees = assigneeOptions(p, dir, conv)
	d.Teams = append(d.Teams, option{"0", p.T("console.no_team"), conv.TeamID == 0})
	for _, t := range dir.teams {
		d.Teams = append(d.Teams, option{strconv.FormatInt(t.ID, 10), t.Name, t.ID == conv.TeamID})
	}
	if d.Macros, err = c.macroOptions(r, p, scope); err != nil {
		c.fail(w, r, err)
		return
	}
	if d.Callback, err = c.callbackPanelFor(ctx, p, scope, conv.ID); err != nil {
		c.fail(w, r, err)
		return
	}
	d.MacroDone = r.URL.Query().Get("macro") == "applied"
	macroNotice(r, p)
	if d.Complaint, err = c.complaintPanelFor(r, p, scope, conv); err != nil {
		c.fail(w, r, err)
		return
	}
	if code := r.URL.Query().Get("complaint_error"); code != "" && i18n.Has(code) {
		p.Error = p.T(code)
	}
	p.Title = "#" + strconv.FormatInt(conv.ID, 10) + " " + conv.Subject
	p.Data = d
	if p.Nav, err = c.nav(r, p, scope); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, "conversation", http.StatusOK, p)
}

func assigneeOptions(p *page, dir *people, conv ticket.Conversation) []option {
	out := []option{{"0", p.T("console.unassigned"), conv.AssigneeID == 0}}
	for _, a := range dir.agents {
		if a.Disabled && a.ID != conv.AssigneeID {
			continue
		}
		label := a.Name
		if a.Status != agent.Online {
			label += " (" + p.T("console.presence."+string(a.Status)) + ")"
		}
		out = append(out, option{strconv.FormatInt(a.ID, 10), label, a.ID == conv.AssigneeID})
	}
	return out
}

func (c *Console) threadMessage(p *page, m ticket.Message, names map[int64]string) threadMessage {
	t := threadMessage{Message: m, HTML: template.HTML(m.BodyHTML), At: m.CreatedAt.Local().Format("2006-01-02 15:04"),
		AtISO: m.CreatedAt.UTC().Format(time.RFC3339)}
	switch {
	case m.Internal:
		t.Class = "note"
	default:
		t.Class = "from-" + string(m.AuthorKind)
	}
	switch m.AuthorKind {
	case ticket.ByAgent:
		t.Author = names[m.AuthorID]
		if t.Author == "" {
			t.Author = m.AuthorName
		}
	case ticket.ByCustomer:
		t.Author = m.AuthorName
		if t.Author == "" {
			t.Author = p.T("console.author.customer")
		}
	default:
		t.Author = p.T("console.author." + string(m.AuthorKind))
	}
	return t
}
