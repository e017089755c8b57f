// Package audit checks gapmap's audit trail: an append-only log in which
// each entry's hash covers its own fields and the hash before it, so that
// an edited, deleted, inserted or reordered entry breaks the chain. The log
// is written by the database (data/audit.sql); Verify recomputes it here,
// independently of the SQL that wrote it.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Entry is one write as the log holds it.
type Entry struct {
	N          int64           `json:"n"` // position in the chain, from 1
	At         time.Time       `json:"at"`
	ActorID    *int64          `json:"actor_id,omitempty"`
	Actor      string          `json:"actor"`
	Via        string          `json:"via"`
	Addr       string          `json:"addr,omitempty"`
	Action     string          `json:"action"`
	ObjectKind string          `json:"object_kind"`
	ObjectID   string          `json:"object_id"`
	Detail     json.RawMessage `json:"detail"`
	PrevHash   []byte          `json:"-"`
	Hash       []byte          `json:"hash"`
	// Canonical is the text the hash covers, as the database renders the
	// stored fields (gapmap_audit.canonical).
	Canonical string `json:"-"`
}

// Filter selects entries of the log; zero fields select all.
type Filter struct {
	Kind  string // object kind
	ID    string // object id
	Limit int    // newest first when set; 0: the whole chain in order
}

// Store reads the log of the schema it is connected to.
type Store interface {
	AuditLog(ctx context.Context, f Filter) ([]Entry, error)
	// VerifyAudit reads the whole chain and its head in one snapshot and
	// checks them with Verify.
	VerifyAudit(ctx context.Context) (Report, error)
}

// Report is the outcome of Verify.
type Report struct {
	Chain    string   `json:"chain"`
	Entries  int      `json:"entries"`
	Head     string   `json:"head"` // the last hash, hex: note it to detect a rewritten chain later
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"` // in Chinese, one per broken link
}

// Verify checks entries (in stored order) against each other and against
// the chain's head (its last n and hash, kept apart by the database).
func Verify(chain string, entries []Entry, headN int64, headHash []byte) Report {
	r := Report{Chain: chain, Entries: len(entries)}
	bad := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	prev := []byte{}
	last := int64(0)
	for _, e := range entries {
		// Numbers follow the entry before, not the position: a gap is
		// reported once, not again at every entry after it.
		switch want := last + 1; {
		case e.N > want:
			bad("第 %d 条之前缺少 %d 条记录（被删除）", e.N, e.N-want)
		case e.N < want:
			bad("第 %d 条出现在第 %d 条之后（顺序被调换或重复）", e.N, last)
		}
		last = e.N
		if !bytes.Equal(e.PrevHash, prev) {
			bad("第 %d 条的前序哈希与上一条不符（记录被删除、插入或调换）", e.N)
		}
		sum := sha256.Sum256(append(append([]byte{}, e.PrevHash...), e.Canonical...))
		if !bytes.Equal(sum[:], e.Hash) {
			bad("第 %d 条（%s %s %s，%s）的内容与哈希不符（记录被修改）", e.N, e.At.Format(time.DateTime), e.Actor, e.Action, e.ObjectID)
		}
		prev = e.Hash
	}
	if last != headN || !bytes.Equal(prev, headHash) && headN > 0 {
		bad("链尾记录为第 %d 条，但链头登记为第 %d 条（最新记录被删除或链头被改）", last, headN)
	}
	r.Head = hex.EncodeToString(prev)
	r.OK = len(r.Problems) == 0
	return r
}
