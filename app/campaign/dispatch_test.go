package campaign

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/apperr"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/jobs/jobstest"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
)

// recordingDialer stands in for call control: it counts dials per attempt
// UUID (the simulator's count in the kill test) and finishes each call
// shortly after, through AttemptFinished, in the same transaction as the
// attempt's final state.
type recordingDialer struct {
	db  *store.DB
	svc atomic.Pointer[Service]

	mu       sync.Mutex
	dials    map[string]int
	inFlight int
	maxIn    int
	wg       sync.WaitGroup
	// outcome decides a call's result from the attempt.
	outcome func(a *store.CallAttempt) (outcome, tags string)
}

func newRecordingDialer(db *store.DB) *recordingDialer {
	return &recordingDialer{db: db, dials: map[string]int{}, outcome: func(*store.CallAttempt) (string, string) { return callctl.OutcomeAnswered, "" }}
}

func (d *recordingDialer) Dial(ctx context.Context, a *store.CallAttempt) error {
	if a.State != store.AttemptDialing || a.DialedAt == nil {
		return fmt.Errorf("dial of an attempt in state %s", a.State)
	}
	d.mu.Lock()
	d.dials[a.UUID]++
	d.inFlight++
	d.maxIn = max(d.maxIn, d.inFlight)
	d.mu.Unlock()
	cp := *a
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		time.Sleep(20 * time.Millisecond)
		d.finish(&cp)
	}()
	return nil
}

func (d *recordingDialer) finish(a *store.CallAttempt) {
	outcome, tags := d.outcome(a)
	ctx := store.WithTenant(context.Background(), a.TenantID)
	err := d.db.Tx(ctx, func(tx *gorm.DB) error {
		now := time.Now().UTC()
		talk := 0
		if outcome == callctl.OutcomeAnswered {
			talk = 30
		}
		res := tx.Model(&store.CallAttempt{}).Where("id = ? AND state <> ?", a.ID, store.AttemptFinished).
			Updates(map[string]any{"state": store.AttemptFinished, "outcome": outcome, "tags": tags, "talk_sec": talk, "ended_at": now, "grade": "B"})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		a.State, a.Outcome, a.Tags, a.TalkSec, a.Grade = store.AttemptFinished, outcome, tags, talk, "B"
		return d.svc.Load().AttemptFinished(ctx, tx, a)
	})
	d.mu.Lock()
	d.inFlight--
	d.mu.Unlock()
	if err != nil {
		panic(fmt.Sprintf("finish call: %v", err))
	}
}

// Reconcile plays call control's reconciliation: an attempt the switch
// never saw is released; one it saw is finished.
func (d *recordingDialer) Reconcile(ctx context.Context, a *store.CallAttempt) error {
	d.mu.Lock()
	n := d.dials[a.UUID]
	d.mu.Unlock()
	if n == 0 {
		return d.svc.Load().ReleaseNotDialed(ctx, a, "no trace on the switch")
	}
	return nil // its call is still running and will finish
}

func (d *recordingDialer) maxDials() (string, int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	worst, n := "", 0
	for u, c := range d.dials {
		if c > n {
			worst, n = u, c
		}
	}
	return worst, n, len(d.dials)
}

// readyList makes a ready list of n mobiles.
// scriptVersion stores a published script version for the context's
// tenant (the dialogue's table; campaigns pin a version that exists).
var scriptVersions atomic.Int32

func scriptVersion(t testing.TB, s *Service, ctx context.Context) uint64 {
	t.Helper()
	v := &store.ScriptVersion{ScriptID: 1, Version: int(scriptVersions.Add(1)), Body: "{}", Checksum: "test"}
	if err := s.db.With(ctx).Create(v).Error; err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func readyList(t testing.TB, s *Service, ctx context.Context, n int) *store.ContactList {
	t.Helper()
	l := &store.ContactList{Name: "list", State: store.ListReady, Columns: "[]"}
	if err := s.db.With(ctx).Create(l).Error; err != nil {
		t.Fatal(err)
	}
	in := make([]ContactInput, n)
	for i := range in {
		in[i] = ContactInput{Phone: fmt.Sprintf("1390000%04d", i), Name: fmt.Sprintf("c%d", i), Vars: map[string]string{"no": fmt.Sprint(i)}}
	}
	if res, _, err := s.AddContacts(ctx, l.ID, in); err != nil || res.Added != n {
		t.Fatalf("add contacts: %+v %v", res, err)
	}
	return l
}

func redisClient(t testing.TB, dbNum int) redis.UniversalClient {
	c := redis.NewClient(&redis.Options{Addr: jobstest.Addr(), DB: dbNum})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type world struct {
	t      *testing.T
	db     *store.DB
	redis  string
	svc    *Service
	runner *jobs.Runner
}

func (w *world) start(opt Options) {
	w.t.Helper()
	opt.Redis = redisClient(w.t, 2)
	w.svc = newService(w.t, w.db, opt)
	r, err := jobs.New(w.db, jobs.Options{Redis: w.redis, Concurrency: 8, RelayEvery: 200 * time.Millisecond, RequeueAfter: 5 * time.Second, Log: storetest.Logger()})
	if err != nil {
		w.t.Fatal(err)
	}
	w.svc.RegisterJobs(r)
	if err := r.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.runner = r
}

func (w *world) stop() {
	if w.runner != nil {
		w.runner.Close()
		w.runner = nil
	}
}

func waitState(t *testing.T, s *Service, ctx context.Context, id uint64, want string, limit time.Duration) *store.Campaign {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		c, err := s.GetCampaign(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.State == want {
			return c
		}
		if time.Now().After(deadline) {
			st, _ := s.CampaignStats(ctx, id)
			t.Fatalf("campaign %d is %s (%s), want %s; stats %+v", id, c.State, c.PauseReason, want, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fastRules() *Rules {
	r := DefaultRules()
	r.Retries = []RetryRule{{Outcome: callctl.OutcomeBusy, IntervalMin: 1, MaxAttempts: 2}}
	r.CallbackMin = 1
	return &r
}

// checkLedger asserts the invariants of durable dispatch: every attempt
// dialed at most once, every attempt finished with one outcome, every
// contact done (or skipped) and none lost.
func checkLedger(t *testing.T, db *store.DB, ctx context.Context, d *recordingDialer, campaignID uint64, contacts int) {
	t.Helper()
	if u, n, _ := d.maxDials(); n > 1 {
		t.Fatalf("attempt %s was dialed %d times", u, n)
	}
	var attempts []store.CallAttempt
	db.With(ctx).Where("campaign_id = ?", campaignID).Find(&attempts)
	dialedFinished := 0
	for _, a := range attempts {
		if a.State != store.AttemptFinished || a.Outcome == "" {
			t.Fatalf("attempt %s ended %s/%q", a.UUID, a.State, a.Outcome)
		}
		d.mu.Lock()
		n := d.dials[a.UUID]
		d.mu.Unlock()
		if a.NotDialed && n != 0 {
			t.Fatalf("attempt %s marked not dialed was dialed", a.UUID)
		}
		if !a.NotDialed {
			dialedFinished++
		}
	}
	var ccs []store.CampaignContact
	db.With(ctx).Where("campaign_id = ?", campaignID).Find(&ccs)
	if len(ccs) != contacts {
		t.Fatalf("%d campaign contacts, want %d", len(ccs), contacts)
	}
	for _, cc := range ccs {
		if cc.State != store.CCDone && cc.State != store.CCSkipped {
			t.Fatalf("contact %d left %s", cc.ContactID, cc.State)
		}
	}
	_, _, distinct := d.maxDials()
	if distinct != dialedFinished {
		t.Fatalf("%d attempts dialed, %d finished as dialed", distinct, dialedFinished)
	}
	t.Logf("contacts %d, attempts %d, dialed %d (each once), not dialed %d", len(ccs), len(attempts), distinct, len(attempts)-dialedFinished)
}

func TestDispatchRunsCampaign(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := &world{t: t, db: db, redis: jobstest.URL(t, 2)}
		d := newRecordingDialer(db)
		clock := &atomic.Int64{}
		now := func() time.Time { return time.Now().UTC().Add(time.Duration(clock.Load())) }
		var hooks atomic.Int32
		wh := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Header.Get("webhook-id") == "" || !strings.HasPrefix(r.Header.Get("webhook-signature"), "v1,") {
				rw.WriteHeader(400)
				return
			}
			hooks.Add(1)
		}))
		defer wh.Close()
		w.start(Options{Dialer: d, Reconciler: d, IgnoreWindows: true, Now: now, StuckAfter: time.Second, ReconcileEvery: time.Second})
		defer w.stop()
		d.svc.Store(w.svc)
		ctx, _ := newTenant(t, db, "acme")
		if _, err := w.svc.CreateWebhook(ctx, WebhookInput{URL: wh.URL, Events: []string{EventCampaignState}}); err != nil {
			t.Fatal(err)
		}
		l := readyList(t, w.svc, ctx, 30)
		d.outcome = func(a *store.CallAttempt) (string, string) {
			switch {
			case strings.HasSuffix(a.Phone, "0007") && a.AttemptNo == 1:
				return callctl.OutcomeBusy, ""
			case strings.HasSuffix(a.Phone, "0005"):
				return callctl.OutcomeAnswered, `["opt_out"]`
			case strings.HasSuffix(a.Phone, "0006") && a.AttemptNo == 1:
				return callctl.OutcomeAnswered, `["call_later"]`
			}
			return callctl.OutcomeAnswered, ""
		}
		c, err := w.svc.CreateCampaign(ctx, CampaignInput{Name: "c1", ListID: l.ID, ScriptVersionID: scriptVersion(t, w.svc, ctx), MaxConcurrent: 3, Rules: fastRules()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Act(ctx, c.ID, ActionStart, ""); err != nil {
			t.Fatal(err)
		}
		// Retries and the callback are due a minute later: move the clock.
		deadline := time.Now().Add(60 * time.Second)
		for {
			st, _ := w.svc.CampaignStats(ctx, c.ID)
			if st.State == store.CampaignCompleted {
				break
			}
			if st.InFlight == 0 && st.Pending > 0 {
				clock.Add(int64(2 * time.Minute))
			}
			if time.Now().After(deadline) {
				var as []store.CallAttempt
				db.With(ctx).Find(&as)
				var ts []store.OutboxTask
				db.With(store.AsPlatform(ctx)).Find(&ts)
				for _, a := range as {
					t.Logf("attempt %s %s %q", a.UUID, a.State, a.Error)
				}
				for _, x := range ts {
					t.Logf("task %s %s %s %d %q", x.Kind, x.Key, x.Status, x.Attempts, x.LastError)
				}
				t.Fatalf("campaign did not complete: %+v", st)
			}
			time.Sleep(100 * time.Millisecond)
		}
		d.wg.Wait()
		checkLedger(t, db, ctx, d, c.ID, 30)
		if d.maxIn > 3 {
			t.Fatalf("%d calls at once, campaign cap 3", d.maxIn)
		}
		var dnc int64
		db.With(ctx).Model(&store.DNCEntry{}).Where("phone = ? AND reason = ?", "+8613900000005", DNCOptOut).Count(&dnc)
		if dnc != 1 {
			t.Fatal("opt_out did not add the number to the do-not-call list")
		}
		var n7, n6 int64
		db.With(ctx).Model(&store.CallAttempt{}).Where("phone = ?", "+8613900000007").Count(&n7)
		db.With(ctx).Model(&store.CallAttempt{}).Where("phone = ?", "+8613900000006").Count(&n6)
		if n7 != 2 || n6 != 2 {
			t.Fatalf("busy retried %d times, callback %d, want 2 and 2", n7, n6)
		}
		st, err := w.svc.CampaignStats(ctx, c.ID)
		if err != nil || st.Calls != 32 || st.Outcomes["busy"] != 1 || st.Done != 30 || st.Grades["B"] != 32 {
			t.Fatalf("stats %+v %v", st, err)
		}
		// The campaign's state changes reached the webhook, signed.
		for hooks.Load() < 2 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if hooks.Load() < 2 {
			t.Fatalf("%d webhook deliveries, want the running and completed events", hooks.Load())
		}
	})
}

// TestDispatchSurvivesCrash injects failures between the commit of an
// attempt as dialing and the dial (as a crash there would), stops the
// process mid-run, flushes Redis, and finishes the campaign with a new
// Service over the same database: no attempt is dialed twice, no contact
// is lost, every attempt ends with one outcome.
func TestDispatchSurvivesCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		url := jobstest.URL(t, 2)
		d := newRecordingDialer(db)
		var n atomic.Int32
		crashy := func(a *store.CallAttempt) error {
			if n.Add(1)%7 == 0 {
				return errors.New("injected crash before dial")
			}
			return nil
		}
		opt := Options{Dialer: d, Reconciler: d, IgnoreWindows: true, StuckAfter: time.Second, ReconcileEvery: time.Second, NotDialedRetry: time.Second, BeforeDial: crashy}
		w := &world{t: t, db: db, redis: url}
		w.start(opt)
		d.svc.Store(w.svc)
		ctx, _ := newTenant(t, db, "acme")
		const contacts = 60
		l := readyList(t, w.svc, ctx, contacts)
		c, err := w.svc.CreateCampaign(ctx, CampaignInput{Name: "crash", ListID: l.ID, ScriptVersionID: scriptVersion(t, w.svc, ctx), MaxConcurrent: 8})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Act(ctx, c.ID, ActionStart, ""); err != nil {
			t.Fatal(err)
		}
		for {
			if _, _, dialed := d.maxDials(); dialed >= 20 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		w.stop()
		jobstest.Flush(t, 2)
		w.start(opt)
		defer w.stop()
		d.svc.Store(w.svc)
		waitState(t, w.svc, ctx, c.ID, store.CampaignCompleted, 90*time.Second)
		d.wg.Wait()
		checkLedger(t, db, ctx, d, c.ID, contacts)
	})
}

type fundsStub struct{ refuseAfter atomic.Int32 }

func (f *fundsStub) Hold(ctx context.Context, tx *gorm.DB, a *store.CallAttempt) error {
	if f.refuseAfter.Add(-1) < 0 {
		return fmt.Errorf("hold: %w", apperr.ErrInsufficientFunds)
	}
	return nil
}
func (f *fundsStub) Release(context.Context, *gorm.DB, *store.CallAttempt) error { return nil }

func TestInsufficientFundsPauses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := &world{t: t, db: db, redis: jobstest.URL(t, 2)}
		d := newRecordingDialer(db)
		f := &fundsStub{}
		f.refuseAfter.Store(3)
		w.start(Options{Dialer: d, Funds: f, IgnoreWindows: true})
		defer w.stop()
		d.svc.Store(w.svc)
		ctx, _ := newTenant(t, db, "acme")
		l := readyList(t, w.svc, ctx, 10)
		c, _ := w.svc.CreateCampaign(ctx, CampaignInput{Name: "funds", ListID: l.ID, ScriptVersionID: scriptVersion(t, w.svc, ctx), MaxConcurrent: 1})
		if _, err := w.svc.Act(ctx, c.ID, ActionStart, ""); err != nil {
			t.Fatal(err)
		}
		c = waitState(t, w.svc, ctx, c.ID, store.CampaignPaused, 30*time.Second)
		if !strings.Contains(c.PauseReason, "insufficient funds") {
			t.Fatalf("pause reason %q", c.PauseReason)
		}
		d.wg.Wait()
		if _, _, dialed := d.maxDials(); dialed != 3 {
			t.Fatalf("%d dialed, want 3 before the money ran out", dialed)
		}
	})
}
