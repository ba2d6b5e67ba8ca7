package switchsim

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkAnsweredCall measures the simulator's cost of one whole
// answered call: originate over ESL, outbound socket connect, myevents,
// one 100 ms prompt (TimeScale 0.01: 1 ms), hangup, disconnect notice,
// exit, with one inbound listener subscribed to the channel events.
func BenchmarkAnsweredCall(b *testing.B) {
	personas, err := ParsePersonas([]byte("personas:\n  - name: fast\n    match: [\"re:.\"]\n    ring_ms: 0\n"))
	if err != nil {
		b.Fatal(err)
	}
	s := startSim(b, Options{Personas: personas, MaxSessions: 100000, SessionsPerSecond: 1000000})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				c := &client{t: b, nc: nc, br: bufio.NewReader(nc)}
				_, _ = io.WriteString(nc, "connect\n\nmyevents\n\nlinger\n\nsendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: silence_stream://100\nevent-lock: true\n\n")
				for {
					f, err := c.read()
					if err != nil {
						return
					}
					if f.ct() == "text/event-plain" {
						e, _ := parseEvent(f)
						if e.get("Event-Name") == "CHANNEL_EXECUTE_COMPLETE" {
							_, _ = io.WriteString(nc, "sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n")
						}
					}
					if f.ct() == "text/disconnect-notice" {
						_, _ = io.WriteString(nc, "exit\n\n")
						return
					}
				}
			}()
		}
	}()
	watch := dial(b, s.ESLAddr(), "ClueCon")
	watch.cmd("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB", nil)
	done := make(chan struct{})
	var ended atomic.Int64
	go func() {
		defer close(done)
		for {
			f, err := watch.read()
			if err != nil {
				return
			}
			if f.ct() == "text/event-plain" {
				e, _ := parseEvent(f)
				if e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" {
					if ended.Add(1) == int64(b.N) {
						return
					}
				}
			}
		}
	}()
	ctl := dial(b, s.ESLAddr(), "ClueCon")
	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctl.send(fmt.Sprintf("bgapi originate {origination_uuid=bench-%d}sofia/gateway/gw/1380000%04d '&socket(%s async full)'", i, i%10000, ln.Addr()))
	}
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	// process CPU (simulator plus this benchmark's own ESL clients)
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/call")
}

// BenchmarkRenderHangupComplete is the cost of rendering the largest
// event (CHANNEL_HANGUP_COMPLETE with every variable) in plain and json.
func BenchmarkRenderHangupComplete(b *testing.B) {
	s, _ := New(Options{})
	ds, _ := parseDialString("{origination_uuid=x,waihu_attempt=A1}sofia/gateway/gw/13800000000")
	c := &call{sim: s, ds: ds, number: ds.number, uuid: "x", created: time.Now(), persona: DefaultPersonas().For("0")}
	c.initVars(1)
	c.answeredAt = time.Now()
	c.cause = "NORMAL_CLEARING"
	c.addTimingVars(time.Now())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := c.channelEvent("CHANNEL_HANGUP_COMPLETE", "f", "g", 1)
		_ = e.render("plain")
		_ = e.render("json")
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLiveCallFootprint holds 2,000 answered, parked calls at once
// and reports the simulator's heap and goroutines per live call.
func BenchmarkLiveCallFootprint(b *testing.B) {
	personas, err := ParsePersonas([]byte("personas:\n  - name: hold\n    match: [\"re:.\"]\n    ring_ms: 0\n"))
	if err != nil {
		b.Fatal(err)
	}
	const n = 2000
	for i := 0; i < b.N; i++ {
		s := startSim(b, Options{Personas: personas, MaxSessions: n, SessionsPerSecond: 1000000})
		ctl := dial(b, s.ESLAddr(), "ClueCon")
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		g0 := runtime.NumGoroutine()
		for j := 0; j < n; j++ {
			ctl.send(fmt.Sprintf("bgapi originate {origination_uuid=fp-%d-%d,waihu_attempt=%d}sofia/gateway/gw/1380000%04d &park()", i, j, j, j))
		}
		for s.LiveCalls() < n || !allParked(s) {
			time.Sleep(10 * time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "heap-B/call")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/call")
		s.Close()
	}
}

func allParked(s *Sim) bool {
	for _, c := range s.Calls() {
		if c.State != "CS_EXECUTE" {
			return false
		}
	}
	return true
}
