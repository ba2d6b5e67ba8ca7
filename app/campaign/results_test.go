package campaign

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// TestSignStandardWebhooks checks the signature against the Standard
// Webhooks specification's example.
func TestSignStandardWebhooks(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign = %q, %v", got, err)
	}
}

func TestExportNeutralizesFormulas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db, Options{})
		ctx, _ := newTenant(t, db, "acme")
		l := readyList(t, s, ctx, 3)
		c, err := s.CreateCampaign(ctx, CampaignInput{Name: "x", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx)})
		if err != nil {
			t.Fatal(err)
		}
		var contacts []store.Contact
		db.With(ctx).Where("list_id = ?", l.ID).Order("id").Find(&contacts)
		evil := `=HYPERLINK("http://evil","x")`
		for i, ct := range contacts {
			a := &store.CallAttempt{UUID: strings.Repeat("0", 35) + string(rune('a'+i)), CampaignID: c.ID, ContactID: ct.ID, AttemptNo: 1,
				Phone: ct.Phone, State: store.AttemptFinished, Outcome: callctl.OutcomeAnswered, Tags: evil, QueuedAt: time.Now().UTC(), Grade: "A"}
			if err := db.With(ctx).Create(a).Error; err != nil {
				t.Fatal(err)
			}
		}
		var out bytes.Buffer
		if err := s.Export(ctx, ResultFilter{CampaignID: c.ID}, "csv", &out); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\xEF\xBB\xBF")))).ReadAll()
		if err != nil || len(recs) != 4 {
			t.Fatalf("csv %d rows %v", len(recs), err)
		}
		for _, r := range recs[1:] {
			if r[10] != "'"+evil {
				t.Fatalf("tags cell %q not neutralized", r[10])
			}
		}
		out.Reset()
		if err := s.Export(ctx, ResultFilter{CampaignID: c.ID, Grade: "A"}, "xlsx", &out); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&out)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows("Sheet1")
		formula, _ := x.GetCellFormula("Sheet1", "K2")
		if len(rows) != 4 || formula != "" || rows[1][10] != "'"+evil {
			t.Fatalf("xlsx rows %d, formula %q, cell %q", len(rows), formula, rows[1][10])
		}
		for _, f := range []ResultFilter{{CampaignID: c.ID}, {CampaignID: c.ID, Outcome: callctl.OutcomeAnswered, Grade: "A"}, {Phone: "1390000000"}} {
			rows, next, err := s.Results(ctx, f, store.Page{Limit: 2})
			if err != nil || len(rows) != 2 || next == 0 {
				t.Fatalf("results %+v: %d rows, next %d, %v", f, len(rows), next, err)
			}
			rest, next2, err := s.Results(ctx, f, store.Page{Limit: 2, BeforeID: next})
			if err != nil || len(rest) != 1 || next2 != 0 || rest[0].ID >= rows[1].ID {
				t.Fatalf("second page %+v: %d rows, next %d, %v", f, len(rest), next2, err)
			}
		}
		if err := s.RebuildStats(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		st, err := s.CampaignStats(ctx, c.ID)
		if err != nil || st.Calls != 3 || st.Grades["A"] != 3 || len(st.ByHour) != 1 {
			t.Fatalf("stats %+v %v", st, err)
		}
	})
}

// TestTickRespectsLimits runs scheduler passes with calls that never end
// and checks the attempts created stop at the tightest limit: the
// campaign's cap, the tenant's lines (shared by priority), the trunk's
// concurrency and CPS.
func TestTickRespectsLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		pctx := store.AsPlatform(context.Background())
		hold := dialerFunc(func(context.Context, *store.CallAttempt) error { return nil })
		s := newService(t, db, Options{Dialer: hold, IgnoreWindows: true})
		ctx, tn := newTenant(t, db, "acme")
		db.With(pctx).Model(&store.Tenant{}).Where("id = ?", tn.ID).Update("line_quota", 7)
		l := readyList(t, s, ctx, 40)
		hi, _ := s.CreateCampaign(ctx, CampaignInput{Name: "hi", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx), MaxConcurrent: 5, Priority: 9})
		lo, _ := s.CreateCampaign(ctx, CampaignInput{Name: "lo", ListID: l.ID, ScriptVersionID: scriptVersion(t, s, ctx), MaxConcurrent: 5, Priority: 1})
		for _, c := range []*store.Campaign{hi, lo} {
			if _, err := s.Act(ctx, c.ID, ActionStart, ""); err != nil {
				t.Fatal(err)
			}
		}
		count := func(id uint64) int64 {
			var n int64
			db.With(pctx).Model(&store.CallAttempt{}).Where("campaign_id = ?", id).Count(&n)
			return n
		}
		for i := 0; i < 3; i++ {
			if err := s.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		// 7 lines: the high-priority campaign takes its 5, the other gets the 2 left.
		if count(hi.ID) != 5 || count(lo.ID) != 2 {
			t.Fatalf("hi %d lo %d, want 5 and 2", count(hi.ID), count(lo.ID))
		}
		// A trunk with 3 CPS and room for 10 calls limits another tenant's
		// campaign (on the same numbers: the two called twice today by the
		// first tenant are held back by the platform-wide daily cap).
		ctx2, tn2 := newTenant(t, db, "beta")
		tr := &store.Trunk{Name: "t1", Host: "sip.example", MaxConcurrent: 10, MaxCPS: 3, Enabled: true}
		if err := db.With(pctx).Create(tr).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.With(pctx).Create(&store.TrunkAssignment{TenantID: tn2.ID, TrunkID: tr.ID}).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.With(pctx).Create(&store.CallerIDNumber{TrunkID: tr.ID, TenantID: tn2.ID, Number: "+861088880000", AreaCode: "10", Enabled: true}).Error; err != nil {
			t.Fatal(err)
		}
		l2 := readyList(t, s, ctx2, 40)
		c2, _ := s.CreateCampaign(ctx2, CampaignInput{Name: "t", ListID: l2.ID, ScriptVersionID: scriptVersion(t, s, ctx2), MaxConcurrent: 50})
		if _, err := s.Act(ctx2, c2.ID, ActionStart, ""); err != nil {
			t.Fatal(err)
		}
		var per []int64
		for i := 0; i < 5; i++ {
			before := count(c2.ID)
			if err := s.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
			per = append(per, count(c2.ID)-before)
		}
		if per[0] != 3 || count(c2.ID) != 10 {
			t.Fatalf("per pass %v, total %d; want 3 per pass up to the trunk's 10", per, count(c2.ID))
		}
		var capped int64
		db.With(pctx).Model(&store.CallAttempt{}).Where("campaign_id = ? AND phone IN ?", c2.ID, []string{"+8613900000000", "+8613900000001"}).Count(&capped)
		if capped != 0 {
			t.Fatalf("%d calls over the platform-wide daily cap", capped)
		}
		var a store.CallAttempt
		db.With(ctx2).Where("campaign_id = ?", c2.ID).First(&a)
		if a.TrunkID != tr.ID || a.CallerID != "+861088880000" {
			t.Fatalf("attempt trunk %d caller %q", a.TrunkID, a.CallerID)
		}
	})
}

type dialerFunc func(context.Context, *store.CallAttempt) error

func (f dialerFunc) Dial(ctx context.Context, a *store.CallAttempt) error { return f(ctx, a) }
