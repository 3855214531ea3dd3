package app

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// This file is bench chat's idle phase and its measurements of memory,
// CPU and the machine.

// IdleResult is the memory cost of connected widgets that say nothing.
type IdleResult struct {
	Connections       int     `json:"connections"`
	ConnectSeconds    float64 `json:"connect_seconds"`
	Measured          string  `json:"measured"`
	HeapBefore        uint64  `json:"heap_before_bytes"`
	HeapAfter         uint64  `json:"heap_after_bytes"`
	RSSBefore         uint64  `json:"rss_before_bytes"`
	RSSAfter          uint64  `json:"rss_after_bytes"`
	HeapPerConn       float64 `json:"heap_per_connection_bytes"`
	RSSPerConn        float64 `json:"rss_per_connection_bytes"`
	GoroutinesPerConn float64 `json:"goroutines_per_connection"`
}

// idleWidgets connects n widgets that subscribe and then say nothing, and
// measures the server's memory before and after.
func (cb *chatBench) idleWidgets(ctx context.Context, n int, hold time.Duration) (IdleResult, error) {
	res := IdleResult{Connections: n}
	// Offset the addresses past the chat phase's customers.
	ws, err := cb.openWidgets(systemCtx(ctx), n, 1<<20)
	if err != nil {
		return res, err
	}
	// Sessions and conversations exist before the first sample, so the
	// difference is the sockets alone.
	before, err := cb.memory(ctx)
	if err != nil {
		return res, err
	}
	cb.logf("%d idle customers have a session and a conversation", n)
	start := time.Now()
	if err := cb.connectWidgets(ctx, ws); err != nil {
		return res, err
	}
	defer closeAll(ws)
	for _, w := range ws {
		w.ws.CloseRead(context.Background()) // answer the server's pings
	}
	res.ConnectSeconds = time.Since(start).Seconds()
	cb.logf("%d idle widgets connected and subscribed", n)
	time.Sleep(time.Second)
	after, err := cb.memory(ctx)
	if err != nil {
		return res, err
	}
	res.Measured = after.source
	res.HeapBefore, res.HeapAfter, res.RSSBefore, res.RSSAfter = before.heap, after.heap, before.rss, after.rss
	res.HeapPerConn = (float64(after.heap) - float64(before.heap)) / float64(n)
	res.RSSPerConn = (float64(after.rss) - float64(before.rss)) / float64(n)
	res.GoroutinesPerConn = (after.goroutines - before.goroutines) / float64(n)
	if hold > 0 {
		cb.logf("measured; holding the idle widgets for %s", hold)
		time.Sleep(hold)
	}
	return res, nil
}

// serverCPU is the remote server's CPU time so far (0 in process).
func (cb *chatBench) serverCPU(ctx context.Context) time.Duration {
	if cb.app != nil {
		return 0
	}
	s, _ := cb.memory(ctx)
	return s.cpu
}

type memSample struct {
	heap, rss  uint64
	goroutines float64
	cpu        time.Duration
	source     string
}

// memory samples the server: runtime figures when it runs in this process
// (after a collection, so only live memory counts), otherwise the
// Prometheus metrics it exports.
func (cb *chatBench) memory(ctx context.Context) (memSample, error) {
	if cb.app != nil {
		runtime.GC()
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return memSample{heap: ms.HeapInuse, rss: selfRSS(), goroutines: float64(runtime.NumGoroutine()),
			source: "runtime.MemStats HeapInuse and /proc/self/status VmRSS of the bench process (server and client ends together)"}, nil
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", cb.base+"/metrics", nil)
	resp, err := cb.client.Do(req)
	if err != nil {
		return memSample{}, err
	}
	defer resp.Body.Close()
	s := memSample{source: "the server's /metrics: go_memstats_heap_inuse_bytes, process_resident_memory_bytes"}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		v, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			s.heap = uint64(v)
		case "process_resident_memory_bytes":
			s.rss = uint64(v)
		case "go_goroutines":
			s.goroutines = v
		case "process_cpu_seconds_total":
			s.cpu = time.Duration(v * float64(time.Second))
		}
	}
	return s, sc.Err()
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAvg is the first three fields of /proc/loadavg, to tell a quiet
// machine's figures from a busy one's.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// selfRSS reads VmRSS from /proc/self/status (Linux); 0 elsewhere.
func selfRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// raiseFileLimit lifts the open-file limit to need, raising the hard limit
// too when the process may (root); 20,000 sockets outgrow the usual 1,024.
func raiseFileLimit(need uint64) (string, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur >= need {
		return "", nil
	}
	err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: need, Max: max(l.Max, need)})
	if err != nil && l.Max >= need {
		err = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: need, Max: l.Max})
	}
	if err != nil {
		return "", fmt.Errorf("bench chat: needs %d open files; the limit is %d (hard %d) and raising it failed: %w", need, l.Cur, l.Max, err)
	}
	return fmt.Sprintf("open-file limit raised from %d to %d for this process", l.Cur, need), nil
}
