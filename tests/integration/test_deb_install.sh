#!/bin/bash
# Packaging: `make deb` builds the Debian package with debhelper, dpkg-deb -x
# unpacks it into a temp root (no chroot, the system is untouched), and what
# it ships works from there: gwtop --version (with the library versions), the
# man page renders without warnings, the bash completion completes, the
# systemd units verify, the alert rules pass promtool. lintian has no errors
# or warnings. Then `make install DESTDIR=... PREFIX=/usr/local` puts the same
# files under that prefix with ExecStart rewritten.
set -u
. "$(dirname "$0")/lib.sh"
it_init
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	it_skip "no debhelper / dpkg-dev (apt-get install debhelper devscripts)"

VERSION=$(cat "$ROOT/VERSION")
ARCH=$(dpkg --print-architecture)
DEB=$ROOT/build/deb/gwtop_${VERSION}_$ARCH.deb

make -C "$ROOT" deb >"$OUT/deb.log" 2>&1
rc=$?
[ "$rc" = 0 ] || tail -30 "$OUT/deb.log" | sed 's/^/# /'
t_result "make deb" "$rc"
t_check "the .deb is in build/deb/" test -s "$DEB"
t_check "the source tree has no debian build leftovers" \
	test ! -e "$ROOT/debian/gwtop" -a ! -e "$ROOT/debian/files" -a ! -e "$ROOT/../gwtop_${VERSION}_$ARCH.deb"
[ -s "$DEB" ] || exit 1

# control fields
t_check "Package: gwtop, Version: $VERSION" sh -c \
	"dpkg-deb -f '$DEB' Package Version | tr '\n' ' ' | grep -qx 'Package: gwtop Version: $VERSION '"
t_check "shlibs: depends on libcurl3-gnutls, libjansson4, libproc2-0, libsystemd0" sh -c \
	"dpkg-deb -f '$DEB' Depends | grep -q libcurl3-gnutls && dpkg-deb -f '$DEB' Depends | grep -q libjansson4 &&
	 dpkg-deb -f '$DEB' Depends | grep -q libproc2-0 && dpkg-deb -f '$DEB' Depends | grep -q libsystemd0"

R=$OUT/root
dpkg-deb -x "$DEB" "$R"
t_result "dpkg-deb -x into a temp root" $?
for f in usr/bin/gwtop usr/share/man/man1/gwtop.1.gz usr/share/bash-completion/completions/gwtop \
	lib/systemd/system/gwtop-prometheus.service lib/systemd/system/gwtop-prometheus.timer \
	usr/share/gwtop/gwtop.rules.yml usr/share/doc/gwtop/copyright; do
	t_check "ships /$f" test -s "$R/$f"
done

# --version from the unpacked root
"$R/usr/bin/gwtop" --version >"$OUT/version" 2>&1
rc=$?
sed 's/^/# /' "$OUT/version"
t_result "gwtop --version exits 0" "$rc"
t_check "first line: gwtop $VERSION" sh -c "head -1 '$OUT/version' | grep -qx 'gwtop $VERSION'"
for lib in libcurl/ ncurses jansson/ libsystemd/ libproc2/; do
	t_check "--version names $lib" grep -q "^  $lib" "$OUT/version"
done
"$R/usr/bin/gwtop" --help >"$OUT/help" 2>&1
t_result "gwtop --help exits 0" $?

# the man page: renders, no groff warnings, documents every option of --help
zcat "$R/usr/share/man/man1/gwtop.1.gz" >"$OUT/gwtop.1"
groff -man -ww -z "$OUT/gwtop.1" >"$OUT/groff.log" 2>&1
t_result "man page renders without groff warnings" \
	"$([ ! -s "$OUT/groff.log" ]; echo $?)"
sed 's/^/# groff: /' "$OUT/groff.log" | head -5
MANWIDTH=100 man -l "$OUT/gwtop.1" 2>/dev/null | col -b >"$OUT/man.txt"
missing=""
for opt in $(grep -oE -- '--[a-z][a-z-]+' "$OUT/help" | sort -u); do
	grep -q -- "$opt" "$OUT/man.txt" || missing="$missing $opt"
done
t_result "man page documents every option of --help${missing:+ (missing:$missing)}" \
	"$([ -z "$missing" ]; echo $?)"
for sec in "EXIT STATUS" "FILES" "EXAMPLES" "DASHBOARD KEYS"; do
	t_check "man page has $sec" grep -q "^$sec" "$OUT/man.txt"
done

# bash completion (needs the bash-completion package for _init_completion)
if [ -r /usr/share/bash-completion/bash_completion ]; then
	comp() {
		bash -c '. /usr/share/bash-completion/bash_completion; . "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_gwtop gwtop "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}" 2>/dev/null
			printf "%s\n" "${COMPREPLY[@]}"' _ "$R/usr/share/bash-completion/completions/gwtop" "$@"
	}
	t_result "completion: --prom -> --prometheus" "$([ "$(comp gwtop --check --prom)" = --prometheus ]; echo $?)"
	t_result "completion: --su -> --summarize" "$([ "$(comp gwtop --su)" = --summarize ]; echo $?)"
	all=$(comp gwtop --)
	missing=""
	for opt in $(grep -oE -- '--[a-z][a-z-]+' "$OUT/help" | sort -u); do
		grep -qx -- "$opt" <<<"$all" || missing="$missing $opt"
	done
	t_result "completion offers every option of --help${missing:+ (missing:$missing)}" \
		"$([ -z "$missing" ]; echo $?)"
	t_result "completion: --interval offers numbers" "$(comp gwtop --interval '' | grep -qx 2; echo $?)"
else
	echo "# bash-completion not installed: completion checks skipped"
fi

# systemd units: systemd-analyze verify on copies whose ExecStart is the
# unpacked binary (it checks that the command exists)
if command -v systemd-analyze >/dev/null; then
	mkdir "$OUT/units"
	sed "s|^ExecStart=/usr/bin/gwtop|ExecStart=$R/usr/bin/gwtop|" \
		"$R/lib/systemd/system/gwtop-prometheus.service" >"$OUT/units/gwtop-prometheus.service"
	cp "$R/lib/systemd/system/gwtop-prometheus.timer" "$OUT/units/"
	systemd-analyze verify --man=no "$OUT/units/gwtop-prometheus.service" \
		"$OUT/units/gwtop-prometheus.timer" >"$OUT/verify.log" 2>&1
	rc=$?
	sed 's/^/# verify: /' "$OUT/verify.log" | head -5
	t_result "systemd-analyze verify accepts the units" "$rc"
fi
t_check "service: SuccessExitStatus=1 2 3" grep -qx 'SuccessExitStatus=1 2 3' "$R/lib/systemd/system/gwtop-prometheus.service"
t_check "service: writes the node_exporter textfile" \
	grep -qx 'ExecStart=/usr/bin/gwtop --check --prometheus --read-only --output /var/lib/prometheus/node-exporter/gwtop.prom' \
	"$R/lib/systemd/system/gwtop-prometheus.service"
t_check "timer: every minute" grep -qx 'OnUnitActiveSec=1min' "$R/lib/systemd/system/gwtop-prometheus.timer"

# the shipped alert rules and their tests
if command -v promtool >/dev/null; then
	t_check "promtool check rules (shipped)" promtool check rules "$R/usr/share/gwtop/gwtop.rules.yml"
	t_check "promtool test rules (shipped)" sh -c "cd '$R/usr/share/gwtop' && promtool test rules gwtop.rules.test.yml"
fi

# lintian: no errors or warnings
if command -v lintian >/dev/null; then
	lintian "$DEB" >"$OUT/lintian.log" 2>&1
	sed 's/^/# lintian: /' "$OUT/lintian.log" | grep -v 'root privileges' | head -20
	t_result "lintian: no E:/W: tags" "$(! grep -qE '^[EW]: ' "$OUT/lintian.log"; echo $?)"
fi

# make install into a DESTDIR with another PREFIX
D=$OUT/destdir
make -C "$ROOT" install DESTDIR="$D" PREFIX=/usr/local >"$OUT/install.log" 2>&1
rc=$?
[ "$rc" = 0 ] || tail -10 "$OUT/install.log" | sed 's/^/# /'
t_result "make install DESTDIR=... PREFIX=/usr/local" "$rc"
for f in bin/gwtop share/man/man1/gwtop.1 share/bash-completion/completions/gwtop \
	share/gwtop/gwtop.rules.yml lib/systemd/system/gwtop-prometheus.service \
	lib/systemd/system/gwtop-prometheus.timer; do
	t_check "installs /usr/local/$f" test -s "$D/usr/local/$f"
done
t_check "installed service runs /usr/local/bin/gwtop" \
	grep -q '^ExecStart=/usr/local/bin/gwtop --check --prometheus' "$D/usr/local/lib/systemd/system/gwtop-prometheus.service"
t_result "installed unit files are mode 644" \
	"$([ "$(stat -c %a "$D"/usr/local/lib/systemd/system/gwtop-prometheus.* | sort -u)" = 644 ]; echo $?)"
