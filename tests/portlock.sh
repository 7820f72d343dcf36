# shellcheck shell=bash
# portlock.sh — loopback ports for a test, claimed with the lab's locks
# (sourced). tests/lab/lab.sh claims a block of 4 ports by mkdir of
# /tmp/gwtop-lab-ports/BASE (BASE a multiple of 4 in 20000-39999); a test
# that needs more ports (a docker scenario's 100) claims every such block
# in its range the same way, so that a lab started meanwhile, by this run or
# by a parallel one, never picks a port inside it (a bare `ss` check leaves
# the window between the check and the bind open).
#
#   portlock_claim COUNT   a free block of COUNT ports (rounded up to 4s),
#                          its first port in PL_BASE; 1 when none was found
#   portlock_release       remove this shell's locks (call it on exit)

PL_DIR=/tmp/gwtop-lab-ports
# shellcheck disable=SC2034  # PL_BASE is for the sourcing test
PL_BASE=""
PL_LOCKS=()

portlock_release() {
	local d
	for d in ${PL_LOCKS[@]+"${PL_LOCKS[@]}"}; do rmdir "$d" 2>/dev/null; done
	PL_LOCKS=()
	PL_BASE=""
}

portlock_claim() {
	local n=$(( ($1 + 3) / 4 * 4 )) try b p got
	mkdir -p "$PL_DIR"
	for ((try = 0; try < 100; try++)); do
		b=$(( 20000 + (RANDOM % ((20000 - n) / 4)) * 4 ))
		got=()
		for ((p = b; p < b + n; p += 4)); do
			mkdir "$PL_DIR/$p" 2>/dev/null || break
			got+=("$PL_DIR/$p")
		done
		if [ "${#got[@]}" = $((n / 4)) ] &&
			! ss -Htln "sport >= :$b and sport <= :$((b + n - 1))" | grep -q .; then
			PL_LOCKS+=("${got[@]}")
			# shellcheck disable=SC2034
			PL_BASE=$b
			return 0
		fi
		for p in ${got[@]+"${got[@]}"}; do rmdir "$p" 2>/dev/null; done
	done
	return 1
}
