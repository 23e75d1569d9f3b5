# bpfbox — the one Makefile.
#
#   make            build/bpfbox, build/libbpfbox.a, build/libbpfbox.so
#   make test       build everything and run every test; ends "N passed, N failed"
#   make asan       the same tests under AddressSanitizer (+ LeakSanitizer)
#   make ubsan      the same tests under UndefinedBehaviorSanitizer
#   make bench      benchmarks (ratios, not absolute times)
#   make fuzz       longer fuzz runs (a short one is part of `make test`)
#   make demo       the README's demo
#   make man        regenerate docs/bpfbox.1 from the --help texts
#
# Variants build into their own directory (BUILD=build-asan, ...), so a
# sanitizer build never mixes objects with the normal one.  Every source
# folder under src/ is a layer (see DESIGN.md); each .c there goes into the
# library.  cli/ is the command; tests/unit/test_*.c are test programs.

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wpointer-arith -Wformat=2
CFLAGS  ?=
CFLAGS  += -std=gnu11 $(OPT) $(WARN) $(SAN) -fPIC -fvisibility=hidden \
           -D_GNU_SOURCE -Iinclude -Isrc -Icli -I$(BUILD)/gen $(EXTRA_CFLAGS)
LDFLAGS += $(SAN)
# External libraries of the layers that need them (DESIGN.md: libelf and
# libbpf's BTF API for objects, libbpf for the kernel backend, libpcap for
# packet sources).  The core VM layers need only libc.
LIBS    := $(shell pkg-config --libs libelf libbpf libpcap zlib 2>/dev/null || echo -lelf -lbpf -lpcap -lz) -lpthread -lm

LIB_SRCS := $(sort $(wildcard src/*/*.c))
CLI_SRCS := $(sort $(wildcard cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/unit/test_*.c))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
GEN := $(BUILD)/gen/isa_index.h

.PHONY: all test asan ubsan bench fuzz demo man clean install
all: $(BUILD)/bpfbox $(BUILD)/libbpfbox.a $(BUILD)/libbpfbox.so $(TEST_BINS)

$(BUILD)/gen/isa_index.h: tools/gen_isa_index.c src/isa/isa.def
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O0 -o $(BUILD)/gen/gen_isa_index $<
	$(BUILD)/gen/gen_isa_index > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libbpfbox.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libbpfbox.so: $(LIB_OBJS) src/libbpfbox.map
	$(CC) -shared -o $@ $(LIB_OBJS) -Wl,--version-script=src/libbpfbox.map $(LDFLAGS) $(LIBS)

$(BUILD)/bpfbox: $(CLI_OBJS) $(BUILD)/libbpfbox.a
	$(CC) -o $@ $(CLI_OBJS) $(BUILD)/libbpfbox.a $(LDFLAGS) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbpfbox.a tests/unit/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libbpfbox.a $(LDFLAGS) $(LIBS)

test: all
	@BUILD=$(BUILD) tests/run-tests

asan:
	$(MAKE) BUILD=build-asan SAN="-fsanitize=address,undefined -fno-omit-frame-pointer" OPT="-O1 -g" test

ubsan:
	$(MAKE) BUILD=build-ubsan SAN="-fsanitize=undefined -fno-sanitize-recover=undefined" OPT="-O1 -g" test

bench: all
	@BUILD=$(BUILD) bench/run-bench
	@BUILD=$(BUILD) bench/hooks-bench

fuzz: all
	@BUILD=$(BUILD) tests/fuzz/run-fuzz long

# The man page is generated from the --help texts (tests/suites/cli.sh
# fails when the committed docs/bpfbox.1 differs from them).
man: $(BUILD)/bpfbox
	tools/gen-man $(BUILD)/bpfbox > docs/bpfbox.1

demo: all
	@BUILD=$(BUILD) examples/demo.sh

clean:
	rm -rf build build-asan build-ubsan

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
