package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"vigil/internal/apperr"
	"vigil/internal/i18n"
)

// ErrorBody is the one shape every API error takes.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names the problem with a stable code clients can translate.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

var statusOf = map[apperr.Kind]int{
	apperr.Internal:        http.StatusInternalServerError,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Invalid:         http.StatusUnprocessableEntity,
	apperr.Conflict:        http.StatusConflict,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.Unauthenticated: http.StatusUnauthorized,
	apperr.Unavailable:     http.StatusServiceUnavailable,
	apperr.TooMany:         http.StatusTooManyRequests,
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
}

// WriteJSON sends v with a status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// WriteError turns err into its status and body. Internal errors are
// logged here, once, with the request's fields, and never shown to users.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e, ok := apperr.As(err)
	if !ok || e.Kind == apperr.Internal {
		log.ErrorContext(r.Context(), "request failed", "component", "api", "method", r.Method,
			"path", r.URL.Path, "request_id", RequestID(r.Context()), "err", err)
		WriteJSON(w, http.StatusInternalServerError, ErrorBody{ErrorDetail{Code: "internal",
			Message: i18n.T(i18n.Negotiate(r.Header.Get("Accept-Language")), "internal"), RequestID: RequestID(r.Context())}})
		return
	}
	if e.Kind == apperr.TooMany {
		w.Header().Set("Retry-After", "60")
	}
	msg := e.Message
	// English keeps the detailed message; other languages get the
	// catalogue's sentence for the code when there is one.
	if lang := i18n.Negotiate(r.Header.Get("Accept-Language")); lang != "en" && i18n.Has(e.Code) {
		msg = i18n.T(lang, e.Code)
	}
	WriteJSON(w, statusOf[e.Kind], ErrorBody{ErrorDetail{Code: e.Code, Message: msg, Field: e.Field, RequestID: RequestID(r.Context())}})
}

// Decode reads a JSON body strictly: one object, known fields only, within
// the size limit. Each failure is a 4xx naming the problem.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &apperr.Error{Kind: apperr.Invalid, Code: "request.content_type", Message: "Content-Type must be application/json"}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var maxErr *http.MaxBytesError
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &maxErr):
			return &apperr.Error{Kind: apperr.TooLarge, Code: "request.too_large", Message: fmt.Sprintf("request body must be at most %d bytes", limit)}
		case errors.Is(err, io.EOF):
			return apperr.Invalidf("request.empty", "request body is empty; send a JSON object")
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return apperr.Invalidf("request.malformed", "request body is not valid JSON")
		case errors.As(err, &typeErr):
			return apperr.Field(typeErr.Field, "request.type", "must be of type %s", typeErr.Type.String())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return apperr.Field(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "request.unknown_field", "is not a known field")
		default:
			return apperr.Invalidf("request.malformed", "request body could not be read")
		}
	}
	if dec.More() {
		return apperr.Invalidf("request.malformed", "request body must hold a single JSON object")
	}
	return nil
}

// Explain returns the HTTP status and a message in lang for a domain
// error, for pages that show errors in HTML; ok is false for internal
// errors, which must not be shown.
func Explain(err error, lang string) (status int, msg string, ok bool) {
	e, found := apperr.As(err)
	if !found || e.Kind == apperr.Internal {
		return http.StatusInternalServerError, "", false
	}
	msg = e.Message
	if i18n.Has(e.Code) && (lang != "en" || e.Field == "") {
		msg = i18n.T(lang, e.Code)
	}
	return statusOf[e.Kind], msg, true
}
