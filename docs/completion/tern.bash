# bash completion for tern(1); installed as
# share/bash-completion/completions/tern. Commands and options come from
# tern's own --help, so they are never out of date.
_tern()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local tern=${COMP_WORDS[0]} cmds opts
	cmds=$("$tern" --help 2>/dev/null | awk '/^  [a-z]+  / {print $1}')
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "$cmds help --help --version" -- "$cur")
		return
	fi
	local cmd=${COMP_WORDS[1]}
	case $cmd in
	help)
		[ "$COMP_CWORD" -eq 2 ] && mapfile -t COMPREPLY < <(compgen -W "$cmds" -- "$cur")
		return
		;;
	esac
	case $prev in
	--tap)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")
		return
		;;
	--pcap | --out | -o | --tcp-trace)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		# The option part of each "  -x, --long ARG   text" line of the help.
		opts=$("$tern" "$cmd" --help 2>/dev/null | grep -E '^  -' |
			sed -E 's/ {2,}[^ -].*$//' | grep -oE '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' |
			sed -E 's/^[ ,]//' | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	elif [ "$cmd" = lab ] && [ "$COMP_CWORD" -eq 2 ]; then
		mapfile -t COMPREPLY < <(compgen -W "check run" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -F _tern tern
