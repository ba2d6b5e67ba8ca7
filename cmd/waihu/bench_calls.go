package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/store"
)

// benchScript is a prompt-and-listen dialogue: a short line, a listen that
// holds the call for --hold, a closing line. The bench's callees answer and
// say one short thing.
func benchScript(hold time.Duration) (*dialog.Script, error) {
	ms := int(hold / time.Millisecond)
	js := fmt.Sprintf(`{"name":"bench","start":"hello","defaults":{"silence_ms":%d},
	 "nodes":[
	  {"id":"hello","type":"say","text":"您好，这里是压测。","next":"ask"},
	  {"id":"ask","type":"listen","text":"请问方便吗？","timeout_ms":%d,
	   "branches":[{"intents":["affirm","interested"],"next":"bye"}],
	   "silence":{"lines":[],"next":"bye"},"no_match":{"lines":[],"next":"bye"}},
	  {"id":"bye","type":"hangup","text":"再见。"}],
	 "grading":{}}`, ms, ms)
	var s dialog.Script
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

type oneScript struct{ s *dialog.Script }

func (o oneScript) LoadVersion(context.Context, uint64) (*dialog.Script, error) { return o.s, nil }

type benchCallsReport struct {
	Calls               int     `json:"calls"`
	TargetCPS           int     `json:"target_cps"`
	SetupPerSec         float64 `json:"calls_set_up_per_sec"`
	PeakConcurrent      int     `json:"peak_concurrent_calls"`
	Answered            int     `json:"answered"`
	Errors              int     `json:"errors"`
	TurnLatencyP50Ms    float64 `json:"event_to_command_p50_ms"`
	TurnLatencyP99Ms    float64 `json:"event_to_command_p99_ms"`
	TurnSamples         int     `json:"event_to_command_samples"`
	WaihuCPUSec         float64 `json:"waihu_cpu_sec"`
	SimCPUSec           float64 `json:"simulator_cpu_sec"`
	WaihuBytesPerCall   int64   `json:"waihu_heap_bytes_per_concurrent_call"`
	WaihuGoroutinesPeak int     `json:"waihu_goroutines_peak"`
	WallSec             float64 `json:"wall_sec"`
}

// benchCalls drives N answered calls through the switch simulator running
// as its own process, at R calls per second, and reports waihu's share.
func benchCalls(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("waihu bench calls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("calls", 2000, "calls to place")
	cps := fs.Int("cps", 200, "calls set up per second")
	hold := fs.Duration("hold", 15*time.Second, "how long each call stays up (the listen's timeout)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "waihu-bench-calls-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	// The simulator is its own process, so its CPU is not counted as waihu's.
	port, err := freePort()
	if err != nil {
		return err
	}
	simAddr := "127.0.0.1:" + strconv.Itoa(port)
	personas := filepath.Join(dir, "personas.yaml")
	if err := os.WriteFile(personas, []byte("personas:\n  - name: bench\n    match: [\"re:.*\"]\n    outcome: answer\n    ring_ms: 200\n    turns:\n      - say: \"好的\"\n        delay_ms: 300\n"), 0o600); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	sim := exec.CommandContext(ctx, self, "sim", "--esl", simAddr, "--password", "bench", "--personas", personas,
		"--max-sessions", strconv.Itoa(*n+100), "--sps", strconv.Itoa(*cps*2), "--heartbeat", "5s")
	sim.Stdout, sim.Stderr = io.Discard, stderr
	if err := sim.Start(); err != nil {
		return err
	}
	defer func() {
		if sim.ProcessState == nil {
			_ = sim.Process.Kill()
			_ = sim.Wait()
		}
	}()
	if err := waitTCP(simAddr, 10*time.Second); err != nil {
		return err
	}

	db, err := store.Open(ctx, "", dir, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	pctx := store.AsPlatform(ctx)
	node := store.Node{Name: "bench-sim", ESLAddr: simAddr, ESLPassword: "bench", MaxCalls: *n + 100, MaxCPS: *cps, State: store.NodeEnabled, Simulated: true}
	trunk := store.Trunk{Name: "bench", Host: "bench.invalid", Enabled: true, Simulated: true, Format: callctl.FormatNational, MaxConcurrent: *n, MaxCPS: *cps}
	for _, row := range []any{&node, &trunk} {
		if err := db.With(pctx).Create(row).Error; err != nil {
			return err
		}
	}
	if err := db.With(pctx).Create(&store.TrunkAssignment{TenantID: 1, TrunkID: trunk.ID}).Error; err != nil {
		return err
	}
	script, err := benchScript(*hold)
	if err != nil {
		return err
	}
	var latMu sync.Mutex
	var lats []time.Duration
	svc := callctl.New(db, callctl.Options{Log: log})
	var active, peak, answered, finished int
	var mu sync.Mutex
	done := make(chan struct{})
	engine := callctl.NewEngine(svc, callctl.EngineOptions{Log: log, Scripts: oneScript{script},
		OnTurnLatency: func(d time.Duration) { latMu.Lock(); lats = append(lats, d); latMu.Unlock() }})
	if err := engine.Start(ctx, "127.0.0.1:0"); err != nil {
		return err
	}
	defer engine.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if loads := engine.NodeLoads(); len(loads) > 0 && loads[0].Healthy {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the simulator at %s never became healthy", simAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	svc.OnFinish(func(ctx context.Context, _ *gorm.DB, a *store.CallAttempt) error {
		mu.Lock()
		defer mu.Unlock()
		active--
		finished++
		if a.Outcome == callctl.OutcomeAnswered {
			answered++
		}
		if finished == *n {
			close(done)
		}
		return nil
	})

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	cpu0 := cpuSeconds(syscall.RUSAGE_SELF)
	start := time.Now()
	errorsN := 0
	var peakHeap uint64
	peakG := 0
	interval := time.Second / time.Duration(*cps)
	tick := time.NewTicker(interval)
	var dialWG sync.WaitGroup
	for i := 0; i < *n; i++ {
		<-tick.C
		// Each call is dialled on its own goroutine, as the campaign's dial
		// workers do: the pace is the ticker's, not one call's round trip.
		dialWG.Add(1)
		go func(i int) {
			defer dialWG.Done()
			now := time.Now().UTC()
			a := &store.CallAttempt{UUID: uuid.NewString(), CampaignID: 1, ContactID: uint64(i + 1), AttemptNo: 1,
				Phone: fmt.Sprintf("+86139%08d", i), State: store.AttemptDialing, QueuedAt: now, DialedAt: &now, ScriptVersionID: 1}
			err := db.With(store.WithTenant(ctx, 1)).Create(a).Error
			if err == nil {
				err = engine.Dial(ctx, a)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errorsN++
				return
			}
			active++
			if active > peak {
				peak = active
			}
		}(i)
		if i%50 == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			if ms.HeapInuse > peakHeap {
				peakHeap = ms.HeapInuse
			}
			if g := runtime.NumGoroutine(); g > peakG {
				peakG = g
			}
			mu.Unlock()
		}
	}
	dialWG.Wait()
	tick.Stop()
	setup := time.Since(start)
	select {
	case <-done:
	case <-time.After(*hold + 2*time.Minute):
	case <-ctx.Done():
		return ctx.Err()
	}
	wall := time.Since(start)
	cpu := cpuSeconds(syscall.RUSAGE_SELF) - cpu0
	_ = sim.Process.Signal(syscall.SIGTERM)
	_ = sim.Wait()
	simCPU := 0.0
	if ru, ok := sim.ProcessState.SysUsage().(*syscall.Rusage); ok {
		simCPU = tv(ru.Utime) + tv(ru.Stime)
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	rep := benchCallsReport{Calls: *n, TargetCPS: *cps, SetupPerSec: float64(*n-errorsN) / setup.Seconds(), PeakConcurrent: peak,
		Answered: answered, Errors: errorsN + (*n - errorsN - finished), TurnSamples: len(lats), WaihuCPUSec: cpu, SimCPUSec: simCPU,
		WaihuGoroutinesPeak: peakG, WallSec: wall.Seconds()}
	if len(lats) > 0 {
		rep.TurnLatencyP50Ms = float64(lats[len(lats)/2]) / 1e6
		rep.TurnLatencyP99Ms = float64(lats[len(lats)*99/100]) / 1e6
	}
	if peak > 0 && peakHeap > base.HeapInuse {
		rep.WaihuBytesPerCall = int64(peakHeap-base.HeapInuse) / int64(peak)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitTCP(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cpuSeconds(who int) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
