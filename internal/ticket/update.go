package ticket

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
	"vigil/internal/event"
	"vigil/internal/sla"
)

// Patch changes fields of a conversation; nil means unchanged. For TeamID
// and AssigneeID, zero clears the field.
type Patch struct {
	Subject    *string   `json:"subject"`
	Status     *Status   `json:"status"`
	Priority   *string   `json:"priority"`
	Category   *string   `json:"category"`
	Language   *string   `json:"language"`
	TeamID     *int64    `json:"team_id"`
	AssigneeID *int64    `json:"assignee_id"`
	Asset      *string   `json:"asset"`
	Network    *string   `json:"network"`
	TxID       *string   `json:"txid"`
	Memo       *string   `json:"memo"`
	OrderID    *string   `json:"order_id"`
	Tags       *[]string `json:"tags"`
}

// Update applies a patch, checks the lifecycle and records every changed
// field with its old and new value in the audit log.
func (s *Service) Update(ctx context.Context, id int64, p Patch) (Conversation, error) {
	var out Conversation
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.loadForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if c.MergedInto != 0 {
			return apperr.Conflictf("conversation.merged", "conversation %d was merged into %d", c.ID, c.MergedInto)
		}
		before := c
		changes := map[string]string{}
		detail := map[string]any{}
		note := func(field, from, to string) {
			if from != to {
				changes[field] = to
				detail[field] = []string{from, to}
			}
		}
		if p.Status != nil {
			if err := checkTransition(c.Status, *p.Status); err != nil {
				return err
			}
			c.Status = *p.Status
			note("status", string(before.Status), string(c.Status))
		}
		if p.Subject != nil {
			sub := strings.TrimSpace(*p.Subject)
			if utf8.RuneCountInString(sub) > 200 {
				return apperr.Field("subject", "conversation.subject_too_long", "must be at most 200 characters")
			}
			c.Subject = sub
			note("subject", before.Subject, sub)
		}
		if p.Priority != nil {
			pr, ok := ParsePriority(*p.Priority)
			if !ok {
				return apperr.Field("priority", "conversation.priority_invalid", "must be low, normal, high or urgent")
			}
			c.Priority = pr
			note("priority", before.Priority.String(), pr.String())
		}
		if p.Category != nil {
			if !slices.Contains(Categories, *p.Category) {
				return apperr.Field("category", "conversation.category_invalid", "must be one of %v", Categories)
			}
			c.Category = *p.Category
			note("category", before.Category, c.Category)
		}
		if p.Language != nil {
			if !slices.Contains(Languages, *p.Language) {
				return apperr.Field("language", "conversation.language_invalid", "must be one of %v", Languages)
			}
			c.Language = *p.Language
			note("language", before.Language, c.Language)
		}
		if p.TeamID != nil {
			if *p.TeamID < 0 {
				return apperr.Field("team_id", "conversation.team_invalid", "must be a team id or 0")
			}
			c.TeamID = *p.TeamID
			note("team_id", id64(before.TeamID), id64(c.TeamID))
		}
		if p.AssigneeID != nil {
			if *p.AssigneeID < 0 {
				return apperr.Field("assignee_id", "conversation.assignee_invalid", "must be an agent id or 0")
			}
			c.AssigneeID = *p.AssigneeID
			note("assignee_id", id64(before.AssigneeID), id64(c.AssigneeID))
		}
		crypto := Crypto{Asset: pick(p.Asset, c.Crypto.Asset), Network: pick(p.Network, c.Crypto.Network),
			TxID: pick(p.TxID, c.Crypto.TxID), Memo: pick(p.Memo, c.Crypto.Memo), OrderID: pick(p.OrderID, c.Crypto.OrderID)}
		if err := crypto.validate(); err != nil {
			return err
		}
		c.Crypto = crypto
		note("asset", before.Crypto.Asset, crypto.Asset)
		note("network", before.Crypto.Network, crypto.Network)
		note("txid", before.Crypto.TxID, crypto.TxID)
		note("memo", before.Crypto.Memo, crypto.Memo)
		note("order_id", before.Crypto.OrderID, crypto.OrderID)
		if p.Tags != nil {
			tags, err := normaliseTags(*p.Tags)
			if err != nil {
				return err
			}
			c.Tags = tags
			note("tags", strings.Join(before.Tags, ","), strings.Join(tags, ","))
		}
		if len(changes) == 0 {
			out = c
			return nil
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		stampStatus(&c, before.Status, now)
		c.UpdatedAt = now
		if err := s.saveFields(ctx, c); err != nil {
			return err
		}
		if err := s.afterStatusChange(ctx, c, before.Status); err != nil {
			return err
		}
		if p.Tags != nil {
			if err := s.setTags(ctx, c.ID, c.Tags); err != nil {
				return err
			}
		}
		_, prio := changes["priority"]
		_, team := changes["team_id"]
		_, cat := changes["category"]
		_, status := changes["status"]
		if prio || team || cat || status {
			step := sla.Step{At: now, Phase: phaseOf(c.Status), Answered: c.FirstResponseAt != nil}
			if err := s.advanceSLA(ctx, &c, step, prio || team || cat); err != nil {
				return err
			}
		}
		action := "conversation.update"
		if _, ok := changes["assignee_id"]; ok {
			action = "conversation.assign"
		}
		if err := s.audit.Record(ctx, action, "conversation", c.ID, detail); err != nil {
			return err
		}
		actor := auditActor(ctx)
		ev := event.ConversationChanged{Scope: scopeOf(c), ActorKind: actor.kind, ActorID: actor.id, Changes: changes,
			PrevTeamID: before.TeamID, PrevAssigneeID: before.AssigneeID, At: now}
		db.AfterCommit(ctx, func() { s.bus.Publish(ctx, ev) })
		out = c
		return nil
	})
	return out, err
}

// Merge folds a duplicate conversation (source) into target. Both must
// belong to the same customer, so a merge never shows one customer another's
// messages. The source is closed and points at the target; each thread
// gets a system note.
func (s *Service) Merge(ctx context.Context, targetID, sourceID int64) (Conversation, error) {
	if targetID == sourceID {
		return Conversation{}, apperr.Invalidf("conversation.merge_self", "cannot merge a conversation into itself")
	}
	var out Conversation
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Lock in id order so two merges of the same pair cannot deadlock.
		first, err := s.loadForUpdate(ctx, min(targetID, sourceID))
		if err != nil {
			return err
		}
		second, err := s.loadForUpdate(ctx, max(targetID, sourceID))
		if err != nil {
			return err
		}
		target, source := first, second
		if targetID > sourceID {
			target, source = second, first
		}
		switch {
		case target.CustomerID != source.CustomerID:
			return apperr.Conflictf("conversation.merge_customer", "only conversations of the same customer can be merged")
		case target.MergedInto != 0 || source.MergedInto != 0:
			return apperr.Conflictf("conversation.merged", "a merged conversation cannot be merged again")
		case target.Status == StatusClosed || source.Status == StatusClosed:
			return apperr.Conflictf("conversation.closed", "closed conversations cannot be merged")
		}
		if _, _, err := s.addMessage(ctx, source, MessageInput{ConversationID: source.ID, AuthorKind: BySystem, Internal: true,
			Body: fmt.Sprintf("Merged into conversation #%d.", target.ID)}); err != nil {
			return err
		}
		if _, target, err = s.addMessage(ctx, target, MessageInput{ConversationID: target.ID, AuthorKind: BySystem, Internal: true,
			Body: fmt.Sprintf("Conversation #%d was merged into this one: %s", source.ID, source.Subject)}); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		if _, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET status = 'closed', closed_at = $1, updated_at = $1,
			merged_into = $2, sla_due_at = NULL, next_deadline_at = NULL WHERE id = $3`, db.Millis(now), target.ID, source.ID); err != nil {
			return wrap("merge", err)
		}
		if err := s.audit.Record(ctx, "conversation.merge", "conversation", target.ID, map[string]any{"source": source.ID}); err != nil {
			return err
		}
		ev := event.ConversationsMerged{Scope: scopeOf(target), SourceID: source.ID, At: now}
		db.AfterCommit(ctx, func() { s.bus.Publish(ctx, ev) })
		out, err = s.load(ctx, target.ID)
		return err
	})
	return out, err
}

// MergeCustomers folds the source customer into the target and moves the
// source's conversations with it, in one transaction.
func (s *Service) MergeCustomers(ctx context.Context, targetID, sourceID int64) (int, error) {
	var moved int
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.customers.Absorb(ctx, targetID, sourceID, func(ctx context.Context) (int, error) {
			res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET customer_id = $1, updated_at = $2 WHERE customer_id = $3`,
				targetID, db.Millis(s.now()), sourceID)
			if err != nil {
				return 0, wrap("move conversations", err)
			}
			n, _ := res.RowsAffected()
			moved = int(n)
			return moved, nil
		})
		return err
	})
	return moved, err
}

type actorRef struct {
	kind string
	id   int64
}

func pick(p *string, cur string) string {
	if p == nil {
		return cur
	}
	return *p
}

func id64(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}
