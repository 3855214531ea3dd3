package webchat

import (
	"context"
	"net/http"

	"vigil/internal/api"
	"vigil/internal/ticket"
)

// Trust is what the widget needs from the trust service.
type Trust interface {
	RecordIdentified(ctx context.Context, c ticket.Conversation) error
}

// recordLevel records that the exchange signed this customer's identity,
// once per conversation. A failure costs the level, not the message.
func (w *Widget) recordLevel(r *http.Request, c ticket.Conversation) {
	if w.Trust == nil || !api.PrincipalFrom(r.Context()).Verified {
		return
	}
	if err := w.Trust.RecordIdentified(r.Context(), c); err != nil {
		w.Logger.Warn("identity level not recorded", "component", "webchat", "conversation", c.ID, "err", err)
	}
}
