package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sort"
	"time"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/esl"
	"github.com/waihu/waihu/esl/switchsim"
)

// simSwitch is `waihu bench dispatch --sim`'s calling engine: the switch
// simulator as its own process, one node and one trunk limited to the
// run's lines and CPS, and call control dialing through them as serve does.
// The simulator's own record of every call is the measurement.
type simSwitch struct {
	sim     *exec.Cmd
	addr    string
	calls   *callctl.Service
	engine  *callctl.Engine
	version uint64 // the published prompt-and-listen script version
}

func startSimSwitch(ctx context.Context, db *store.DB, tenantID uint64, dir string, lines, cps int, hold time.Duration, log *slog.Logger, stderr io.Writer) (*simSwitch, error) {
	// Callees answer after 200 ms and hang up after --hold; every number
	// is a new callee (one contact each).
	personas := fmt.Sprintf("personas:\n  - name: bench\n    match: [\"re:.*\"]\n    outcome: answer\n    ring_ms: 200\n    hangup_after_ms: %d\n", hold.Milliseconds())
	sim, addr, err := startSimProcess(ctx, dir, personas, lines+100, cps*2, stderr)
	if err != nil {
		return nil, err
	}
	sw := &simSwitch{sim: sim, addr: addr}
	pctx := store.AsPlatform(ctx)
	node := store.Node{Name: "bench-sim", ESLAddr: addr, ESLPassword: "bench", MaxCalls: lines + 100, MaxCPS: cps, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "bench", Host: "bench.invalid", Enabled: true, Simulated: true, Format: callctl.FormatNational, MaxConcurrent: lines, MaxCPS: cps}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(pctx).Create(row).Error; err != nil {
			sw.close()
			return nil, err
		}
	}
	if err := db.With(pctx).Create(&store.TrunkAssignment{TenantID: tenantID, TrunkID: trunk.ID}).Error; err != nil {
		sw.close()
		return nil, err
	}
	script, err := benchScript(hold)
	if err != nil {
		sw.close()
		return nil, err
	}
	scripts := scriptstore.New(db, nil)
	tctx := store.WithTenant(ctx, tenantID)
	srow, err := scripts.Create(tctx, script)
	if err != nil {
		sw.close()
		return nil, fmt.Errorf("bench script: %w", err)
	}
	version, err := scripts.Publish(tctx, srow.ID, "bench")
	if err != nil {
		sw.close()
		return nil, fmt.Errorf("publish bench script: %w", err)
	}
	sw.version = version.ID
	sw.calls = callctl.New(db, callctl.Options{Log: log})
	sw.engine = callctl.NewEngine(sw.calls, callctl.EngineOptions{Log: log, Scripts: scripts})
	if err := sw.engine.Start(ctx, "127.0.0.1:0"); err != nil {
		sw.close()
		return nil, err
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if loads := sw.engine.NodeLoads(); len(loads) > 0 && loads[0].Healthy {
			return sw, nil
		}
		if time.Now().After(deadline) {
			sw.close()
			return nil, fmt.Errorf("the simulator at %s never became healthy", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (sw *simSwitch) close() {
	if sw.engine != nil {
		sw.engine.Close()
	}
	stopSimProcess(sw.sim)
}

// dispatchSimReport is what the simulator saw of the campaign.
type dispatchSimReport struct {
	Contacts           int     `json:"contacts"`
	Originated         int     `json:"originated"`      // channels the simulator created
	Answered           int     `json:"answered"`        // of those, answered
	SetupPerSec        float64 `json:"setup_per_sec"`   // originated / (last originate − campaign start)
	PeakConcurrent     int     `json:"peak_concurrent"` // most channels up at once
	LineLimit          int     `json:"line_limit"`      // tenant lines = campaign cap = trunk max
	PeakPerSecond      int     `json:"peak_per_second"` // most originates in any 1 s window
	CPSLimit           int     `json:"cps_limit"`       // trunk and node CPS
	NumbersDialedTwice int     `json:"numbers_dialed_twice"`
	AttemptsTwice      int     `json:"attempts_originated_twice"`
	AttemptsFinished   int64   `json:"attempts_finished"` // in waihu's database
	// NotDialed counts attempts waihu withdrew before the originate (a
	// limit hit at dial time), by reason; their contacts are retried.
	NotDialed   map[string]int `json:"not_dialed,omitempty"`
	CampaignSec float64        `json:"campaign_sec"` // start to completed
	// Steady state: from the moment the calls up first reach 90% of the
	// peak until the last originate (the ramp and the drain left out).
	// Whichever limit binds (CPS or lines), the dispatcher keeps up when
	// the rate there is the CPS limit or the lines stay full.
	SteadySec       float64 `json:"steady_sec"`
	SteadySetupPerS float64 `json:"steady_setup_per_sec"`
	SteadyMeanUp    float64 `json:"steady_mean_concurrent"`
}

func (sw *simSwitch) report(ctx context.Context, stdout io.Writer, db *store.DB, start time.Time, campaign time.Duration, contacts, lines, cps int) error {
	c, err := esl.Dial(ctx, sw.addr, "bench", esl.ClientOptions{})
	if err != nil {
		return fmt.Errorf("read the simulator's records: %w", err)
	}
	defer c.Close()
	cmd, err := esl.Raw("sim_calls")
	if err != nil {
		return err
	}
	out, err := c.API(ctx, cmd)
	if err != nil {
		return fmt.Errorf("sim_calls: %w", err)
	}
	var calls []switchsim.CallInfo
	if err := json.Unmarshal([]byte(out), &calls); err != nil {
		return fmt.Errorf("sim_calls: %w", err)
	}
	rep := dispatchSimReport{Contacts: contacts, Originated: len(calls), LineLimit: lines, CPSLimit: cps, CampaignSec: campaign.Seconds()}
	numbers, uuids := map[string]int{}, map[string]int{}
	var edges []upEdge
	var created []time.Time
	last := start
	for _, ci := range calls {
		numbers[ci.Number]++
		uuids[ci.UUID]++
		if ci.Answered {
			rep.Answered++
		}
		created = append(created, ci.Created)
		if ci.Created.After(last) {
			last = ci.Created
		}
		edges = append(edges, upEdge{ci.Created, 1})
		if !ci.EndedAt.IsZero() {
			edges = append(edges, upEdge{ci.EndedAt, -1})
		}
	}
	for _, n := range numbers {
		if n > 1 {
			rep.NumbersDialedTwice++
		}
	}
	for _, n := range uuids {
		if n > 1 {
			rep.AttemptsTwice++
		}
	}
	// Ends before starts at the same instant: a line freed and reused at
	// once is not two calls at once.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].d < edges[j].d
		}
		return edges[i].at.Before(edges[j].at)
	})
	up := 0
	for _, e := range edges {
		up += e.d
		rep.PeakConcurrent = max(rep.PeakConcurrent, up)
	}
	rep.steady(edges, created, last)
	sort.Slice(created, func(i, j int) bool { return created[i].Before(created[j]) })
	// Originates leave waihu exactly 1/cps apart; the window is 20 ms
	// short of a second so a few ms of arrival jitter inside the
	// simulator (goroutine scheduling on a loaded machine) does not count
	// as a burst (TestOriginatesSpacedUnderTrunkCPS uses the same window).
	const window = time.Second - 20*time.Millisecond
	for i, j := 0, 0; j < len(created); j++ {
		for created[j].Sub(created[i]) >= window {
			i++
		}
		rep.PeakPerSecond = max(rep.PeakPerSecond, j-i+1)
	}
	if d := last.Sub(start).Seconds(); d > 0 {
		rep.SetupPerSec = float64(len(calls)) / d
	}
	if err := db.With(store.AsPlatform(ctx)).Model(&store.CallAttempt{}).Where("state = ?", store.AttemptFinished).Count(&rep.AttemptsFinished).Error; err != nil {
		return err
	}
	var rows []struct {
		Error string
		N     int
	}
	if err := db.With(store.AsPlatform(ctx)).Model(&store.CallAttempt{}).Select("error, count(*) AS n").
		Where("not_dialed = ?", true).Group("error").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		if rep.NotDialed == nil {
			rep.NotDialed = map[string]int{}
		}
		rep.NotDialed[r.Error] = r.N
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// upEdge is a channel coming up (+1) or going down (−1) at a time.
type upEdge struct {
	at time.Time
	d  int
}

// steady fills the Steady* fields from the time-sorted edges, the sorted
// originate times and the last originate.
func (rep *dispatchSimReport) steady(edges []upEdge, created []time.Time, last time.Time) {
	if rep.PeakConcurrent == 0 {
		return
	}
	threshold := (rep.PeakConcurrent*9 + 9) / 10
	var from time.Time
	up := 0
	var area float64 // calls-up × seconds inside the window
	var prev time.Time
	for _, e := range edges {
		if !from.IsZero() {
			if e.at.After(last) {
				break
			}
			area += float64(up) * e.at.Sub(prev).Seconds()
			prev = e.at
		}
		up += e.d
		if from.IsZero() && up >= threshold {
			from, prev = e.at, e.at
		}
	}
	if from.IsZero() || !last.After(from) {
		return
	}
	area += float64(up) * last.Sub(prev).Seconds()
	n := 0
	for _, c := range created {
		if c.After(from) && !c.After(last) {
			n++
		}
	}
	rep.SteadySec = last.Sub(from).Seconds()
	rep.SteadySetupPerS = float64(n) / rep.SteadySec
	rep.SteadyMeanUp = area / rep.SteadySec
}
