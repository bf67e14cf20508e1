#!/bin/bash
# make fuzz: each libFuzzer target named on the command line in turn, one
# process, for FUZZ_EXECS executions (10 million unless set; FUZZ_SECONDS,
# when set, caps each target's time too).  A target starts from its grown
# corpus in $FUZZ_OUT/<target>.corpus, kept between runs, and from the
# committed one in tests/fuzz/corpus/<target>; new inputs go to the grown
# one.  Then -merge=1 copies into tests/fuzz/corpus/<target> the grown
# inputs that reach coverage the committed ones do not (the smallest such
# input first), so that make fuzz-smoke, in make check, replays them: commit
# what it adds.  A crash, leak or timeout stops everything, with the input
# left in $FUZZ_OUT/<target>-*; keep it in tests/fuzz/corpus/<target> with
# the fix.  One line per target goes to $FUZZ_OUT/fuzz-summary.txt.
# FUZZ_JOBS=N (1 unless set) runs N processes of a target at once, each to
# FUZZ_EXECS / N executions, on one corpus they share (libFuzzer -jobs): on
# N free cores the executions add up N times as fast.
set -eu
out=${FUZZ_OUT:?run through make fuzz}
execs=${FUZZ_EXECS:-10000000}
secs=${FUZZ_SECONDS:-0}
jobs=${FUZZ_JOBS:-1}
opts=(-max_len=4096 -timeout=10 -rss_limit_mb=2048)

stat() { sed -n "s/^stat::$1: *//p" "$2"; }
files() { find "$1" -type f | wc -l; }
kbytes() { du -sk --apparent-size "$1" | cut -f1; }

for bin in "$@"; do
	n=$(basename "$bin")
	seed=tests/fuzz/corpus/$n
	grown=$out/$n.corpus
	log=$out/$n.fuzz.log
	mkdir -p "$seed" "$grown"
	had=$(files "$seed")
	echo "fuzz: $n: $execs runs${FUZZ_SECONDS:+ or ${secs} s}, log in $log"
	t0=$(date +%s)
	if [ "$jobs" -gt 1 ]; then
		# Each job logs to fuzz-JOB.log in the folder it starts in,
		# which libFuzzer copies to its own output when the job ends.
		jd=$out/$n.jobs
		rm -rf "$jd"
		mkdir -p "$jd"
		abin=$(realpath "$bin") aout=$(realpath "$out")
		agrown=$(realpath "$grown") aseed=$(realpath "$seed")
		ok=1
		(cd "$jd" && "$abin" "${opts[@]}" -jobs="$jobs" -workers="$jobs" \
		    -runs=$(((execs + jobs - 1) / jobs)) \
		    -max_total_time="$secs" -print_final_stats=1 \
		    -artifact_prefix="$aout/$n-" "$agrown" "$aseed") \
		    >"$log" 2>&1 || ok=0
	else
		ok=1
		"$bin" "${opts[@]}" -runs="$execs" -max_total_time="$secs" \
		    -print_final_stats=1 -artifact_prefix="$out/$n-" \
		    "$grown" "$seed" >"$log" 2>&1 || ok=0
	fi
	if [ $ok = 0 ]; then
		tail -n 40 "$log"
		echo "fuzz: $n failed; the input is in $out/$n-*" >&2
		exit 1
	fi
	t1=$(date +%s)
	if ! "$bin" "${opts[@]}" -merge=1 "$seed" "$grown" \
	    >"$out/$n.merge.log" 2>&1; then
		tail -n 40 "$out/$n.merge.log"
		echo "fuzz: $n: merging the corpus failed" >&2
		exit 1
	fi
	# summed over the jobs; the rate is over the whole time
	runs=$(stat number_of_executed_units "$log" | awk '{ n += $1 } END { print n + 0 }')
	slowest=$(stat slowest_unit_time_sec "$log" | sort -n | tail -n 1)
	line=$(printf '%s: %s runs in %d s (%s/s, slowest input %s s, %s process(es)); corpus %s: %d -> %d files, %d KB; grown corpus %d files' \
	    "$n" "$runs" $((t1 - t0)) $((runs / (t1 - t0 > 0 ? t1 - t0 : 1))) \
	    "$slowest" "$jobs" \
	    "$seed" "$had" "$(files "$seed")" "$(kbytes "$seed")" \
	    "$(files "$grown")")
	echo "fuzz: $line"
	echo "$(date -u +%FT%TZ) $line" >>"$out/fuzz-summary.txt"
done
