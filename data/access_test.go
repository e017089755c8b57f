package data_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/datatest"
	"github.com/gapmap/gapmap/planning"
	"github.com/gapmap/gapmap/planning/access"
)

// grantOf is one role to give a test user.
type grantOf struct {
	kind access.Kind
	code string
	role access.Role
}

// as creates login with the given roles and returns a context whose
// principal is that user as a session would carry it.
func as(t *testing.T, db *datatest.DB, login string, grants ...grantOf) context.Context {
	t.Helper()
	ctx := datatest.Context()
	if _, err := db.Store.CreateUser(ctx, login, login, ""); err != nil {
		t.Fatal(err)
	}
	var u access.User
	for _, g := range grants {
		org, err := db.Store.Org(ctx, access.Default(), g.kind, g.code)
		if err != nil {
			t.Fatal(err)
		}
		if u, err = db.Store.SetGrant(ctx, login, org, g.role, true); err != nil {
			t.Fatal(err)
		}
	}
	return access.WithPrincipal(context.Background(), access.Principal{UserID: u.ID, Login: u.Login, Name: u.Name, Via: "session",
		Grants: u.Grants, Addr: "192.0.2.7"})
}

// aVillage is a 行政村 of the demo county: its code and its township's.
func aVillage(t *testing.T, db *datatest.DB) (village, township string) {
	t.Helper()
	if err := db.Pool.QueryRow(datatest.Context(), `SELECT code, township_code FROM villages WHERE kind = '行政村' ORDER BY code LIMIT 1`).
		Scan(&village, &township); err != nil {
		t.Fatal(err)
	}
	return village, township
}

// libraryProject stores a road project in village that may enter the
// library (it has a cost and a 绩效目标).
func libraryProject(t *testing.T, db *datatest.DB, name, village, township string) int64 {
	t.Helper()
	p, err := db.Store.CreateProject(datatest.Context(), planning.Project{Name: name, Category: planning.CatRoad, Nature: "新建",
		TownshipCode: township, VillageCode: village, CostWan: 80,
		Targets: []planning.Target{{Level1: "产出指标", Level2: "数量指标", Level3: "硬化道路里程", Value: "2 km"}}})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestSeparationOfDuties: the user who declared a project cannot take its
// 县级审定 or 已入库, even holding the approver role; another approver can.
// A rejection back to 村级申报 by a bureau does not make the bureau's
// reviewer the declarer.
func TestSeparationOfDuties(t *testing.T) {
	db := datatest.NewDemo(t)
	village, township := aVillage(t, db)
	county := township[:6]
	declarer := as(t, db, "declarer", grantOf{access.Village, village, access.Editor}, grantOf{access.County, county, access.Approver})
	townshipRev := as(t, db, "township", grantOf{access.Township, township, access.Reviewer})
	bureau := as(t, db, "jt", grantOf{access.Bureau, "交通", access.Reviewer})
	approver := as(t, db, "approver", grantOf{access.County, county, access.Approver})

	move := func(ctx context.Context, id int64, to, reason string) error {
		_, err := db.Store.Transition(ctx, id, to, reason)
		return err
	}
	must := func(ctx context.Context, id int64, to, reason string) {
		t.Helper()
		if err := move(ctx, id, to, reason); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
	}
	refused := func(ctx context.Context, id int64, to string) {
		t.Helper()
		err := move(ctx, id, to, "")
		if planning.ErrorCode(err) != planning.EForbidden || !strings.Contains(planning.ErrorMessage(err), "申报人不能审定") {
			t.Errorf("the declarer takes %s: %v, want 403 (separation of duties)", to, err)
		}
		var status string
		if err := db.Pool.QueryRow(datatest.Context(), `SELECT status FROM projects WHERE id = $1`, id).Scan(&status); err != nil || status == to {
			t.Errorf("a refused move left the project at %s (%v)", status, err)
		}
	}

	id := libraryProject(t, db, "分离职责", village, township)
	must(declarer, id, planning.StateVillage, "")
	must(townshipRev, id, planning.StateTownship, "")
	must(bureau, id, planning.StateReview, "")
	refused(declarer, id, planning.StateApproved)
	must(approver, id, planning.StateApproved, "")
	refused(declarer, id, planning.StateInLibrary)
	must(approver, id, planning.StateInLibrary, "")

	// Sent back by the bureau, reviewed again: still the declarer's.
	id = libraryProject(t, db, "退回后再审", village, township)
	must(declarer, id, planning.StateVillage, "")
	must(townshipRev, id, planning.StateTownship, "")
	must(bureau, id, planning.StateVillage, "缺少路线走向图")
	must(townshipRev, id, planning.StateTownship, "")
	must(bureau, id, planning.StateReview, "")
	refused(declarer, id, planning.StateApproved)
	must(approver, id, planning.StateApproved, "")
	refused(declarer, id, planning.StateInLibrary)

	// The approver role alone, without having declared, approves.
	id = libraryProject(t, db, "他人申报", village, township)
	must(as(t, db, "clerk", grantOf{access.Village, village, access.Editor}), id, planning.StateVillage, "")
	must(townshipRev, id, planning.StateTownship, "")
	must(bureau, id, planning.StateReview, "")
	must(declarer, id, planning.StateApproved, "")
	must(declarer, id, planning.StateInLibrary, "")
}
