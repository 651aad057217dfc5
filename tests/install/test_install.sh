#!/usr/bin/env bash
# tests/install/test_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS] — what
# `cmake --install` puts where, and a tern.pc that works wherever the tree
# lands. Three installs of the same build, none at the configured prefix's
# real place:
#   a. cmake --install BUILD --prefix P
#   b. DESTDIR=D1 cmake --install BUILD          (the configured prefix, under D1)
#   c. DESTDIR=D2 cmake --install BUILD --prefix /opt/tern-elsewhere
# Each must hold bin/tern, libtern.so* and libtern.a, the headers, tern.pc
# and the man pages; with PKG_CONFIG_PATH at its pkgconfig directory,
# `pkg-config --cflags` is just -I<that tree>/include (no libpcap paths),
# and tests/install/hello_sim.c and examples/udp_echo.c compile and link
# with `pkg-config --cflags --libs tern`; hello_sim runs (a UDP datagram
# between two simulated hosts) against that tree's libtern.so. Then, with
# the shared library taken away, they link from libtern.a with
# `pkg-config --static --libs tern` (and not without --static: the
# Libs.private line is what makes it link), and hello_sim runs again.
# EXTRA_CFLAGS: the sanitizer flags when the build under test has them.
set -u
BUILD=$(readlink -f "${1:?usage: test_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS]}")
SRC=$(readlink -f "${2:?usage: test_install.sh BUILD_DIR SOURCE_DIR [EXTRA_CFLAGS]}")
read -r -a EXTRA <<<"${3:-}"
CC=${CC:-cc}
T=$(mktemp -d "${TMPDIR:-/tmp}/tern-install.XXXXXX") || exit 1
T=$(readlink -f "$T")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL test_install: $*" >&2; exit 1; }
for t in cmake pkg-config "$CC"; do
	command -v "$t" >/dev/null || fail "required tool not found: $t"
done
CONFIGURED=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
LIBDIR=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$BUILD/CMakeCache.txt")
[ -n "$CONFIGURED" ] && [ -n "$LIBDIR" ] || fail "no install prefix or libdir in $BUILD/CMakeCache.txt"
MANPAGES=$(cd "$SRC/docs/man" 2>/dev/null && ls -- *.[13] 2>/dev/null)

# check_tree ROOT NAME — ROOT is an installed tree (the prefix as installed).
check_tree() {
	local r=$1 what=$2 f p out cflags libs words
	for f in bin/tern "$LIBDIR/libtern.a" "$LIBDIR/libtern.so" include/tern/socket.h \
		include/tern/sim.h "$LIBDIR/pkgconfig/tern.pc"; do
		[ -e "$r/$f" ] || fail "$what: $f not installed (tree: $(cd "$r" && find . -type f | head -30))"
	done
	ls "$r/$LIBDIR"/libtern.so.* >/dev/null 2>&1 || fail "$what: no versioned libtern.so.N"
	for f in $MANPAGES; do
		[ -f "$r/share/man/man${f##*.}/$f" ] || fail "$what: man page $f not in share/man/man${f##*.}"
	done
	[ -f "$r/share/bash-completion/completions/tern" ] || fail "$what: no bash completion"
	"$r/bin/tern" --version >/dev/null || fail "$what: the installed tern --version failed"
	export PKG_CONFIG_PATH=$r/$LIBDIR/pkgconfig PKG_CONFIG_LIBDIR=$r/$LIBDIR/pkgconfig
	cflags=$(pkg-config --cflags tern) || fail "$what: pkg-config --cflags tern failed"
	# One -I, naming this tree's include directory (as ${pcfiledir}/../..).
	read -r -a words <<<"$cflags"
	[ ${#words[@]} -eq 1 ] && [ "${words[0]#-I}" != "${words[0]}" ] &&
		[ "$(readlink -f "${words[0]#-I}")" = "$r/include" ] ||
		fail "$what: pkg-config --cflags tern gave '$cflags', expected one -I for $r/include"
	libs=$(pkg-config --libs tern) || fail "$what: pkg-config --libs tern failed"
	read -r -a words <<<"$libs"
	[ ${#words[@]} -eq 2 ] && [ "$(readlink -f "${words[0]#-L}")" = "$r/$LIBDIR" ] &&
		[ "${words[1]}" = -ltern ] || fail "$what: pkg-config --libs tern gave '$libs'"
	# shellcheck disable=SC2086 # pkg-config's words are meant to split
	for p in hello_sim:"$SRC/tests/install/hello_sim.c" udp_echo:"$SRC/examples/udp_echo.c"; do
		"$CC" -o "$T/${p%%:*}" "${p#*:}" $cflags "${EXTRA[@]}" $libs 2>"$T/cc.err" ||
			fail "$what: ${p%%:*} does not build against tern.pc (shared): $(cat "$T/cc.err")"
	done
	out=$(LD_LIBRARY_PATH=$r/$LIBDIR "$T/hello_sim") ||
		fail "$what: hello_sim (shared) failed: $out"
	[ "$out" = "hello from an installed tern" ] || fail "$what: hello_sim printed '$out'"
	LD_LIBRARY_PATH=$r/$LIBDIR ldd "$T/hello_sim" | grep -q "libtern.so.* => $r/$LIBDIR/" ||
		fail "$what: hello_sim does not load $r/$LIBDIR's libtern.so: $(LD_LIBRARY_PATH=$r/$LIBDIR ldd "$T/hello_sim")"
	out=$(LD_LIBRARY_PATH=$r/$LIBDIR "$T/udp_echo" 2>&1)
	[ $? -eq 2 ] && [ "$out" = "usage: udp_echo TAPIF ADDR/PLEN PORT" ] ||
		fail "$what: udp_echo without arguments: '$out'"
	# Static: without the shared library, -ltern is libtern.a.
	rm -f "$r/$LIBDIR"/libtern.so*
	# shellcheck disable=SC2086
	if "$CC" -o "$T/hello_plain" "$SRC/tests/install/hello_sim.c" $cflags "${EXTRA[@]}" $libs \
		2>/dev/null; then
		fail "$what: libtern.a linked without --static's Libs.private (test is blind)"
	fi
	libs=$(pkg-config --static --libs tern) || fail "$what: pkg-config --static --libs tern failed"
	# shellcheck disable=SC2086
	for p in hello_sim:"$SRC/tests/install/hello_sim.c" udp_echo:"$SRC/examples/udp_echo.c"; do
		"$CC" -o "$T/${p%%:*}" "${p#*:}" $cflags "${EXTRA[@]}" $libs 2>"$T/cc.err" ||
			fail "$what: ${p%%:*} does not link with pkg-config --static --libs tern ($libs): $(cat "$T/cc.err")"
	done
	ldd "$T/hello_sim" | grep -q libtern && fail "$what: the --static hello_sim still loads libtern.so"
	out=$("$T/hello_sim") || fail "$what: hello_sim (static) failed: $out"
	[ "$out" = "hello from an installed tern" ] || fail "$what: static hello_sim printed '$out'"
	echo "ok $what: $(find "$r" -type f | wc -l) files; --cflags '$cflags'; --static --libs '$libs'"
}

cmake --install "$BUILD" --prefix "$T/a" >"$T/install.log" 2>&1 || fail "cmake --install --prefix: $(cat "$T/install.log")"
check_tree "$T/a" "--prefix $T/a"
DESTDIR=$T/d1 cmake --install "$BUILD" >"$T/install.log" 2>&1 || fail "DESTDIR cmake --install: $(cat "$T/install.log")"
check_tree "$T/d1$CONFIGURED" "DESTDIR=$T/d1 (prefix $CONFIGURED)"
DESTDIR=$T/d2 cmake --install "$BUILD" --prefix /opt/tern-elsewhere >"$T/install.log" 2>&1 ||
	fail "DESTDIR cmake --install --prefix: $(cat "$T/install.log")"
check_tree "$T/d2/opt/tern-elsewhere" "DESTDIR=$T/d2 --prefix /opt/tern-elsewhere"
[ -e /opt/tern-elsewhere ] && fail "DESTDIR install wrote to /opt/tern-elsewhere itself"
echo "PASS test_install"
