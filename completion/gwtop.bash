# bash completion for gwtop -*- shell-script -*-
# Installed to $(PREFIX)/share/bash-completion/completions/gwtop.

_gwtop()
{
	local cur prev words cword
	_init_completion || return

	case $prev in
	--nginx-conf | --error-log | --access-log | --output | --config | --docker-socket | --report-md | --record | --replay)
		_filedir
		return
		;;
	--nginx-bin)
		_filedir
		return
		;;
	--app-log)
		if [[ $cur == unit:* ]]; then
			local units
			units=$(systemctl list-units --type=service --all --no-legend --plain 2>/dev/null |
				awk '{ print $1 }')
			COMPREPLY=($(compgen -P unit: -W "$units" -- "${cur#unit:}"))
		else
			_filedir
			COMPREPLY+=($(compgen -W "unit:" -- "$cur"))
			[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == unit: ]] && compopt -o nospace
		fi
		return
		;;
	--unit)
		local units
		units=$(systemctl list-units --type=service --all --no-legend --plain 2>/dev/null |
			awk '{ print $1 }')
		COMPREPLY=($(compgen -W "$units" -- "$cur"))
		return
		;;
	--upstream)
		COMPREPLY=($(compgen -W "http://127.0.0.1: unix:/run/" -- "$cur"))
		compopt -o nospace
		return
		;;
	--probe-path)
		COMPREPLY=($(compgen -W "/ /health /healthz" -- "$cur"))
		return
		;;
	--theme)
		COMPREPLY=($(compgen -W "default colorblind" -- "$cur"))
		return
		;;
	--interval | --window | --timeout | --since)
		COMPREPLY=($(compgen -W "1 2 5 10 30 60 300" -- "$cur"))
		return
		;;
	-h | --help | -V | --version)
		return
		;;
	esac

	# after --summarize: the JSON files of the hosts
	local i
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == --summarize ]]; then
			_filedir
			return
		fi
	done

	if [[ $cur == -* || -z $cur ]]; then
		COMPREPLY=($(compgen -W '--check --json --prometheus --markdown --report-md --output --nginx-conf
			--nginx-bin --error-log --access-log --app-log --unit --upstream
			--docker-socket --interval --window --timeout --since --theme --read-only --no-color --config
			--probe-path --no-probe-through --record --record-max --replay
			--summarize --help --version' -- "$cur"))
	fi
} &&
	complete -F _gwtop gwtop

# ex: filetype=sh
