package planning_test

import (
	"testing"

	"github.com/gapmap/gapmap/planning"
)

// TestJobProgressLines: the stages the CLI prints and a job records, with
// counts only where the work counts.
func TestJobProgressLines(t *testing.T) {
	var got []string
	report := func(p planning.JobProgress) { got = append(got, p.String()) }
	judged := planning.ScoreProgress(report)
	judged(100, 161)
	judged(161, 161)
	read := planning.ImportProgress(report)
	read(2000)
	want := []string{"测量村庄指标", "评分 100/161", "评分 161/161", "读取文件", "读取文件 已处理 2000"}
	if len(got) != len(want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
}
