# stealscope: one non-recursive Makefile for the whole tree.
#
#   make                  build every tool into bin/ (objects under build/<variant>/)
#   make VARIANT=asan     the same with AddressSanitizer + UBSan (tools in bin/asan/)
#   make VARIANT=tsan     the same with ThreadSanitizer (tools in bin/tsan/)
#   make check            install missing packages, build, run every test
#   make run              install missing packages, build, run the main job
#   make install PREFIX=/usr/local DESTDIR=
#   make clean            remove build/ and bin/
#   make V=1              show the commands
#
# Tools and tests are listed explicitly below; common/*.c is the shared library.

VARIANT ?= release
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

CC      ?= cc
BUILD   := build/$(VARIANT)
ifeq ($(VARIANT),release)
BIN     := bin
else
BIN     := bin/$(VARIANT)
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -g -D_GNU_SOURCE -DSTEALSCOPE_VERSION=\"$(VERSION)\" \
           -I. -MMD -MP

ifeq ($(VARIANT),release)
OPT_CFLAGS  := -O2
OPT_LDFLAGS :=
else ifeq ($(VARIANT),asan)
OPT_CFLAGS  := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
OPT_LDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),tsan)
# For the threads of the native backend and the runner. A report makes a
# program exit 66, failing its test. run-tests.sh passes scripts/tsan.supp
# (reports about system libraries, each explained) and skips, saying why,
# what TSan cannot run.
OPT_CFLAGS  := -O1 -fsanitize=thread -fno-omit-frame-pointer
OPT_LDFLAGS := -fsanitize=thread
else
$(error unknown VARIANT '$(VARIANT)': use release, asan or tsan)
endif

ALL_CFLAGS  := $(BASE_CFLAGS) $(OPT_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(OPT_LDFLAGS) $(LDFLAGS)
LIBS        := -lcsv -lm -lpthread

CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# ---- the shared library ---------------------------------------------------
COMMON_SRCS := $(sort $(wildcard common/*.c))
COMMON_OBJS := $(COMMON_SRCS:%.c=$(BUILD)/%.o)
COMMON_LIB  := $(BUILD)/libstealscope.a

# ---- tools: name := sources beyond the library ---------------------------

TOOLS := sched-load inf-loop cpu-sampler vcpu-sampler host-facts plot-progress stealscope

sched-load_SRCS   := guest-tools/sched-load.c guest-tools/workunit.c guest-tools/calibrate.c
inf-loop_SRCS     := guest-tools/inf-loop.c guest-tools/workunit.c
cpu-sampler_SRCS  := host-tools/cpu-sampler.c host-tools/sampleloop.c
vcpu-sampler_SRCS := host-tools/vcpu-sampler.c host-tools/vcpu-domain.c host-tools/sampleloop.c
host-facts_SRCS   := host-tools/host-facts.c
plot-progress_SRCS := plots/plot-progress.c plots/progress.c plots/gnuplot.c
stealscope_SRCS := experiments/stealscope.c experiments/cmd-run.c experiments/cmd-list.c \
	experiments/runner.c experiments/backend-native.c experiments/spec.c \
	experiments/policy.c experiments/summary.c experiments/resplot.c experiments/report.c \
	experiments/rates.c experiments/chartdata.c \
	experiments/reportdata.c experiments/cmd-plot.c experiments/cmd-report.c experiments/cmd-doctor.c \
	guest-tools/workunit.c guest-tools/calibrate.c plots/gnuplot.c plots/progress.c \
	plots/timeseries.c plots/policies.c \
	experiments/runprogress.c experiments/rundata.c experiments/runfiles.c \
	experiments/runsum.c experiments/cgquota.c experiments/specdir.c \
	experiments/specedit.c experiments/doctor.c kvm-mini/kvmprobe.c \
	experiments/cmd-pin.c experiments/cmd-watch.c

# libvirt: only host-tools/virt-libvirt.c includes it; only what links that object gets -lvirt.
LIBVIRT_CFLAGS := $(shell pkg-config --cflags libvirt 2>/dev/null)
LIBVIRT_LIBS   := $(shell pkg-config --libs libvirt 2>/dev/null || echo -lvirt)
VIRT_SRCS := host-tools/virt.c host-tools/virtstats.c host-tools/virt-libvirt.c
TOOLS += virt-vcpus
virt-vcpus_SRCS := host-tools/virt-vcpus.c $(VIRT_SRCS)
$(BUILD)/host-tools/virt-libvirt.o: ALL_CFLAGS += $(LIBVIRT_CFLAGS)
$(BIN)/virt-vcpus: LIBS += $(LIBVIRT_LIBS)
# vcpu-sampler --domain samples through the same ops.
vcpu-sampler_SRCS += $(VIRT_SRCS)
$(BIN)/vcpu-sampler: LIBS += $(LIBVIRT_LIBS)
# stealscope pin, watch and the libvirt backend of run.
stealscope_SRCS += $(VIRT_SRCS)
$(BIN)/stealscope: LIBS += $(LIBVIRT_LIBS)
# the libvirt backend of stealscope run (a real Linux guest, docs/guest-protocol.md)
LIBVIRT_BACKEND_SRCS := experiments/backend-libvirt.c experiments/domxml.c \
	experiments/serialog.c experiments/guestcsv.c experiments/guestimage.c \
	host-tools/bootfiles.c
stealscope_SRCS += $(LIBVIRT_BACKEND_SRCS)
# stealscope watch; --listen serves /metrics with libmicrohttpd: only
# experiments/watchhttp.c includes it, only stealscope links it.
MHD_CFLAGS := $(shell pkg-config --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS   := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
WATCH_SRCS := experiments/watchdata.c experiments/watchsrc.c experiments/watchderive.c \
	experiments/watchview.c experiments/watchthresh.c experiments/watchexec.c \
	experiments/watchprom.c
stealscope_SRCS += $(WATCH_SRCS) experiments/watchhttp.c
$(BUILD)/experiments/watchhttp.o: ALL_CFLAGS += $(MHD_CFLAGS)
$(BIN)/stealscope: LIBS += $(MHD_LIBS)
# Its unit tests need neither libvirt (fake ops) nor libmicrohttpd.
test_watchthresh_SRCS := experiments/watchthresh.c
test_watchview_SRCS := experiments/watchview.c experiments/watchdata.c
test_watchderive_SRCS := experiments/watchderive.c experiments/watchdata.c host-tools/virtstats.c
test_watchsrc_SRCS := experiments/watchsrc.c experiments/watchdata.c host-tools/virtstats.c
test_watchprom_SRCS := experiments/watchprom.c experiments/watchdata.c tests/support/promparse.c \
	host-tools/virt.c host-tools/virtstats.c
test_watchexec_SRCS := experiments/watchexec.c

# kvm-mini: the VMM (a library plus the command) and its freestanding guest.
# The guest (kvm-mini/guest/ plus the stdint-only work unit and tick
# accounting) has its own flags, never the host's (no sanitizer, no PIE),
# is linked at its fixed address by guest.ld, flattened, and embedded by
# kvm-mini/guestimg.c (.incbin). One guest for every VARIANT.
KMINI_LIB_SRCS := kvm-mini/vmm.c kvm-mini/vcpu.c kvm-mini/loader.c kvm-mini/decode.c \
	kvm-mini/sampler.c kvm-mini/hog.c kvm-mini/summary.c kvm-mini/output.c kvm-mini/options.c \
	kvm-mini/tickacct.c kvm-mini/kvmprobe.c kvm-mini/guestimg.c guest-tools/workunit.c
TOOLS += kvm-mini
kvm-mini_SRCS := kvm-mini/kvm-mini.c $(KMINI_LIB_SRCS)
KMINI_GUEST_DIR := build/kmini-guest
KMINI_GUEST_BIN := $(KMINI_GUEST_DIR)/guest.bin
KMINI_GUEST_SRCS := kvm-mini/guest/entry.S kvm-mini/guest/kernel.c kvm-mini/guest/tasks.c \
	kvm-mini/guest/gstring.c kvm-mini/tickacct.c guest-tools/workunit.c
KMINI_GUEST_OBJS := $(KMINI_GUEST_SRCS:%=$(KMINI_GUEST_DIR)/%.o)
KMINI_GUEST_CFLAGS := -std=gnu11 $(WARN) -g -O2 -I. -MMD -MP -ffreestanding -nostdlib \
	-fno-pic -fno-pie -fno-stack-protector -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-builtin -fcf-protection=none -mcmodel=small

$(KMINI_GUEST_DIR)/%.o: %
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (kvm-mini guest)")
	$(Q)$(CC) $(KMINI_GUEST_CFLAGS) -c -o $@ $<

$(KMINI_GUEST_BIN): $(KMINI_GUEST_OBJS) kvm-mini/guest/guest.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -nostdlib -static -no-pie --build-id=none -T kvm-mini/guest/guest.ld \
		-o $(KMINI_GUEST_DIR)/guest.elf $(KMINI_GUEST_OBJS)
	$(Q)objcopy -O binary $(KMINI_GUEST_DIR)/guest.elf $@

$(BUILD)/kvm-mini/guestimg.o: $(KMINI_GUEST_BIN)
$(BUILD)/kvm-mini/guestimg.o: ALL_CFLAGS += -DKMINI_GUEST_BIN=\"$(abspath $(KMINI_GUEST_BIN))\"

# The kvm-mini backend of stealscope run: the kvm-mini library in process where
# /dev/kvm opens, else the static kvm-mini in the nested L1 guest of
# scripts/kvm-nested.sh, found in this build tree (STEALSCOPE_SRCDIR).
KVMMINI_BACKEND_SRCS := experiments/backend-kvmmini.c experiments/kmargs.c \
	experiments/kmresult.c experiments/kmnested.c \
	$(filter-out kvm-mini/kvmprobe.c guest-tools/workunit.c,$(KMINI_LIB_SRCS))
stealscope_SRCS += $(KVMMINI_BACKEND_SRCS)
$(BUILD)/experiments/kmnested.o: ALL_CFLAGS += -DSTEALSCOPE_SRCDIR=\"$(abspath .)\"
test_backend_kvmmini_SRCS := $(KVMMINI_BACKEND_SRCS) kvm-mini/kvmprobe.c guest-tools/workunit.c \
	experiments/guestcsv.c experiments/rundata.c experiments/backend-native.c \
	experiments/spec.c experiments/policy.c experiments/runprogress.c guest-tools/calibrate.c
test_kmresult_SRCS := experiments/kmresult.c experiments/guestcsv.c experiments/rundata.c \
	experiments/backend-native.c guest-tools/calibrate.c guest-tools/workunit.c

# kvm-mini linked -static for the nested L1 guest of scripts/kvm-nested.sh,
# from objects of its own (never sanitized: a static binary cannot carry the
# sanitizer runtimes).
KMINI_NESTED_OBJ := build/nested/obj
KMINI_STATIC := build/nested/bin/kvm-mini
KMINI_NESTED_PROBE := build/nested/bin/test_kvmprobe
$(KMINI_NESTED_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (static)")
	$(Q)$(CC) $(BASE_CFLAGS) -O2 $(CFLAGS) -c -o $@ $<
$(KMINI_NESTED_OBJ)/kvm-mini/guestimg.o: $(KMINI_GUEST_BIN)
$(KMINI_NESTED_OBJ)/kvm-mini/guestimg.o: BASE_CFLAGS += \
	-DKMINI_GUEST_BIN=\"$(abspath $(KMINI_GUEST_BIN))\"
$(KMINI_STATIC): $(kvm-mini_SRCS:%.c=$(KMINI_NESTED_OBJ)/%.o) \
		$(COMMON_SRCS:%.c=$(KMINI_NESTED_OBJ)/%.o)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@ (static)")
	$(Q)$(CC) -static $(LDFLAGS) -o $@ $^ -lcsv -lm -lpthread

TOOL_BINS := $(TOOLS:%=$(BIN)/%)

# `stealscope run NAME` looks for installed specs here (experiments/specdir.h).
$(BUILD)/experiments/specdir.o: ALL_CFLAGS += -DSTEALSCOPE_DATADIR=\"$(PREFIX)/share/stealscope\"

# ---- tests ------------------------------------------------------------------
UNIT_TESTS  := $(basename $(notdir $(sort $(wildcard tests/unit/test_*.c))))
INTEG_TESTS := $(basename $(notdir $(sort $(wildcard tests/integration/test_*.c))))
TEST_BINS   := $(UNIT_TESTS:%=$(BUILD)/tests/unit/%) \
               $(INTEG_TESTS:%=$(BUILD)/tests/integration/%)
# Extra sources a test links beyond the library.
test_workunit_SRCS := guest-tools/workunit.c
test_spec_SRCS := experiments/spec.c experiments/policy.c
test_summary_SRCS := experiments/summary.c
test_backend_native_SRCS := experiments/backend-native.c guest-tools/calibrate.c \
                            guest-tools/workunit.c
test_specedit_SRCS := experiments/specedit.c experiments/spec.c experiments/policy.c
test_cgquota_SRCS := experiments/cgquota.c
test_plot_SRCS := plots/gnuplot.c plots/progress.c plots/timeseries.c
test_policies_plot_SRCS := plots/gnuplot.c plots/policies.c
test_resplot_SRCS := experiments/resplot.c experiments/reportdata.c experiments/spec.c \
	experiments/policy.c experiments/summary.c plots/gnuplot.c plots/progress.c plots/timeseries.c \
	plots/policies.c experiments/rates.c experiments/chartdata.c
test_rates_SRCS := experiments/rates.c
test_report_SRCS := experiments/report.c experiments/reportdata.c experiments/cmd-report.c \
                    experiments/summary.c experiments/spec.c experiments/policy.c
test_kvmprobe_SRCS := kvm-mini/kvmprobe.c
test_doctor_SRCS := experiments/doctor.c experiments/cmd-doctor.c kvm-mini/kvmprobe.c \
                    plots/gnuplot.c experiments/kmnested.c
test_virtstats_SRCS := host-tools/virtstats.c
test_virt_SRCS := $(VIRT_SRCS)
$(BUILD)/tests/unit/test_virt: LIBS += $(LIBVIRT_LIBS)
test_cmd_pin_SRCS := experiments/cmd-pin.c $(VIRT_SRCS)
$(BUILD)/tests/unit/test_cmd_pin: LIBS += $(LIBVIRT_LIBS)
test_sampleloop_SRCS := host-tools/sampleloop.c
test_kvm_mini_decode_SRCS := kvm-mini/decode.c kvm-mini/tickacct.c
test_kvm_mini_tickacct_SRCS := kvm-mini/tickacct.c
test_kvm_mini_options_SRCS := kvm-mini/options.c
test_kvm_mini_summary_SRCS := kvm-mini/summary.c
test_kvm_mini_loader_SRCS := kvm-mini/loader.c
# test_kvm_mini runs kvm-mini for real: on /dev/kvm where it opens, else in
# the nested L1 guest of scripts/kvm-nested.sh with the static build.
test_kvm_mini_SRCS := kvm-mini/summary.c kvm-mini/kvmprobe.c
$(BUILD)/tests/integration/test_kvm_mini: | $(KMINI_STATIC) $(BIN)/kvm-mini $(KMINI_NESTED_PROBE)
# test_stealscope_kvmmini runs `stealscope run --backend kvm-mini` for real (nested here).
$(BUILD)/tests/integration/test_stealscope_kvmmini: | $(KMINI_STATIC) $(BIN)/stealscope
$(BUILD)/tests/integration/test_kvm_mini.o: TEST_CFLAGS += -DTEST_SCRIPTS=\"$(abspath scripts)\" \
	-DTEST_KMINI_STATIC=\"$(abspath $(KMINI_STATIC))\" -DTEST_ROOT=\"$(abspath .)\" \
	-DTEST_KMINI_PROBE=\"$(abspath $(KMINI_NESTED_PROBE))\"
# test_kvm_mini also runs test_kvmprobe in that guest (its real-device test),
# built like the static kvm-mini but dynamic: Debian ships no static cmocka,
# so the test hands the guest the libraries `ldd` names.
$(KMINI_NESTED_OBJ)/tests/unit/test_kvmprobe.o: BASE_CFLAGS += $(CMOCKA_CFLAGS) \
	-Wno-missing-prototypes
$(KMINI_NESTED_PROBE): $(KMINI_NESTED_OBJ)/tests/unit/test_kvmprobe.o \
		$(KMINI_NESTED_OBJ)/kvm-mini/kvmprobe.o $(COMMON_SRCS:%.c=$(KMINI_NESTED_OBJ)/%.o)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) -lcsv -lm -lpthread
test_serialog_SRCS := experiments/serialog.c
test_domxml_SRCS := experiments/domxml.c experiments/serialog.c experiments/spec.c \
	experiments/policy.c $(VIRT_SRCS)
$(BUILD)/tests/unit/test_domxml: LIBS += $(LIBVIRT_LIBS)
test_guestcsv_SRCS := experiments/guestcsv.c experiments/rundata.c experiments/backend-native.c \
	guest-tools/calibrate.c guest-tools/workunit.c
test_guestimage_SRCS := experiments/guestimage.c
test_backend_libvirt_SRCS := $(LIBVIRT_BACKEND_SRCS) experiments/rundata.c \
	experiments/runfiles.c experiments/runsum.c experiments/summary.c \
	experiments/runprogress.c experiments/backend-native.c experiments/spec.c \
	experiments/policy.c guest-tools/calibrate.c guest-tools/workunit.c \
	host-tools/virtstats.c
test_bootfiles_SRCS := host-tools/bootfiles.c
test_procscan_SRCS := tests/support/procscan.c
test_bench_stats_SRCS := bench/stats.c
test_bench_table_SRCS := bench/table.c bench/stats.c
# The strict exposition parser (integration tests link tests/support/ whole).
test_promexp_SRCS := tests/support/promparse.c
# Every integration test also links the shared harness of tests/support/,
# every unit test its files.c.
TEST_SUPPORT_SRCS := $(sort $(wildcard tests/support/*.c))

TEST_CFLAGS := $(CMOCKA_CFLAGS) -DTEST_BINDIR=\"$(abspath $(BIN))\" \
               -DTEST_FIXTURES=\"$(abspath tests/fixtures)\" \
               -Wno-missing-prototypes

# test_libvirt drives a real daemon through scripts/libvirtd.sh and boots a
# tiny multiboot guest, assembled and linked here with none of the host
# build's flags (never sanitized), next to the test binary.
SPIN_GUEST := $(BUILD)/tests/fixtures/libvirt/spin.elf
test_libvirt_SRCS := $(VIRT_SRCS) host-tools/bootfiles.c
$(BUILD)/tests/integration/test_libvirt: LIBS += $(LIBVIRT_LIBS)
$(BUILD)/tests/integration/test_libvirt: | $(SPIN_GUEST)
$(BUILD)/tests/integration/test_libvirt.o: TEST_CFLAGS += \
	-DTEST_SPIN_GUEST=\"$(abspath $(SPIN_GUEST))\" -DTEST_SCRIPTS=\"$(abspath scripts)\"
# test_watch boots the same guest (its domain is created through the virt ops).
test_watch_SRCS := $(VIRT_SRCS) host-tools/bootfiles.c
$(BUILD)/tests/integration/test_watch: LIBS += $(LIBVIRT_LIBS)
$(BUILD)/tests/integration/test_watch: | $(SPIN_GUEST)
$(BUILD)/tests/integration/test_watch.o: TEST_CFLAGS += \
	-DTEST_SPIN_GUEST=\"$(abspath $(SPIN_GUEST))\" -DTEST_SCRIPTS=\"$(abspath scripts)\"

$(BUILD)/tests/fixtures/libvirt/spin.o: tests/fixtures/libvirt/spin.s
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(AS) --32 -o $@ $<

$(SPIN_GUEST): $(BUILD)/tests/fixtures/libvirt/spin.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) -m elf_i386 -N --no-warn-rwx-segments -Ttext=0x100000 -e _start \
		--build-id=none -o $@ $<

.PHONY: all tools tests check run deps install clean
all: tools
tools: $(TOOL_BINS)
tests: $(TEST_BINS) $(TOOL_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

define tool_rule
$(BIN)/$(1): $$($(1)_SRCS:%.c=$(BUILD)/%.o) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

define test_rule
$(BUILD)/tests/$(1)/$(2): $(BUILD)/tests/$(1)/$(2).o $$($(2)_SRCS:%.c=$(BUILD)/%.o) \
	$(if $(filter integration,$(1)),$(TEST_SUPPORT_SRCS:%.c=$(BUILD)/%.o),$(BUILD)/tests/support/files.o) \
	$(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(CMOCKA_LIBS) $$(LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call test_rule,unit,$(t))))
$(foreach t,$(INTEG_TESTS),$(eval $(call test_rule,integration,$(t))))

# ---- the guest image of the libvirt backend (docs/guest-protocol.md) --------
# Not per VARIANT: the guest tools are linked -static with their own objects
# under build/guest/obj (never sanitized: a static binary cannot carry the
# sanitizer runtimes), then scripts/guest-image.sh puts them, busybox-static
# and guest-tools/guest-init.sh into an initramfs beside Debian's kernel.
# It rebuilds only what is out of date and keeps the .debs in build/guest/debs.
GUEST_DIR    := build/guest
GUEST_OBJ    := $(GUEST_DIR)/obj
GUEST_TOOLS  := sched-load cpu-sampler host-facts
GUEST_BINS   := $(GUEST_TOOLS:%=$(GUEST_DIR)/bin/%)
GUEST_LIB    := $(GUEST_OBJ)/libstealscope.a
GUEST_CFLAGS := $(BASE_CFLAGS) -O2 $(CFLAGS)

$(GUEST_OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (guest)")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_LIB): $(COMMON_SRCS:%.c=$(GUEST_OBJ)/%.o)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

define guest_tool_rule
$(GUEST_DIR)/bin/$(1): $$($(1)_SRCS:%.c=$(GUEST_OBJ)/%.o) $(GUEST_LIB)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  LD      $$@ (static)")
	$$(Q)$$(CC) -static $$(LDFLAGS) -o $$@ $$^ -lcsv -lm
endef
$(foreach t,$(GUEST_TOOLS),$(eval $(call guest_tool_rule,$(t))))

# test_guest_image boots the image (make check builds it before the tests run).
# test_stealscope_libvirt runs `stealscope run --backend libvirt` on it, with a daemon.
$(BUILD)/tests/integration/test_stealscope_libvirt.o: TEST_CFLAGS += \
	-DTEST_GUEST_DIR=\"$(abspath $(GUEST_DIR))\" -DTEST_SCRIPTS=\"$(abspath scripts)\"
$(BUILD)/tests/integration/test_guest_image.o: TEST_CFLAGS += \
	-DTEST_GUEST_DIR=\"$(abspath $(GUEST_DIR))\"

.PHONY: guest-image
guest-image: $(GUEST_BINS)
	$(Q)scripts/guest-image.sh --out $(GUEST_DIR) --tools $(GUEST_DIR)/bin \
		--init guest-tools/guest-init.sh --tools-version $(VERSION)

# ---- the README's commands -----------------------------------------------
deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory VARIANT=$(VARIANT) tests guest-image
	$(Q)scripts/run-tests.sh $(BUILD)/tests

# The classic experiment (experiments/sched-virt.ini), on kvm-mini where it can
# run (in process with /dev/kvm, else nested under QEMU: that needs the static
# kvm-mini, built here; a failure to build it only turns that route off), else
# natively; `stealscope run --help` tells how to choose.
run: deps
	$(Q)$(MAKE) --no-print-directory VARIANT=$(VARIANT) tools
	-$(Q)$(MAKE) --no-print-directory $(KMINI_STATIC)
	$(Q)$(BIN)/stealscope run sched-virt --backend auto

# Soak test of the samplers, never part of check or CI: 10 minutes at 10 ms
# (SOAK_SECONDS=N for another length); scripts/soak.sh says what it checks.
.PHONY: soak
soak: tools
	-$(Q)$(MAKE) --no-print-directory $(KMINI_STATIC)
	$(Q)SOAK_SECONDS=$(or $(SOAK_SECONDS),600) scripts/soak.sh $(BIN)

# ---- benchmarks (bench/): figures beside same-run baselines, never pass/fail --
#
#   make bench                every figure, ~6 min: bench/RESULTS.md, bench/results.csv
#   make bench BENCH_QUICK=1  a smoke pass (~1 min) into $(BUILD)/bench-quick/
#
# bench/stealbench measures the built tools from outside; the scratch files and
# results directories of its runs go to $(BUILD)/bench-work/ (cleared first).
# kvm-mini's rows run on /dev/kvm where it opens, else in the nested L1 guest of
# scripts/kvm-nested.sh, driven there by the static kmbench-agent (a failure to
# build it or the static kvm-mini only turns that route off).
BENCH_SRCS := bench/stealbench.c bench/bench.c bench/spawn.c bench/stats.c bench/table.c \
	bench/fig-startup.c bench/fig-stamps.c bench/fig-samplers.c bench/fig-native.c \
	bench/fig-memory.c bench/fig-kmproc.c bench/fig-kmguest.c bench/kmroute.c \
	bench/kmplan.c bench/kmread.c experiments/kmnested.c kvm-mini/summary.c
BENCH_BIN  := $(BUILD)/bench/stealbench
BENCH_AGENT := build/nested/bin/kmbench-agent
BENCH_AGENT_SRCS := bench/kmbench-agent.c bench/kmplan.c bench/spawn.c
ifeq ($(BENCH_QUICK),1)
BENCH_ARGS := --quick --out-dir $(BUILD)/bench-quick
else
BENCH_ARGS := --out-dir bench
endif

$(BENCH_BIN): $(BENCH_SRCS:%.c=$(BUILD)/%.o) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BENCH_AGENT): $(BENCH_AGENT_SRCS:%.c=$(KMINI_NESTED_OBJ)/%.o) \
		$(COMMON_SRCS:%.c=$(KMINI_NESTED_OBJ)/%.o)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@ (static)")
	$(Q)$(CC) -static $(LDFLAGS) -o $@ $^ -lcsv -lm

# test_bench runs the driver's smoke pass on two cheap figures (kvm-mini's rows
# of them nested here).
$(BUILD)/tests/integration/test_bench: | $(BENCH_BIN) $(KMINI_STATIC) $(BENCH_AGENT)
$(BUILD)/tests/integration/test_bench.o: TEST_CFLAGS += \
	-DTEST_BENCH_BIN=\"$(abspath $(BENCH_BIN))\"

.PHONY: bench
bench: deps
	$(Q)bench/deps.sh
	$(Q)$(MAKE) --no-print-directory VARIANT=$(VARIANT) tools $(BENCH_BIN) guest-image
	-$(Q)$(MAKE) --no-print-directory $(KMINI_STATIC) $(BENCH_AGENT)
	$(Q)rm -rf $(BUILD)/bench-work
	$(Q)$(BENCH_BIN) --bindir $(BIN) --work $(BUILD)/bench-work --guest-dir $(GUEST_DIR) \
		$(BENCH_ARGS)

install: $(TOOL_BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(TOOL_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/stealscope/experiments
	install -m 0644 experiments/*.ini $(DESTDIR)$(PREFIX)/share/stealscope/experiments/

clean:
	rm -rf build bin

# ---- fuzzing: libFuzzer targets of tests/fuzz/ ------------------------------
#
#   make fuzz                  build every fuzzer, run each FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_SECONDS=10  shorter
#   make fuzz-build            only build them (build/fuzz/fuzz_<target>)
#
# Self-contained: clang, not $(CC), with its own objects under build/fuzz/ (never
# shared with the gcc variants), whatever VARIANT says. Needs clang and the
# libFuzzer/ASan/UBSan runtimes (Debian 12: clang, libclang-rt-14-dev). Each
# target runs on a copy of its seed corpus tests/fuzz/corpus/<target>/ in
# build/fuzz/corpus-run/<target>/ (the committed seeds are never touched); any
# crash, sanitizer report, leak, timeout or broken invariant fails the run and
# leaves its input in build/fuzz/artifacts/. tests/fuzz/run-fuzz.sh does the running.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_TARGETS := procstat schedstat csv ini spec parse serialog kmini
# Largest input per target (libFuzzer -max_len): a little above the real files.
FUZZ_MAXLEN_procstat  := 8192
FUZZ_MAXLEN_schedstat := 256
FUZZ_MAXLEN_csv       := 4096
FUZZ_MAXLEN_ini       := 4096
FUZZ_MAXLEN_spec      := 4096
FUZZ_MAXLEN_parse     := 128
FUZZ_MAXLEN_serialog  := 16384
FUZZ_MAXLEN_kmini     := 4096

FUZZ_SAN     := address,undefined
FUZZ_CFLAGS  := -std=gnu11 $(WARN) -g -O1 -D_GNU_SOURCE \
                -DSTEALSCOPE_VERSION=\"$(VERSION)\" -I. -MMD -MP \
                -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
                -fsanitize=fuzzer-no-link,$(FUZZ_SAN) $(CFLAGS)
FUZZ_LDFLAGS := -fsanitize=fuzzer,$(FUZZ_SAN) $(LDFLAGS)
FUZZ_LIBS    := -lcsv -lm

# The parsers under test: the shared library, the spec schema, the serial log,
# and kvm-mini's reading of guest shared memory (decode, tickacct).
FUZZ_LIB_SRCS := $(COMMON_SRCS) experiments/spec.c experiments/policy.c \
	experiments/serialog.c kvm-mini/decode.c kvm-mini/tickacct.c
FUZZ_LIB      := $(FUZZ_BUILD)/libstealscope-fuzz.a
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)tests/fuzz/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) \
		$(foreach t,$(FUZZ_TARGETS),$(t):$(FUZZ_MAXLEN_$(t)))

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
		$(FUZZ_BUILD)/tests/fuzz/fuzzcheck.o $(FUZZ_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

-include $(shell find build -name '*.d' 2>/dev/null)
