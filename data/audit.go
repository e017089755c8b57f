package data

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
	"github.com/gapmap/gapmap/planning/audit"
)

// AuditSQL installs the audit trail (audit.sql): a superuser runs it once
// per database, as scripts/dbsetup.sh does.
//
//go:embed audit.sql
var AuditSQL string

// auditEntry is what a write says about itself; who, when and from where
// come from the context and the database.
type auditEntry struct {
	Action string // e.g. project.update
	Kind   string // the object's kind: project, layer, run, user, county, village
	ID     string // the object's id or code
	Detail any    // marshalled to JSON: before/after of the changed fields, counts, reasons
}

// errNoActor refuses a write without a principal: every write is done by
// someone (an authenticated user, or the CLI's operating-system user).
var errNoActor = planning.Errorf(planning.EUnauthorized, "写入须有操作人：请先登录")

// audit appends e to the audit trail in tx, as the last statement before
// the commit (the chain's head stays locked until the transaction ends),
// so that the write and its entry commit or roll back together.
func (s *Store) audit(ctx context.Context, tx pgx.Tx, e auditEntry) error {
	p, ok := access.From(ctx)
	if !ok || p.Login == "" {
		return errNoActor
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	var actorID *int64
	if p.UserID != 0 {
		actorID = &p.UserID
	}
	actor := p.Login
	if p.Name != "" && p.Name != p.Login {
		actor = p.Login + "（" + p.Name + "）"
	}
	_, err = tx.Exec(ctx, `SELECT gapmap_audit.append(current_schema(), $1, $2, $3, $4, $5, $6, $7, $8)`,
		actorID, actor, p.Via, p.Addr, e.Action, e.Kind, e.ID, detail)
	return err
}

// requireActor fails early, before any work, when ctx carries no principal.
func requireActor(ctx context.Context) error {
	if p, ok := access.From(ctx); !ok || p.Login == "" {
		return errNoActor
	}
	return nil
}

const auditColumns = `n, at, actor_id, actor, via, addr, action, object_kind, object_id, detail, prev_hash, hash, gapmap_audit.canonical(e)`

func scanAudit(r pgx.CollectableRow) (audit.Entry, error) {
	var e audit.Entry
	err := r.Scan(&e.N, &e.At, &e.ActorID, &e.Actor, &e.Via, &e.Addr, &e.Action, &e.ObjectKind, &e.ObjectID, &e.Detail,
		&e.PrevHash, &e.Hash, &e.Canonical)
	return e, err
}

// AuditLog returns the entries of this schema's chain that match f.
func (s *Store) AuditLog(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	q := `SELECT ` + auditColumns + ` FROM gapmap_audit.entries e WHERE chain = current_schema()
		AND ($1 = '' OR object_kind = $1) AND ($2 = '' OR object_id = $2)`
	args := []any{f.Kind, f.ID}
	if f.Limit > 0 {
		q += ` ORDER BY n DESC LIMIT $3`
		args = append(args, f.Limit)
	} else {
		q += ` ORDER BY n`
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "audit log")
	}
	es, err := pgx.CollectRows(rows, scanAudit)
	return es, translate(err, "audit log")
}

// VerifyAudit reads this schema's whole chain and its head and checks them.
func (s *Store) VerifyAudit(ctx context.Context) (audit.Report, error) {
	var chain string
	var headN int64
	var headHash []byte
	var es []audit.Entry
	// One snapshot for the head and the entries, so that a write landing
	// between the two reads is not taken for a deleted entry.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT current_schema(), coalesce(h.n, 0), coalesce(h.hash, '\x')
			FROM (SELECT 1) one LEFT JOIN gapmap_audit.heads h ON h.chain = current_schema()`).Scan(&chain, &headN, &headHash); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+auditColumns+` FROM gapmap_audit.entries e WHERE chain = current_schema() ORDER BY n`)
		if err != nil {
			return err
		}
		es, err = pgx.CollectRows(rows, scanAudit)
		return err
	})
	if err != nil {
		return audit.Report{}, translate(err, "verify audit")
	}
	return audit.Verify(chain, es, headN, headHash), nil
}
