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
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/waihu/waihu/app/callctl"
	"github.com/waihu/waihu/app/dialog"
	"github.com/waihu/waihu/app/dialog/scriptstore"
	"github.com/waihu/waihu/app/store"
)

// benchScript is a prompt-and-listen dialogue: a short line, a listen that
// holds the call for --hold, a closing line. The bench's callees answer and
// stay silent, so each call lives for about --hold.
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

type benchCallsReport struct {
	Calls            int     `json:"calls"`
	TargetCPS        int     `json:"target_cps"`
	SetupPerSec      float64 `json:"calls_set_up_per_sec"`
	PeakConcurrent   int     `json:"peak_concurrent_calls"`
	Answered         int     `json:"answered"`
	Errors           int     `json:"errors"`
	TurnLatencyP50Ms float64 `json:"event_to_command_p50_ms"`
	TurnLatencyP99Ms float64 `json:"event_to_command_p99_ms"`
	TurnSamples      int     `json:"event_to_command_samples"`
	WaihuCPUSec      float64 `json:"waihu_cpu_sec"`
	SimCPUSec        float64 `json:"simulator_cpu_sec"`
	// Memory is measured once, while every call is up (after the last
	// dial, before the first hangup): two runtime.GC()s, then the live heap
	// (HeapAlloc), goroutine stacks (StackInuse) and the process's RSS,
	// each minus the same figure taken before the first dial, divided by
	// the calls up at that moment.
	MeasuredConcurrent int `json:"measured_concurrent_calls"`
	// EndedBeforeMeasure counts calls already finished when memory was
	// measured; above 0 the figure includes calls tearing down (their
	// hangup events are the largest): raise --hold.
	EndedBeforeMeasure    int     `json:"calls_ended_before_measure"`
	WaihuBytesPerCall     int64   `json:"waihu_heap_bytes_per_concurrent_call"`
	WaihuStackPerCall     int64   `json:"waihu_stack_bytes_per_concurrent_call"`
	WaihuHeapStackPerCall int64   `json:"waihu_heap_plus_stack_bytes_per_concurrent_call"`
	WaihuRSSPerCall       int64   `json:"waihu_rss_bytes_per_concurrent_call"`
	WaihuGoroutines       int     `json:"waihu_goroutines_at_measure"`
	WaihuGoroutinesPeak   int     `json:"waihu_goroutines_peak"`
	WallSec               float64 `json:"wall_sec"`
}

// measureMem returns the live heap, goroutine stacks and RSS after GC.
func measureMem() (heap, stack, rss uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse, rssBytes()
}

// rssBytes is VmRSS from /proc/self/status (0 where there is none).
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

func writeProfile(dir, name string) error {
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup(name).WriteTo(f, 0)
}

// benchCalls drives N answered calls through the switch simulator running
// as its own process, at R calls per second, and reports waihu's share.
func benchCalls(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("waihu bench calls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("calls", 2000, "calls to place")
	cps := fs.Int("cps", 200, "calls set up per second")
	hold := fs.Duration("hold", 15*time.Second, "how long each call stays up (the listen's timeout)")
	profile := fs.String("profile", "", "write heap and goroutine profiles of waihu's side, taken when memory is measured, into this directory")
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
	// The callee answers and stays silent: the listen's timeout (--hold)
	// keeps every call up, so concurrency reaches min(calls, cps × hold).
	sim, simAddr, err := startSimProcess(ctx, dir, "personas:\n  - name: bench\n    match: [\"re:.*\"]\n    outcome: answer\n    ring_ms: 200\n    hangup_after_ms: 600000\n",
		*n+100, *cps*2, stderr)
	if err != nil {
		return err
	}
	defer stopSimProcess(sim)

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
	// The script is published and loaded through the script store, as
	// `waihu serve` does: LoadVersion parses and compiles a version once and
	// every call shares its matcher. (Handing the engine a bare *Script
	// compiled a private matcher per call, ~145 KB of the old figure.)
	scripts := scriptstore.New(db, nil)
	tctx := store.WithTenant(ctx, 1)
	srow, err := scripts.Create(tctx, script)
	if err != nil {
		return fmt.Errorf("bench script: %w", err)
	}
	version, err := scripts.Publish(tctx, srow.ID, "bench")
	if err != nil {
		return fmt.Errorf("publish bench script: %w", err)
	}
	var latMu sync.Mutex
	var lats []time.Duration
	svc := callctl.New(db, callctl.Options{Log: log})
	var active, peak, answered, finished int
	var mu sync.Mutex
	done := make(chan struct{})
	engine := callctl.NewEngine(svc, callctl.EngineOptions{Log: log, Scripts: scripts,
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

	baseHeap, baseStack, baseRSS := measureMem()
	cpu0 := cpuSeconds(syscall.RUSAGE_SELF)
	start := time.Now()
	errorsN := 0
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
				Phone: fmt.Sprintf("+86139%08d", i), State: store.AttemptDialing, QueuedAt: now, DialedAt: &now, ScriptVersionID: version.ID}
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
			if g := runtime.NumGoroutine(); g > peakG {
				peakG = g
			}
		}
	}
	dialWG.Wait()
	tick.Stop()
	setup := time.Since(start)
	// Let the last calls ring (the persona's ring_ms) and connect their
	// sockets, then measure with every call up.
	settle := min(time.Second, *hold/4)
	time.Sleep(settle)
	mu.Lock()
	measured, endedEarly := active, finished
	mu.Unlock()
	heapNow, stackNow, rssNow := measureMem()
	gNow := runtime.NumGoroutine()
	if *profile != "" {
		if err := os.MkdirAll(*profile, 0o755); err != nil {
			return err
		}
		for _, name := range []string{"heap", "goroutine"} {
			if err := writeProfile(*profile, name); err != nil {
				return err
			}
		}
	}
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
	if measured > 0 {
		per := func(now, base uint64) int64 { return (int64(now) - int64(base)) / int64(measured) }
		rep.MeasuredConcurrent = measured
		rep.EndedBeforeMeasure = endedEarly
		rep.WaihuBytesPerCall = per(heapNow, baseHeap)
		rep.WaihuStackPerCall = per(stackNow, baseStack)
		rep.WaihuHeapStackPerCall = rep.WaihuBytesPerCall + rep.WaihuStackPerCall
		rep.WaihuRSSPerCall = per(rssNow, baseRSS)
		rep.WaihuGoroutines = gNow
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// startSimProcess runs `waihu sim` as its own process (so its CPU is not
// counted as waihu's) with the given personas, and waits for its event
// socket; the password is "bench".
func startSimProcess(ctx context.Context, dir, personasYAML string, maxSessions, sps int, stderr io.Writer) (*exec.Cmd, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	personas := filepath.Join(dir, "personas.yaml")
	if err := os.WriteFile(personas, []byte(personasYAML), 0o600); err != nil {
		return nil, "", err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	sim := exec.CommandContext(ctx, self, "sim", "--esl", addr, "--password", "bench", "--personas", personas,
		"--max-sessions", strconv.Itoa(maxSessions), "--sps", strconv.Itoa(sps), "--heartbeat", "5s")
	sim.Stdout, sim.Stderr = io.Discard, stderr
	if err := sim.Start(); err != nil {
		return nil, "", err
	}
	if err := waitTCP(addr, 10*time.Second); err != nil {
		stopSimProcess(sim)
		return nil, "", err
	}
	return sim, addr, nil
}

// stopSimProcess kills the simulator unless it was already waited for.
func stopSimProcess(sim *exec.Cmd) {
	if sim.ProcessState == nil {
		_ = sim.Process.Kill()
		_ = sim.Wait()
	}
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
