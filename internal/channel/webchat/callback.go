package webchat

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/api"
	"vigil/internal/apperr"
	"vigil/internal/callback"
	"vigil/internal/i18n"
	"vigil/internal/ticket"
)

// Callbacks is what the widget needs from the callback service.
type Callbacks interface {
	Request(ctx context.Context, in callback.RequestInput) (callback.Callback, ticket.Conversation, error)
}

// requestCallback is the widget's "Request a phone call": the policy
// decides who may (a clear refusal for the others), and the request
// becomes a phone conversation the customer sees in their history.
func (w *Widget) requestCallback(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		WindowStart    time.Time `json:"window_start"`
		WindowEnd      time.Time `json:"window_end"`
		Language       string    `json:"language"`
		Phone          string    `json:"phone"`
		Note           string    `json:"note"`
		ConversationID int64     `json:"conversation_id"`
	}
	if err := api.Decode(rw, r, w.MaxBody, &req); err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	p := api.PrincipalFrom(r.Context())
	if w.Callbacks == nil {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.Unavailable, "callback.off", "phone callbacks are not set up"))
		return
	}
	if !w.MessageLimiter.Allow("callback:" + strconv.FormatInt(p.CustomerID, 10)) {
		api.WriteError(rw, r, w.Logger, apperr.New(apperr.TooMany, "widget.rate_limited", "you are sending messages too fast"))
		return
	}
	cb, conv, err := w.Callbacks.Request(r.Context(), callback.RequestInput{CustomerID: p.CustomerID, WindowStart: req.WindowStart,
		WindowEnd: req.WindowEnd, Language: i18n.Normalize(req.Language), Phone: req.Phone, Note: req.Note,
		SecurityConversationID: req.ConversationID})
	if err != nil {
		api.WriteError(rw, r, w.Logger, err)
		return
	}
	api.WriteJSON(rw, http.StatusCreated, map[string]any{"callback": map[string]any{"id": cb.ID, "state": cb.State,
		"window_start": cb.WindowStart, "window_end": cb.WindowEnd}, "conversation": forCustomer(conv)})
}
