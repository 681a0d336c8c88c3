# vmm — a KVM virtual machine monitor. See README.md.
CC      ?= gcc
OPT     ?= -O2 -g
SAN     ?=
CFLAGS  := $(OPT) $(SAN) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
           -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -D_GNU_SOURCE -I. -pthread -MMD -MP
LDLIBS  := $(SAN) -pthread -ldl -luring -llz4 -lz -llzma -lzstd -ljansson -lseccomp
BUILD   ?= build

LIB_SRCS := $(wildcard util/*.c kvm/*.c devices/*.c virtio/*.c boot/*.c) \
            $(filter-out vmm/main.c,$(wildcard vmm/*.c))
OBJ      := $(BUILD)/obj
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJ)/%.o)
VMM      := $(BUILD)/vmm

DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all vmm deps guest run test unit integration boot-test nested asan tsan \
	asan-build tsan-build \
	fuzz fuzz-build bench clean install
all: vmm

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary and its man page.
PREFIX  ?= /usr/local
install: $(VMM)
	install -D -m 755 $(VMM) $(DESTDIR)$(PREFIX)/bin/vmm
	install -D -m 644 docs/vmm.1 $(DESTDIR)$(PREFIX)/share/man/man1/vmm.1

# Install missing Debian packages once (scripts/deps.sh is idempotent).
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	@./scripts/deps.sh
	@touch $@
deps: $(DEPS_STAMP)

vmm: $(VMM)

$(VMM): $(LIB_OBJS) $(OBJ)/vmm/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(OBJ)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libvmm.a: $(LIB_OBJS)
	ar rcs $@ $^

# ---- tests -------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(BUILD)/unit-tests
$(UNIT_BIN): $(UNIT_SRCS:%.c=$(OBJ)/%.o) $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

include tests/integration/guests.mk

unit: $(UNIT_BIN)
	$(UNIT_BIN) --jobs 2

# On this host's KVM, or inside L1 (tests/nested/) where there is none.
integration: $(VMM) $(TEST_GUESTS)
	if [ -c /dev/kvm ]; then ./tests/integration/run.sh $(VMM) $(BUILD)/guests; \
	else $(MAKE) guest && ./tests/nested/integration.sh $(VMM) $(BUILD)/guests; fi

GUEST_DIR := $(BUILD)/guest
$(BUILD)/extract-vmlinux: $(OBJ)/guest-images/extract-vmlinux.o $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

guest: $(BUILD)/extract-vmlinux
	./guest-images/build.sh $(GUEST_DIR) $(BUILD)/extract-vmlinux

boot-test: $(VMM) guest
	./tests/boot/boot-test.sh $(VMM) $(GUEST_DIR)

# The stock guest on real KVM: L1 (QEMU TCG, -cpu max: nested SVM) runs
# the checks against vmm and against QEMU. NESTED_ARGS=vmm:devices ...
# picks scenarios.
nested: $(VMM) guest
	./tests/nested/stock.sh $(VMM) $(GUEST_DIR) $(NESTED_ARGS)

# Every test: unit (Criterion), integration (tiny guests), the sanitizer
# builds (ASan+UBSan unit + integration, TSan races, each fuzz target for
# CI_FUZZ_SECS), the PVM guard and the stock guest on real KVM (nested).
CI_FUZZ_SECS ?= 20
test: $(VMM) $(UNIT_BIN) $(TEST_GUESTS) guest asan-build tsan-build fuzz-build
	TSAN_TESTS="$(TSAN_TESTS)" FUZZ_NAMES="$(FUZZ_NAMES)" \
	    CI_FUZZ_SECS=$(CI_FUZZ_SECS) ./tests/run-all.sh $(BUILD)

run: $(VMM) guest
	$(VMM) -m 512M -smp 2 -kernel $(GUEST_DIR)/vmlinuz \
	    -initrd $(GUEST_DIR)/initramfs.cpio \
	    -append "console=ttyS0 reboot=k panic=-1" -nographic

# ASan + UBSan: the unit tests and the integration tests (real KVM, tiny
# guests, bad input) with the instrumented vmm.
ASAN_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan-build:
	$(MAKE) BUILD=build-asan OPT="-O1 -g" SAN="$(ASAN_SAN)" vmm \
	    build-asan/unit-tests $(TEST_GUESTS:$(BUILD)/%=build-asan/%)
asan: asan-build guest
	build-asan/unit-tests --jobs 2
	if [ -c /dev/kvm ]; then ./tests/integration/run.sh build-asan/vmm build-asan/guests; \
	else GUEST_BUILD=$(GUEST_DIR) NESTED_DIR=$(BUILD)/nested \
	    ./tests/nested/integration.sh build-asan/vmm build-asan/guests; fi

# libFuzzer targets (clang), linked against the real code built with
# ASan + UBSan: `make fuzz` runs each for FUZZ_SECS (default 60) from its
# seed corpus in tests/fuzz/corpus/; a crash fails the run.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SECS ?= 60
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 -g" SAN="$(FUZZ_SAN)" \
	    $(FUZZ_NAMES:%=build-fuzz/fuzz_%)
fuzz: fuzz-build
	./scripts/fuzz.sh build-fuzz $(FUZZ_SECS) $(FUZZ_NAMES)

$(BUILD)/fuzz_%: $(OBJ)/tests/fuzz/fuzz_%.o $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# ThreadSanitizer over the race tests: reset against kicks, completions
# and interrupts for every device (tests/unit/test_races.c), the TX
# double fetch, slow QMP clients. Built as plain programs with a small
# Criterion shim (tests/tsan/): Criterion cannot run under TSan.
TSAN_SAN := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_TESTS := races qmp_socket net_dev virtio_pci evloop
tsan-build:
	$(MAKE) BUILD=build-tsan OPT="-O1 -g" SAN="$(TSAN_SAN)" \
	    $(TSAN_TESTS:%=build-tsan/tsan-%)
tsan: tsan-build
	./scripts/tsan.sh build-tsan $(TSAN_TESTS)

$(BUILD)/tsan-%: tests/unit/test_%.c tests/tsan/main.c $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -Itests/tsan -o $@ $< tests/tsan/main.c $(BUILD)/libvmm.a $(LDLIBS)

bench: $(VMM) $(TEST_GUESTS) $(BUILD)/blk-harness $(BUILD)/net-harness
	./scripts/deps.sh --bench
	./scripts/bench-startup.sh $(VMM) $(BUILD)/guests
	./scripts/bench-virtio.sh $(VMM) $(BUILD)/guests
	./scripts/bench-blk.sh $(BUILD)/blk-harness
	./scripts/bench-net.sh $(BUILD)/net-harness

clean:
	rm -rf build build-asan build-tsan build-fuzz build-dev

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

$(BUILD)/blk-harness: $(OBJ)/tests/bench/blk_harness.o $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/net-harness: $(OBJ)/tests/bench/net_harness.o $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
