package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

const convColumns = `id, customer_id, channel, subject, status, priority, category, language, team_id, assignee_id,
	asset, network, txid, memo, order_id, merged_into, last_seq, created_at, updated_at, last_message_at,
	first_response_at, solved_at, closed_at, sla_policy_id, sla_clocks, sla_due_at, next_deadline_at`

func scanConversation(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var team, assignee, merged, first, solved, closed, policy, due, next sql.NullInt64
	var created, updated, last int64
	var clocks string
	err := row.Scan(&c.ID, &c.CustomerID, &c.Channel, &c.Subject, &c.Status, &c.Priority, &c.Category, &c.Language,
		&team, &assignee, &c.Crypto.Asset, &c.Crypto.Network, &c.Crypto.TxID, &c.Crypto.Memo, &c.Crypto.OrderID,
		&merged, &c.LastSeq, &created, &updated, &last, &first, &solved, &closed, &policy, &clocks, &due, &next)
	c.sla = slaState{policyID: policy.Int64, clocks: parseClocks(clocks), nextAt: db.NullTime(next)}
	c.SLADueAt = db.NullTime(due)
	c.vipTier = -1
	c.TeamID, c.AssigneeID, c.MergedInto = team.Int64, assignee.Int64, merged.Int64
	c.CreatedAt, c.UpdatedAt, c.LastMessageAt = db.Time(created), db.Time(updated), db.Time(last)
	c.FirstResponseAt, c.SolvedAt, c.ClosedAt = db.NullTime(first), db.NullTime(solved), db.NullTime(closed)
	c.Tags = []string{}
	return c, err
}

func (s *Service) insertConversation(ctx context.Context, c *Conversation) error {
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO conversations
		(customer_id, channel, subject, status, priority, category, language, team_id, assignee_id,
		 asset, network, txid, memo, order_id, created_at, updated_at, last_message_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $15) RETURNING id`,
		c.CustomerID, c.Channel, c.Subject, string(c.Status), int(c.Priority), c.Category, c.Language,
		db.NullID(c.TeamID), db.NullID(c.AssigneeID), c.Crypto.Asset, c.Crypto.Network, c.Crypto.TxID,
		c.Crypto.Memo, c.Crypto.OrderID, db.Millis(c.CreatedAt)).Scan(&c.ID)
	if db.IsForeignKeyViolation(err) {
		return apperr.Invalidf("conversation.reference_invalid", "the team, assignee or customer does not exist")
	}
	return wrap("create conversation", err)
}

// errExternalSeen says a message with the same ExternalID is already in the
// conversation: the INSERT found it and wrote nothing.
var errExternalSeen = errors.New("ticket: external id already stored")

// insertMessage writes m with the sequence number m.Seq, which the caller
// took from the locked conversation row (the UNIQUE (conversation_id, seq)
// index would refuse a number given twice). A repeated external id writes
// nothing and returns errExternalSeen, so a redelivery costs no lookup
// before the insert.
func (s *Service) insertMessage(ctx context.Context, m *Message, externalID string) error {
	var ext any
	if externalID != "" {
		ext = externalID
	}
	err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO messages
		(conversation_id, seq, author_kind, author_id, author_name, internal, body, body_html, delivery, external_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (conversation_id, external_id) WHERE external_id IS NOT NULL DO NOTHING RETURNING id`,
		m.ConversationID, m.Seq, string(m.AuthorKind), db.NullID(m.AuthorID), m.AuthorName, m.Internal, m.Body, m.BodyHTML,
		m.Delivery, ext, db.Millis(m.CreatedAt)).Scan(&m.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return errExternalSeen
	}
	return wrap("insert message", err)
}

// saveSeq records the conversation's newest message.
func (s *Service) saveSeq(ctx context.Context, c Conversation) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET last_seq = $1, updated_at = $2, last_message_at = $2 WHERE id = $3`,
		c.LastSeq, db.Millis(c.LastMessageAt), c.ID)
	return wrap("save seq", err)
}

// saveLifecycle writes the fields a message can change.
func (s *Service) saveLifecycle(ctx context.Context, c Conversation) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET status = $1, first_response_at = $2, solved_at = $3,
		closed_at = $4 WHERE id = $5`, string(c.Status), db.NullMillis(c.FirstResponseAt), db.NullMillis(c.SolvedAt),
		db.NullMillis(c.ClosedAt), c.ID)
	return wrap("save status", err)
}

func (s *Service) saveFields(ctx context.Context, c Conversation) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE conversations SET subject = $1, status = $2, priority = $3, category = $4,
		language = $5, team_id = $6, assignee_id = $7, asset = $8, network = $9, txid = $10, memo = $11, order_id = $12,
		updated_at = $13, solved_at = $14, closed_at = $15 WHERE id = $16`,
		c.Subject, string(c.Status), int(c.Priority), c.Category, c.Language, db.NullID(c.TeamID), db.NullID(c.AssigneeID),
		c.Crypto.Asset, c.Crypto.Network, c.Crypto.TxID, c.Crypto.Memo, c.Crypto.OrderID, db.Millis(c.UpdatedAt),
		db.NullMillis(c.SolvedAt), db.NullMillis(c.ClosedAt), c.ID)
	if db.IsForeignKeyViolation(err) {
		return apperr.Invalidf("conversation.reference_invalid", "the team or assignee does not exist")
	}
	return wrap("update conversation", err)
}

func (s *Service) setTags(ctx context.Context, convID int64, tags []string) error {
	q := s.db.Q(ctx)
	if _, err := q.ExecContext(ctx, `DELETE FROM conversation_tags WHERE conversation_id = $1`, convID); err != nil {
		return wrap("tags", err)
	}
	for _, t := range tags {
		// ON CONFLICT lets two writers create the same new tag at once: the
		// second waits for the first and then reuses its row.
		if _, err := q.ExecContext(ctx, `INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, t); err != nil {
			return wrap("tags", err)
		}
		var id int64
		if err := q.QueryRowContext(ctx, `SELECT id FROM tags WHERE name = $1`, t).Scan(&id); err != nil {
			return wrap("tags", err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO conversation_tags (conversation_id, tag_id) VALUES ($1, $2)`, convID, id); err != nil {
			return wrap("tags", err)
		}
	}
	return nil
}

// load reads a conversation without a visibility check (domain-internal).
func (s *Service) load(ctx context.Context, id int64) (Conversation, error) {
	c, err := s.row(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	list := []Conversation{c}
	if err := s.loadTags(ctx, list); err != nil {
		return Conversation{}, err
	}
	return list[0], nil
}

// row reads a conversation without its tags.
func (s *Service) row(ctx context.Context, id int64) (Conversation, error) {
	c, err := scanConversation(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+convColumns+` FROM conversations WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, errNotVisible(id)
	}
	return c, wrap("load", err)
}

// loadForUpdate reads a conversation for a change and locks its row until
// the transaction ends, so concurrent writers (a message racing an edit, two
// deliveries of one message) apply one after the other on fresh data rather
// than overwrite each other. SQLite already runs one write transaction at a
// time. ctx must carry a transaction.
func (s *Service) loadForUpdate(ctx context.Context, id int64) (Conversation, error) {
	if err := s.lock(ctx, id); err != nil {
		return Conversation{}, err
	}
	return s.load(ctx, id)
}

// reserveSeq locks the conversation for a new message written at now and
// takes the message's sequence number in one statement: the returned row
// has last_seq, updated_at and last_message_at already set for it. Tags,
// which a new message neither reads nor changes, are not loaded.
func (s *Service) reserveSeq(ctx context.Context, id int64, now time.Time) (Conversation, error) {
	c, err := scanConversation(s.db.Q(ctx).QueryRowContext(ctx, `UPDATE conversations
		SET last_seq = last_seq + 1, updated_at = $1, last_message_at = $1 WHERE id = $2 RETURNING `+convColumns, db.Millis(now), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, errNotVisible(id)
	}
	return c, wrap("reserve seq", err)
}

// lock takes the conversation's row lock on PostgreSQL; SQLite already
// runs one write transaction at a time.
func (s *Service) lock(ctx context.Context, id int64) error {
	if s.db.Dialect == db.Postgres {
		var locked int64
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, id).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotVisible(id)
		}
		if err != nil {
			return wrap("lock", err)
		}
	}
	return nil
}

// ByID returns a conversation the scope may see; others look not found.
func (s *Service) ByID(ctx context.Context, scope Scope, id int64) (Conversation, error) {
	c, err := s.load(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	if !scope.Allows(c) {
		return Conversation{}, errNotVisible(id)
	}
	return c, nil
}

func (s *Service) loadTags(ctx context.Context, cs []Conversation) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(cs))
	ph := make([]string, len(cs))
	args := make([]any, len(cs))
	for i, c := range cs {
		idx[c.ID] = i
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = c.ID
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT ct.conversation_id, t.name FROM conversation_tags ct
		JOIN tags t ON t.id = ct.tag_id WHERE ct.conversation_id IN (`+strings.Join(ph, ", ")+`) ORDER BY t.name`, args...)
	if err != nil {
		return wrap("tags", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return wrap("tags", err)
		}
		cs[idx[id]].Tags = append(cs[idx[id]].Tags, name)
	}
	return wrap("tags", rows.Err())
}

func (s *Service) messageByExternalID(ctx context.Context, convID int64, ext string) (Message, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+msgColumns+` FROM messages WHERE conversation_id = $1 AND external_id = $2`, convID, ext)
	if err != nil {
		return Message{}, wrap("message by external id", err)
	}
	ms, err := s.scanMessages(ctx, rows)
	if err != nil {
		return Message{}, err
	}
	if len(ms) == 0 {
		return Message{}, apperr.NotFoundf("message.not_found", "message not found")
	}
	return ms[0], nil
}

const msgColumns = `id, conversation_id, seq, author_kind, author_id, author_name, internal, body, body_html, delivery, created_at, redacted_at`

func (s *Service) scanMessages(ctx context.Context, rows *sql.Rows) ([]Message, error) {
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		var author sql.NullInt64
		var created int64
		var redacted sql.NullInt64
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.AuthorKind, &author, &m.AuthorName, &m.Internal,
			&m.Body, &m.BodyHTML, &m.Delivery, &created, &redacted); err != nil {
			return nil, wrap("messages", err)
		}
		m.AuthorID, m.CreatedAt, m.Removed = author.Int64, db.Time(created), redacted.Valid && m.Body == ""
		m.Attachments = []Attachment{}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("messages", err)
	}
	rows.Close()
	return out, s.loadAttachments(ctx, out)
}

// MessagesFilter selects part of a thread.
type MessagesFilter struct {
	AfterSeq        int64 // resume point: only messages with a larger seq
	Limit           int
	IncludeInternal bool // agents see notes; customers never do
}

// Messages returns a conversation's messages in sequence order. A client
// that reconnects passes the last seq it saw and gets everything after it.
func (s *Service) Messages(ctx context.Context, scope Scope, convID int64, f MessagesFilter) ([]Message, error) {
	if _, err := s.ByID(ctx, scope, convID); err != nil {
		return nil, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	// Notes are excluded by matching internal against false only.
	notes := []any{false, false}
	if f.IncludeInternal && scope.CustomerID == 0 {
		notes[1] = true
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+msgColumns+` FROM messages
		WHERE conversation_id = $1 AND seq > $2 AND internal IN ($3, $4) ORDER BY seq LIMIT $5`,
		convID, f.AfterSeq, notes[0], notes[1], f.Limit)
	if err != nil {
		return nil, wrap("messages", err)
	}
	return s.scanMessages(ctx, rows)
}
