# gwtop — see README.md.  `make deps` installs what building and testing need.
PREFIX  ?= /usr/local
DESTDIR ?=
PKGS     = ncursesw libcurl libsystemd libproc2 jansson zlib
CC      ?= cc
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -Iprobes -Iui
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DGW_VERSION='"$(VERSION)"' \
           -DGW_LIBSYSTEMD_VERSION='"$(shell pkg-config --modversion libsystemd 2>/dev/null)"' \
           -DGW_LIBPROC2_VERSION='"$(shell pkg-config --modversion libproc2 2>/dev/null)"'

ifeq ($(SANITIZE),1)
OBJDIR   = build/san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
OBJDIR   = build/rel
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm

LIB_SRCS  = $(filter-out src/main.c,$(wildcard src/*.c probes/*.c ui/*.c))
LIB_OBJS  = $(patsubst %.c,$(OBJDIR)/%.o,$(LIB_SRCS))
MAIN_OBJ  = $(OBJDIR)/src/main.o
TEST_SRCS = $(wildcard tests/unit/test_*.c)
TEST_BINS = $(patsubst tests/unit/%.c,$(OBJDIR)/tests/%,$(TEST_SRCS))

all: gwtop

$(OBJDIR)/%.o: %.c $(wildcard src/*.h probes/*.h ui/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(OBJDIR)/gwtop: $(MAIN_OBJ) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ./gwtop is always the flavour last asked for (plain or SANITIZE=1)
gwtop: $(OBJDIR)/gwtop FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

$(OBJDIR)/tests/%: tests/unit/%.c $(LIB_OBJS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $(filter %.c %.o,$^) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

# test_incident parses the report back with a real CommonMark + GFM parser
$(OBJDIR)/tests/test_incident: LDLIBS += -lcmark-gfm-extensions -lcmark-gfm

# lsdrive: the log stream outside the TUI (tests/logs, bench/logbench.sh)
$(OBJDIR)/tests/lsdrive: tests/logs/lsdrive.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

# the drivers tests/systemd/run.sh runs inside its systemd box
$(OBJDIR)/tests/%drv: tests/systemd/%drv.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(LDLIBS)

unit: $(TEST_BINS) $(OBJDIR)/tests/lsdrive $(OBJDIR)/tests/actdrv $(OBJDIR)/tests/unitsdrv

# The whole suite: unit tests + real-stack integration (real nginx, gunicorn).
# Installs what it needs first (idempotent), so it works on a fresh Debian 12.
test:
	scripts/deps.sh
	$(MAKE) gwtop unit
	OBJDIR=$(OBJDIR) tests/run.sh

# The suite N times, each on a fresh clone of HEAD; a table test x failures.
# STRESS=1: with stress-ng --cpu $(nproc) beside it. PATTERN: part of it.
N       ?= 5
STRESS  ?= 0
PATTERN ?=
test-repeat:
	scripts/deps.sh
	N=$(N) STRESS=$(STRESS) SANITIZE=$(SANITIZE) tests/repeat.sh $(PATTERN)

demo:
	scripts/deps.sh
	$(MAKE) gwtop
	tests/lab/demo.sh $(FAULT)

bench: gwtop
	bench/bench.sh
	bench/logbench.sh
	@if [ -x bench/tuibench.sh ]; then bench/tuibench.sh; fi
	bench/detect.sh
	bench/recbench.sh

# PNGs of the real dashboard on the real lab (aha + headless chromium)
screenshots:
	scripts/deps.sh
	@for p in aha chromium fonts-dejavu-core; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	 if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
	$(MAKE) gwtop
	scripts/screenshots.sh

# Long runs, not part of `make test`
FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 600
fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)
soak: gwtop
	bench/soak.sh $(SOAK_SECONDS)
lint:
	tests/lint.sh
hostile: gwtop
	tests/hostile/run.sh

deps:
	scripts/deps.sh

# Units go to /lib/systemd/system for PREFIX=/usr (the Debian package), else
# under PREFIX; ExecStart is rewritten to PREFIX/bin/gwtop.
SYSTEMDUNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
install: gwtop
	install -D -m 755 gwtop $(DESTDIR)$(PREFIX)/bin/gwtop
	install -D -m 644 man/gwtop.1 $(DESTDIR)$(PREFIX)/share/man/man1/gwtop.1
	install -D -m 644 completion/gwtop.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/gwtop
	install -D -m 644 contrib/prometheus/gwtop.rules.yml $(DESTDIR)$(PREFIX)/share/gwtop/gwtop.rules.yml
	install -D -m 644 contrib/prometheus/gwtop.rules.test.yml $(DESTDIR)$(PREFIX)/share/gwtop/gwtop.rules.test.yml
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/bin/gwtop|$(PREFIX)/bin/gwtop|' contrib/systemd/gwtop-prometheus.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/gwtop-prometheus.service
	install -m 644 contrib/systemd/gwtop-prometheus.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/gwtop-prometheus.service

# Debian package with debhelper, built in a copy under build/deb/ (the
# source tree stays clean; the .deb lands in build/deb/).
deb:
	rm -rf build/deb
	mkdir -p build/deb/gwtop-$(VERSION)
	tar -c --anchored --exclude=./build --exclude=./.git --exclude=./gwtop . | tar -x -C build/deb/gwtop-$(VERSION)
	cd build/deb/gwtop-$(VERSION) && dpkg-buildpackage -us -uc -b
	@ls build/deb/*.deb

clean:
	rm -rf build gwtop

FORCE:
.PHONY: all test test-repeat unit demo bench deps install deb clean FORCE fuzz soak lint hostile screenshots
