package table

import (
	"testing"

	"github.com/gapmap/gapmap/planning/access"
)

// TestSigner checks the 填报单位 and 填报人 of a principal: the organisation
// of its grant highest from the county down, first such grant on a tie.
func TestSigner(t *testing.T) {
	grant := func(k access.Kind, name string) access.Grant {
		return access.Grant{Org: access.Org{Kind: k, Name: name}}
	}
	cases := []struct {
		name     string
		pr       access.Principal
		unit, by string
	}{
		{"village and county", access.Principal{Name: "李四", Grants: []access.Grant{grant(access.Village, "尖山社区"), grant(access.County, "临湘市扶贫开发领导小组"),
			grant(access.County, "临湘市乡村振兴局")}}, "临湘市扶贫开发领导小组", "李四"},
		{"township and bureau", access.Principal{Name: "王五", Grants: []access.Grant{grant(access.Township, "詹桥镇"), grant(access.Bureau, "临湘市交通运输局")}},
			"临湘市交通运输局", "王五"},
		{"CLI", access.CLI("root"), "", "root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			unit, by := signer(tc.pr)
			if unit != tc.unit || by != tc.by {
				t.Errorf("signer = %q, %q; want %q, %q", unit, by, tc.unit, tc.by)
			}
		})
	}
}
