package data_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/tiles"
)

// TestReadReplicaRouting checks where the store sends reads with a read
// replica (the real standby, replay lag and restarts are `make replica`'s):
// before the versions are read the primary serves; then a ReadOnly read
// goes to a replica that has what the versions need (here the primary
// itself named as the replica: not in recovery, it has everything), a read
// without the mark stays on the primary, a read's own error (no such
// village) is answered as such and leaves the replica in use, every read
// of one request goes where its first went (planning.ReadPin), and a
// replica that cannot be reached costs nothing but a read on the primary.
// Each planning.ReadOnly context stands for one request.
func TestReadReplicaRouting(t *testing.T) {
	db := datatest.New(t)
	ctx := datatest.Context()
	if err := db.Store.WithReadReplica(db.URL, 2, 2); err != nil {
		t.Fatal(err)
	}
	// Before the versions are read nothing says what a read needs: the
	// primary serves.
	early := planning.ReadOnly(ctx)
	if _, err := db.Store.Villages(early, planning.VillageFilter{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 0 || off != 1 {
		t.Fatalf("a read before the versions: %d on the replica, %d on the primary instead; want 0 and 1", on, off)
	}
	// The versions read on the primary set the position reads need.
	if _, err := db.Store.Versions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Store.Villages(ctx, planning.VillageFilter{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 0 || off != 1 {
		t.Fatalf("a read without ReadOnly: %d on the replica, %d on the primary instead; want 0 and 1 (not counted)", on, off)
	}
	if _, err := db.Store.Villages(planning.ReadOnly(ctx), planning.VillageFilter{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	layers, _ := tiles.SetLayers("review")
	req := tiles.Request{Layers: tiles.LayersAt(layers, 10), Z: 10, X: 834, Y: 422}
	if _, _, err := db.Store.Tile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 2 || off != 1 {
		t.Fatalf("a ReadOnly read and a tile: %d on the replica, %d on the primary instead; want 2 and 1", on, off)
	}
	ro := planning.ReadOnly(ctx)
	_, err := db.Store.Village(ro, "999999999999")
	if planning.ErrorCode(err) != planning.ENotFound {
		t.Fatalf("an unknown village: %v, want ENotFound", err)
	}
	if _, err := db.Store.Villages(ro, planning.VillageFilter{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 3 || off != 1 {
		t.Fatalf("after a read's own error: %d on the replica, %d on the primary instead; want 3 and 1 (the replica stays in use)", on, off)
	}
	// The request that read before the versions keeps reading the primary
	// now that the replica could serve: its scores' run, its ranking and a
	// village of it meet the server that showed it its first answer.
	if _, err := db.Store.Villages(early, planning.VillageFilter{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 3 || off != 2 {
		t.Fatalf("a request's second read: %d on the replica, %d on the primary instead; want 3 and 2 (pinned to the primary)", on, off)
	}
	// A read route that writes (planning.Writing) reads the primary.
	if _, err := db.Store.Villages(planning.Writing(planning.ReadOnly(ctx)), planning.VillageFilter{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 3 || off != 2 {
		t.Fatalf("a read of a writing request: %d on the replica, %d on the primary instead; want 3 and 2 (not counted)", on, off)
	}
	// The ranking (a run's scores) reads the replica too.
	if _, _, err := db.Store.Gaps(planning.ReadOnly(ctx), planning.GapFilter{RunID: 1, Limit: 10}); err != nil {
		t.Fatal(err)
	}
	if on, off := db.Store.ReplicaReads(); on != 4 || off != 2 {
		t.Fatalf("the ranking: %d on the replica, %d on the primary instead; want 4 and 2", on, off)
	}

	// A replica nobody listens at.
	down := datatest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if err := down.Store.WithReadReplica(strings.Replace(down.URL, hostPort(t, down.URL), addr, 1), 2, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := down.Store.Versions(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := down.Store.Villages(planning.ReadOnly(context.WithoutCancel(ctx)), planning.VillageFilter{Limit: 10}); err != nil {
			t.Fatalf("a read with the replica down: %v", err)
		}
		if _, _, err := down.Store.Tile(ctx, req); err != nil {
			t.Fatalf("a tile with the replica down: %v", err)
		}
	}
	if on, off := down.Store.ReplicaReads(); on != 0 || off != 6 {
		t.Fatalf("replica down: %d on the replica, %d on the primary instead; want 0 and 6", on, off)
	}
}

// hostPort is the host:port of a postgres:// URL.
func hostPort(t *testing.T, u string) string {
	t.Helper()
	rest := u[strings.Index(u, "@")+1:]
	return rest[:strings.Index(rest, "/")]
}
