package main

import (
	"context"
	"fmt"

	"github.com/gapmap/gapmap/data"
)

// migrate runs `gapmap migrate`: it applies the migrations and says which.
func migrate(ctx context.Context, a app) error {
	applied, err := a.store.Migrate(ctx)
	if err != nil {
		return migrateError(a.store, err)
	}
	fmt.Fprintf(a.stdout, "database %s: %d migration(s) applied, schema at version %v\n", a.store.Target(), len(applied), applied)
	return nil
}

// migrateFirst brings the schema up to date, as every command that reads
// or writes the database does before its work.
func migrateFirst(ctx context.Context, store *data.Store) error {
	if _, err := store.Migrate(ctx); err != nil {
		return migrateError(store, err)
	}
	return nil
}

func migrateError(store *data.Store, err error) error {
	return fmt.Errorf("migrate database %s: %w", store.Target(), err)
}
