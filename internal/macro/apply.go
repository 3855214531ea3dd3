package macro

import (
	"context"
	"strconv"
	"strings"

	"vigil/internal/ticket"
)

// Result is what applying a macro did.
type Result struct {
	Conversation ticket.Conversation `json:"conversation"`
	Message      *ticket.Message     `json:"message,omitempty"`
}

// Apply runs a macro on a conversation the caller may see, in one
// transaction: the reply in the conversation's language (English when the
// macro has none in it) with its placeholders filled in, sent as the
// caller, then the field changes. A refused change (closed conversation,
// an impossible status) leaves nothing half done.
func (s *Service) Apply(ctx context.Context, c Caller, scope ticket.Scope, macroID, convID int64) (Result, error) {
	var out Result
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.visible(ctx, c, macroID)
		if err != nil {
			return err
		}
		conv, err := s.o.Tickets.ByID(ctx, scope, convID)
		if err != nil {
			return err
		}
		if out, err = s.apply(ctx, m, conv, ticket.MessageInput{AuthorKind: ticket.ByAgent, AuthorID: c.AgentID, AuthorName: c.Name}); err != nil {
			return err
		}
		return s.o.Audit.Record(ctx, "macro.apply", "conversation", conv.ID, map[string]any{"macro": m.ID, "name": m.Name})
	})
	return out, err
}

// Shared loads a team or global macro: the ones an automation rule may
// send. A personal macro belongs to its agent and is not found here.
func (s *Service) Shared(ctx context.Context, id int64) (Macro, error) {
	return s.visible(ctx, Caller{Manage: true}, id)
}

// ApplyForRule runs a shared macro for an automation rule, in the
// caller's transaction: the reply is a system message (so it starts no
// "agent replied" rules) and {{agent.name}} is empty.
func (s *Service) ApplyForRule(ctx context.Context, macroID, convID int64) (Result, error) {
	var out Result
	err := s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		m, err := s.Shared(ctx, macroID)
		if err != nil {
			return err
		}
		conv, err := s.o.Tickets.ByID(ctx, ticket.Scope{All: true}, convID)
		if err != nil {
			return err
		}
		if out, err = s.apply(ctx, m, conv, ticket.MessageInput{AuthorKind: ticket.BySystem}); err != nil {
			return err
		}
		return s.o.Audit.Record(ctx, "macro.apply", "conversation", conv.ID, map[string]any{"macro": m.ID, "name": m.Name})
	})
	return out, err
}

// apply posts the macro's reply as author and makes its field changes.
func (s *Service) apply(ctx context.Context, m Macro, conv ticket.Conversation, author ticket.MessageInput) (Result, error) {
	var out Result
	body, ok := m.Bodies[conv.Language]
	if !ok {
		body = m.Bodies["en"]
	}
	if strings.TrimSpace(body) != "" {
		cust, err := s.o.Customers.ByID(ctx, conv.CustomerID)
		if err != nil {
			return out, err
		}
		author.ConversationID, author.Body = conv.ID, fill(body, cust.Name, conv, author.AuthorName)
		msg, err := s.o.Tickets.AddMessage(ctx, author)
		if err != nil {
			return out, err
		}
		out.Message = &msg
	}
	p, changed := patchOf(m.Actions, conv)
	var err error
	if changed {
		conv, err = s.o.Tickets.Update(ctx, conv.ID, p)
	} else {
		conv, err = s.o.Tickets.ByID(ctx, ticket.Scope{All: true}, conv.ID)
	}
	out.Conversation = conv
	return out, err
}

// fill replaces the placeholders; a customer without a name is greeted
// without one rather than with an empty gap.
func fill(body, customerName string, conv ticket.Conversation, agentName string) string {
	first := strings.Fields(customerName)
	firstName := ""
	if len(first) > 0 {
		firstName = first[0]
	}
	values := map[string]string{
		"customer.name": customerName, "customer.first_name": firstName,
		"conversation.id": strconv.FormatInt(conv.ID, 10), "conversation.subject": conv.Subject, "agent.name": agentName,
	}
	out := placeholderRE.ReplaceAllStringFunc(body, func(ph string) string {
		return values[placeholderRE.FindStringSubmatch(ph)[1]]
	})
	return strings.ReplaceAll(out, " ,", ",")
}

func patchOf(a Actions, conv ticket.Conversation) (ticket.Patch, bool) {
	var p ticket.Patch
	changed := false
	if a.Status != "" {
		st := ticket.Status(a.Status)
		p.Status, changed = &st, true
	}
	if a.Priority != "" {
		pr := a.Priority
		p.Priority, changed = &pr, true
	}
	if a.TeamID != 0 {
		t := a.TeamID
		p.TeamID, changed = &t, true
	}
	if len(a.AddTags) > 0 {
		tags := append(append([]string{}, conv.Tags...), a.AddTags...)
		p.Tags, changed = &tags, true
	}
	return p, changed
}
