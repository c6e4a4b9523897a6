#!/bin/bash
# Test driver, run inside the test container by reactor-e2e.service once the container has booted.
# It exercises drbd-reactor.service and, at the same time (a background job), an ocf.rs@.service instance
# running ocf-rs-wrapper with the fake OCF agent, under the container's real systemd (PID 1), and records
# what it sees:
# /results/results.env gets KEY=VALUE lines, the other files in /results are raw material (journal,
# metrics, systemctl show). Tests/e2e/test_systemd.py asserts on them. The driver only records; it
# never decides pass/fail, and it always powers the container off at the end.
set -u
R=/results
U=drbd-reactor.service
O=ocf.rs@dummy_r0.service  # the ocf.rs@.service instance (below)
A=/results/ocf-agent       # the fake agent's calls and exit codes

out() { printf '%s=%s\n' "$1" "$2" >>"$R/results.env"; }
prop() { systemctl show -p "$1" --value "$U"; }
# show PREFIX: records the interesting unit properties as PREFIX.Name=value.
show() {
    systemctl show -p ActiveState,SubState,Result,StatusText,WatchdogUSec,NRestarts,MainPID,ExecMainCode,ExecMainStatus \
        "$U" | sed "s/^/$1./" >>"$R/results.env"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds or SECONDS pass.
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
is_running() { [ "$(prop ActiveState)/$(prop SubState)" = active/running ]; }
metrics() {
    timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/9942 &&
        printf "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n" >&3 && cat <&3' 2>&1 | tr -d '\r'
}
has_resources_metric() { metrics >"$R/metrics.txt"; grep -qx 'drbd_resource_resources 2' "$R/metrics.txt"; }
# children PID: the pids whose parent is PID (without procps).
children() {
    local f st ppid
    for f in /proc/[0-9]*/stat; do
        st=$(cat "$f" 2>/dev/null) || continue
        read -r _ ppid _ <<<"${st##*) }"
        [ "$ppid" = "$1" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
    done
    return 0
}
finish() {
    [ -n "${ocf_job:-}" ] && wait "$ocf_job"
    out done 1
    journalctl --sync
    journalctl -u "$O" -o short-monotonic --no-pager >"$R/journal-ocf.txt" 2>&1
    journalctl -u "$O" -o verbose --no-pager >"$R/journal-ocf-verbose.txt" 2>&1
    journalctl -u "$U" -o short-monotonic --no-pager >"$R/journal.txt" 2>&1
    journalctl -u "$U" -o verbose --no-pager >"$R/journal-verbose.txt" 2>&1
    journalctl SYSLOG_IDENTIFIER=drbd-reactor -o verbose --no-pager >"$R/journal-ident-verbose.txt" 2>&1
    journalctl -b -o verbose --no-pager >"$R/journal-all-verbose.txt" 2>&1
    sync
    systemctl poweroff --no-block
}
trap finish EXIT

out driver_started 1
out system_state "$(systemctl is-system-running)"
out systemd_version "$(systemctl --version | head -1)"
systemd-analyze verify "$U" >"$R/verify.txt" 2>&1
out verify_rc $?

# ---- ocf.rs@.service: ocf-rs-wrapper under systemd, with the fake agent (Tests/Support/ocf/fake-agent)
# at the AGENT= of the promoter-style drop-in. The fake agent appends "<verb> instance=... ip=..." to
# $A/calls and exits with the number in $A/<verb>.rc. Runs as a background job next to the daemon's checks
# (its monitor interval is 5 s); its keys are ocf_*.
mkdir -p "$A"
oprop() { systemctl show -p "$1" --value "$O"; }
oshow() {
    systemctl show -p ActiveState,SubState,Result,StatusText,NRestarts,MainPID,ExecMainCode,ExecMainStatus \
        "$O" | sed "s/^/$1./" >>"$R/results.env"
}
ncalls() { grep -c "^$1 " "$A/calls" 2>/dev/null; }
# has_calls VERB N: the agent was called with VERB at least N times.
has_calls() { [ "$(ncalls "$1")" -ge "$2" ]; }
verbs() { cut -d' ' -f1 "$A/calls" 2>/dev/null | tr '\n' ' '; }
ocf_checks() {
    trap - EXIT
    systemd-analyze verify "$O" >"$R/verify-ocf.txt" 2>&1
    out ocf_verify_rc $?
    # Type=notify: `systemctl start` returns once the wrapper's agent start succeeded and it sent READY=1.
    local t rc opid
    t=$(now)
    timeout 20 systemctl start "$O"
    rc=$?
    out ocf_start_rc $rc
    out ocf_start_seconds "$(elapsed "$t")"
    oshow ocf_start
    out ocf_environment "$(oprop Environment)"
    [ $rc = 0 ] || return
    opid=$(oprop MainPID)
    out ocf_start_comm "$(cat "/proc/$opid/comm" 2>/dev/null)"
    # The first monitor: one interval plus up to half of one.
    t=$(now)
    wait_for 15 has_calls monitor 1
    out ocf_monitor_seen $?
    out ocf_monitor_seconds "$(elapsed "$t")"
    oshow ocf_monitoring
    out ocf_calls_monitoring "$(verbs)"
    # The next monitor fails with 7 (OCF_NOT_RUNNING): the wrapper exits 7, ExecStopPost= runs the agent's
    # stop, and Restart=always schedules a restart (RestartSec=1s: time for the driver to see auto-restart).
    echo 7 >"$A/monitor.rc"
    t=$(now)
    in_auto_restart() { [ "$(oprop SubState)" = auto-restart ]; }
    wait_for 15 in_auto_restart
    out ocf_auto_restart_seen $?
    out ocf_fail_seconds "$(elapsed "$t")"
    oshow ocf_failed
    out ocf_calls_failed "$(verbs)"
    rm -f "$A/monitor.rc"
    restarted() { [ "$(oprop NRestarts)" -ge 1 ] && [ "$(oprop ActiveState)" = active ] && [ "$(oprop MainPID)" != "$opid" ]; }
    wait_for 15 restarted
    out ocf_restarted $?
    oshow ocf_restarted
    # Stop: SIGTERM; the wrapper runs the agent's stop and exits with its status (0), and ExecStopPost=
    # then has nothing to do.
    t=$(now)
    timeout 20 systemctl stop "$O"
    out ocf_stop_rc $?
    out ocf_stop_seconds "$(elapsed "$t")"
    oshow ocf_stop
    out ocf_calls "$(verbs)"
}
ocf_checks &
ocf_job=$!

# 1. Start: Type=notify, so `systemctl start` returns once the daemon sent READY=1.
t=$(now)
timeout 20 systemctl start "$U"
rc=$?
out start_rc $rc
out start_seconds "$(elapsed "$t")"
show start
# Nothing else is meaningful when the start failed; the journal (written on exit) tells why.
[ $rc = 0 ] || exit 0
pid=$(prop MainPID)
out start_threads "$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"

# 2. Metrics from the replayed events2 stream.
wait_for 10 has_resources_metric
out metrics_resources_found $?

# 3. The daemon's child: the stand-in drbdsetup, found through the unit's PATH, without the notify variables.
child=
for c in $(children "$pid"); do [ "$(cat "/proc/$c/comm" 2>/dev/null)" = drbdsetup ] && child=$c; done
out child_comm "$(cat "/proc/$child/comm" 2>/dev/null)"
out child_args "$(tr '\0' ' ' <"/proc/$child/cmdline" 2>/dev/null)"
out child_notify_env "$(tr '\0' '\n' <"/proc/$child/environ" 2>/dev/null | grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' | tr '\n' ' ')"
out standin_argv "$(head -1 /run/standin/drbdsetup.argv 2>/dev/null)"

# PID 1 at debug level logs every sd_notify message it receives ("Got notification message from PID ...
# (READY=1)"). Not before the start: at debug level the forked child logs before it execs the daemon, and
# journald then attributes the daemon's first second of entries to that pre-exec process (init.scope).
systemd-analyze log-level debug

# 4. Reload: ExecReload sends SIGHUP; the daemon answers RELOADING=1 then READY=1, and systemd must be back
# in active/running (a missing READY=1 would leave the unit in "reloading").
t=$(now)
timeout 20 systemctl reload "$U"
out reload_rc $?
out reload_seconds "$(elapsed "$t")"
wait_for 10 is_running
out reload_back_running $?
show reload
out reload_same_pid "$([ "$(prop MainPID)" = "$pid" ] && echo yes || echo no)"
wait_for 10 has_resources_metric
out reload_metrics_resources_found $?

# 5. The journal: the daemon logs natively (sd_journal_sendv) with its own fields.
journalctl --sync
out journal_resource_entries "$(journalctl DRBD_RESOURCE=web -o cat --no-pager | wc -l)"
out journal_stdout_entries "$(journalctl _SYSTEMD_UNIT=$U _TRANSPORT=stdout -o cat --no-pager | wc -l)"

# 6. Stop: STOPPING=1, exit 0, Result=success.
t=$(now)
timeout 20 systemctl stop "$U"
out stop_rc $?
out stop_seconds "$(elapsed "$t")"
show stop
journalctl --sync
journalctl -u "$U" -o short-monotonic --no-pager >"$R/journal-run1.txt" 2>&1
systemd-analyze log-level info

# 7. Watchdog: a short WatchdogSec=; the daemon's pings keep it alive; a SIGSTOPped daemon is killed by the
# watchdog (Result=watchdog) and restarted (Restart=on-failure).
mkdir -p /run/systemd/system/$U.d
printf '[Service]\nWatchdogSec=2s\nRestartSec=1s\nTimeoutAbortSec=5s\n' >/run/systemd/system/$U.d/watchdog.conf
systemctl daemon-reload
timeout 20 systemctl start "$U"
out wd_start_rc $?
sleep 4
show wd_alive
wpid=$(prop MainPID)
kill -STOP "$wpid"
out wd_stopped_pid "$wpid"
t=$(now)
restarted() { [ "$(prop NRestarts)" -ge 1 ] && is_running && [ "$(prop MainPID)" != "$wpid" ]; }
wait_for 30 restarted
out wd_restarted $?
out wd_restart_seconds "$(elapsed "$t")"
show wd_after
timeout 20 systemctl stop "$U"
out wd_stop_rc $?
rm -f /run/systemd/system/$U.d/watchdog.conf
systemctl daemon-reload

# 8. The /metrics socket over a restart. ExecStartPre=sleep 2 holds the restarted service in "activating"
# with no daemon running; a scrape made then must wait and be answered by the new daemon, not refused.
# scrape_during_restart PREFIX: restarts the unit, scrapes while no daemon runs, records the outcome.
scrape_during_restart() {
    local old t
    old=$(prop MainPID)
    systemctl restart --no-block "$U"
    in_start_pre() { [ "$(prop SubState)" = start-pre ]; }
    wait_for 20 in_start_pre
    out "$1_in_start_pre" $?
    t=$(now)
    metrics >"$R/$1-metrics.txt"
    out "$1_scrape_seconds" "$(elapsed "$t")"
    out "$1_scrape_up" "$(grep -cx 'drbdreactor_up 1' "$R/$1-metrics.txt")"
    wait_for 20 is_running
    out "$1_new_pid" "$([ "$(prop MainPID)" != "$old" ] && echo yes || echo no)"
}
mkdir -p /run/systemd/system/$U.d
printf '[Service]\nExecStartPre=/bin/sleep 2\n' >/run/systemd/system/$U.d/slow-start.conf
systemctl daemon-reload
# 8a. Without a socket unit: the daemon stored its own listening socket (FDSTORE=1, FileDescriptorStoreMax=).
timeout 20 systemctl start "$U"
out fdstore_start_rc $?
out fdstore_n_stored "$(prop NFileDescriptorStore)"
scrape_during_restart fdstore
# 8b. With drbd-reactor-metrics.socket: systemd binds the port; a scrape of a stopped service starts it.
timeout 20 systemctl stop "$U"
timeout 20 systemctl start drbd-reactor-metrics.socket
out socket_start_rc $?
t=$(now)
metrics >"$R/socket-metrics.txt"
out socket_activation_seconds "$(elapsed "$t")"
out socket_activation_up "$(grep -cx 'drbdreactor_up 1' "$R/socket-metrics.txt")"
out socket_service_state "$(prop ActiveState)"
scrape_during_restart socket
timeout 20 systemctl stop "$U" drbd-reactor-metrics.socket
rm -f /run/systemd/system/$U.d/slow-start.conf
systemctl daemon-reload

# 9. The promoter over systemd's bus: resource db (may_promote:yes in the replayed stream) starts
# drbd-services@db.target with crasher.service (Tests/systemd/promoter), which fails 10 s after its first
# start. The daemon learns of the failure from systemd's bus, not from its 20 s ticker, and starts the
# target again; the second start keeps running. Keys promoter_*; the journal entries of the resource
# (DRBD_RESOURCE=db) go to journal-promoter.json.
P=/run/promoter-e2e
mkdir -p "$P" /run/systemd/system/$U.d
cat >"$P/drbd-reactor.toml" <<'TOML'
snippets-monitoring-interval = 0
[[log]]
level = "debug"
[[prometheus]]
address = "127.0.0.1:9942"
[[promoter]]
[promoter.resources.db]
start = ["crasher.service"]
# No backing device to wait for in the container (adjust waits until it is a block device).
adjust-resource-on-start = false
TOML
bin=$(systemctl show -p ExecStart --value "$U" | sed -n 's/.*path=\([^ ;]*\).*/\1/p')
# STANDIN_SH_LL_DEV: a backing device, so no diskless delay before the start.
printf '[Service]\nExecStart=\nExecStart=%s -c %s/drbd-reactor.toml\nEnvironment=STANDIN_SH_LL_DEV=/dev/vg0/db\n' "$bin" "$P" \
    >/run/systemd/system/$U.d/promoter.conf
systemctl daemon-reload
timeout 20 systemctl start "$U"
out promoter_start_rc $?
cprop() { systemctl show -p "$1" --value crasher.service; }
restarted_file() { [ -e /run/crasher/restarted ]; }
wait_for 40 restarted_file
out promoter_restarted $?
crasher_active() { [ "$(cprop ActiveState)" = active ]; }
wait_for 5 crasher_active
out promoter_crasher_state "$(cprop ActiveState)/$(cprop SubState)"
# The daemon's memory with the bus connection in use (a figure for the README, not asserted).
out promoter_rss_kib "$(awk '/^VmRSS:/ { print $2 }' "/proc/$(prop MainPID)/status" 2>/dev/null)"
out promoter_crasher_nrestarts "$(cprop NRestarts)"
out promoter_target_state "$(systemctl show -p ActiveState --value drbd-services@db.target)"
out promoter_started "$(cat /run/crasher/started 2>/dev/null)"
out promoter_failed "$(cat /run/crasher/failed 2>/dev/null)"
out promoter_restarted_at "$(cat /run/crasher/restarted 2>/dev/null)"
metrics >"$R/promoter-metrics.txt"
timeout 20 systemctl stop "$U"
out promoter_stop_rc $?
journalctl --sync
journalctl DRBD_RESOURCE=db -o json --no-pager >"$R/journal-promoter.json" 2>&1
journalctl -u "$U" -o short-monotonic --no-pager >"$R/journal-promoter.txt" 2>&1
systemctl stop drbd-services@db.target crasher.service
rm -f /run/systemd/system/$U.d/promoter.conf
systemctl daemon-reload
