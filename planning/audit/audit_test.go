package audit_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/planning/audit"
)

// chain builds n well-linked entries the way the database does:
// hash = sha256(prev ‖ canonical).
func chain(n int) []audit.Entry {
	var es []audit.Entry
	prev := []byte{}
	for i := 1; i <= n; i++ {
		e := audit.Entry{N: int64(i), At: time.Unix(int64(i), 0), Actor: "u", Action: "project.update", ObjectID: fmt.Sprint(i),
			Canonical: fmt.Sprintf(`{"n": %d, "detail": {"x": %d}}`, i, i)}
		e.PrevHash = prev
		sum := sha256.Sum256(append(append([]byte{}, prev...), e.Canonical...))
		e.Hash = sum[:]
		prev = e.Hash
		es = append(es, e)
	}
	return es
}

func head(es []audit.Entry) (int64, []byte) {
	last := es[len(es)-1]
	return last.N, last.Hash
}

func TestVerify(t *testing.T) {
	es := chain(6)
	n, h := head(es)
	if r := audit.Verify("c", es, n, h); !r.OK || r.Entries != 6 || r.Head == "" {
		t.Fatalf("intact chain: %+v", r)
	}
	if r := audit.Verify("c", nil, 0, nil); !r.OK {
		t.Errorf("empty chain: %+v", r)
	}
	cases := map[string]struct {
		edit func([]audit.Entry) []audit.Entry
		want string
	}{
		"edited detail": {func(es []audit.Entry) []audit.Entry {
			es[2].Canonical = strings.Replace(es[2].Canonical, `"x": 3`, `"x": 4`, 1)
			return es
		}, "第 3 条"},
		"deleted middle": {func(es []audit.Entry) []audit.Entry { return append(es[:3:3], es[4:]...) }, "第 5 条之前缺少 1 条"},
		"deleted last":   {func(es []audit.Entry) []audit.Entry { return es[:5] }, "链头登记为第 6 条"},
		"swapped": {func(es []audit.Entry) []audit.Entry {
			es[1], es[2] = es[2], es[1]
			return es
		}, "顺序"},
		"rehashed after an edit": {func(es []audit.Entry) []audit.Entry {
			es[2].Canonical += " "
			sum := sha256.Sum256(append(append([]byte{}, es[2].PrevHash...), es[2].Canonical...))
			es[2].Hash = sum[:]
			return es
		}, "第 4 条的前序哈希"},
	}
	for name, c := range cases {
		es := c.edit(chain(6))
		r := audit.Verify("c", es, n, h)
		if r.OK || !strings.Contains(strings.Join(r.Problems, "；"), c.want) {
			t.Errorf("%s: %+v, want a problem naming %q", name, r.Problems, c.want)
		}
	}
}
