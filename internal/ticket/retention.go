package ticket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigil/internal/db"
)

// Retention and erasure remove what customers wrote and sent while the
// conversations stay, emptied, for the figures: a message keeps its place
// in the thread (sequence, author kind, time) with an empty body, and an
// attachment's row and file are deleted. A file shared by several
// attachments (the same bytes uploaded twice) goes with the last of them.

// Redacted counts what a redaction removed.
type Redacted struct {
	Conversations int64 `json:"conversations"`
	Messages      int64 `json:"messages"`
	Attachments   int64 `json:"attachments"`
}

// Add sums two counts.
func (r Redacted) Add(o Redacted) Redacted {
	return Redacted{r.Conversations + o.Conversations, r.Messages + o.Messages, r.Attachments + o.Attachments}
}

// ExpiredConversations lists up to limit solved or closed conversations
// with nothing new since cutoff whose content is still there, leaving out
// the customers in held.
func (s *Service) ExpiredConversations(ctx context.Context, cutoff time.Time, held []int64, limit int) ([]int64, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	where := []string{"status IN ('solved', 'closed')", "last_message_at < " + arg(db.Millis(cutoff)),
		"(redacted_at IS NULL OR redacted_at < last_message_at)"}
	if len(held) > 0 {
		where = append(where, "customer_id NOT IN ("+placeholders(arg, held)+")")
	}
	return s.ids(ctx, `SELECT id FROM conversations WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT `+arg(limit), args...)
}

// ConversationsOf lists every conversation of a customer, oldest first.
func (s *Service) ConversationsOf(ctx context.Context, customerID int64) ([]int64, error) {
	return s.ids(ctx, `SELECT id FROM conversations WHERE customer_id = $1 ORDER BY id`, customerID)
}

func (s *Service) ids(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, wrap("ids", err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("ids", err)
		}
		out = append(out, id)
	}
	return out, wrap("ids", rows.Err())
}

// RedactConversations empties the conversations' messages, subjects,
// crypto references and complaint summaries and deletes their
// attachments, inside the transaction in ctx (or its own). Files leave
// the disk once that commits.
func (s *Service) RedactConversations(ctx context.Context, ids []int64) (Redacted, error) {
	var out Redacted
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return fmt.Sprintf("$%d", len(args))
		}
		in := placeholders(arg, ids)
		at := arg(now)
		q := s.db.Q(ctx)
		res, err := q.ExecContext(ctx, `UPDATE messages SET body = '', body_html = '', redacted_at = `+at+`,
			author_name = CASE WHEN author_kind = 'customer' THEN '' ELSE author_name END
			WHERE conversation_id IN (`+in+`) AND (redacted_at IS NULL OR body <> '')`, args...)
		if err != nil {
			return wrap("redact messages", err)
		}
		out.Messages, _ = res.RowsAffected()
		res, err = q.ExecContext(ctx, `UPDATE conversations SET subject = '', txid = '', memo = '', order_id = '', redacted_at = `+at+`
			WHERE id IN (`+in+`)`, args...)
		if err != nil {
			return wrap("redact conversations", err)
		}
		out.Conversations, _ = res.RowsAffected()
		idArgs := args[:len(ids)] // the statements below name no time
		if _, err := q.ExecContext(ctx, `UPDATE complaints SET summary = '' WHERE conversation_id IN (`+in+`)`, idArgs...); err != nil {
			return wrap("redact complaints", err)
		}
		out.Attachments, err = s.deleteAttachments(ctx, `conversation_id IN (`+in+`)`, idArgs...)
		return err
	})
	return out, err
}

// PurgeAttachments deletes up to limit attachments stored before cutoff,
// leaving out the conversations of the customers in held, and their files
// once no attachment needs them.
func (s *Service) PurgeAttachments(ctx context.Context, cutoff time.Time, held []int64, limit int) (int64, error) {
	var n int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return fmt.Sprintf("$%d", len(args))
		}
		cond := "created_at < " + arg(db.Millis(cutoff))
		if len(held) > 0 {
			cond += " AND conversation_id NOT IN (SELECT id FROM conversations WHERE customer_id IN (" + placeholders(arg, held) + "))"
		}
		cond = "id IN (SELECT id FROM attachments WHERE " + cond + " ORDER BY id LIMIT " + arg(limit) + ")"
		var err error
		n, err = s.deleteAttachments(ctx, cond, args...)
		return err
	})
	return n, err
}

// deleteAttachments deletes the attachment rows matching cond and, after
// commit, every file no remaining row refers to. ctx carries the
// transaction.
func (s *Service) deleteAttachments(ctx context.Context, cond string, args ...any) (int64, error) {
	q := s.db.Q(ctx)
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT storage_key FROM attachments WHERE `+cond, args...)
	if err != nil {
		return 0, wrap("attachments to delete", err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return 0, wrap("attachments to delete", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("attachments to delete", err)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	res, err := q.ExecContext(ctx, `DELETE FROM attachments WHERE `+cond, args...)
	if err != nil {
		return 0, wrap("delete attachments", err)
	}
	n, _ := res.RowsAffected()
	db.AfterCommit(ctx, func() { s.removeUnreferenced(context.Background(), keys) })
	return n, nil
}

// removeUnreferenced deletes the stored files no attachment refers to any
// more. A file that cannot be removed now is found again by SweepFiles.
func (s *Service) removeUnreferenced(ctx context.Context, keys []string) {
	for _, k := range keys {
		var refs int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE storage_key = $1`, k).Scan(&refs); err != nil || refs > 0 {
			continue
		}
		_ = os.Remove(filepath.Join(s.files.Dir, k))
	}
}

// SweepFiles removes stored files that no attachment refers to (left by a
// crash between a deletion's commit and its file removal) and returns how
// many it removed. Files younger than minAge are left alone: an upload
// writes its file just before its row.
func (s *Service) SweepFiles(ctx context.Context, minAge time.Duration) (int, error) {
	removed := 0
	cutoff := s.now().Add(-minAge)
	err := filepath.WalkDir(s.files.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if d.Name() == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) {
			return nil
		}
		key, err := filepath.Rel(s.files.Dir, path)
		if err != nil {
			return nil
		}
		var refs int
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM attachments WHERE storage_key = $1`, key).Scan(&refs); err != nil {
			return wrap("sweep files", err)
		}
		if refs == 0 && os.Remove(path) == nil {
			removed++
		}
		return nil
	})
	return removed, err
}

// CustomerData is everything the conversation domain holds about one
// customer, for a data-subject export.
type CustomerData struct {
	Conversations []ExportedConversation `json:"conversations"`
}

// ExportedConversation is one conversation with its whole thread.
type ExportedConversation struct {
	Conversation
	Messages  []Message  `json:"messages"`
	Complaint *Complaint `json:"complaint,omitempty"`
}

// ExportCustomer gathers the customer's conversations, messages (internal
// notes included, marked as such), attachments and complaints.
func (s *Service) ExportCustomer(ctx context.Context, customerID int64) (CustomerData, error) {
	ids, err := s.ConversationsOf(ctx, customerID)
	if err != nil {
		return CustomerData{}, err
	}
	out := CustomerData{Conversations: []ExportedConversation{}}
	for _, id := range ids {
		c, err := s.load(ctx, id)
		if err != nil {
			return CustomerData{}, err
		}
		ec := ExportedConversation{Conversation: c, Messages: []Message{}}
		for after := int64(0); ; {
			page, err := s.Messages(ctx, Scope{All: true}, id, MessagesFilter{AfterSeq: after, IncludeInternal: true, Limit: 500})
			if err != nil {
				return CustomerData{}, err
			}
			ec.Messages = append(ec.Messages, page...)
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1].Seq
		}
		if k, err := s.complaint(ctx, id); err == nil {
			k.derive(s.now())
			ec.Complaint = &k
		}
		out.Conversations = append(out.Conversations, ec)
	}
	return out, nil
}

// AttachmentFile opens an attachment's stored bytes.
func (s *Service) AttachmentFile(a Attachment) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(s.files.Dir, a.storageKey))
	if err != nil {
		return nil, fmt.Errorf("ticket: open attachment %d: %w", a.ID, err)
	}
	return f, nil
}
