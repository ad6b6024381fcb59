package lambdatest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The lambdasql binary, built once per package run into binDir.
var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// lambdasqlBinary builds cmd/lambdasql (once) and returns its path.
func lambdasqlBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lambdatest-bin-")
		if err != nil {
			binErr = err
			return
		}
		binDir = dir
		binPath = filepath.Join(dir, "lambdasql")
		cmd := osexec.Command("go", "build", "-o", binPath, "lambdasql/cmd/lambdasql")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build lambdasql/cmd/lambdasql: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a running `lambdasql serve`.
type proc struct {
	t    *testing.T
	cmd  *osexec.Cmd
	addr string
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{}
	err  error
}

var listenRE = regexp.MustCompile(`lambdasql listening.*addr=(\S+)`)

// startProc runs `lambdasql serve --data dir --listen 127.0.0.1:0 --http ""`
// and waits until it listens; it is killed at cleanup if still running.
func startProc(t *testing.T, dir string) *proc {
	t.Helper()
	bin := lambdasqlBinary(t)
	cmd := osexec.Command(bin, "serve", "--data", dir, "--listen", "127.0.0.1:0", "--http", "")
	cmd.Env = append(os.Environ(), "LAMBDASQL_HTTP=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("start lambdasql: %v", err)
	}
	p := &proc{t: t, cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() { p.kill() })
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if verbose {
				fmt.Println("[lambdasql]", line)
			}
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case addrCh <- m[1]:
				default:
				}
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case p.addr = <-addrCh:
	case <-p.done:
		t.Fatalf("lambdasql exited before listening (%v):\n%s", p.err, p.log())
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("lambdasql did not listen within 30s:\n%s", p.log())
	}
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// kill sends SIGKILL and waits for the process to exit (idempotent).
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("lambdasql pid %d did not exit after SIGKILL", p.cmd.Process.Pid)
	}
}

// stop sends SIGTERM (a clean shutdown) and waits for exit status 0.
func (p *proc) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.kill()
		p.t.Fatalf("lambdasql did not shut down within 60s after SIGTERM:\n%s", p.log())
	}
	if p.err != nil {
		p.t.Fatalf("lambdasql exited with %v after SIGTERM:\n%s", p.err, p.log())
	}
}
