package ticket

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// Files stores attachment bytes under the data directory, addressed by
// their SHA-256 so the same file uploaded twice is stored once.
type Files struct {
	Dir     string
	MaxSize int64
}

// AllowedTypes are the content types accepted, decided by sniffing the
// bytes, never by the name or the client's claim.
var AllowedTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}

// UploadInput is one file to attach.
type UploadInput struct {
	ConversationID int64
	Filename       string
	Content        io.Reader
	UploadedBy     string // "agent:12", "customer:7"
}

// Upload stores a file for a conversation. It is linked to a message when
// the message that names it is sent.
func (s *Service) Upload(ctx context.Context, scope Scope, in UploadInput) (Attachment, error) {
	if _, err := s.ByID(ctx, scope, in.ConversationID); err != nil {
		return Attachment{}, err
	}
	name := cleanFilename(in.Filename)
	if err := os.MkdirAll(filepath.Join(s.files.Dir, "tmp"), 0o750); err != nil {
		return Attachment{}, fmt.Errorf("ticket: attachment dir: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.files.Dir, "tmp"), "upload-*")
	if err != nil {
		return Attachment{}, fmt.Errorf("ticket: attachment temp: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	var head [512]byte
	n, _ := io.ReadFull(in.Content, head[:])
	sniffed := http.DetectContentType(head[:n])
	ctype, _, _ := strings.Cut(sniffed, ";")
	if !slices.Contains(AllowedTypes, ctype) {
		return Attachment{}, apperr.Field("file", "attachment.type", "files of type %s are not accepted; send an image, a PDF or plain text", ctype)
	}
	size, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(io.MultiReader(strings.NewReader(string(head[:n])), in.Content), s.files.MaxSize+1))
	if err != nil {
		return Attachment{}, apperr.Field("file", "attachment.read", "could not read the upload")
	}
	if size > s.files.MaxSize {
		return Attachment{}, &apperr.Error{Kind: apperr.TooLarge, Code: "attachment.too_large", Field: "file",
			Message: fmt.Sprintf("must be at most %d MiB", s.files.MaxSize>>20)}
	}
	if size == 0 {
		return Attachment{}, apperr.Field("file", "attachment.empty", "the file is empty")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	key := filepath.Join(sum[:2], sum[2:4], sum)
	dst := filepath.Join(s.files.Dir, key)
	if _, err := os.Stat(dst); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return Attachment{}, fmt.Errorf("ticket: attachment dir: %w", err)
		}
		if err := tmp.Sync(); err != nil {
			return Attachment{}, fmt.Errorf("ticket: attachment sync: %w", err)
		}
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return Attachment{}, fmt.Errorf("ticket: attachment store: %w", err)
		}
	}
	a := Attachment{ConversationID: in.ConversationID, Filename: name, ContentType: ctype, Size: size, SHA256: sum,
		CreatedAt: s.now().UTC().Truncate(time.Millisecond), storageKey: key}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		err := s.db.Q(ctx).QueryRowContext(ctx, `INSERT INTO attachments
			(conversation_id, filename, content_type, size, sha256, storage_key, uploaded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			a.ConversationID, a.Filename, a.ContentType, a.Size, a.SHA256, key, in.UploadedBy, db.Millis(a.CreatedAt)).Scan(&a.ID)
		if err != nil {
			return wrap("attachment", err)
		}
		return s.audit.Record(ctx, "attachment.upload", "conversation", a.ConversationID,
			map[string]any{"attachment": a.ID, "size": size, "type": ctype})
	})
	return a, err
}

func cleanFilename(n string) string {
	n = filepath.Base(strings.ReplaceAll(n, `\`, "/"))
	n = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, n)
	if n == "." || n == ".." || n == "" || n == "/" {
		n = "file"
	}
	for utf8.RuneCountInString(n) > 120 {
		r := []rune(n)
		n = string(r[len(r)-120:])
	}
	return n
}

// linkAttachments attaches uploaded, not yet linked files of the same
// conversation to a message.
func (s *Service) linkAttachments(ctx context.Context, convID, msgID int64, ids []int64) ([]Attachment, error) {
	out := []Attachment{}
	for _, id := range dedupe(ids) {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE attachments SET message_id = $1
			WHERE id = $2 AND conversation_id = $3 AND message_id IS NULL`, msgID, id, convID)
		if err != nil {
			return nil, wrap("link attachment", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, apperr.Field("attachments", "attachment.unknown", "attachment %d is not an unsent upload of this conversation", id)
		}
		a, err := s.attachment(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func dedupe[T comparable](in []T) []T {
	seen := map[T]bool{}
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

const attColumns = `id, conversation_id, message_id, filename, content_type, size, sha256, storage_key, created_at`

func scanAttachment(row interface{ Scan(...any) error }) (Attachment, error) {
	var a Attachment
	var msg sql.NullInt64
	var created int64
	err := row.Scan(&a.ID, &a.ConversationID, &msg, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, &a.storageKey, &created)
	a.MessageID, a.CreatedAt = msg.Int64, db.Time(created)
	return a, err
}

func (s *Service) attachment(ctx context.Context, id int64) (Attachment, error) {
	a, err := scanAttachment(s.db.Q(ctx).QueryRowContext(ctx, `SELECT `+attColumns+` FROM attachments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, apperr.NotFoundf("attachment.not_found", "attachment %d not found", id)
	}
	return a, wrap("attachment", err)
}

func (s *Service) loadAttachments(ctx context.Context, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	idx := map[int64]int{}
	var args []any
	ph := make([]string, 0, len(ms))
	for i, m := range ms {
		idx[m.ID] = i
		args = append(args, m.ID)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT `+attColumns+` FROM attachments WHERE message_id IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return wrap("attachments", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return wrap("attachments", err)
		}
		i := idx[a.MessageID]
		ms[i].Attachments = append(ms[i].Attachments, a)
	}
	return wrap("attachments", rows.Err())
}

// OpenAttachment returns an attachment the scope may see and its bytes.
// Customers only reach files on public messages of their conversations.
func (s *Service) OpenAttachment(ctx context.Context, scope Scope, id int64) (Attachment, *os.File, error) {
	a, err := s.attachment(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	if _, err := s.ByID(ctx, scope, a.ConversationID); err != nil {
		return Attachment{}, nil, apperr.NotFoundf("attachment.not_found", "attachment %d not found", id)
	}
	if scope.CustomerID != 0 && a.MessageID != 0 {
		var internal bool
		if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT internal FROM messages WHERE id = $1`, a.MessageID).Scan(&internal); err != nil || internal {
			return Attachment{}, nil, apperr.NotFoundf("attachment.not_found", "attachment %d not found", id)
		}
	}
	if scope.CustomerID != 0 && a.MessageID == 0 {
		// Not sent yet: it may be meant for an internal note, so only the
		// customer who uploaded it may see it.
		var by string
		err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT uploaded_by FROM attachments WHERE id = $1`, id).Scan(&by)
		if err != nil || by != fmt.Sprintf("customer:%d", scope.CustomerID) {
			return Attachment{}, nil, apperr.NotFoundf("attachment.not_found", "attachment %d not found", id)
		}
	}
	f, err := os.Open(filepath.Join(s.files.Dir, a.storageKey))
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("ticket: open attachment %d: %w", id, err)
	}
	return a, f, nil
}
