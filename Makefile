# gwtop — see README.md.  `make deps` installs what building and testing need.
PREFIX  ?= /usr/local
DESTDIR ?=
PKGS     = ncursesw libcurl libsystemd libproc2 jansson
CC      ?= cc
WARN     = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -Iprobes -Iui
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS  += -DGW_VERSION='"$(VERSION)"'

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
	@cmp -s $< $@ || cp $< $@

$(OBJDIR)/tests/%: tests/unit/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) -o $@ $^ $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka)

unit: $(TEST_BINS)

# The whole suite: unit tests + real-stack integration (real nginx, gunicorn).
test: gwtop $(TEST_BINS)
	OBJDIR=$(OBJDIR) tests/run.sh

demo: gwtop
	tests/lab/demo.sh $(FAULT)

bench: gwtop
	bench/bench.sh

deps:
	scripts/deps.sh

install: gwtop
	install -D -m 755 gwtop $(DESTDIR)$(PREFIX)/bin/gwtop

clean:
	rm -rf build gwtop

FORCE:
.PHONY: all test unit demo bench deps install clean FORCE
