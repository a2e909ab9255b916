package sandlock_test

import (
	"testing"

	sandlock "github.com/sandlock/sandlock/go"
)

func TestOutputOfEcho(t *testing.T) {
	out, err := sandlock.Command(systemPolicy(), "/bin/echo", "hello", "world").Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "hello world\n" {
		t.Fatalf("stdout %q", out)
	}
}
