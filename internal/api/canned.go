package api

import (
	"net/http"

	"vigil/internal/canned"
	"vigil/internal/i18n"
)

func (a *API) listCanned(w http.ResponseWriter, r *http.Request) {
	lang := r.URL.Query().Get("lang")
	if lang != "" {
		lang = i18n.Normalize(lang)
	}
	list, err := a.Canned.List(r.Context(), lang)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[canned.Response]{Data: list})
}

func (a *API) createCanned(w http.ResponseWriter, r *http.Request) {
	var in canned.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.Canned.Create(r.Context(), PrincipalFrom(r.Context()).AgentID, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, c)
}

func (a *API) updateCanned(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	var in canned.Input
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	c, err := a.Canned.Update(r.Context(), id, in)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, c)
}

func (a *API) deleteCanned(w http.ResponseWriter, r *http.Request) {
	remove(a, w, r, a.Canned.Delete)
}
