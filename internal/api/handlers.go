package api

import (
	"context"
	"net/http"
)

// The shapes most handlers share: list everything, and decode, store,
// answer. Each keeps its own name in the route table.

// list answers every T that fn returns, as one page.
func list[T any](a *API, w http.ResponseWriter, r *http.Request, fn func(context.Context) ([]T, error)) {
	items, err := fn(r.Context())
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, http.StatusOK, Page[T]{Data: items})
}

// save decodes an In, stores it with fn (passing the path's {id} when the
// route has one, else 0) and answers status with what was stored.
func save[In, Out any](a *API, w http.ResponseWriter, r *http.Request, status int, fn func(context.Context, In, int64) (Out, error)) {
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = pathID(r, "id"); err != nil {
			WriteError(w, r, a.Logger, err)
			return
		}
	}
	var in In
	if err := Decode(w, r, a.MaxBody, &in); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	out, err := fn(r.Context(), in, id)
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	WriteJSON(w, status, out)
}

// remove deletes what the path's {id} names with fn and answers 204.
func remove(a *API, w http.ResponseWriter, r *http.Request, fn func(context.Context, int64) error) {
	id, err := pathID(r, "id")
	if err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	if err := fn(r.Context(), id); err != nil {
		WriteError(w, r, a.Logger, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
