package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"vigil/internal/job"
)

// DefaultAPI is Discord's REST base URL, API version 10.
const DefaultAPI = "https://discord.com/api/v10"

// rest calls Discord's HTTP API as the bot.
type rest struct {
	base  string
	token string
	http  *http.Client
}

func newREST(base, token string, hc *http.Client) *rest {
	if base == "" {
		base = DefaultAPI
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &rest{base: base, token: token, http: hc}
}

// apiError is Discord's error body; on 429 it carries retry_after in
// seconds (fractional).
type apiError struct {
	Message    string  `json:"message"`
	Code       int     `json:"code"`
	RetryAfter float64 `json:"retry_after"`
	Global     bool    `json:"global"`
}

// Discord's JSON error codes the adapter acts on.
const (
	codeUnknownChannel = 10003
	codeMissingAccess  = 50001
	codeCannotDM       = 50007
	codeThreadExists   = 160004
)

// statusError is a refused call; permanent ones are wrapped with job.Permanent.
type statusError struct {
	Status int
	apiError
}

func (e *statusError) Error() string {
	return fmt.Sprintf("discord: HTTP %d: %s (code %d)", e.Status, e.Message, e.Code)
}

// call sends a JSON request and decodes the answer into out. A 429 is
// returned as job.RetryAfter with Discord's wait; 4xx other than 429 are
// permanent (the same request would fail again); 5xx are retried.
func (r *rest) call(ctx context.Context, method, path string, body, out any) error {
	if body == nil {
		return r.do(ctx, method, path, nil, "", out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return job.Permanent(fmt.Errorf("discord: encode: %w", err))
	}
	return r.do(ctx, method, path, bytes.NewReader(b), "application/json", out)
}

func (r *rest) do(ctx context.Context, method, path string, rd io.Reader, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return job.Permanent(fmt.Errorf("discord: %w", err))
	}
	req.Header.Set("Authorization", "Bot "+r.token)
	req.Header.Set("User-Agent", "DiscordBot (https://vigil.example, 1) Vigil")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return fmt.Errorf("discord: %s %s: %w", method, pathOnly(path), err) // the URL holds no token, but keep logs short
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("discord: read answer: %w", err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil || resp.StatusCode == http.StatusNoContent {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("discord: decode answer: %w", err)
		}
		return nil
	}
	se := &statusError{Status: resp.StatusCode}
	_ = json.Unmarshal(data, &se.apiError)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := time.Duration(se.RetryAfter * float64(time.Second))
		if h, err := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64); err == nil && wait == 0 {
			wait = time.Duration(h * float64(time.Second))
		}
		return job.RetryAfter(se, max(wait, time.Second))
	case resp.StatusCode >= 500:
		return se
	}
	return job.Permanent(se)
}

func pathOnly(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

// isCode reports whether err is a refusal with Discord's JSON code.
func isCode(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.Code == code
}

// message is the part of Discord's message object the desk uses.
type message struct {
	ID          string       `json:"id"`
	ChannelID   string       `json:"channel_id"`
	GuildID     string       `json:"guild_id"`
	Content     string       `json:"content"`
	Author      user         `json:"author"`
	Attachments []attachment `json:"attachments"`
	Type        int          `json:"type"`
}

type user struct {
	ID         string `json:"id"`
	Username   string `json:"username"`
	GlobalName string `json:"global_name"`
	Bot        bool   `json:"bot"`
}

type attachment struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	URL      string `json:"url"`
}

type createMessage struct {
	Content          string            `json:"content"`
	Nonce            string            `json:"nonce,omitempty"`
	EnforceNonce     bool              `json:"enforce_nonce,omitempty"`
	MessageReference *messageReference `json:"message_reference,omitempty"`
	AllowedMentions  allowedMentions   `json:"allowed_mentions"`
	Attachments      []attachmentRef   `json:"attachments,omitempty"`
}

// attachmentRef names an uploaded file (files[ID]) in the payload.
type attachmentRef struct {
	ID       int    `json:"id"`
	Filename string `json:"filename"`
}

type messageReference struct {
	MessageID       string `json:"message_id"`
	FailIfNotExists bool   `json:"fail_if_not_exists"`
}

// allowedMentions with no parse list stops a reply from pinging
// @everyone or roles, whatever its text says.
type allowedMentions struct {
	Parse []string `json:"parse"`
}

type startThread struct {
	Name                string `json:"name"`
	AutoArchiveDuration int    `json:"auto_archive_duration"`
}

type channelObject struct {
	ID       string `json:"id"`
	Type     int    `json:"type"`
	ParentID string `json:"parent_id"`
	Name     string `json:"name"`
}

type gatewayBot struct {
	URL string `json:"url"`
}

// upload is one file sent with a message.
type upload struct {
	Name string
	Body io.Reader
}

// callFiles posts a message with files: multipart/form-data holding the
// JSON as payload_json and each file as files[n], which the payload's
// attachments list names by index.
func (r *rest) callFiles(ctx context.Context, path string, body createMessage, files []upload, out any) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	for i, f := range files {
		body.Attachments = append(body.Attachments, attachmentRef{ID: i, Filename: f.Name})
	}
	go func() {
		err := func() error {
			payload, err := json.Marshal(body)
			if err != nil {
				return err
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="payload_json"`)
			h.Set("Content-Type", "application/json")
			pj, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if _, err := pj.Write(payload); err != nil {
				return err
			}
			for i, f := range files {
				w, err := mw.CreateFormFile(fmt.Sprintf("files[%d]", i), f.Name)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, f.Body); err != nil {
					return err
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	return r.do(ctx, http.MethodPost, path, pr, mw.FormDataContentType(), out)
}
