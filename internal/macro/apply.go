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
		body, ok := m.Bodies[conv.Language]
		if !ok {
			body = m.Bodies["en"]
		}
		if strings.TrimSpace(body) != "" {
			cust, err := s.o.Customers.ByID(ctx, conv.CustomerID)
			if err != nil {
				return err
			}
			msg, err := s.o.Tickets.AddMessage(ctx, ticket.MessageInput{ConversationID: conv.ID, AuthorKind: ticket.ByAgent,
				AuthorID: c.AgentID, AuthorName: c.Name, Body: fill(body, cust.Name, conv, c)})
			if err != nil {
				return err
			}
			out.Message = &msg
		}
		p, changed := patchOf(m.Actions, conv)
		if changed {
			if conv, err = s.o.Tickets.Update(ctx, conv.ID, p); err != nil {
				return err
			}
		} else if conv, err = s.o.Tickets.ByID(ctx, scope, conv.ID); err != nil {
			return err
		}
		out.Conversation = conv
		return s.o.Audit.Record(ctx, "macro.apply", "conversation", conv.ID, map[string]any{"macro": m.ID, "name": m.Name})
	})
	return out, err
}

// fill replaces the placeholders; a customer without a name is greeted
// without one rather than with an empty gap.
func fill(body, customerName string, conv ticket.Conversation, c Caller) string {
	first := strings.Fields(customerName)
	firstName := ""
	if len(first) > 0 {
		firstName = first[0]
	}
	values := map[string]string{
		"customer.name": customerName, "customer.first_name": firstName,
		"conversation.id": strconv.FormatInt(conv.ID, 10), "conversation.subject": conv.Subject, "agent.name": c.Name,
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
