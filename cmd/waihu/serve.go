package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/config"
	"github.com/waihu/waihu/app/crm"
	"github.com/waihu/waihu/app/demo"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/httpapi"
	"github.com/waihu/waihu/app/jobs"
	"github.com/waihu/waihu/app/pii"
	"github.com/waihu/waihu/app/speech/stream"
	"github.com/waihu/waihu/app/store"
	"github.com/waihu/waihu/app/tenant"
)

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(pii.NewHandler(h))
}

// openStore opens and migrates the database named by the configuration.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB, cfg.Data, log)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load("waihu migrate", args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	ids, err := db.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s (%s) is at migration %s (%d applied)\n", db.Target, db.Dialect, ids[len(ids)-1], len(ids))
	return nil
}

// fsSecret returns the configured FreeSWITCH secret, or one generated once
// and kept in the settings table so every process of a deployment agrees.
func fsSecret(ctx context.Context, cfg *config.Config, db *store.DB) (string, error) {
	if cfg.FSSecret != "" {
		return cfg.FSSecret, nil
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return store.SettingOrInit(store.AsPlatform(ctx), db, "fs_secret", hex.EncodeToString(b))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load("waihu serve", args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	slog.SetDefault(log)
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("create data directory %s: %w", cfg.Data, err)
	}
	if cfg.RecordingsDir == "" {
		cfg.RecordingsDir = filepath.Join(cfg.Data, "recordings")
	}
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.FSSecret, err = fsSecret(ctx, cfg, db); err != nil {
		return err
	}

	runner, err := jobs.New(db, jobs.Options{Redis: cfg.Redis, Concurrency: cfg.Workers, Log: log})
	if err != nil {
		return err
	}
	defer runner.Close()

	accounts := tenant.New(db, log, tenant.Options{SessionTTL: cfg.SessionTTL})
	accounts.RegisterJobs(runner)
	calls := callctl.New(db, callctl.Options{Log: log})
	bill, err := newBilling(db, accounts, log)
	if err != nil {
		return err
	}
	bill.RegisterJobs(runner)
	// Billing settles each call in the transactions that end it and store
	// its CDR (either may come first; each call is charged once).
	// Usage (ASR/TTS/LLM) is recorded first in the finish transaction, so
	// the pass-through line items are in the charge whichever comes first.
	calls.OnUsage(billingUsage(bill))
	calls.OnFinish(bill.AttemptFinished)
	recs, err := startRecordingUploads(cfg, db, runner, calls, log)
	if err != nil {
		return err
	}
	calls.OnCDR(bill.CDRReceived)

	// Campaigns: call control plugs in as Dialer/Reconciler, billing as Funds.
	quarter := min(cfg.ReconcileAfter/4, 30*time.Second)
	campaigns := campaign.New(db, campaign.Options{DataDir: cfg.Data, Log: log, IgnoreWindows: cfg.Demo,
		StuckAfter: cfg.ReconcileAfter, ReconcileEvery: quarter, NotDialedRetry: quarter,
		Redis: runner.RedisOpt().MakeRedisClient().(redis.UniversalClient)})
	campaigns.RegisterJobs(runner)
	crmSvc := crm.New(db, accounts, log, crm.Options{})
	crmSvc.Revenue = billingRevenue(bill)
	crmSvc.RegisterJobs(runner)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var seeded *demo.Result
	if cfg.Demo {
		if seeded, err = demo.Seed(ctx, db, accounts); err != nil {
			return err
		}
		if err := bill.SeedDemo(ctx, seeded.TenantID); err != nil {
			return err
		}
		version, err := demo.SeedScript(ctx, db, scriptstore.New(db, accounts), seeded.TenantID)
		if err != nil {
			return err
		}
		if err := demo.SeedCampaign(ctx, db, campaigns, seeded.TenantID, version); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	base := publicURL(cfg, ln.Addr())
	scripts := scriptstore.New(db, accounts)
	var demoTenant uint64
	if seeded != nil {
		demoTenant = seeded.TenantID
	}
	announcements := callctl.NewAnnouncements(db, filepath.Join(cfg.Data, "announcements"))
	announcements.Audit = func(ctx context.Context, tx *gorm.DB, action, target string, detail any) error {
		return accounts.AuditTx(ctx, tx, tenant.Entry{Action: action, Target: target, Detail: detail})
	}
	engine, err := startCalling(ctx, callingDeps{cfg: cfg, db: db, calls: calls, announcements: announcements, scripts: scripts, vars: campaigns.ContactVars,
		release: campaigns.ReleaseNotDialed, funds: bill, httpBase: base, tenantID: demoTenant, log: log})
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer engine.Close()
	// Campaigns dial through call control, hold funds through billing, and
	// learn each call's end in the transaction that finishes it.
	campaigns.Plug(engine.engine, engine.engine, bill)
	calls.OnFinish(campaigns.AttemptFinished)
	bill.Hooks.FundsAdded = campaigns.FundsAdded
	// Hooked after the demo seed, so the demo tenant is not a lead in the funnel.
	accounts.Hooks = crmSvc.Hooks(accounts.Hooks)
	if err := runner.Start(ctx); err != nil {
		return err
	}
	public, err := publicHandler(ctx, cfg, db, crmSvc, billingPlans(bill), log)
	if err != nil {
		return err
	}

	srv := httpapi.New(httpapi.Deps{
		Config:        cfg,
		DB:            db,
		Accounts:      accounts,
		CallControl:   calls,
		Announcements: announcements,
		Recordings:    recs,
		Billing:       bill,
		Campaigns:     campaigns,
		Prompts:       engine.tts.Handler(),
		AudioStreams:  stream.NewServer(engine.streams),
		Scripts:       scripts,
		Speech:        engine.voices,
		Log:           log,
		Registry:      reg,
		Version:       version,
		SPA:           spaHandler(),
		Public:        public,
		CRM:           crmSvc,
		Switch:        switchOps{engine.engine},
		ListenMode:    engine.listenMode,
		ReadyChecks:   map[string]func(context.Context) error{"redis": func(context.Context) error { return runner.Ping() }},
	})
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()

	log.Info("waihu serving", "version", version, "url", base, "database", string(db.Dialect)+":"+db.Target, "redis", redisLabel(runner))
	if cfg.Demo {
		printDemo(stdout, base, seeded)
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return httpSrv.Shutdown(sctx)
}

func redisLabel(r *jobs.Runner) string {
	if r.Embedded() {
		return "embedded"
	}
	return "external"
}

// publicURL is what we print and hand to FreeSWITCH: the configured public
// URL, or the listen address made reachable (0.0.0.0 becomes 127.0.0.1).
func publicURL(cfg *config.Config, addr net.Addr) string {
	if cfg.PublicURL != "" {
		return strings.TrimRight(cfg.PublicURL, "/")
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func printDemo(w io.Writer, base string, r *demo.Result) {
	fmt.Fprintf(w, `
  waihu is running in demo mode (embedded database, embedded Redis).

    Website           %[1]s/
    Tenant console    %[1]s/console/login     %[2]s  /  %[4]s
    Operator office   %[1]s/admin/login       %[3]s  /  %[4]s
    API description   %[1]s/api/openapi.json

  Press Ctrl+C to stop.

`, base, demo.OwnerEmail, demo.OperatorEmail, demo.Password)
	_ = r
}
