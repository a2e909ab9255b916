package capi

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"strconv"
	"unsafe"
)

// Command is a sandlock_command_t: a policy copy, argv, name, handlers and
// stdio, started once by Spawn and then freed.
type Command struct{ c *C.sandlock_command_t }

// NewCommand copies p and argv into a new command.
func NewCommand(p *Policy, argv []string) (*Command, *Err) {
	cargv := make([]*C.char, 0, len(argv))
	defer func() {
		for _, a := range cargv {
			C.free(unsafe.Pointer(a))
		}
	}()
	for i, a := range argv {
		ca, err := cString("argv["+strconv.Itoa(i)+"]", a)
		if err != nil {
			return nil, err
		}
		cargv = append(cargv, ca)
	}
	var argp **C.char
	if len(cargv) > 0 {
		argp = &cargv[0]
	}
	var e *C.sandlock_error_t
	c := C.sandlock_command_new(p.p, argp, C.uint32_t(len(cargv)), &e)
	if c == nil {
		return nil, check(-1, e)
	}
	return &Command{c}, nil
}

// SetName labels the run in the library's messages.
func (c *Command) SetName(name string) *Err {
	return withString("name", name, func(s *C.char, e **C.sandlock_error_t) C.int {
		return C.sandlock_command_set_name(c.c, s, e)
	})
}

// SetStdio gives the child's stream 0, 1 or 2 a copy of fd (the library
// duplicates it now).
func (c *Command) SetStdio(stream int, fd uintptr) *Err {
	var e *C.sandlock_error_t
	var rc C.int
	switch stream {
	case 0:
		rc = C.sandlock_command_set_stdin(c.c, C.int(fd), &e)
	case 1:
		rc = C.sandlock_command_set_stdout(c.c, C.int(fd), &e)
	default:
		rc = C.sandlock_command_set_stderr(c.c, C.int(fd), &e)
	}
	return check(rc, e)
}

// AddHandler hands h to the command on every path: on failure the library
// has already freed it (and run its ud_drop).
func (c *Command) AddHandler(nr int64, h *Handler) *Err {
	var e *C.sandlock_error_t
	return check(C.sandlock_command_add_handler(c.c, C.int64_t(nr), h.h, &e), e)
}

// Spawn starts the child; its handlers go with it (or are freed on failure).
func (c *Command) Spawn() (*Child, *Err) {
	var e *C.sandlock_error_t
	child := C.sandlock_command_spawn(c.c, &e)
	if child == nil {
		return nil, check(-1, e)
	}
	return &Child{child}, nil
}

// Free releases the command and whatever it still owns: handlers that
// never ran have their ud_drop called now.
func (c *Command) Free() {
	C.sandlock_command_free(c.c)
	c.c = nil
}
