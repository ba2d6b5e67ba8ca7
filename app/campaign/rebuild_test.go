package campaign

import (
	"fmt"
	"testing"
	"time"

	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// TestRebuildStatsInSlices: the rebuild reads records in id slices (here
// 37 ids, so many slices and a ragged last one) and its counts equal the
// records': finished and dialed records only, by outcome, grade, hour and
// answered hour; done contacts counted.
func TestRebuildStatsInSlices(t *testing.T) {
	defer func(old uint64) { rebuildSlice = old }(rebuildSlice)
	rebuildSlice = 37
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{})
		ctx, _ := newTenant(t, db, "rebuild")
		l := &store.ContactList{Name: "l", State: store.ListReady, Columns: "[]"}
		db.With(ctx).Create(l)
		c := &store.Campaign{Name: "c", ListID: l.ID, State: store.CampaignRunning, MaxConcurrent: 1, Rules: "{}"}
		db.With(ctx).Create(c)
		// Another campaign's records are not counted.
		other := &store.Campaign{Name: "o", ListID: l.ID, State: store.CampaignRunning, MaxConcurrent: 1, Rules: "{}"}
		db.With(ctx).Create(other)
		outcomes := []string{"answered", "busy", "no_answer", "answered", "powered_off"}
		grades := []string{"A", "", "C", "B", ""}
		base := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
		want := Stats{Outcomes: map[string]int64{}, Grades: map[string]int64{}}
		hours := map[string][2]int64{}
		var done int64
		for i := 0; i < 500; i++ {
			camp, state, notDialed := c.ID, store.AttemptFinished, false
			switch {
			case i%50 == 7:
				camp = other.ID
			case i%41 == 3:
				state = store.AttemptDialing
			case i%43 == 5:
				notDialed = true
			}
			at := base.Add(time.Duration(i%7) * time.Hour)
			a := store.CallAttempt{UUID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), CampaignID: camp, ContactID: uint64(i + 1), AttemptNo: 1,
				Phone: fmt.Sprintf("+86139%08d", i), State: state, Outcome: outcomes[i%5], Grade: grades[i%5], QueuedAt: at, NotDialed: notDialed, Timeline: "{}", Vars: "{}"}
			if err := db.With(ctx).Create(&a).Error; err != nil {
				t.Fatal(err)
			}
			cc := store.CampaignContact{CampaignID: camp, ContactID: uint64(i + 1), Phone: a.Phone, State: store.CCDone, NextAt: at}
			if i%3 == 0 {
				cc.State = store.CCPending
			}
			if err := db.With(ctx).Create(&cc).Error; err != nil {
				t.Fatal(err)
			}
			if camp == c.ID && cc.State == store.CCDone {
				done++
			}
			if camp != c.ID || state != store.AttemptFinished || notDialed {
				continue
			}
			want.Calls++
			want.Outcomes[a.Outcome]++
			if a.Grade != "" {
				want.Grades[a.Grade]++
			}
			h := hours[at.Format(hourKey)]
			h[0]++
			if a.Outcome == "answered" {
				h[1]++
			}
			hours[at.Format(hourKey)] = h
		}
		if err := s.RebuildStats(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		st, err := s.CampaignStats(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Calls != want.Calls || fmt.Sprint(st.Outcomes) != fmt.Sprint(want.Outcomes) || fmt.Sprint(st.Grades) != fmt.Sprint(want.Grades) {
			t.Fatalf("stats calls %d outcomes %v grades %v, want %d %v %v", st.Calls, st.Outcomes, st.Grades, want.Calls, want.Outcomes, want.Grades)
		}
		if len(st.ByHour) != len(hours) {
			t.Fatalf("%d hours, want %d", len(st.ByHour), len(hours))
		}
		for _, h := range st.ByHour {
			w := hours[h.Hour[:len(hourKey)]]
			if h.Calls != w[0] || h.Answered != w[1] {
				t.Errorf("hour %s: %d calls %d answered, want %d %d", h.Hour, h.Calls, h.Answered, w[0], w[1])
			}
		}
		var got store.Campaign
		db.With(ctx).First(&got, c.ID)
		if got.ContactsDone != done {
			t.Errorf("contacts_done %d, want %d", got.ContactsDone, done)
		}
	})
}
