package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// StoredLayout is a saved layout as the store keeps it: the columns it
// looks up or changes, and the API's JSON body.
type StoredLayout struct {
	Tenant, ID       string
	OwnerKind, Owner string
	Default          bool
	Version          int64
	UpdatedAt        time.Time
	Body             []byte
}

// ErrLayoutNotFound: no layout with that id for the tenant.
var ErrLayoutNotFound = errors.New("no such layout")

// ErrTooManyLayouts: a new layout past the tenant's limit.
var ErrTooManyLayouts = errors.New("too many layouts")

// LayoutConflictError is a write naming a version the layout no longer
// has (Current is 0 when it no longer exists).
type LayoutConflictError struct {
	ID            string
	Read, Current int64
}

func (e *LayoutConflictError) Error() string {
	if e.Read == 0 {
		return fmt.Sprintf("layout %q already exists (version %d): read it, then write that version", e.ID, e.Current)
	}
	return fmt.Sprintf("layout %q is at version %d, not %d: it changed since it was read", e.ID, e.Current, e.Read)
}

const layoutColumns = `tenant, id, owner_kind, owner, is_default, version, updated_at, body`

func scanLayout(row interface{ Scan(...any) error }) (StoredLayout, error) {
	var l StoredLayout
	var updated int64
	err := row.Scan(&l.Tenant, &l.ID, &l.OwnerKind, &l.Owner, &l.Default, &l.Version, &updated, &l.Body)
	l.UpdatedAt = time.UnixMilli(updated).UTC()
	return l, err
}

// Layouts lists a tenant's layouts by id.
func (s *Store) Layouts(ctx context.Context, tenant string) ([]StoredLayout, error) {
	return s.queryLayouts(ctx, `SELECT `+layoutColumns+` FROM layouts WHERE tenant = ? ORDER BY id`, tenant)
}

func (s *Store) queryLayouts(ctx context.Context, query string, args ...any) ([]StoredLayout, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StoredLayout{}
	for rows.Next() {
		l, err := scanLayout(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// AllLayouts lists every tenant's layouts, by tenant and id.
func (s *Store) AllLayouts(ctx context.Context) ([]StoredLayout, error) {
	return s.queryLayouts(ctx, `SELECT `+layoutColumns+` FROM layouts ORDER BY tenant, id`)
}

// Layout reads one of a tenant's layouts.
func (s *Store) Layout(ctx context.Context, tenant, id string) (StoredLayout, error) {
	l, err := scanLayout(s.read.QueryRowContext(ctx, `SELECT `+layoutColumns+` FROM layouts WHERE tenant = ? AND id = ?`, tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return StoredLayout{}, ErrLayoutNotFound
	}
	return l, err
}

// currentVersion is a layout's version in tx, 0 when there is none.
func currentVersion(ctx context.Context, tx *sql.Tx, tenant, id string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `SELECT version FROM layouts WHERE tenant = ? AND id = ?`, tenant, id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

// PutLayout creates (read 0) or replaces (read = the version read) a
// layout and returns it as stored, at version read+1. A default layout
// stops being the default of the owner's others (their versions move on
// too). A version that does not match gives *LayoutConflictError.
//
// A tenant holds at most maxPerTenant layouts (ErrTooManyLayouts); a
// version above 0 for a layout that does not exist is ErrLayoutNotFound.
func (s *Store) PutLayout(ctx context.Context, l StoredLayout, read int64, maxPerTenant int) (StoredLayout, error) {
	l.Version = read + 1
	l.UpdatedAt = s.opts.Now().UTC().Truncate(time.Millisecond)
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		current, err := currentVersion(ctx, tx, l.Tenant, l.ID)
		switch {
		case err != nil:
			return err
		case current == 0 && read > 0:
			return ErrLayoutNotFound
		case current != read:
			return &LayoutConflictError{ID: l.ID, Read: read, Current: current}
		case current == 0:
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM layouts WHERE tenant = ?`, l.Tenant).Scan(&n); err != nil {
				return err
			}
			if n >= maxPerTenant {
				return ErrTooManyLayouts
			}
		}
		if l.Default {
			if _, err := tx.ExecContext(ctx, `UPDATE layouts SET is_default = 0, version = version + 1
				WHERE tenant = ? AND owner_kind = ? AND owner = ? AND id <> ? AND is_default = 1`,
				l.Tenant, l.OwnerKind, l.Owner, l.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO layouts (`+layoutColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, id) DO UPDATE SET owner_kind = excluded.owner_kind, owner = excluded.owner,
			  is_default = excluded.is_default, version = excluded.version, updated_at = excluded.updated_at, body = excluded.body`,
			l.Tenant, l.ID, l.OwnerKind, l.Owner, l.Default, l.Version, l.UpdatedAt.UnixMilli(), string(l.Body))
		return err
	})
	if err != nil {
		return StoredLayout{}, err
	}
	return l, nil
}

// DeleteLayout deletes a layout at the version read.
func (s *Store) DeleteLayout(ctx context.Context, tenant, id string, read int64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		current, err := currentVersion(ctx, tx, tenant, id)
		switch {
		case err != nil:
			return err
		case current == 0:
			return ErrLayoutNotFound
		case current != read:
			return &LayoutConflictError{ID: id, Read: read, Current: current}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM layouts WHERE tenant = ? AND id = ?`, tenant, id)
		return err
	})
}

// LayoutSyncVersion is the Grafana version of a layout's dashboard as it
// was last pushed to target; ok is false when it never was.
func (s *Store) LayoutSyncVersion(ctx context.Context, tenant, id, target string) (version int64, ok bool, err error) {
	err = s.read.QueryRowContext(ctx, `SELECT version FROM layout_syncs WHERE tenant = ? AND id = ? AND target = ?`,
		tenant, id, target).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return version, err == nil, err
}

// SetLayoutSyncVersion records the Grafana version a push of a layout's
// dashboard to target made.
func (s *Store) SetLayoutSyncVersion(ctx context.Context, tenant, id, target string, version int64) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO layout_syncs (tenant, id, target, version) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, id, target) DO UPDATE SET version = excluded.version`, tenant, id, target, version)
		return err
	})
}

// LayoutSyncVersions are the layouts of a tenant pushed to target, by id,
// with the version each push made (deleted layouts included, until
// ForgetLayoutSync).
func (s *Store) LayoutSyncVersions(ctx context.Context, tenant, target string) (map[string]int64, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, version FROM layout_syncs WHERE tenant = ? AND target = ?`, tenant, target)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var v int64
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, rows.Err()
}

// ForgetLayoutSync drops what was pushed of a layout to target.
func (s *Store) ForgetLayoutSync(ctx context.Context, tenant, id, target string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM layout_syncs WHERE tenant = ? AND id = ? AND target = ?`, tenant, id, target)
		return err
	})
}
