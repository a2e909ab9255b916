package sandlock_test

import (
	"bytes"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sandlock "github.com/sandlock/sandlock/go"
)

// systemPolicy lets the child load system programs and python3, and
// nothing else.
func systemPolicy(extraRead ...string) *sandlock.Policy {
	read := []string{"/usr", "/lib", "/bin", "/etc", "/dev/null"}
	if _, err := os.Stat("/lib64"); err == nil {
		read = append(read, "/lib64")
	}
	return &sandlock.Policy{
		FSRead: append(read, extraRead...),
		Env:    map[string]string{"PATH": "/usr/bin:/bin", "LC_ALL": "C"},
	}
}

// probeFile is a file with a name no interpreter opens by itself.
func probeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "probe-"+strings.ReplaceAll(t.Name(), "/", "-"))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// quietLog collects handler panic reports instead of printing them.
func quietLog() (*log.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return log.New(&buf, "", 0), &buf
}

// python runs a python3 one-liner under p and returns what it printed.
func python(t *testing.T, p *sandlock.Policy, code string, setup func(*sandlock.Cmd)) (string, string, error) {
	t.Helper()
	cmd := sandlock.Command(p, "/usr/bin/python3", "-S", "-c", code)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if setup != nil {
		setup(cmd)
	}
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// quote is s as a Python string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// openProbe is an open probe file with content, closed after the test.
func openProbe(t *testing.T, content string) (*os.File, error) {
	f, err := os.Open(probeFile(t, content))
	if err == nil {
		t.Cleanup(func() { _ = f.Close() })
	}
	return f, err
}
