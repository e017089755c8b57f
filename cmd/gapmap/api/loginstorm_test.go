package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gapmap/gapmap/cmd/gapmap/api"
	"github.com/gapmap/gapmap/data/datatest"
)

// TestLoginStormKeepsAPI: 20 clients logging in again and again, each
// login a real password check, run in their own class (auth, one at
// a time here, one waiting): the rest are refused 503 naming 登录, while
// a client reading the API throughout, with the API class at one slot and one waiting place, is
// answered 200 every time. In the API class the same storm would take
// that slot and queue, and the reads would be refused.
func TestLoginStormKeepsAPI(t *testing.T) {
	db := datatest.NewDemo(t)
	h := newRawRouter(t, db.Store, func(c *api.Config) {
		c.Admission = api.Admission{API: 1, Export: 1, Heavy: 1, QueuePerSlot: 1, QueueWait: 300 * time.Millisecond, Logins: 1}
	})
	account(t, db.Store, "stormer")
	token := allRoles(t, db.Store, "reader")

	// 20 clients log in again and again until one client has read the
	// API 10 times.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	var busyMsg string
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				rec := newBrowser("stormer").logIn(h, testPassword)
				mu.Lock()
				codes[rec.Code]++
				if rec.Code == http.StatusServiceUnavailable {
					busyMsg = errorMessage(rec)
				}
				mu.Unlock()
			}
		}()
	}
	var reads []int
	for range 10 {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/layers", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		reads = append(reads, rec.Code)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("logins: %v; API reads during the storm: %d", codes, len(reads))
	for i, c := range reads {
		if c != http.StatusOK {
			t.Errorf("API read %d of %d during the login storm: %d, want 200", i+1, len(reads), c)
		}
	}
	// Some refused: a login was running all along (how many finish
	// depends on the machine's load).
	if codes[http.StatusServiceUnavailable] == 0 || codes[http.StatusCreated]+codes[http.StatusServiceUnavailable] != sum(codes) {
		t.Errorf("logins answered %v: want 201 or 503 (the auth class full), some 503", codes)
	}
	if codes[http.StatusServiceUnavailable] > 0 && !strings.Contains(busyMsg, "登录") {
		t.Errorf("a refused login says %q, want it to name 登录", busyMsg)
	}
}

func sum(m map[int]int) (n int) {
	for _, v := range m {
		n += v
	}
	return n
}
