package sandlock

import (
	"bytes"
	"errors"
)

// Output runs the command and returns its standard output, at most
// Policy.MaxOutput bytes of it (the rest is read and discarded). When
// Stderr is nil, an *ExitError carries the start of standard error.
func (c *Cmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("sandlock: Stdout already set")
	}
	limit := c.limit()
	stdout := &boundedBuffer{limit: limit}
	c.Stdout = stdout
	var stderr *boundedBuffer
	if c.Stderr == nil {
		stderr = &boundedBuffer{limit: min(limit, exitErrorStderr)}
		c.Stderr = stderr
	}
	err := c.Run()
	var ee *ExitError
	if stderr != nil && errors.As(err, &ee) {
		ee.Stderr = stderr.Bytes()
	}
	return stdout.Bytes(), err
}

// CombinedOutput runs the command and returns its standard output and
// standard error together, at most Policy.MaxOutput bytes.
func (c *Cmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("sandlock: Stdout already set")
	}
	if c.Stderr != nil {
		return nil, errors.New("sandlock: Stderr already set")
	}
	b := &boundedBuffer{limit: c.limit()}
	c.Stdout, c.Stderr = b, b
	err := c.Run()
	return b.Bytes(), err
}

// exitErrorStderr bounds what an ExitError keeps of standard error.
const exitErrorStderr = 64 << 10

func (c *Cmd) limit() int {
	if c.policy == nil {
		return defaultMaxOutput
	}
	return c.policy.maxOutput()
}

// boundedBuffer keeps the first limit bytes written and discards the
// rest, while reporting every write as complete so the child's pipe keeps
// draining.
type boundedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }
