package compliance

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"vigil/internal/ticket"
)

// Erasure says what erasing a customer removed.
type Erasure struct {
	CustomerID int64 `json:"customer_id"`
	ticket.Redacted
	ErasedAt time.Time `json:"erased_at"`
}

// Erase anonymises a customer and empties their conversations: messages,
// attachments (files included), subjects, crypto references, complaint
// summaries, raw emails, bot questions and survey comments, in one
// transaction. The conversations stay, emptied, for the figures; audit
// entries stay untouched and verifiable, since they name the customer by
// id only. A customer under legal hold is refused.
func (s *Service) Erase(ctx context.Context, customerID int64) (Erasure, error) {
	if err := s.refuseHeld(ctx, customerID); err != nil {
		return Erasure{}, err
	}
	id, err := s.o.Customers.Canonical(ctx, customerID)
	if err != nil {
		return Erasure{}, err
	}
	out := Erasure{CustomerID: id}
	err = s.o.DB.WithTx(ctx, func(ctx context.Context) error {
		// Re-checked under the customer's lock, which PlaceHold takes too:
		// a hold placed meanwhile wins.
		if err := s.o.Customers.Lock(ctx, id); err != nil {
			return err
		}
		if err := s.refuseHeld(ctx, id); err != nil {
			return err
		}
		convs, err := s.o.Tickets.ConversationsOf(ctx, id)
		if err != nil {
			return err
		}
		if out.Redacted, err = s.empty(ctx, convs); err != nil {
			return err
		}
		if err := s.o.Customers.Erase(ctx, id); err != nil {
			return err
		}
		if s.o.EndSessions != nil {
			if err := s.o.EndSessions(ctx, id); err != nil {
				return err
			}
		}
		out.ErasedAt = s.o.Now().UTC().Truncate(time.Millisecond)
		return s.o.Audit.Record(ctx, "compliance.erase", "customer", id, map[string]any{
			"conversations": out.Conversations, "messages": out.Messages, "attachments": out.Attachments})
	})
	return out, err
}

// Manifest is the archive's table of contents, manifest.json.
type Manifest struct {
	CustomerID int64     `json:"customer_id"`
	ExportedAt time.Time `json:"exported_at"`
	Files      []string  `json:"files"`
	Note       string    `json:"note"`
}

// Export writes everything held about a customer to w as a zip archive:
// customer.json, conversations.json (threads with internal notes and
// complaints), one JSON file per further section, the attachments'
// files under attachments/, and manifest.json listing them all. The
// export is recorded in the audit log.
func (s *Service) Export(ctx context.Context, customerID int64, w io.Writer) error {
	id, err := s.o.Customers.Canonical(ctx, customerID)
	if err != nil {
		return err
	}
	profile, err := s.o.Customers.Export(ctx, id)
	if err != nil {
		return err
	}
	data, err := s.o.Tickets.ExportCustomer(ctx, id)
	if err != nil {
		return err
	}
	convIDs := make([]int64, len(data.Conversations))
	for i, c := range data.Conversations {
		convIDs[i] = c.ID
	}
	sections := map[string]any{}
	for _, sec := range s.o.Sections {
		v, err := sec.Gather(ctx, id, convIDs)
		if err != nil {
			return err
		}
		sections[sec.Name] = v
	}
	// Gathering is done before the first byte: an error leaves no half archive.
	zw := zip.NewWriter(w)
	m := Manifest{CustomerID: id, ExportedAt: s.o.Now().UTC().Truncate(time.Millisecond),
		Note: "Everything Vigil holds about this customer. Times are UTC (RFC 3339)."}
	put := func(name string, v any) error {
		f, err := zw.Create(name)
		if err != nil {
			return fmt.Errorf("compliance: export %s: %w", name, err)
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		m.Files = append(m.Files, name)
		return enc.Encode(v)
	}
	if err := put("customer.json", profile); err != nil {
		return err
	}
	if err := put("conversations.json", data); err != nil {
		return err
	}
	for _, sec := range s.o.Sections {
		if err := put(sec.Name+".json", sections[sec.Name]); err != nil {
			return err
		}
	}
	for _, c := range data.Conversations {
		for _, msg := range c.Messages {
			for _, a := range msg.Attachments {
				name := fmt.Sprintf("attachments/%d/%d-%s", c.ID, a.ID, safeName(a.Filename))
				if err := s.copyFile(zw, name, a); err != nil {
					return err
				}
				m.Files = append(m.Files, name)
			}
		}
	}
	if err := put("manifest.json", m); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compliance: export: %w", err)
	}
	return s.o.Audit.Record(ctx, "compliance.export", "customer", id, map[string]any{"files": len(m.Files)})
}

func (s *Service) copyFile(zw *zip.Writer, name string, a ticket.Attachment) error {
	r, err := s.o.Tickets.AttachmentFile(a)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: a.CreatedAt})
	if err != nil {
		return fmt.Errorf("compliance: export %s: %w", name, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("compliance: export %s: %w", name, err)
	}
	return nil
}

// safeName keeps an attachment's name inside its folder of the archive.
func safeName(n string) string {
	n = path.Base(strings.ReplaceAll(n, `\`, "/"))
	if n == "." || n == "/" || n == ".." {
		return "file"
	}
	return n
}
