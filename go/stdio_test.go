package sandlock_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	sandlock "github.com/sandlock/sandlock/go"
)

func TestTenMiBStreamThroughPipes(t *testing.T) {
	data := make([]byte, 10<<20)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(data)
	want := sha256.Sum256(data)

	cmd := sandlock.Command(systemPolicy(), "/bin/cat")
	// Neither is an *os.File: both go through a pipe and a goroutine.
	cmd.Stdin = bytes.NewReader(data)
	h := sha256.New()
	counter := &countingWriter{w: h}
	cmd.Stdout = counter
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if counter.n != len(data) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("%d bytes came back, digest differs: %v", counter.n, !bytes.Equal(h.Sum(nil), want[:]))
	}
}

type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return c.w.Write(p)
}

func TestStdoutPipe(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/usr/bin/seq", "1", "1000")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for s := bufio.NewScanner(out); s.Scan(); {
		lines++
		if s.Text() != strconv.Itoa(lines) {
			t.Fatalf("line %d is %q", lines, s.Text())
		}
	}
	if err := cmd.Wait(); err != nil || lines != 1000 {
		t.Fatalf("%d lines, err %v", lines, err)
	}
}

func TestStdinPipeAndStderrPipe(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/sh", "-c", "cat >&2")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(in, "through stdin to stderr\n"); err != nil {
		t.Fatal(err)
	}
	_ = in.Close()
	got, err := io.ReadAll(errPipe)
	if err != nil || string(got) != "through stdin to stderr\n" {
		t.Fatalf("stderr %q, err %v", got, err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestFilesArePassedDirectly(t *testing.T) {
	dir := t.TempDir()
	in, err := os.Open(probeFile(t, "file in\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := sandlock.Command(systemPolicy(), "/bin/cat")
	cmd.Stdin, cmd.Stdout = in, out
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out.Name()); string(got) != "file in\n" {
		t.Fatalf("file holds %q", got)
	}
}

func TestNilStreamsAreDevNull(t *testing.T) {
	out, err := sandlock.Command(systemPolicy(), "/bin/sh", "-c", "wc -c; echo gone >&2").Output()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
}

func TestCombinedOutputAndExitErrorStderr(t *testing.T) {
	cmd := sandlock.Command(systemPolicy(), "/bin/sh", "-c", "echo out; echo err >&2; exit 3")
	out, err := cmd.CombinedOutput()
	if string(out) != "out\nerr\n" || exitCode(t, err) != 3 {
		t.Fatalf("output %q, err %v", out, err)
	}
	_, err = sandlock.Command(systemPolicy(), "/bin/sh", "-c", "echo why >&2; exit 4").Output()
	ee, ok := err.(*sandlock.ExitError)
	if !ok || string(ee.Stderr) != "why\n" || ee.ExitCode() != 4 || ee.Error() != "exit status 4" {
		t.Fatalf("err %v", err)
	}
}

func TestOutputKeepsMaxOutputBytes(t *testing.T) {
	p := systemPolicy()
	p.MaxOutput = 1000
	out, err := sandlock.Command(p, "/bin/sh", "-c", "yes | head -c 100000").Output()
	if err != nil || len(out) != 1000 {
		t.Fatalf("%d bytes, err %v", len(out), err)
	}
}

func TestClosedFilesAreRefusedNotDefaulted(t *testing.T) {
	closed := func(t *testing.T) *os.File {
		f, err := os.Create(filepath.Join(t.TempDir(), "closed"))
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
		return f
	}
	for _, stream := range []string{"Stdin", "Stdout", "Stderr"} {
		t.Run(stream, func(t *testing.T) {
			// A default stream would let the child run, and leave a mark.
			dir := t.TempDir()
			mark := filepath.Join(dir, "ran")
			p := systemPolicy()
			p.FSWrite = []string{dir}
			cmd := sandlock.Command(p, "/bin/sh", "-c", "echo ran > "+mark)
			f := closed(t)
			switch stream {
			case "Stdin":
				cmd.Stdin = f
			case "Stdout":
				cmd.Stdout = f
			case "Stderr":
				cmd.Stderr = f
			}
			se := startFails(t, cmd, sandlock.ErrInvalid, strconv.Quote(f.Name())+" is closed")
			if se.Op != "Cmd."+stream {
				t.Fatalf("Op %q", se.Op)
			}
			if _, err := os.Stat(mark); err == nil {
				t.Fatal("the child ran")
			}
		})
	}
	t.Run("InjectFile", func(t *testing.T) {
		const virtual = "/virtual/closed"
		cmd := sandlock.Command(systemPolicy(), "/bin/cat", virtual)
		cmd.Handle("openat", onPath(virtual, sandlock.InjectFile(closed(t), 0)),
			sandlock.OnException(sandlock.ExceptionDenyEIO))
		out, err := cmd.CombinedOutput()
		if want := "/bin/cat: " + virtual + ": Input/output error\n"; string(out) != want || exitCode(t, err) != 1 {
			t.Fatalf("output %q, err %v; want %q", out, err, want)
		}
	})
}
