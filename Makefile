# talkd / talkctl -- one GNU Makefile.
#
#   make run      install missing Debian packages (as root), build, start talkd
#                 in the foreground on loopback with its files under ./run
#   make check    install missing packages, build, run every test
#   make WERROR=1 SANITIZE=address,undefined O=build-san check
#
# Every source folder is picked up by wildcard: acl/*.c -> libacl.a,
# db/*.c -> libdb.a, talkd/*.c (but talkd.c) -> libtalkd.a, talkctl/*.c (but
# talkctl.c) -> libtalkctl.a, tests/unit/test_*.c -> one cmocka binary each,
# tests/fuzz/fuzz_*.c -> one libFuzzer binary each, tests/tools/*.c -> tools,
# tests/bench/*.c -> one benchmark each (make bench).

SHELL      := /bin/bash
VERSION    := 0.1.0
O          ?= build
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR     ?= $(PREFIX)/share/doc/talkd
CC         ?= cc
FUZZCC     ?= clang
PKG_CONFIG ?= pkg-config
AR         ?= ar

WARN    = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wcast-qual -Wpointer-arith -Wvla
CFLAGS  ?= -O2 -g
XCFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I. -I$(O) \
           -DTALKD_VERSION='"$(VERSION)"'
ifeq ($(WERROR),1)
XCFLAGS += -Werror
endif
ifneq ($(SANITIZE),)
XCFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
XLDFLAGS += -fsanitize=$(SANITIZE)
else
XCFLAGS += -D_FORTIFY_SOURCE=2 -fstack-protector-strong
endif

# Recursive (=) so that they are read after `deps` has installed the packages.
YAML_CFLAGS   = $(shell $(PKG_CONFIG) --cflags yaml-0.1)
YAML_LIBS     = $(shell $(PKG_CONFIG) --libs yaml-0.1)
PCRE_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libpcre2-8)
PCRE_LIBS     = $(shell $(PKG_CONFIG) --libs libpcre2-8)
SQLITE_CFLAGS = $(shell $(PKG_CONFIG) --cflags sqlite3)
SQLITE_LIBS   = $(shell $(PKG_CONFIG) --libs sqlite3)
NETTLE_LIBS   = $(shell $(PKG_CONFIG) --libs nettle)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka)
CMOCKA_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka)
DEP_CFLAGS    = $(YAML_CFLAGS) $(PCRE_CFLAGS) $(SQLITE_CFLAGS)

ACL_SRC     := $(sort $(wildcard acl/*.c))
DB_SRC      := $(sort $(wildcard db/*.c))
TALKD_SRC   := $(sort $(filter-out talkd/talkd.c,$(wildcard talkd/*.c)))
TALKCTL_SRC := $(sort $(filter-out talkctl/talkctl.c,$(wildcard talkctl/*.c)))
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TOOL_SRC    := $(sort $(wildcard tests/tools/*.c))
BENCH_SRC   := $(sort $(wildcard tests/bench/*.c))
SCHEMA_SQL  := $(sort $(wildcard schema/[0-9][0-9][0-9]-*.sql))
MANPAGES    := $(sort $(wildcard man/*.[0-9]))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))
ACL_OBJ     := $(call obj,$(ACL_SRC))
DB_OBJ      := $(call obj,$(DB_SRC)) $(if $(SCHEMA_SQL),$(O)/obj/gen/schema_sql.o)
TALKD_OBJ   := $(call obj,$(TALKD_SRC))
TALKCTL_OBJ := $(call obj,$(TALKCTL_SRC))
UNIT_BIN    := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRC))
FUZZ_BIN    := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRC))
TOOL_BIN    := $(patsubst tests/tools/%.c,$(O)/tools/%,$(TOOL_SRC))
BENCH_BIN   := $(patsubst tests/bench/%.c,$(O)/bench/%,$(BENCH_SRC))

LIBACL     = $(O)/libacl.a
LIBDB      = $(O)/libdb.a
LIBTALKD   = $(O)/libtalkd.a
LIBTALKCTL = $(O)/libtalkctl.a
ALL_LIBS   = $(LIBTALKD) $(LIBTALKCTL) $(LIBDB) $(LIBACL)

# Debian packages: what building needs, and what the tests need on top.
BUILD_PKGS = gcc make pkg-config libc6-dev libyaml-dev libpcre2-dev libsqlite3-dev nettle-dev
TEST_PKGS  = libcmocka-dev perl clang libclang-rt-14-dev mandoc tmux talk \
             inetutils-talk iproute2 util-linux passwd sqlite3 cppcheck libutempter0 \
             strace libncurses-dev rsyslog $(DEPLOY_PKGS)
# What tests/e2e/t48*-deploy-*.sh use: the super-servers, systemd-analyze,
# logrotate, and what building the Debian package needs.
# (openbsd-inetd conflicts with xinetd: deps-inetd unpacks its .deb under
# $(O)/deps instead of installing it.)
DEPLOY_PKGS = xinetd systemd logrotate login debhelper dpkg-dev fakeroot lintian

.PHONY: all deps deps-build deps-test deps-inetd run check unit integration e2e fuzz-smoke bench \
        fuzz lint tools install uninstall clean test-update
.DEFAULT_GOAL := all
.SECONDARY:
.DELETE_ON_ERROR:

all: $(O)/talkd $(O)/talkctl

# ---- Debian packages ---------------------------------------------------------
# Installs only what is missing; needs root for that, and says so otherwise.
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" -ne 0 ]; then echo "make: missing Debian packages:$$missing (run as root, or apt-get install them)" >&2; exit 1; fi; \
	  echo "make: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef
deps-build:
	$(call install_missing,$(BUILD_PKGS))
deps-test: deps-build
	$(call install_missing,$(TEST_PKGS))
deps: deps-test

# openbsd-inetd's inetd, for tests/e2e/t48*: fetched by apt and unpacked
# under the build folder, since the package conflicts with xinetd.
INETD = $(O)/deps/openbsd-inetd/usr/sbin/inetd
$(INETD):
	@rm -rf $(O)/deps/openbsd-inetd && mkdir -p $(O)/deps/dl
	cd $(O)/deps/dl && rm -f openbsd-inetd_*.deb && apt-get download -q openbsd-inetd >/dev/null
	dpkg-deb -x $(O)/deps/dl/openbsd-inetd_*.deb $(O)/deps/openbsd-inetd
deps-inetd: $(INETD)

# ---- libraries and programs --------------------------------------------------
$(O)/obj/%.o: %.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(DEP_CFLAGS) $(CFLAGS) -c $< -o $@

$(O)/obj/tests/unit/%.o: tests/unit/%.c | deps-test
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(DEP_CFLAGS) $(CMOCKA_CFLAGS) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@

# schema/NNN-*.sql are embedded into libdb as one C array (see db/db.c).
$(O)/gen/schema_sql.c: $(SCHEMA_SQL) tests/tools/embed.sh
	@mkdir -p $(@D)
	bash tests/tools/embed.sh $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@
$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -c $< -o $@

$(LIBACL): $(ACL_OBJ)
$(LIBDB): $(DB_OBJ)
$(LIBTALKD): $(TALKD_OBJ)
$(LIBTALKCTL): $(TALKCTL_OBJ)
$(ALL_LIBS):
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(O)/talkd: $(O)/obj/talkd/talkd.o $(LIBTALKD) $(LIBACL)
	$(CC) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(PCRE_LIBS) $(NETTLE_LIBS)

$(O)/talkctl: $(O)/obj/talkctl/talkctl.o $(if $(SANITIZE),$(O)/obj/talkctl/san_setid.o) \
	    $(LIBTALKCTL) $(LIBDB) $(LIBACL)
	$(CC) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(YAML_LIBS) $(PCRE_LIBS) $(SQLITE_LIBS)

$(O)/tests/unit/%: $(O)/obj/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(YAML_LIBS) $(PCRE_LIBS) $(SQLITE_LIBS) $(NETTLE_LIBS) $(CMOCKA_LIBS) -lutil

$(O)/tools/%: tests/tools/%.c | deps-build
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< -lutil

tools: $(TOOL_BIN)

# ---- running -------------------------------------------------------------------
# A private folder under the checkout; port 518 like real clients expect when
# root, else 5518.  It listens on 127.0.0.1 and on every loopback address
# the host name resolves to (127.0.1.1 in Debian's /etc/hosts, where talk
# sends "talk sif" and the banner's "talk thor@HOST"), and on nothing
# else: no other host is served.  RUN_LISTEN="ADDR:PORT ..." overrides.
RUN_DIR    ?= $(CURDIR)/run
RUN_PORT   ?= $(if $(filter 0,$(shell id -u)),518,5518)
RUN_ADDRS   = $(shell h=$$(hostname); { echo 127.0.0.1; getent ahostsv4 "$$h"; getent hosts "$$h"; } | awk '$$1 ~ /^127\./ { print $$1 }' | sort -u)
RUN_LISTEN ?= $(foreach a,$(RUN_ADDRS),$(a):$(RUN_PORT))
run: deps-build all
	@mkdir -p $(RUN_DIR)
	@echo "talkd: listening on $(RUN_LISTEN), files in $(RUN_DIR); Ctrl-C stops it"
	$(O)/talkd --foreground -l $(foreach l,$(RUN_LISTEN),--listen $(l)) --journal $(RUN_DIR)/journal --state-dir $(RUN_DIR)

# YTalk, a real client Debian 12 does not package, for tests/e2e only: built
# into $(O)/ytalk from the unmodified release next to the checkout
# (../shared/clients/, see its README), never copied into the project.  Where
# that is absent the e2e scripts say they skip YTalk, unless YTALK=/path/to/ytalk.
SHARED    ?= $(CURDIR)/../shared
YTALK_TAR ?= $(wildcard $(SHARED)/clients/ytalk-3.3.0.tar.gz)
YTALK_BIN  = $(if $(YTALK_TAR),$(O)/ytalk/ytalk)
$(O)/ytalk/ytalk: $(YTALK_TAR) | deps-test
	@rm -rf $(O)/ytalk && mkdir -p $(O)/ytalk/src
	@echo "ytalk: building $< (log in $(O)/ytalk/build.log)"
	@tar xzf $< -C $(O)/ytalk/src --strip-components=1
	@cd $(O)/ytalk/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u LDFLAGS \
	  sh -c './configure --quiet && make' >../build.log 2>&1 || { tail -n 30 ../build.log; exit 1; }
	@cp $(O)/ytalk/src/src/ytalk $@ && $@ -v

# ---- tests ---------------------------------------------------------------------
# One TAP run (prove) over unit binaries, integration and e2e scripts; each
# script finds the build through $TALKD_BUILD.
export TALKD_BUILD = $(abspath $(O))
export TALKD_SRCDIR = $(CURDIR)
TEST_BINS = $(O)/talkd $(O)/talkctl $(UNIT_BIN) $(TOOL_BIN) $(BENCH_BIN)

check: deps-test deps-inetd $(TEST_BINS) $(YTALK_BIN) lint
	CMOCKA_MESSAGE_OUTPUT=TAP prove -f $(UNIT_BIN) $(sort $(wildcard tests/integration/t*.sh)) $(sort $(wildcard tests/e2e/t*.sh))
	$(MAKE) --no-print-directory fuzz-smoke

unit: deps-test $(UNIT_BIN)
	CMOCKA_MESSAGE_OUTPUT=TAP prove -f $(UNIT_BIN)
integration: deps-test $(TEST_BINS)
	prove -f $(sort $(wildcard tests/integration/t*.sh))
e2e: deps-test deps-inetd $(TEST_BINS) $(YTALK_BIN)
	prove -f $(sort $(wildcard tests/e2e/t*.sh))

# ---- benchmarks (ratios against baselines measured in the same run) --------
# tests/bench/*.c: one program each against libacl (acl_bench: acl_decide
# against GNU-style regexec), run after run.sh.
$(O)/bench/%: $(O)/obj/tests/bench/%.o $(LIBACL)
	@mkdir -p $(@D)
	$(CC) $(XLDFLAGS) $(LDFLAGS) -o $@ $^ $(YAML_LIBS) $(PCRE_LIBS)

bench: deps-test $(O)/talkd $(TOOL_BIN) $(BENCH_BIN)
	bash tests/bench/run.sh
	@for b in $(BENCH_BIN); do $$b || exit 1; done
	$(MAKE) --no-print-directory $(O)/talkctl && bash tests/bench/db-bench.sh

# ---- fuzzing (clang libFuzzer; the library sources are rebuilt with clang) --------
FO = $(O)/fuzzobj
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -MMD -MP -I. -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	     -DTALKD_VERSION='"$(VERSION)"'
$(FO)/%.o: %.c | deps-test
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_FLAGS) $(DEP_CFLAGS) -c $< -o $@
$(FO)/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_FLAGS) -c $< -o $@
$(O)/fuzz/%: tests/fuzz/%.c $(patsubst $(O)/obj/%,$(FO)/%,$(ACL_OBJ) $(TALKD_OBJ) $(DB_OBJ)) | deps-test
	@mkdir -p $(@D)
	$(FUZZCC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(DEP_CFLAGS) -o $@ $(filter-out %.h,$^) $(YAML_LIBS) $(PCRE_LIBS) $(SQLITE_LIBS) $(NETTLE_LIBS) -lutil
FUZZ_RUNS ?= 20000
fuzz-smoke: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); c=tests/fuzz/corpus/$$n; mkdir -p $$c; \
	  echo "fuzz: $$n ($(FUZZ_RUNS) runs)"; \
	  mkdir -p $(O)/fuzz/$$n.new; \
	  $$f -runs=$(FUZZ_RUNS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=$(O)/fuzz/$$n- $(O)/fuzz/$$n.new $$c >$(O)/fuzz/$$n.log 2>&1 || { tail -40 $(O)/fuzz/$$n.log; exit 1; }; \
	  tail -1 $(O)/fuzz/$$n.log; done
# make fuzz: tests/fuzz/run.sh, each target to FUZZ_EXECS executions (and
# at most FUZZ_SECONDS each when set), then its new coverage merged into
# tests/fuzz/corpus; FUZZ_TARGETS="fuzz_proto ..." runs some of them, and
# FUZZ_JOBS=N runs N processes of each target on one shared corpus.
FUZZ_EXECS   ?= 10000000
FUZZ_SECONDS ?=
FUZZ_JOBS    ?= 1
FUZZ_TARGETS ?= $(notdir $(FUZZ_BIN))
fuzz: $(FUZZ_BIN)
	FUZZ_OUT=$(O)/fuzz FUZZ_EXECS=$(FUZZ_EXECS) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	  FUZZ_JOBS=$(FUZZ_JOBS) bash tests/fuzz/run.sh $(addprefix $(O)/fuzz/,$(FUZZ_TARGETS))

# ---- lint ------------------------------------------------------------------------
# Banned functions (curl), mandoc -Tlint on every man page, and cppcheck
# (variableScope is off: style(9) declares variables at the top of a block).
BANNED = '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|gets)[[:space:]]*\('
lint: deps-test
	@! grep -nE $(BANNED) $$(git ls-files '*.c' '*.h' 2>/dev/null || ls */*.c */*.h) || { echo "lint: banned function" >&2; exit 1; }
	@for m in $(MANPAGES); do mandoc -Tlint -W warning $$m || exit 1; done
	@cppcheck -q --std=c11 --enable=warning,style,portability,performance \
	  --suppress=variableScope --inline-suppr --error-exitcode=1 \
	  -I. -D_GNU_SOURCE -j2 acl db talkd talkctl tests/tools || { echo "lint: cppcheck" >&2; exit 1; }
	@echo "lint: ok"

# Rewrite the golden files (tests/data/acl/*.ok, what talkctl acl show
# prints) from the current code; review `git diff tests/data` before
# committing them.
test-update: deps-test $(O)/tests/unit/test_acl_yaml
	TALKD_TEST_UPDATE=1 $(O)/tests/unit/test_acl_yaml >/dev/null
	@git diff --stat -- tests/data || true

# ---- install -------------------------------------------------------------------------
# talkd/dist/install.sh: binaries (talkctl in BINDIR, for users), man
# pages, systemd units, sysusers.d and tmpfiles.d entries, logrotate, bash
# completion, xinetd/inetd/cron examples; as root without DESTDIR also the
# account and the folders.  Edited files are kept; uninstall removes what
# install recorded in $(PREFIX)/share/talkd/installed.
INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" SBINDIR="$(SBINDIR)" \
	BINDIR="$(BINDIR)" MANDIR="$(MANDIR)" SYSCONFDIR="$(SYSCONFDIR)" \
	LOCALSTATEDIR="$(LOCALSTATEDIR)" UNITDIR="$(UNITDIR)" \
	SYSUSERSDIR="$(SYSUSERSDIR)" TMPFILESDIR="$(TMPFILESDIR)" \
	BASHCOMPDIR="$(BASHCOMPDIR)" DOCDIR="$(DOCDIR)" O="$(O)" MANPAGES="$(MANPAGES)"
install: all
	$(INSTALL_ENV) bash talkd/dist/install.sh install
uninstall:
	$(INSTALL_ENV) bash talkd/dist/install.sh uninstall

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' -type f 2>/dev/null)
