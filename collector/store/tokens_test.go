package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

func TestTenantTokensAndRevokeAreTenantScoped(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	create := func(tenant, scope string) (Token, string) {
		t.Helper()
		tok, secret, err := s.CreateToken(ctx, tenant, scope, tenant+" "+scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		return tok, secret
	}
	acmeRead, acmeSecret := create("acme", ScopeRead)
	acmeAdmin, _ := create("acme", ScopeAdmin)
	globexRead, _ := create("globex", ScopeRead)

	for tenant, want := range map[string][]Token{"acme": {acmeRead, acmeAdmin}, "globex": {globexRead}, "initech": nil} {
		got, err := s.TenantTokens(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s lists %+v, want %+v", tenant, got, want)
		}
		ids := map[string]bool{}
		for _, g := range got {
			if g.Tenant != tenant {
				t.Errorf("%s lists %+v of another tenant", tenant, g)
			}
			ids[g.ID] = true
		}
		for _, w := range want {
			if !ids[w.ID] {
				t.Errorf("%s does not list %s", tenant, w.ID)
			}
		}
	}
	if all, err := s.Tokens(ctx); err != nil || len(all) != 3 {
		t.Fatalf("Tokens (every tenant's) = %d, %v; want 3", len(all), err)
	}

	// globex cannot revoke acme's token: it is as unknown as one never
	// stored, and it still authenticates.
	for _, id := range []string{acmeRead.ID, "nosuchid"} {
		if _, err := s.RevokeTenantToken(ctx, "globex", id); !errors.Is(err, ErrTokenNotFound) {
			t.Fatalf("globex revoking %s: want ErrTokenNotFound, got %v", id, err)
		}
	}
	if got, err := s.Authenticate(ctx, acmeSecret); err != nil || got.ID != acmeRead.ID {
		t.Fatalf("acme's token after globex's attempt: %+v %v", got, err)
	}

	revoked, err := s.RevokeTenantToken(ctx, "acme", acmeRead.ID)
	if err != nil || revoked.ID != acmeRead.ID || revoked.Scope != ScopeRead || revoked.Tenant != "acme" || revoked.Description != acmeRead.Description {
		t.Fatalf("revoked %+v %v, want %+v", revoked, err, acmeRead)
	}
	if _, err := s.Authenticate(ctx, acmeSecret); !errors.Is(err, ErrTokenUnknown) {
		t.Fatalf("revoked token authenticates: %v", err)
	}
	if _, err := s.RevokeTenantToken(ctx, "acme", acmeRead.ID); !errors.Is(err, ErrTokenNotFound) {
		t.Fatalf("revoking twice: %v", err)
	}
	// The CLI's revoke (any tenant) says the same of an unknown id.
	if err := s.RevokeToken(ctx, acmeRead.ID); !errors.Is(err, ErrTokenNotFound) || !strings.Contains(err.Error(), acmeRead.ID) {
		t.Fatalf("RevokeToken of a revoked id: %v", err)
	}
	if err := s.RevokeToken(ctx, globexRead.ID); err != nil {
		t.Fatalf("RevokeToken of globex's: %v", err)
	}
	if got, _ := s.TenantTokens(ctx, "acme"); len(got) != 1 || got[0].ID != acmeAdmin.ID {
		t.Fatalf("acme lists %+v, want only %s", got, acmeAdmin.ID)
	}
}

func TestTokensPerTenantAreCapped(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	// Fill acme up to one short of the cap in one transaction (as many
	// CreateToken calls would, only faster).
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		for i := range MaxTokensPerTenant - 1 {
			hash := sha256.Sum256(fmt.Appendf(nil, "filler %d", i))
			if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (id, hash, tenant, scope, created_at) VALUES (?, ?, 'acme', 'read', 0)`,
				fmt.Sprintf("fill%04d", i), hash[:]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	last, _, err := s.CreateToken(ctx, "acme", ScopeRead, "the last one", 0)
	if err != nil {
		t.Fatalf("token %d of %d: %v", MaxTokensPerTenant, MaxTokensPerTenant, err)
	}
	if _, _, err := s.CreateToken(ctx, "acme", ScopeAdmin, "one too many", 0); !errors.Is(err, ErrTooManyTokens) {
		t.Fatalf("token %d: want ErrTooManyTokens, got %v", MaxTokensPerTenant+1, err)
	}
	if n := count(t, s, "SELECT count(*) FROM tokens WHERE tenant = 'acme'"); n != MaxTokensPerTenant {
		t.Fatalf("acme holds %d tokens, want %d", n, MaxTokensPerTenant)
	}
	// Another tenant is not held back by acme's tokens.
	if _, _, err := s.CreateToken(ctx, "globex", ScopeRead, "", 0); err != nil {
		t.Fatalf("globex: %v", err)
	}
	// Revoking one makes room for one.
	if _, err := s.RevokeTenantToken(ctx, "acme", last.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, "acme", ScopeRead, "", 0); err != nil {
		t.Fatalf("after a revoke: %v", err)
	}
}

func TestTokenDescriptionsAreChecked(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	cases := []struct {
		name, description string
		ok                bool
	}{
		{"empty", "", true},
		{"plain", "grafana on host-3", true},
		{"non-ASCII letters", "Grafana für Zoë", true},
		{"exactly the limit", strings.Repeat("a", MaxTokenDescriptionBytes), true},
		{"the limit in multi-byte runes", strings.Repeat("é", MaxTokenDescriptionBytes/2), true},
		{"one byte over", strings.Repeat("a", MaxTokenDescriptionBytes+1), false},
		{"a rune crossing the limit", strings.Repeat("a", MaxTokenDescriptionBytes-1) + "é", false},
		{"newline", "grafana\nforged log line", false},
		{"tab", "a\tb", false},
		{"escape sequence", "\x1b[31mred", false},
		{"NUL", "a\x00b", false},
		{"DEL", "a\x7fb", false},
		{"C1 control", "a\u0085b", false},
		{"invalid UTF-8", "a\xffb", false},
		{"truncated rune", "caf\xc3", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := count(t, s, "SELECT count(*) FROM tokens")
			tok, _, err := s.CreateToken(ctx, "acme", ScopeRead, c.description, 0)
			after := count(t, s, "SELECT count(*) FROM tokens")
			if c.ok {
				if err != nil || tok.Description != c.description || after != before+1 {
					t.Fatalf("refused or not stored: %v (%d → %d tokens)", err, before, after)
				}
				return
			}
			var verr *sdk.ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Path != "description" {
				t.Fatalf("want one problem at description, got %v", err)
			}
			if after != before {
				t.Fatalf("a refused token was stored (%d → %d)", before, after)
			}
		})
	}
	// Every problem is named at once.
	_, _, err := s.CreateToken(ctx, "ac me", "root", "a\nb", -1)
	var verr *sdk.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a ValidationError, got %v", err)
	}
	paths := map[string]bool{}
	for _, p := range verr.Problems {
		paths[p.Path] = true
	}
	for _, want := range []string{"tenant", "scope", "description", "expires"} {
		if !paths[want] {
			t.Errorf("%s not named in %+v", want, verr.Problems)
		}
	}
}
