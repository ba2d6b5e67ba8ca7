package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/waihu/waihu/app/campaign"
	"github.com/waihu/waihu/app/store"
)

// runBench measures the engine's hot paths: `waihu bench import` times a
// streamed contact-list import of a generated CSV.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: waihu bench import|dispatch|calls|turn [options] (--help for each)")
	}
	switch args[0] {
	case "import":
		return benchImport(ctx, args[1:], stdout, stderr)
	case "dispatch":
		return benchDispatch(ctx, args[1:], stdout, stderr)
	case "calls":
		return benchCalls(ctx, args[1:], stdout, stderr)
	case "turn":
		return benchTurn(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown bench %q (have: import, dispatch, calls, turn)", args[0])
}

func benchImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("waihu bench import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbSpec := fs.String("db", "", "database (default: a fresh SQLite file in --data)")
	data := fs.String("data", "", "directory for the SQLite file and the generated CSV (default: a temporary directory)")
	rows := fs.Int("rows", 1_000_000, "data rows in the generated CSV")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		d, err := os.MkdirTemp("", "waihu-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(ctx, *dbSpec, dir, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	csvPath := filepath.Join(dir, "bench.csv")
	if err := writeBenchCSV(csvPath, *rows); err != nil {
		return err
	}
	tn := &store.Tenant{Name: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Status: store.TenantActive, Features: "{}"}
	if err := db.With(store.AsPlatform(ctx)).Create(tn).Error; err != nil {
		return err
	}
	tctx := store.WithTenant(ctx, tn.ID)
	svc := campaign.New(db, campaign.Options{DataDir: dir, MaxUploadBytes: 4 << 30, MaxRows: *rows + 1, Log: log})
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
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
	p, err := svc.Upload(tctx, "bench", "bench.csv", f)
	if err != nil {
		return err
	}
	if _, err := svc.StartImport(tctx, p.ImportID, p.Suggested); err != nil {
		return err
	}
	if err := svc.RunImport(tctx, p.ImportID); err != nil {
		return err
	}
	el := time.Since(start)
	close(stop)
	imp, err := svc.GetImport(tctx, p.ImportID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "import %s: %d rows (%d imported, %d duplicates, %d invalid) in %s = %.0f rows/s, peak heap %d MiB\n",
		db.Dialect, imp.RowsDone, imp.Imported, imp.Duplicates, imp.Invalid, el.Round(time.Millisecond),
		float64(imp.RowsDone)/el.Seconds(), peak.Load()>>20)
	if imp.State != store.ImportDone {
		return fmt.Errorf("import ended %s: %s", imp.State, imp.Error)
	}
	return nil
}

// writeBenchCSV writes rows of distinct mobiles with a name and two variables;
// one row in 1000 repeats an earlier number and one in 1000 is invalid, as
// in real lists.
func writeBenchCSV(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "姓名,手机号,城市,金额")
	for i := 0; i < rows; i++ {
		phone := fmt.Sprintf("13%09d", i)
		switch {
		case i%1000 == 999:
			phone = fmt.Sprintf("13%09d", i-2)
		case i%1000 == 998:
			phone = "12345"
		}
		fmt.Fprintf(w, "客户%d,%s,深圳,%d\n", i, phone, i%5000)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
