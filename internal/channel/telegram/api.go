// Package telegram is the Telegram channel: a bot on the official Bot API.
// Updates arrive on a webhook whose secret-token header is checked; replies
// leave through the delivery jobs as sendMessage, sendPhoto and
// sendDocument calls. The wire format is the one documented at
// core.telegram.org/bots/api.
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/job"
)

// Update is one incoming update (only the fields the desk reads).
type Update struct {
	UpdateID int64    `json:"update_id"`
	Message  *Message `json:"message"`
	// Edits are not threaded as new messages.
	EditedMessage *Message `json:"edited_message"`
}

// Message is a Telegram message.
type Message struct {
	MessageID int64       `json:"message_id"`
	From      *User       `json:"from"`
	Chat      Chat        `json:"chat"`
	Date      int64       `json:"date"`
	Text      string      `json:"text"`
	Caption   string      `json:"caption"`
	Photo     []PhotoSize `json:"photo"`
	Document  *Document   `json:"document"`
	ReplyTo   *Message    `json:"reply_to_message"`
}

// User is a Telegram user or bot.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Username     string `json:"username"`
	LanguageCode string `json:"language_code"`
}

// Chat is where a message was sent.
type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"` // private, group, supergroup, channel
}

// PhotoSize is one size of a photo; Telegram sends several, largest last.
type PhotoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int64  `json:"file_size"`
}

// Document is a general file.
type Document struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
}

// file is the result of getFile.
type file struct {
	FileID   string `json:"file_id"`
	FileSize int64  `json:"file_size"`
	FilePath string `json:"file_path"`
}

// response is the envelope of every Bot API answer.
type response struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// client calls the Bot API. The token is part of every URL, so URLs are
// never logged and errors name the method only.
type client struct {
	base  string // https://api.telegram.org
	token string
	http  *http.Client
}

// maxFile bounds a downloaded file (the Bot API serves at most 20 MB).
const maxFile = 20 << 20

// call posts a method with a JSON or multipart body and decodes its result.
func (c *client) call(ctx context.Context, method, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/bot"+c.token+"/"+method, body)
	if err != nil {
		return fmt.Errorf("telegram: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("telegram: %s: %s", method, scrub(err, c.token))
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil {
		return fmt.Errorf("telegram: %s: HTTP %d, unreadable answer", method, resp.StatusCode)
	}
	if !r.OK {
		e := fmt.Errorf("telegram: %s: %d %s", method, r.ErrorCode, r.Description)
		switch {
		case r.ErrorCode == http.StatusTooManyRequests:
			wait := time.Second
			if r.Parameters != nil && r.Parameters.RetryAfter > 0 {
				wait = time.Duration(r.Parameters.RetryAfter) * time.Second
			}
			return job.RetryAfter(e, wait)
		case r.ErrorCode >= 400 && r.ErrorCode < 500:
			// The bot was blocked, the chat is gone, the request is wrong:
			// retrying will not help.
			return job.Permanent(e)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			return fmt.Errorf("telegram: %s: result: %w", method, err)
		}
	}
	return nil
}

func (c *client) callJSON(ctx context.Context, method string, params any, out any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram: %s: %w", method, err)
	}
	return c.call(ctx, method, "application/json", bytes.NewReader(b), out)
}

// upload sends a file with sendPhoto or sendDocument.
func (c *client) upload(ctx context.Context, method, field string, chatID int64, name string, data io.Reader, caption string, out any) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("chat_id", strconv.FormatInt(chatID, 10))
	if caption != "" {
		_ = w.WriteField("caption", caption)
	}
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		return fmt.Errorf("telegram: %s: %w", method, err)
	}
	if _, err := io.Copy(fw, io.LimitReader(data, maxFile)); err != nil {
		return fmt.Errorf("telegram: %s: read attachment: %w", method, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("telegram: %s: %w", method, err)
	}
	return c.call(ctx, method, w.FormDataContentType(), &buf, out)
}

// download fetches a file a message refers to.
func (c *client) download(ctx context.Context, fileID string) ([]byte, error) {
	var f file
	if err := c.callJSON(ctx, "getFile", map[string]string{"file_id": fileID}, &f); err != nil {
		return nil, err
	}
	if f.FileSize > maxFile || f.FilePath == "" {
		return nil, errors.New("telegram: file too large to download")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/file/bot"+c.token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %s", scrub(err, c.token))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram: download: HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFile+1))
	if err != nil || len(b) > maxFile {
		return nil, errors.New("telegram: download failed or too large")
	}
	return b, nil
}

// scrub removes the token from an error that quotes a URL.
func scrub(err error, token string) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte(token), []byte("<token>")))
}
