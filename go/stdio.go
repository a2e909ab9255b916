package sandlock

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/sandlock/sandlock/go/internal/capi"
)

// connectStdio gives the command an fd for each stream that is not nil.
// The library duplicates each fd, so the parent's ends of pipes are
// closed right after the spawn (closeAfterStart).
func (c *Cmd) connectStdio(cmd *capi.Command) error {
	in, err := c.childStdin()
	if err != nil {
		return err
	}
	out, err := c.childWriter(c.Stdout)
	if err != nil {
		return err
	}
	errOut := out
	if !interfaceEqual(c.Stderr, c.Stdout) {
		if errOut, err = c.childWriter(c.Stderr); err != nil {
			return err
		}
	}
	for stream, f := range [3]*os.File{in, out, errOut} {
		if f == nil {
			continue
		}
		fd := f.Fd()
		// A closed file's Fd is -1, which the library reads as "the
		// default": the stream would silently go to /dev/null.
		if fd == ^uintptr(0) {
			return invalid(streamNames[stream], "the *os.File %q is closed: give an open file, or nil for /dev/null",
				f.Name())
		}
		if err := cmd.SetStdio(stream, fd); err != nil {
			return fromC(streamNames[stream], err)
		}
	}
	return nil
}

var streamNames = [3]string{"Cmd.Stdin", "Cmd.Stdout", "Cmd.Stderr"}

// interfaceEqual is a == b without the panic of comparing uncomparable
// dynamic types.
func interfaceEqual(a, b any) (equal bool) {
	defer func() { _ = recover() }()
	return a == b
}

func (c *Cmd) childStdin() (*os.File, error) {
	switch r := c.Stdin.(type) {
	case nil:
		return nil, nil
	case *os.File:
		return r, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	w := &closeOnce{File: pw}
	c.closeAfterStart = append(c.closeAfterStart, pr)
	c.closeAfterWait = append(c.closeAfterWait, w)
	c.copiers = append(c.copiers, func() error {
		_, err := io.Copy(w, c.Stdin)
		// A child that stops reading is not a failure of the copy.
		if errors.Is(err, syscall.EPIPE) {
			err = nil
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return pr, nil
}

func (c *Cmd) childWriter(w io.Writer) (*os.File, error) {
	switch f := w.(type) {
	case nil:
		return nil, nil
	case *os.File:
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	c.closeAfterStart = append(c.closeAfterStart, pw)
	c.closeAfterWait = append(c.closeAfterWait, pr)
	c.copiers = append(c.copiers, func() error {
		_, err := io.Copy(w, pr)
		_ = pr.Close()
		return err
	})
	return pw, nil
}

// startCopiers runs the goroutines that feed and drain the pipes.
func (c *Cmd) startCopiers() {
	c.copyErrs = make(chan error, len(c.copiers))
	for _, copy := range c.copiers {
		go func() { c.copyErrs <- copy() }()
	}
}

// closeOnce is a pipe end that both a copier and Wait may close.
type closeOnce struct {
	*os.File
	once sync.Once
	err  error
}

func (c *closeOnce) Close() error {
	c.once.Do(func() { c.err = c.File.Close() })
	return c.err
}

// StdinPipe returns a pipe connected to the child's standard input. Wait
// closes it after the child ends; close it earlier to send end of file.
func (c *Cmd) StdinPipe() (io.WriteCloser, error) {
	if c.Stdin != nil {
		return nil, errors.New("sandlock: Stdin already set")
	}
	if c.started {
		return nil, errors.New("sandlock: StdinPipe after Start")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	c.Stdin = pr
	c.closeAfterStart = append(c.closeAfterStart, pr)
	w := &closeOnce{File: pw}
	c.closeAfterWait = append(c.closeAfterWait, w)
	return w, nil
}

// StdoutPipe returns a pipe connected to the child's standard output.
// Wait closes it after the child ends, so read everything before Wait.
func (c *Cmd) StdoutPipe() (io.ReadCloser, error) {
	if c.Stdout != nil {
		return nil, errors.New("sandlock: Stdout already set")
	}
	pr, pw, err := c.outputPipe()
	if err != nil {
		return nil, err
	}
	c.Stdout = pw
	return pr, nil
}

// StderrPipe is StdoutPipe for standard error.
func (c *Cmd) StderrPipe() (io.ReadCloser, error) {
	if c.Stderr != nil {
		return nil, errors.New("sandlock: Stderr already set")
	}
	pr, pw, err := c.outputPipe()
	if err != nil {
		return nil, err
	}
	c.Stderr = pw
	return pr, nil
}

// outputPipe makes a pipe whose write end goes to the child and whose
// read end the caller reads until Wait closes it.
func (c *Cmd) outputPipe() (pr, pw *os.File, err error) {
	if c.started {
		return nil, nil, errors.New("sandlock: output pipe after Start")
	}
	if pr, pw, err = os.Pipe(); err != nil {
		return nil, nil, err
	}
	c.closeAfterStart = append(c.closeAfterStart, pw)
	c.closeAfterWait = append(c.closeAfterWait, pr)
	return pr, pw, nil
}
