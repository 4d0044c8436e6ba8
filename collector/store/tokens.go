package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Token scopes, each including the ones before it: read < ingest < admin.
const (
	ScopeRead   = "read"
	ScopeIngest = "ingest"
	ScopeAdmin  = "admin"
)

var scopeRank = map[string]int{ScopeRead: 1, ScopeIngest: 2, ScopeAdmin: 3}

// Token is a stored API token; its secret is never kept, only a hash.
type Token struct {
	ID          string     `json:"id"`
	Tenant      string     `json:"tenant"`
	Scope       string     `json:"scope"`
	Description string     `json:"description,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// Allows reports whether the token's scope includes scope.
func (t Token) Allows(scope string) bool { return scopeRank[t.Scope] >= scopeRank[scope] }

// Errors from Authenticate; the API answers 401 for each without saying which.
var (
	ErrTokenUnknown = errors.New("unknown token")
	ErrTokenExpired = errors.New("token expired")
)

const tokenPrefix = "cc_"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// CreateToken stores a new token and returns it with its secret, which is
// shown once and cannot be recovered. ttl 0 means it never expires.
func (s *Store) CreateToken(ctx context.Context, tenant, scope, description string, ttl time.Duration) (Token, string, error) {
	var problems []sdk.Problem
	if p := sdk.CheckTenant("tenant", tenant); p != nil {
		problems = append(problems, *p)
	}
	if _, ok := scopeRank[scope]; !ok {
		problems = append(problems, sdk.Problem{Path: "scope", Message: fmt.Sprintf("must be read, ingest or admin, got %q", scope)})
	}
	if ttl < 0 {
		problems = append(problems, sdk.Problem{Path: "expires", Message: fmt.Sprintf("must not be negative (0 never expires), got %s", ttl)})
	}
	if len(problems) > 0 {
		return Token{}, "", &sdk.ValidationError{Problems: problems}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", err
	}
	// The id is a public handle (for listing and revoking), drawn apart
	// from the secret, so it tells nothing of it.
	rawID := make([]byte, 5)
	if _, err := rand.Read(rawID); err != nil {
		return Token{}, "", err
	}
	id := strings.ToLower(tokenEncoding.EncodeToString(rawID))
	secret := tokenPrefix + strings.ToLower(tokenEncoding.EncodeToString(raw))
	now := s.opts.Now().UTC().Truncate(time.Millisecond)
	t := Token{ID: id, Tenant: tenant, Scope: scope, Description: description, CreatedAt: now}
	var expires any
	if ttl > 0 {
		e := now.Add(ttl)
		t.ExpiresAt, expires = &e, e.UnixMilli()
	}
	hash := sha256.Sum256([]byte(secret))
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, hash, tenant, scope, description, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, hash[:], tenant, scope, description, now.UnixMilli(), expires)
		return err
	})
	if err != nil {
		return Token{}, "", fmt.Errorf("storing token: %w", err)
	}
	return t, secret, nil
}

// Authenticate finds the token whose secret this is.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Token{}, ErrTokenUnknown
	}
	hash := sha256.Sum256([]byte(secret))
	var t Token
	var stored []byte
	var created int64
	var expires sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT id, hash, tenant, scope, description, created_at, expires_at FROM tokens WHERE hash = ?`, hash[:]).
		Scan(&t.ID, &stored, &t.Tenant, &t.Scope, &t.Description, &created, &expires)
	if err == sql.ErrNoRows || (err == nil && subtle.ConstantTimeCompare(stored, hash[:]) != 1) {
		return Token{}, ErrTokenUnknown
	}
	if err != nil {
		return Token{}, err
	}
	t.CreatedAt = time.UnixMilli(created).UTC()
	if expires.Valid {
		e := time.UnixMilli(expires.Int64).UTC()
		t.ExpiresAt = &e
		if !s.opts.Now().Before(e) {
			return Token{}, ErrTokenExpired
		}
	}
	return t, nil
}

// Tokens lists stored tokens (never their secrets).
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, tenant, scope, description, created_at, expires_at FROM tokens ORDER BY created_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created int64
		var expires sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Tenant, &t.Scope, &t.Description, &created, &expires); err != nil {
			return nil, err
		}
		t.CreatedAt = time.UnixMilli(created).UTC()
		if expires.Valid {
			e := time.UnixMilli(expires.Int64).UTC()
			t.ExpiresAt = &e
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes a token by id.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("no token with id %q", id)
		}
		return nil
	})
}

// HasTenant reports whether anything of tenant is stored: an entity, an
// event or a daily metric.
func (s *Store) HasTenant(ctx context.Context, tenant string) (bool, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM entities WHERE tenant = ?)
		OR EXISTS (SELECT 1 FROM events WHERE tenant = ?) OR EXISTS (SELECT 1 FROM daily_metrics WHERE tenant = ?)`,
		tenant, tenant, tenant).Scan(&n)
	return n == 1, err
}
