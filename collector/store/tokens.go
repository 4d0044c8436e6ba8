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
	"unicode"
	"unicode/utf8"

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

// ErrTokenNotFound: no token with that id (of that tenant, for
// RevokeTenantToken).
var ErrTokenNotFound = errors.New("no such token")

// ErrTooManyTokens: a new token past MaxTokensPerTenant.
var ErrTooManyTokens = errors.New("too many tokens")

// MaxTokensPerTenant bounds one tenant's stored tokens (expired ones
// included, until revoked), so an admin token cannot fill the disk.
const MaxTokensPerTenant = 1000

// MaxTokenDescriptionBytes bounds a token's description.
const MaxTokenDescriptionBytes = 200

const tokenPrefix = "cc_"

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// TokenProblems names every problem of a token's tenant, scope and
// description, as CreateToken checks them; nil means none.
func TokenProblems(tenant, scope, description string) []sdk.Problem {
	var problems []sdk.Problem
	if p := sdk.CheckTenant("tenant", tenant); p != nil {
		problems = append(problems, *p)
	}
	switch _, ok := scopeRank[scope]; {
	case scope == "":
		problems = append(problems, sdk.Problem{Path: "scope", Message: "is required: read, ingest or admin"})
	case !ok:
		problems = append(problems, sdk.Problem{Path: "scope", Message: fmt.Sprintf("must be read, ingest or admin, got %q", scope)})
	}
	if p := checkDescription(description); p != nil {
		problems = append(problems, *p)
	}
	return problems
}

// checkDescription: at most MaxTokenDescriptionBytes of valid UTF-8
// without control characters (it is printed by tokens list and logged).
func checkDescription(d string) *sdk.Problem {
	switch {
	case len(d) > MaxTokenDescriptionBytes:
		return &sdk.Problem{Path: "description", Message: fmt.Sprintf("must be at most %d bytes, got %d", MaxTokenDescriptionBytes, len(d))}
	case !utf8.ValidString(d):
		return &sdk.Problem{Path: "description", Message: "must be valid UTF-8"}
	}
	for i, r := range d {
		if unicode.IsControl(r) {
			return &sdk.Problem{Path: "description", Message: fmt.Sprintf("must not hold control characters, got %U at byte %d", r, i)}
		}
	}
	return nil
}

// MinTokenLifetime is the shortest lifetime a token may be given: a
// shorter one would mostly hand out a secret that is already refused.
const MinTokenLifetime = time.Minute

// CheckTokenLifetime checks a token's lifetime given at path: 0 (never
// expires) or at least MinTokenLifetime.
func CheckTokenLifetime(path string, ttl time.Duration) *sdk.Problem {
	if ttl < 0 || (ttl > 0 && ttl < MinTokenLifetime) {
		return &sdk.Problem{Path: path, Message: fmt.Sprintf("must be at least %s (0 never expires), got %s", MinTokenLifetime, ttl)}
	}
	return nil
}

// CreateToken stores a new token and returns it with its secret, which is
// shown once and cannot be recovered. ttl 0 means it never expires. A
// tenant holds at most MaxTokensPerTenant tokens (ErrTooManyTokens).
func (s *Store) CreateToken(ctx context.Context, tenant, scope, description string, ttl time.Duration) (Token, string, error) {
	problems := TokenProblems(tenant, scope, description)
	if p := CheckTokenLifetime("expires", ttl); p != nil {
		problems = append(problems, *p)
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
		e := now.Add(ttl).Truncate(time.Millisecond) // as stored
		t.ExpiresAt, expires = &e, e.UnixMilli()
	}
	hash := sha256.Sum256([]byte(secret))
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE tenant = ?`, tenant).Scan(&n); err != nil {
			return err
		}
		if n >= MaxTokensPerTenant {
			return ErrTooManyTokens
		}
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

// Tokens lists every tenant's stored tokens (never their secrets).
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	return s.listTokens(ctx, `SELECT id, tenant, scope, description, created_at, expires_at FROM tokens ORDER BY created_at, id`)
}

// TenantTokens lists tenant's stored tokens (never their secrets), oldest
// first.
func (s *Store) TenantTokens(ctx context.Context, tenant string) ([]Token, error) {
	return s.listTokens(ctx, `SELECT id, tenant, scope, description, created_at, expires_at FROM tokens
		WHERE tenant = ? ORDER BY created_at, id`, tenant)
}

func (s *Store) listTokens(ctx context.Context, query string, args ...any) ([]Token, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
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

// RevokeToken deletes a token of any tenant by id (ErrTokenNotFound when
// there is none).
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("no token with id %q: %w", id, ErrTokenNotFound)
		}
		return nil
	})
}

// RevokeTenantToken deletes tenant's token of that id and returns it as it
// was. Another tenant's id is ErrTokenNotFound, exactly as an unknown one.
func (s *Store) RevokeTenantToken(ctx context.Context, tenant, id string) (Token, error) {
	t := Token{ID: id, Tenant: tenant}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var created int64
		var expires sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT scope, description, created_at, expires_at FROM tokens WHERE id = ? AND tenant = ?`, id, tenant).
			Scan(&t.Scope, &t.Description, &created, &expires)
		if err == sql.ErrNoRows {
			return ErrTokenNotFound
		}
		if err != nil {
			return err
		}
		t.CreatedAt = time.UnixMilli(created).UTC()
		if expires.Valid {
			e := time.UnixMilli(expires.Int64).UTC()
			t.ExpiresAt = &e
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE id = ? AND tenant = ?`, id, tenant)
		return err
	})
	if err != nil {
		return Token{}, err
	}
	return t, nil
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
