package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

type tokensCmd struct {
	config      configFlags
	tenant      string
	scope       string
	description string
	expires     time.Duration
	id          string
}

func registerTokens(app *kingpin.Application) *tokensCmd {
	c := &tokensCmd{}
	tokens := app.Command("tokens", "Manage API tokens (tenant-scoped; only a hash is stored).")
	create := tokens.Command("create", "Create a token and print it once.")
	c.config.register(create)
	create.Flag("tenant", "Tenant the token may read or write.").Required().StringVar(&c.tenant)
	create.Flag("scope", "read (query), ingest (read + push events) or admin.").Default(store.ScopeRead).EnumVar(&c.scope, store.ScopeRead, store.ScopeIngest, store.ScopeAdmin)
	create.Flag("description", "Who or what uses the token (e.g. grafana).").StringVar(&c.description)
	create.Flag("expires", "Lifetime, e.g. 720h; 0 never expires.").Default("0").DurationVar(&c.expires)
	list := tokens.Command("list", "List tokens (never their secrets).")
	c.config.register(list)
	revoke := tokens.Command("revoke", "Revoke a token by id.")
	c.config.register(revoke)
	revoke.Arg("id", "Token id, from tokens list.").Required().StringVar(&c.id)
	return c
}

func (c *tokensCmd) create() error {
	return c.config.withStore(true, func(ctx context.Context, st *store.Store) error {
		tok, secret, err := st.CreateToken(ctx, c.tenant, c.scope, c.description, c.expires)
		var invalid *sdk.ValidationError
		if errors.As(err, &invalid) {
			// Named by the flags that set them, not as a batch's problems.
			var problems []string
			for _, p := range invalid.Problems {
				problems = append(problems, "--"+p.Path+": "+p.Message)
			}
			return errors.New("token not created: " + strings.Join(problems, "; "))
		}
		if err != nil {
			return err
		}
		if known, err := st.HasTenant(ctx, c.tenant); err == nil && !known {
			fmt.Fprintf(os.Stderr, "Note: no data of tenant %s is stored yet; check the spelling if you expected some.\n", c.tenant)
		}
		fmt.Fprintf(os.Stderr, "Created %s token %s for tenant %s. It is shown once; store it now:\n", tok.Scope, tok.ID, tok.Tenant)
		fmt.Println(secret)
		return nil
	})
}

func (c *tokensCmd) list() error {
	return c.config.withStore(false, func(ctx context.Context, st *store.Store) error {
		tokens, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTENANT\tSCOPE\tCREATED\tEXPIRES\tDESCRIPTION")
		for _, t := range tokens {
			expires := "never"
			if t.ExpiresAt != nil {
				expires = t.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Tenant, t.Scope, t.CreatedAt.Format(time.RFC3339), expires, t.Description)
		}
		return w.Flush()
	})
}

func (c *tokensCmd) revoke() error {
	return c.config.withStore(false, func(ctx context.Context, st *store.Store) error {
		if err := st.RevokeToken(ctx, c.id); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "Revoked token %s.\n", c.id)
		return nil
	})
}
