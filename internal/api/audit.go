package api

import (
	"net/http"

	"vigil/internal/audit"
)

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	var f audit.Filter
	var err error
	f.ObjectKind = r.URL.Query().Get("object_kind")
	if f.ObjectID, err = queryInt(r, "object_id"); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if f.ActorID, err = queryInt(r, "actor_id"); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if f.Before, err = queryInt(r, "cursor"); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if f.Limit, err = pageLimit(r, 50, 200); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	list, err := a.Audit.List(r.Context(), f)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	page := Page[audit.Entry]{Data: list}
	if len(list) > 0 && list[len(list)-1].Seq > 1 && len(list) == f.Limit {
		page.NextCursor = cursor(list[len(list)-1].Seq)
	}
	WriteJSON(w, http.StatusOK, page)
}

type verifyResponse struct {
	Entries     int64  `json:"entries"`
	OK          bool   `json:"ok"`
	BrokenAtSeq int64  `json:"broken_at_seq,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request) {
	n, brk, err := a.Audit.Verify(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	resp := verifyResponse{Entries: n, OK: brk == nil}
	if brk != nil {
		resp.BrokenAtSeq, resp.Reason = brk.Seq, brk.Reason
	}
	WriteJSON(w, http.StatusOK, resp)
}
