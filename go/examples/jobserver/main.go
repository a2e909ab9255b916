// Command jobserver is a small HTTP service that runs submitted shell
// jobs concurrently, each in its own sandbox under one shared policy with
// a per-job timeout, and streams each job's output back as it is made.
//
//	go run ./examples/jobserver -addr 127.0.0.1:8080
//	curl --data-binary 'for i in 1 2 3; do echo $i; sleep 1; done' '127.0.0.1:8080/run?timeout=5s'
//
// A job may read the system's programs and write only its own scratch
// directory; it gets no network. The response is the job's standard
// output and error as they are written, then a last line with how it
// ended. A client that goes away cancels its job: the request's context
// kills the job's whole process group.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	sandlock "github.com/sandlock/sandlock/go"
)

const maxScript = 64 << 10

// server holds the policy every job starts from; each job copies it and
// adds its own timeout and scratch directory.
type server struct {
	policy     sandlock.Policy
	maxTimeout time.Duration
	jobs       atomic.Int64
}

// flushWriter sends each write to the client at once.
type flushWriter struct {
	mu sync.Mutex
	w  http.ResponseWriter
	f  http.Flusher
}

func (fw *flushWriter) Write(p []byte) (int, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	n, err := fw.w.Write(p)
	fw.f.Flush()
	return n, err
}

func (s *server) run(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a shell script", http.StatusMethodNotAllowed)
		return
	}
	timeout := s.maxTimeout
	if t := r.URL.Query().Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			http.Error(w, "bad timeout", http.StatusBadRequest)
			return
		}
		timeout = min(d, s.maxTimeout)
	}
	script, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxScript))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	scratch, err := os.MkdirTemp("", "job-")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer os.RemoveAll(scratch)

	// The per-job timeout is the policy's (the library kills the group);
	// the request's context also kills it when the client leaves.
	policy := s.policy
	policy.Timeout = timeout
	policy.FSWrite = []string{scratch}
	policy.Env = map[string]string{"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch}
	id := s.jobs.Add(1)
	cmd := sandlock.CommandContext(r.Context(), &policy, "/bin/sh", "-c", string(script))
	cmd.Dir = scratch
	cmd.Name = fmt.Sprintf("job-%d", id)

	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	out := &flushWriter{w: w, f: flusher}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err = cmd.Run()
	log.Printf("%s: %v after %v", cmd.Name, outcome(err), time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(out, "\n[%s: %s]\n", cmd.Name, outcome(err))
}

func outcome(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	maxTimeout := flag.Duration("max-timeout", 30*time.Second, "longest a job may run")
	flag.Parse()
	read := []string{"/usr", "/lib", "/bin", "/etc", "/dev/null"}
	if _, err := os.Stat("/lib64"); err == nil {
		read = append(read, "/lib64")
	}
	s := &server{
		policy: sandlock.Policy{
			FSRead:       read,
			MaxMemory:    512 << 20,
			MaxProcesses: 64,
		},
		maxTimeout: *maxTimeout,
	}
	http.HandleFunc("/run", s.run)
	log.Printf("listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
