#!/usr/bin/env bash
# tests/man/test_man.sh TERN SOURCE_DIR — the man pages in docs/man/:
#  - groff -man -ww -z renders each without a single warning;
#  - every command `tern --help` lists (but version) has its page
#    tern-COMMAND.1, and tern.1 names it;
#  - every option in `tern COMMAND --help` appears in tern-COMMAND.1;
#  - the command pages are what scripts/gen_man.py makes from today's
#    --help (change a help text, rerun it: python3 scripts/gen_man.py
#    build/tern docs/man);
#  - bash completion (docs/completion/tern.bash) offers commands, each
#    command's options and lab's verbs.
set -u
TERN=$(readlink -f "${1:?usage: test_man.sh TERN SOURCE_DIR}")
SRC=$(readlink -f "${2:?usage: test_man.sh TERN SOURCE_DIR}")
MAN=$SRC/docs/man
fail() { echo "FAIL test_man: $*" >&2; exit 1; }
command -v groff >/dev/null || fail "required tool not found: groff (Debian: groff-base)"
[ -x /usr/bin/python3 ] || fail "required tool not found: /usr/bin/python3"
T=$(mktemp -d "${TMPDIR:-/tmp}/tern-man.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

pages=("$MAN"/*.1 "$MAN"/*.3)
[ ${#pages[@]} -ge 13 ] || fail "expected at least 13 pages in $MAN, found ${#pages[@]}"
for p in "${pages[@]}"; do
	[ -f "$p" ] || fail "no page $p"
	w=$(groff -man -ww -z "$p" 2>&1) || fail "groff failed on $p: $w"
	[ -z "$w" ] || fail "groff warns on $(basename "$p"):
$w"
done
[ -f "$MAN/libtern.3" ] || fail "no libtern.3"

cmds=$("$TERN" --help | awk '/^Usage:/ {next} /^  [a-z]+  / {print $1}')
[ -n "$cmds" ] || fail "tern --help lists no command"
n=0
for c in $cmds; do
	[ "$c" = version ] && continue
	page=$MAN/tern-$c.1
	[ -f "$page" ] || fail "tern $c has no man page (docs/man/tern-$c.1)"
	grep -q "^\.B $c\$" "$MAN/tern.1" || fail "tern.1 does not list the command $c"
	# The page's text with \- as -, font escapes gone.
	text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page")
	help=$("$TERN" "$c" --help)
	# Options: in each help line that starts with two spaces and '-', the
	# part before the description (2+ spaces, then text not starting '-').
	opts=$(grep -E '^  -' <<<"$help" | sed -E 's/ {2,}[^ -].*$//' |
		grep -oE '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed -E 's/^[ ,]//' | sort -u)
	[ -n "$opts" ] || fail "no options found in tern $c --help"
	for o in $opts; do
		grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" <<<"$text" ||
			fail "tern-$c.1 does not mention $o (from tern $c --help)"
		n=$((n + 1))
	done
done
cp "$MAN/tern.1" "$T/" || fail "copy tern.1"
/usr/bin/python3 "$SRC/scripts/gen_man.py" "$TERN" "$T" || fail "scripts/gen_man.py failed"
for g in "$T"/*.1; do
	cmp -s "$g" "$MAN/$(basename "$g")" ||
		fail "docs/man/$(basename "$g") is not what scripts/gen_man.py makes from today's --help
(a help text changed or a command was added: run 'python3 scripts/gen_man.py $TERN docs/man'
in the source tree and commit the pages):
$(diff "$MAN/$(basename "$g")" "$g" | head -20)"
done
# Bash completion (docs/completion/tern.bash): commands and options from
# the help. complete_words WORD... — what completing the last word offers.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_tern; printf "%s\n" "${COMPREPLY[@]}"' _ "$SRC/docs/completion/tern.bash" "$@"
}
got=$(complete_words "$TERN" n)
[ "$got" = nc ] || fail "completion of 'tern n': got '$got', expected nc"
got=$(complete_words "$TERN" nc -)
for o in -z -q --tap --pcap -h --help; do
	grep -qx -- "$o" <<<"$got" || fail "completion of 'tern nc -' lacks $o: $(tr '\n' ' ' <<<"$got")"
done
got=$(complete_words "$TERN" lab r)
[ "$got" = run ] || fail "completion of 'tern lab r': got '$got'"
echo "PASS test_man: ${#pages[@]} pages without warnings, $n options found in their pages"
