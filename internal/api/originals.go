package api

import (
	"fmt"
	"mime"
	"net/http"
)

// messageOriginal serves what an inbound message was made from, for an
// agent who needs the quoted thread, the headers or the exact bytes the
// customer sent. Visibility follows the message's conversation.
func (a *API) messageOriginal(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	scope, err := a.scope(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	o, err := a.Channels.OriginalOf(r.Context(), id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if _, err := a.Tickets.ByID(r.Context(), scope, o.ConversationID); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	ctype, name := "message/rfc822", fmt.Sprintf("message-%d.eml", id)
	if o.Channel != "email" {
		ctype, name = "application/json", fmt.Sprintf("message-%d.json", id)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	_, _ = w.Write(o.Data)
}
