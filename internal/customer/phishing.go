package customer

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"vigil/internal/apperr"
)

// SetAntiPhishingCode stores the customer's anti-phishing code (empty
// clears it). The exchange owns the code; it reaches the desk through the
// exchange connector or an administrator. The value is never audited.
func (s *Service) SetAntiPhishingCode(ctx context.Context, id int64, code string) error {
	code = strings.TrimSpace(code)
	if utf8.RuneCountInString(code) > 32 || strings.ContainsAny(code, "\r\n") {
		return apperr.Field("anti_phishing_code", "customer.anti_phishing_invalid", "must be one line of at most 32 characters")
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE customers SET anti_phishing_code = $1, updated_at = $2 WHERE id = $3`,
			code, s.now().UnixMilli(), id)
		if err != nil {
			return fmt.Errorf("customer: set anti-phishing code: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.NotFoundf("customer.not_found", "customer %d not found", id)
		}
		return s.audit.Record(ctx, "customer.update", "customer", id, map[string]any{"fields": []string{"anti_phishing_code"}})
	})
}
