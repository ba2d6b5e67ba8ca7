package callctl_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
	"github.com/waihu/waihu/esl"
	"github.com/waihu/waihu/esl/switchsim"
)

// rig is call control wired to an in-process switch simulator: the node,
// a simulated trunk assigned to tenant 1, CDRs posted back over HTTP.
type rig struct {
	t      *testing.T
	db     *store.DB
	svc    *callctl.Service
	engine *callctl.Engine
	sim    *switchsim.Sim
	trunk  store.Trunk
}

type templateScripts struct{ name string }

func (s templateScripts) LoadVersion(ctx context.Context, id uint64) (*dialog.Script, error) {
	return dialog.Template(s.name)
}

func newRig(t *testing.T, db *store.DB, scripts callctl.ScriptSource, scale float64, adjust ...func(*callctl.EngineOptions)) *rig {
	t.Helper()
	ctx := store.AsPlatform(context.Background())
	log := storetest.Logger()
	svc := callctl.New(db, callctl.Options{Log: log})
	cdr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, err := callctl.ParseXMLCDRForm(body)
		if err != nil {
			t.Errorf("simulator posted a CDR waihu cannot read: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if _, err := svc.IngestCDR(r.Context(), c); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
	}))
	t.Cleanup(cdr.Close)
	sim, err := switchsim.New(switchsim.Options{Password: "sim-secret", CDRURL: cdr.URL + "/cdr", TimeScale: scale, HeartbeatEvery: time.Second, SessionsPerSecond: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })

	node := store.Node{Name: "sim", ESLAddr: sim.ESLAddr(), ESLPassword: "sim-secret", MaxCalls: 200, MaxCPS: 200, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "sim-trunk", Host: "sim.invalid", Enabled: true, Simulated: true, Format: callctl.FormatNational}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(ctx).Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.With(ctx).Create(&store.TrunkAssignment{TenantID: 1, TrunkID: trunk.ID}).Error; err != nil {
		t.Fatal(err)
	}
	eo := callctl.EngineOptions{Log: log, SimTimeScale: scale, Scripts: scripts, NodeRefresh: 200 * time.Millisecond,
		Pool: esl.PoolOptions{MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, ProbeInterval: -1}}
	for _, f := range adjust {
		f(&eo)
	}
	engine := callctl.NewEngine(svc, eo)
	if err := engine.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	r := &rig{t: t, db: db, svc: svc, engine: engine, sim: sim, trunk: trunk}
	r.waitFor("the simulated node to connect", func() bool {
		for _, n := range engine.NodeLoads() {
			if n.Healthy {
				return true
			}
		}
		return false
	})
	return r
}

func (r *rig) waitFor(what string, ok func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dial creates an attempt committed as dialing (as the campaign does) and
// hands it to the engine.
func (r *rig) dial(phone string, scriptVersion uint64) *store.CallAttempt {
	r.t.Helper()
	now := time.Now().UTC()
	a := &store.CallAttempt{UUID: uuid.NewString(), CampaignID: 1, ContactID: uint64(now.UnixNano()), AttemptNo: 1, Phone: phone,
		State: store.AttemptDialing, QueuedAt: now, DialedAt: &now, ScriptVersionID: scriptVersion}
	if err := r.db.With(store.WithTenant(context.Background(), 1)).Create(a).Error; err != nil {
		r.t.Fatal(err)
	}
	if err := r.engine.Dial(context.Background(), a); err != nil {
		r.t.Fatalf("dial %s: %v", phone, err)
	}
	return a
}

func (r *rig) final(a *store.CallAttempt) store.CallAttempt {
	r.t.Helper()
	var got store.CallAttempt
	r.waitFor("attempt "+a.Phone+" to finish", func() bool {
		got = store.CallAttempt{}
		r.db.With(store.AsPlatform(context.Background())).Where("uuid = ?", a.UUID).Take(&got)
		return got.State == store.AttemptFinished
	})
	return got
}

func TestEveryPersonaLandsInItsOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, nil, 0.02)
		want := map[string]struct{ outcome, cause string }{
			"0": {callctl.OutcomeAnswered, "NORMAL_CLEARING"},
			"1": {callctl.OutcomeBusy, "USER_BUSY"},
			"2": {callctl.OutcomeNoAnswer, "NO_ANSWER"},
			"3": {callctl.OutcomeRejected, "CALL_REJECTED"},
			"4": {callctl.OutcomePoweredOff, ""},
			"5": {callctl.OutcomeInvalidNumber, ""},
			"6": {callctl.OutcomeAnswered, ""},
			"7": {callctl.OutcomeAnswered, ""},
			"8": {callctl.OutcomeAnswered, ""},
			"9": {callctl.OutcomeAnswered, ""},
		}
		attempts := map[string]*store.CallAttempt{}
		for d := range want {
			attempts[d] = r.dial("+861380013800"+d, 0)
		}
		for d, w := range want {
			got := r.final(attempts[d])
			if got.Outcome != w.outcome || (w.cause != "" && got.HangupCause != w.cause) || got.HangupCause == "" {
				t.Errorf("persona %s: outcome %q cause %q sip %d, want %q %q", d, got.Outcome, got.HangupCause, got.SIPStatus, w.outcome, w.cause)
			}
			if n := r.sim.OriginatesUUID(got.UUID); n != 1 {
				t.Errorf("persona %s: originated %d times", d, n)
			}
			if got.NodeID == 0 || got.TrunkID != r.trunk.ID || !got.Simulated {
				t.Errorf("persona %s: node %d trunk %d simulated %v", d, got.NodeID, got.TrunkID, got.Simulated)
			}
		}
		// Every call FreeSWITCH created posts one CDR, stored once.
		r.waitFor("CDRs", func() bool {
			var n int64
			db.With(store.AsPlatform(context.Background())).Model(&store.CDR{}).Count(&n)
			return n >= int64(len(want))
		})
		var busyCDR store.CDR
		db.With(store.AsPlatform(context.Background())).Where("uuid = ?", attempts["1"].UUID).Take(&busyCDR)
		if busyCDR.HangupCause != "USER_BUSY" || busyCDR.SIPTermStatus != 486 || busyCDR.TenantID != 1 {
			t.Errorf("busy CDR: %+v", busyCDR)
		}
	})
}

func TestScriptedCallThroughTheSimulator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Conversation timing (silence timers against the callee's replies)
		// needs a scale where a loaded CI machine's jitter is small.
		r := newRig(t, db, templateScripts{"telemarketing"}, 0.15)
		interested := r.final(r.dial("+8613900139000", 1))
		refuses := r.final(r.dial("+8613900139009", 1))
		if interested.Outcome != callctl.OutcomeAnswered || refuses.Outcome != callctl.OutcomeAnswered {
			t.Fatalf("outcomes %s %s", interested.Outcome, refuses.Outcome)
		}
		if interested.Grade == "" || refuses.Grade == "" || interested.Grade >= refuses.Grade {
			t.Fatalf("grades: interested %q, refuses %q; the interested callee must grade higher\n%s\n%s", interested.Grade, refuses.Grade, interested.Timeline, refuses.Timeline)
		}
		var res dialog.Result
		if err := json.Unmarshal([]byte(interested.Timeline), &res); err != nil || len(res.Path) < 2 || len(res.Intents) == 0 {
			t.Fatalf("timeline %v: %s", err, interested.Timeline)
		}
		heard := false
		for _, e := range res.Timeline {
			if e.Who == "callee" && e.Text != "" {
				heard = true
			}
		}
		if !heard {
			t.Fatalf("the callee's words are not in the timeline: %s", interested.Timeline)
		}
	})
}

// TestFundsBoundTheCall: an answered call gets FreeSWITCH's sched_hangup
// from billing's MaxTalkSeconds, so it ends at the wall even while the
// callee keeps talking.
func TestFundsBoundTheCall(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	accounts := tenant.New(db, storetest.Logger(), tenant.Options{})
	bill := billing.New(db, accounts, storetest.Logger(), billing.Options{})
	tn, _, err := accounts.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Funds Co", ContactName: "F", Email: "f@funds.test", Phone: "13800000000", Password: "Funds1234!"}, true)
	if err != nil || tn.ID != 1 {
		t.Fatalf("tenant %v %v", tn, err)
	}
	if err := bill.SeedDemo(ctx, tn.ID); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, db, templateScripts{"telemarketing"}, 0.15, func(o *callctl.EngineOptions) {
		o.Funds = bill
		o.MaxCallSec = 3
	})
	got := r.final(r.dial("+8613900139000", 1))
	if got.HangupCause != "ALLOTTED_TIMEOUT" {
		t.Fatalf("the call ended with %q, want FreeSWITCH's sched_hangup (ALLOTTED_TIMEOUT)", got.HangupCause)
	}
}
