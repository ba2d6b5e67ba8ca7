package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/waihu/waihu/app/billing"
	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/jobs/jobstest"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/store/storetest"
	"github.com/waihu/waihu/app/tenant"
	"github.com/waihu/waihu/esl/switchsim"
)

// TestMain lets the kill test run this test binary as `waihu serve`: the
// child is the real binary's code path, and SIGKILL hits a real process.
func TestMain(m *testing.M) {
	if os.Getenv("WAIHU_KILLTEST_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

type killSetup struct {
	name      string
	dialect   store.Dialect
	processes int
	redisDB   int // 0: embedded Redis
	contacts  int
	kills     int
}

// TestKillDuringCampaign kills waihu with SIGKILL at random moments while
// a campaign calls the switch simulator, restarts it, and checks what the
// campaigns issue promises: no number originated twice for one attempt
// (the simulator counts), no contact lost, every attempt ends in exactly
// one outcome, and the money is right (each call charged once).
func TestKillDuringCampaign(t *testing.T) {
	// make test runs a smaller campaign than the 1,000 contacts
	// and 20 kills to stay inside CI's time; WAIHU_KILLTEST_CONTACTS and
	// WAIHU_KILLTEST_KILLS run the full size (README: "Kill test").
	contacts, kills := envInt("WAIHU_KILLTEST_CONTACTS", 120), envInt("WAIHU_KILLTEST_KILLS", 6)
	setups := []killSetup{
		{name: "sqlite-one-process", dialect: store.SQLite, processes: 1, contacts: contacts, kills: kills},
		{name: "mysql-redis-two-processes", dialect: store.MySQL, processes: 2, redisDB: 9, contacts: contacts, kills: kills},
	}
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) { runKillTest(t, s) })
	}
}

func runKillTest(t *testing.T, ks killSetup) {
	ctx := context.Background()
	dir := t.TempDir()
	spec := "sqlite://" + filepath.Join(dir, "waihu.db")
	if ks.dialect == store.MySQL {
		spec = storetest.Spec(t, store.MySQL)
	}
	log := storetest.Logger()
	db, err := store.Open(ctx, spec, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	redisURL := ""
	if ks.redisDB != 0 {
		redisURL = jobstest.URL(t, ks.redisDB)
	}

	const secret = "kill-test-secret"
	ports := make([]int, 0, 2*ks.processes)
	for range 2 * ks.processes {
		p, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, p)
	}
	cdrURL := (&url.URL{Scheme: "http", User: url.UserPassword("freeswitch", secret), Host: "127.0.0.1:" + strconv.Itoa(ports[0]), Path: "/api/v1/fs/cdr"}).String()
	sim, err := switchsim.New(switchsim.Options{Password: secret, CDRURL: cdrURL, CDRRetries: 5, CDRRetryDelay: 500 * time.Millisecond,
		TimeScale: 0.05, MaxSessions: 5000, SessionsPerSecond: 1000, HeartbeatEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	// The tenant, its trunk on the simulator, a published script, the list
	// and a running campaign without retries (so it completes).
	accounts := tenant.New(db, log, tenant.Options{})
	tn, _, err := accounts.CreateTenant(ctx, tenant.SignupInput{CompanyName: "Kill Test Co", ContactName: "K", Email: "kill-" + ks.name + "@example.test", Phone: "13800000000", Password: "Kill1234!"}, true)
	if err != nil {
		t.Fatal(err)
	}
	pctx := store.AsPlatform(ctx)
	node := store.Node{Name: "sim-" + ks.name, ESLAddr: sim.ESLAddr(), ESLPassword: secret, MaxCalls: 1000, MaxCPS: 200, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "sim-" + ks.name, Host: "sim.invalid", Enabled: true, Simulated: true, Format: "national", MaxConcurrent: 200, MaxCPS: 100}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(pctx).Create(row).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.With(pctx).Create(&store.TrunkAssignment{TenantID: tn.ID, TrunkID: trunk.ID}).Error; err != nil {
		t.Fatal(err)
	}
	tctx := store.WithTenant(ctx, tn.ID)
	scripts := scriptstore.New(db, accounts)
	sc, err := scripts.CreateFromTemplate(tctx, "notification", "kill test")
	if err != nil {
		t.Fatal(err)
	}
	version, err := scripts.Publish(tctx, sc.ID, "v1")
	if err != nil {
		t.Fatal(err)
	}
	camps := campaign.New(db, campaign.Options{DataDir: dir, Log: log})
	// The columns the notification template's variables read.
	list := &store.ContactList{Name: "kill list", State: store.ListReady, Columns: `["event","time"]`}
	if err := db.With(tctx).Create(list).Error; err != nil {
		t.Fatal(err)
	}
	in := make([]campaign.ContactInput, ks.contacts)
	for i := range in {
		in[i] = campaign.ContactInput{Phone: fmt.Sprintf("1390013%04d", i), Name: fmt.Sprintf("客户%d", i),
			Vars: map[string]string{"event": "体检", "time": "明天上午"}}
	}
	if res, _, err := camps.AddContacts(tctx, list.ID, in); err != nil || res.Added != ks.contacts {
		t.Fatalf("add contacts: %+v %v", res, err)
	}
	rules := campaign.DefaultRules()
	rules.Retries = nil
	rules.Weekdays = []int{0, 1, 2, 3, 4, 5, 6}
	rules.Windows = []campaign.Window{{From: "00:00", To: "23:59"}}
	c, err := camps.CreateCampaign(tctx, campaign.CampaignInput{Name: "kill", ListID: list.ID, ScriptVersionID: version.ID, MaxConcurrent: 40, Rules: &rules})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := camps.Act(tctx, c.ID, campaign.ActionStart, ""); err != nil {
		t.Fatal(err)
	}

	start := func(i int) *exec.Cmd {
		args := []string{"serve", "--data", dir, "--db", spec, "--listen", "127.0.0.1:" + strconv.Itoa(ports[2*i]),
			"--esl-outbound-listen", "127.0.0.1:" + strconv.Itoa(ports[2*i+1]), "--fs-secret", secret,
			"--reconcile-after", "4s", "--log-level", "error"}
		if redisURL != "" {
			args = append(args, "--redis", redisURL)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "WAIHU_KILLTEST_CHILD=1")
		logf, _ := os.Create(filepath.Join(dir, fmt.Sprintf("serve-%d.log", i)))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	procs := make([]*exec.Cmd, ks.processes)
	for i := range procs {
		procs[i] = start(i)
	}
	defer func() {
		for _, p := range procs {
			if p != nil && p.ProcessState == nil {
				_ = p.Process.Kill()
				_ = p.Wait()
			}
		}
	}()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for k := range ks.kills {
		time.Sleep(time.Duration(800+rng.IntN(2500)) * time.Millisecond)
		i := rng.IntN(ks.processes)
		_ = procs[i].Process.Signal(syscall.SIGKILL)
		_ = procs[i].Wait()
		if ks.redisDB != 0 && k == ks.kills/2 {
			// Lose Redis once: the database re-enqueues what is due.
			jobstest.Flush(t, ks.redisDB)
		}
		procs[i] = start(i)
	}

	// Let the survivors finish the campaign; reconciliation settles what
	// the kills left open.
	deadline := time.Now().Add(4*time.Minute + time.Duration(ks.contacts)*200*time.Millisecond)
	var open, pending int64
	for {
		db.With(pctx).Model(&store.CallAttempt{}).Where("campaign_id = ? AND state <> ?", c.ID, store.AttemptFinished).Count(&open)
		db.With(tctx).Model(&store.CampaignContact{}).Where("campaign_id = ? AND state <> ?", c.ID, store.CCDone).Count(&pending)
		if open == 0 && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the kills: %d attempts still open, %d contacts not done (logs in %s)", open, pending, dir)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for _, p := range procs {
		_ = p.Process.Signal(syscall.SIGTERM)
		_ = p.Wait()
	}

	var attempts []store.CallAttempt
	db.With(pctx).Where("campaign_id = ?", c.ID).Find(&attempts)
	twice, dialed, outcomes := 0, 0, map[string]int{}
	for _, a := range attempts {
		n := sim.OriginatesUUID(a.UUID)
		if n > 1 {
			twice++
			t.Errorf("attempt %s was originated %d times", a.UUID, n)
		}
		if n > 0 {
			dialed++
		}
		if a.State != store.AttemptFinished || a.Outcome == "" {
			t.Errorf("attempt %s ended in state %q outcome %q", a.UUID, a.State, a.Outcome)
		}
		outcomes[a.Outcome]++
	}
	var done int64
	db.With(tctx).Model(&store.CampaignContact{}).Where("campaign_id = ? AND state = ?", c.ID, store.CCDone).Count(&done)
	if int(done) != ks.contacts {
		t.Errorf("%d of %d contacts done", done, ks.contacts)
	}
	bill := billing.New(db, accounts, log, billing.Options{})
	if err := bill.Verify(ctx); err != nil {
		t.Errorf("money after the kills: %v", err)
	}
	t.Logf("%s: %d kills, %d contacts, %d attempts (%d reached the switch), originated twice: %d, outcomes %v",
		ks.name, ks.kills, ks.contacts, len(attempts), dialed, twice, outcomes)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
