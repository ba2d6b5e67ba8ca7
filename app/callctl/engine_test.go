package callctl_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
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
		// The announcement personas (4, 5) are told apart by what the
		// carrier says, which the session hears only once it has
		// subscribed (myevents, as on FreeSWITCH): at 0.02 a 3 s
		// announcement lasted 60 ms, which a heavily loaded machine
		// once took to subscribe. 0.05 gives it 150 ms.
		r := newRig(t, db, nil, 0.05)
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

// TestOriginatesSpacedUnderTrunkCPS: a burst of dials against a trunk
// limited to 5 calls per second leaves the node 200 ms apart, so no
// one-second window the carrier might count over holds more than 5
// originates (the simulator's own timestamps); dials whose slot is more
// than a second away are refused as not dialed, never burst.
func TestOriginatesSpacedUnderTrunkCPS(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	r := newRig(t, db, nil, 0.02)
	if err := db.With(store.AsPlatform(context.Background())).Model(&store.Trunk{}).Where("id = ?", r.trunk.ID).Update("max_cps", 5).Error; err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var placed []*store.CallAttempt
	refused := 0
	for i := 0; i < 10; i++ {
		now := time.Now().UTC()
		a := &store.CallAttempt{UUID: uuid.NewString(), CampaignID: 1, ContactID: uint64(i + 1), AttemptNo: 1, Phone: fmt.Sprintf("+86139777%05d", i*10),
			State: store.AttemptDialing, QueuedAt: now, DialedAt: &now, ScriptVersionID: 1}
		if err := db.With(store.WithTenant(context.Background(), 1)).Create(a).Error; err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.engine.Dial(context.Background(), a)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				placed = append(placed, a)
			case errors.Is(err, store.ErrNotDialed):
				refused++
			default:
				t.Errorf("dial: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(placed) < 5 || refused == 0 {
		t.Fatalf("%d placed, %d refused: want the first second's slots placed and the rest refused", len(placed), refused)
	}
	var created []time.Time
	for _, a := range placed {
		var c switchsim.CallInfo
		r.waitFor("the originate of "+a.UUID+" to reach the switch", func() bool {
			var ok bool
			c, ok = r.sim.Call(a.UUID)
			return ok
		})
		created = append(created, c.Created)
	}
	sort.Slice(created, func(i, j int) bool { return created[i].Before(created[j]) })
	// The slots are exactly 200 ms apart when they leave waihu; arrival
	// jitter of a few ms at the switch is allowed for (a one-second burst
	// would put all ten within milliseconds).
	const window = time.Second - 20*time.Millisecond
	for i := range created {
		n := 0
		for j := i; j < len(created) && created[j].Sub(created[i]) < window; j++ {
			n++
		}
		if n > 5 {
			t.Fatalf("%d originates within one second of %s, trunk limit 5: %v", n, created[i].Format("15:04:05.000"), created)
		}
	}
	for _, a := range placed {
		r.final(a)
	}
}
