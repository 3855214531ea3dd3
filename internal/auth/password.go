package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"vigil/internal/apperr"
	"vigil/internal/db"
)

// hashPassword returns a PHC-format argon2id hash with a random salt.
func (s *Service) hashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	key := argon2.IDKey([]byte(pw), salt, s.o.ArgonTime, s.o.ArgonMemoryKiB, 1, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=1$%s$%s", argon2.Version, s.o.ArgonMemoryKiB, s.o.ArgonTime,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// verifyPassword checks pw against a PHC argon2id hash using the hash's
// own parameters, so raising the cost later keeps old hashes valid.
func verifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var mem, iters uint32
	var par uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &par); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, iters, mem, par, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func validatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < 10 || len(pw) > 256 || strings.Count(pw, string([]rune(pw)[0])) == n {
		return apperr.Field("password", "auth.password_weak", "must be 10 to 256 characters and not one repeated character")
	}
	return nil
}

// SetPassword stores a new password for an agent.
func (s *Service) SetPassword(ctx context.Context, agentID int64, password string) error {
	if password == "" {
		return apperr.Field("password", "auth.password_weak", "must be 10 to 256 characters and not one repeated character")
	}
	if err := validatePassword(password); err != nil {
		return err
	}
	hash := s.hashPassword(password)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := db.Millis(s.now())
		res, err := s.db.Q(ctx).ExecContext(ctx, `UPDATE agent_credentials SET password_hash = $1, failed_logins = 0,
			locked_until = 0, updated_at = $2 WHERE agent_id = $3`, hash, now, agentID)
		if err != nil {
			return fmt.Errorf("auth: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO agent_credentials (agent_id, password_hash, updated_at)
				VALUES ($1, $2, $3)`, agentID, hash, now)
			if db.IsForeignKeyViolation(err) {
				return apperr.NotFoundf("agent.not_found", "agent %d not found", agentID)
			}
			if err != nil {
				return fmt.Errorf("auth: set password: %w", err)
			}
		}
		return s.o.Audit.Record(ctx, "auth.password_set", "agent", agentID, nil)
	})
}
