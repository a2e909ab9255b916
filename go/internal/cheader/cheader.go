// Package cheader reads the constants and struct layouts out of
// include/sandlock.h, so tests can hold the Go package to the header
// itself rather than to numbers copied on both sides.
//
// It understands what cbindgen writes there: "#define NAME value" with an
// integer or "(1 << n)", enum members "NAME = value,", and typedef'd
// structs and unions of fixed-width integers, bool, arrays and earlier
// structs and unions, laid out by the x86-64 and AArch64 C ABI rules.
package cheader

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Header is what a parse found.
type Header struct {
	Consts map[string]int64
	Types  map[string]*Layout
}

// Layout is a struct or union as a C compiler lays it out.
type Layout struct {
	Size, Align uintptr
	Offsets     map[string]uintptr
}

var (
	defineRe = regexp.MustCompile(`^#define (SANDLOCK_\w+) (?:\(1 << (\d+)\)|(-?\d+))$`)
	memberRe = regexp.MustCompile(`^\s+(SANDLOCK_\w+) = (-?\d+),?$`)
	openRe   = regexp.MustCompile(`^typedef (struct|union) (\w+) \{$`)
	fieldRe  = regexp.MustCompile(`^\s+((?:struct |union )?\w+) (\w+)(?:\[(\d+)\])?;$`)
	closeRe  = regexp.MustCompile(`^\} (\w+);$`)
)

// scalars are the field types cbindgen emits, with their size (= alignment).
var scalars = map[string]uintptr{
	"uint8_t": 1, "int8_t": 1, "bool": 1,
	"uint16_t": 2, "int16_t": 2,
	"uint32_t": 4, "int32_t": 4, "int": 4,
	"uint64_t": 8, "int64_t": 8, "size_t": 8,
}

// Load parses the header at path.
func Load(path string) (*Header, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(string(text))
}

// Parse reads a header's text.
func Parse(text string) (*Header, error) {
	h := &Header{Consts: map[string]int64{}, Types: map[string]*Layout{}}
	var open *builder
	for n, line := range strings.Split(text, "\n") {
		if err := h.line(line, &open); err != nil {
			return nil, fmt.Errorf("line %d: %q: %w", n+1, line, err)
		}
	}
	if open != nil {
		return nil, fmt.Errorf("%s %s is never closed", open.kind, open.name)
	}
	return h, nil
}

func (h *Header) line(line string, open **builder) error {
	if m := defineRe.FindStringSubmatch(line); m != nil {
		if m[2] != "" {
			shift, _ := strconv.Atoi(m[2])
			h.Consts[m[1]] = 1 << shift
		} else {
			h.Consts[m[1]], _ = strconv.ParseInt(m[3], 10, 64)
		}
		return nil
	}
	if m := memberRe.FindStringSubmatch(line); m != nil && *open == nil {
		h.Consts[m[1]], _ = strconv.ParseInt(m[2], 10, 64)
		return nil
	}
	if m := openRe.FindStringSubmatch(line); m != nil {
		*open = &builder{kind: m[1], name: m[2], layout: &Layout{Align: 1, Offsets: map[string]uintptr{}}}
		return nil
	}
	if *open == nil {
		return nil
	}
	if m := fieldRe.FindStringSubmatch(line); m != nil {
		count := uintptr(1)
		if m[3] != "" {
			n, _ := strconv.Atoi(m[3])
			count = uintptr(n)
		}
		return (*open).field(h, m[1], m[2], count)
	}
	if m := closeRe.FindStringSubmatch(line); m != nil {
		b := *open
		if m[1] != b.name {
			return fmt.Errorf("%s %s closed as %s", b.kind, b.name, m[1])
		}
		b.layout.Size = roundUp(b.layout.Size, b.layout.Align)
		h.Types[b.name] = b.layout
		*open = nil
	}
	return nil
}

// builder is a struct or union being read.
type builder struct {
	kind, name string
	layout     *Layout
}

func (b *builder) field(h *Header, typ, name string, count uintptr) error {
	size, align := scalars[typ], scalars[typ]
	if size == 0 {
		inner, ok := h.Types[strings.TrimPrefix(strings.TrimPrefix(typ, "struct "), "union ")]
		if !ok {
			return fmt.Errorf("unknown type %q", typ)
		}
		size, align = inner.Size, inner.Align
	}
	l := b.layout
	l.Align = max(l.Align, align)
	if b.kind == "union" {
		l.Offsets[name] = 0
		l.Size = max(l.Size, size*count)
		return nil
	}
	off := roundUp(l.Size, align)
	l.Offsets[name] = off
	l.Size = off + size*count
	return nil
}

func roundUp(n, align uintptr) uintptr { return (n + align - 1) / align * align }
