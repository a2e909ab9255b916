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

func TestStdDevicesPrivateTmpAndPrivateShm(t *testing.T) {
	script := `echo x > /dev/null && echo kept > "$TMPDIR/f" && cat "$TMPDIR/f"`
	p := systemPolicy()
	p.PrivateTmp = true
	p.PrivateShm = true
	out, err := sandlock.Command(p, "/bin/sh", "-c", script).Output()
	if err != nil || string(out) != "kept\n" {
		t.Fatalf("stdout %q, err %v", out, err)
	}
	p.NoStdDevices = true
	if err := sandlock.Command(p, "/bin/sh", "-c", "cat /dev/zero").Run(); err == nil {
		t.Fatal("the child read /dev/zero with NoStdDevices")
	}
}
