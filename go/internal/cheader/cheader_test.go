package cheader

import "testing"

func TestLayoutRules(t *testing.T) {
	h, err := Parse(`#define SANDLOCK_A (1 << 3)
#define SANDLOCK_B 4096
enum x {
    SANDLOCK_C = -7,
};
typedef struct pair {
    uint8_t a;
    uint64_t b[2];
    bool c;
} pair;
typedef union either {
    uint32_t small;
    struct pair big;
} either;
typedef struct outer {
    uint32_t kind;
    union either payload;
} outer;
`)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{"SANDLOCK_A": 8, "SANDLOCK_B": 4096, "SANDLOCK_C": -7} {
		if h.Consts[name] != want {
			t.Errorf("%s = %d, want %d", name, h.Consts[name], want)
		}
	}
	pair, outer := h.Types["pair"], h.Types["outer"]
	if pair.Size != 32 || pair.Offsets["b"] != 8 || pair.Offsets["c"] != 24 {
		t.Errorf("pair %+v", pair)
	}
	if outer.Size != 40 || outer.Offsets["payload"] != 8 || h.Types["either"].Size != 32 {
		t.Errorf("outer %+v", outer)
	}
}

func TestUnknownFieldTypeFails(t *testing.T) {
	if _, err := Parse("typedef struct s {\n    float x;\n} s;\n"); err == nil {
		t.Fatal("a float field parsed")
	}
}
