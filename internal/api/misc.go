package api

import (
	_ "embed"
	"errors"
	"net/http"

	"vigil/internal/apperr"
	"vigil/internal/auth"
)

const permAssign = auth.PermConversationAssign

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the embedded OpenAPI 3 document.
func OpenAPI() []byte { return openapiDoc }

func (a *API) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiDoc)
}

func errCustomerNotFound(id int64) error {
	return apperr.NotFoundf("customer.not_found", "customer %d not found", id)
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }
