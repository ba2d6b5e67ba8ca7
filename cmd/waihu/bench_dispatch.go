package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/store"
)

// benchDispatch runs one campaign through the real scheduler and dial jobs
// with an in-process dialer whose calls last --hold, and reports calls set
// up per second and the most calls in flight at once. Call control and the
// switch simulator plug in through campaign.Dialer for the end-to-end
// figure; this measures waihu's own dispatch path (database, asynq).
func benchDispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("waihu bench dispatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbSpec := fs.String("db", "", "database (default: a fresh SQLite file in a temporary directory)")
	redisURL := fs.String("redis", "", "redis URL (default: embedded)")
	contacts := fs.Int("contacts", 2000, "contacts in the campaign")
	lines := fs.Int("lines", 1000, "tenant lines and campaign concurrency")
	hold := fs.Duration("hold", 2*time.Second, "how long each call lasts")
	workers := fs.Int("workers", 100, "job workers")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	withSim := fs.Bool("sim", false, "dial through call control and the switch simulator (its own process) instead of the in-process dialer; the simulator's records are the measurement")
	cps := fs.Int("cps", 100, "with --sim: the trunk's and node's calls set up per second")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "waihu-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	db, err := store.Open(ctx, *dbSpec, dir, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	runner, err := jobs.New(db, jobs.Options{Redis: *redisURL, Concurrency: *workers, RelayEvery: 200 * time.Millisecond, Log: log})
	if err != nil {
		return err
	}
	defer runner.Close()
	tn := &store.Tenant{Name: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Status: store.TenantActive, LineQuota: *lines, Features: "{}"}
	if err := db.With(store.AsPlatform(ctx)).Create(tn).Error; err != nil {
		return err
	}
	tctx := store.WithTenant(ctx, tn.ID)
	d := &benchDialer{db: db, hold: *hold}
	opt := campaign.Options{DataDir: dir, Dialer: d, IgnoreWindows: true, Log: log, DailyCap: 1000, WeeklyCap: 1000,
		Redis: runner.RedisOpt().MakeRedisClient().(redis.UniversalClient)}
	var sw *simSwitch
	if *withSim {
		if sw, err = startSimSwitch(ctx, db, tn.ID, dir, *lines, *cps, *hold, log, stderr); err != nil {
			return err
		}
		defer sw.close()
		opt.Dialer, opt.Reconciler = sw.engine, sw.engine
	}
	svc := campaign.New(db, opt)
	d.svc = svc
	if sw != nil {
		sw.calls.OnFinish(svc.AttemptFinished)
	}
	svc.RegisterJobs(runner)
	l := &store.ContactList{Name: "bench", State: store.ListReady, Columns: "[]"}
	if err := db.With(tctx).Create(l).Error; err != nil {
		return err
	}
	for start := 0; start < *contacts; start += 5000 {
		in := make([]campaign.ContactInput, 0, 5000)
		for i := start; i < min(start+5000, *contacts); i++ {
			in = append(in, campaign.ContactInput{Phone: fmt.Sprintf("13%09d", i)})
		}
		if _, _, err := svc.AddContacts(tctx, l.ID, in); err != nil {
			return err
		}
	}
	// Campaigns pin a script version of the tenant; the bench dialer never
	// runs it, so an empty body does. Through the simulator the published
	// prompt-and-listen script runs.
	svID := uint64(0)
	if sw != nil {
		svID = sw.version
	} else {
		sv := &store.ScriptVersion{ScriptID: 1, Version: int(tn.ID), Body: "{}", Checksum: "bench"} // one per run: versions are unique per script
		if err := db.With(tctx).Create(sv).Error; err != nil {
			return err
		}
		svID = sv.ID
	}
	c, err := svc.CreateCampaign(tctx, campaign.CampaignInput{Name: "bench", ListID: l.ID, ScriptVersionID: svID, MaxConcurrent: *lines})
	if err != nil {
		return err
	}
	if err := runner.Start(ctx); err != nil {
		return err
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if _, err := svc.Act(tctx, c.ID, campaign.ActionStart, ""); err != nil {
		return err
	}
	for {
		cur, err := svc.GetCampaign(tctx, c.ID)
		if err != nil {
			return err
		}
		if cur.State == store.CampaignCompleted {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	el := time.Since(start)
	if sw != nil {
		return sw.report(ctx, stdout, db, start, el, *contacts, *lines, *cps)
	}
	d.wg.Wait()
	// The set-up rate runs from the start to the last dial: the tail where
	// the last calls are still talking sets nothing up.
	setup := time.Duration(d.lastDial.Load()) - time.Duration(start.UnixNano())
	fmt.Fprintf(stdout, "dispatch %s: %d calls set up in %s = %.0f calls set up/s (campaign done in %s), at most %d in flight (limit %d), %d dialed twice\n",
		db.Dialect, d.dials.Load(), setup.Round(time.Millisecond), float64(d.dials.Load())/setup.Seconds(), el.Round(time.Millisecond),
		d.maxIn.Load(), *lines, d.twice.Load())
	return nil
}

type benchDialer struct {
	db    *store.DB
	svc   *campaign.Service
	hold  time.Duration
	seen  sync.Map
	dials atomic.Int64
	twice atomic.Int64
	in    atomic.Int64
	maxIn atomic.Int64
	// lastDial is the UnixNano of the latest Dial.
	lastDial atomic.Int64
	wg       sync.WaitGroup
}

func (d *benchDialer) Dial(ctx context.Context, a *store.CallAttempt) error {
	if _, dup := d.seen.LoadOrStore(a.UUID, true); dup {
		d.twice.Add(1)
	}
	d.dials.Add(1)
	d.lastDial.Store(time.Now().UnixNano())
	n := d.in.Add(1)
	for {
		m := d.maxIn.Load()
		if n <= m || d.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	cp := *a
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		time.Sleep(d.hold)
		tctx := store.WithTenant(context.Background(), cp.TenantID)
		_ = d.db.Tx(tctx, func(tx *gorm.DB) error {
			now := time.Now().UTC()
			if err := tx.Model(&store.CallAttempt{}).Where("id = ?", cp.ID).Updates(map[string]any{"state": store.AttemptFinished,
				"outcome": callctl.OutcomeAnswered, "talk_sec": int(d.hold.Seconds()), "ended_at": now}).Error; err != nil {
				return err
			}
			cp.State, cp.Outcome = store.AttemptFinished, callctl.OutcomeAnswered
			return d.svc.AttemptFinished(tctx, tx, &cp)
		})
		d.in.Add(-1)
	}()
	return nil
}
