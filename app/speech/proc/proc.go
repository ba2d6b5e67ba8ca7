// Package proc runs speech engines as child processes. GPL engines
// (espeak-ng, flite, pocketsphinx) stay outside the binary; a crash, hang or
// kill of one of them fails only the request or turn it was serving.
package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Run executes a one-shot command with stdin, returning stdout. The context
// bounds it; a timeout is reported as ErrTimeout so callers can record the
// engine_timeout reason code.
func Run(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &limited{w: &errb, n: 4096}
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("run %s: %w", name, ErrTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w: %s", name, err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// ErrTimeout: the process did not finish in time and was killed.
var ErrTimeout = errors.New("engine process timed out")

// ErrDied: a long-lived worker exited while serving.
var ErrDied = errors.New("engine process died")

type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}

// Worker is a long-lived child with a writable stdin pipe (with deadlines,
// so a hung engine cannot block a call) and a readable stdout.
type Worker struct {
	cmd    *exec.Cmd
	stdin  *os.File
	peek   *os.File // our copy of the stdin read end: FIONREAD tells what the child has not read yet
	Stdout *os.File
	done   chan struct{}
	err    error
	killed atomic.Bool
	Start  time.Time
}

// StartWorker starts name with args and pipes.
func StartWorker(name string, args ...string) (*Worker, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdin, cmd.Stdout = inR, outW
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	outW.Close()
	w := &Worker{cmd: cmd, stdin: inW, peek: inR, Stdout: outR, done: make(chan struct{}), Start: time.Now()}
	go func() {
		w.err = cmd.Wait()
		close(w.done)
	}()
	return w, nil
}

// Pid is the child's process id (tests kill it to prove isolation).
func (w *Worker) Pid() int { return w.cmd.Process.Pid }

// Done is closed when the process has exited.
func (w *Worker) Done() <-chan struct{} { return w.done }

// Alive reports whether the process still runs.
func (w *Worker) Alive() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// Write writes to stdin, failing after timeout instead of blocking forever.
// It writes in short slices so a child that dies mid-write (we keep a read
// end open, so there is no EPIPE) is noticed within 100 ms.
func (w *Worker) Write(p []byte, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for len(p) > 0 {
		if !w.Alive() {
			return ErrDied
		}
		step := min(time.Until(end), 100*time.Millisecond)
		if step <= 0 {
			return ErrTimeout
		}
		_ = w.stdin.SetWriteDeadline(time.Now().Add(step))
		n, err := w.stdin.Write(p)
		p = p[n:]
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("%w: %v", ErrDied, err)
		}
	}
	return nil
}

// Pending is how many bytes written to stdin the child has not read yet
// (-1 if unknown). Zero means it has taken everything we sent.
func (w *Worker) Pending() int {
	n := -1
	rc, err := w.peek.SyscallConn()
	if err != nil {
		return n
	}
	_ = rc.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v))); e == 0 {
			n = int(v)
		}
	})
	return n
}

// Kill stops the process group and releases the pipes.
func (w *Worker) Kill() {
	w.killed.Store(true)
	if w.Alive() {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-w.done
	w.stdin.Close()
	w.peek.Close()
	w.Stdout.Close()
}

// Backoff spaces restarts of a crashing engine: the first restart is
// immediate, then 100 ms doubling to Max; Success resets it. It is what keeps a broken install from fork-bombing the host
// while every call still fails fast.
type Backoff struct {
	Min, Max time.Duration
	mu       sync.Mutex
	fails    int
	next     time.Time
}

// Failure records a failed start or an early death.
func (b *Backoff) Failure(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 100 * time.Millisecond
	}
	if hi <= 0 {
		hi = 10 * time.Second
	}
	b.fails++
	if b.fails == 1 {
		// One free restart: a worker killed once (OOM, an operator) comes
		// back at once; only repeated deaths wait.
		b.next = now
		return
	}
	d := lo << min(b.fails-2, 16)
	if d > hi || d <= 0 {
		d = hi
	}
	b.next = now.Add(d)
}

// Success clears the failure count.
func (b *Backoff) Success() {
	b.mu.Lock()
	b.fails = 0
	b.next = time.Time{}
	b.mu.Unlock()
}

// Wait reports how long to wait before the next start (0 = go).
func (b *Backoff) Wait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Before(b.next) {
		return b.next.Sub(now)
	}
	return 0
}

// Fails is the number of consecutive failures.
func (b *Backoff) Fails() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fails
}

// KilledByUs reports whether the process ended by our Kill (an intended
// stop) rather than exiting or crashing on its own. Only valid after Done.
func (w *Worker) KilledByUs() bool {
	if !w.killed.Load() || w.cmd.ProcessState == nil {
		return false
	}
	ws, ok := w.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
