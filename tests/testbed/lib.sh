# Shell functions shared by the test-bed scripts (start, stop, imap-ctl). Source it.
# Every process is found by its Dovecot/Postfix pid file or by the Dovecot master's process
# group (the master is its group's leader; every Dovecot process of the instance inherits
# the group, also the ones that outlive the master): never by name.

# True while something accepts TCP connections on 127.0.0.1:$1.
port_busy() { (: </dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

# Prints the pid of DIR's running Dovecot master (= its process group); fails if none.
dovecot_master() {
    local p
    [ -f "$1/run/master.pid" ] || return 1
    p=$(tr -dc 0-9 <"$1/run/master.pid")
    [ -n "$p" ] && [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/sbin/dovecot ] || return 1
    echo "$p"
}

# Prints the live (not zombie) Dovecot processes of process group $1, optionally only those
# whose command name is $2 (e.g. imap: the IMAP sessions).
dovecot_group() {
    local p stat state exe
    for p in $(pgrep -g "$1" ${2:+-x "$2"} 2>/dev/null); do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        read -r state _ <<<"${stat##*) }"
        [ "$state" = Z ] && continue
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        [[ $exe == /usr/sbin/dovecot || $exe == /usr/lib/dovecot/* ]] || continue
        echo "$p"
    done
}

# Waits until no process of group $1 is alive, at most $2 times 20 ms; fails if some still are.
dovecot_group_wait() {
    local i
    for ((i = 0; i < $2; i++)); do
        [ -z "$(dovecot_group "$1")" ] && return 0
        sleep 0.02
    done
    [ -z "$(dovecot_group "$1")" ]
}

# Stops DIR's Dovecot the way a service manager does: SIGTERM to the master and to every IMAP
# session (clients read "* BYE Server shutting down." at once; without this the sessions
# outlive the master), then, with "wait", waits for the master and ends what is left of its
# process group (log, stats). SIGKILL after 10 s.
#   dovecot_stop DIR now|wait
dovecot_stop() {
    local dir=$1 mode=$2 master pg p
    master=$(dovecot_master "$dir") || master=
    pg=$master
    [ -n "$pg" ] || pg=$(tr -dc 0-9 <"$dir/run/dovecot.pgid" 2>/dev/null) || pg=
    [ -n "$pg" ] || return 0
    [ -n "$master" ] && kill -TERM "$master" 2>/dev/null
    for p in $(dovecot_group "$pg" imap); do kill -TERM "$p" 2>/dev/null; done
    [ "$mode" = wait ] || return 0
    if [ -n "$master" ]; then
        for _ in $(seq 500); do
            kill -0 "$master" 2>/dev/null || break
            [ "$(awk '{print $3}' "/proc/$master/stat" 2>/dev/null)" = Z ] && break
            sleep 0.02
        done
        kill -KILL "$master" 2>/dev/null
    fi
    for p in $(dovecot_group "$pg"); do kill -TERM "$p" 2>/dev/null; done
    if ! dovecot_group_wait "$pg" 250; then
        for p in $(dovecot_group "$pg"); do kill -KILL "$p" 2>/dev/null; done
        dovecot_group_wait "$pg" 50
    fi
    rm -f "$dir/run/dovecot.pgid"
    return 0
}

# Prints the pid of DIR's running Cyrus master (tests/testbed/cyrus-start; with -d it leads its
# own process group); fails if none.
cyrus_master() {
    local p
    [ -f "$1/run/master.pid" ] || return 1
    p=$(tr -dc 0-9 <"$1/run/master.pid")
    [ -n "$p" ] && [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/lib/cyrus/bin/master ] || return 1
    [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] || return 1
    echo "$p"
}

# Prints the live Cyrus processes of process group $1 (master, imapd, idled, ctl_cyrusdb).
cyrus_group() {
    local p stat state exe
    for p in $(pgrep -g "$1" 2>/dev/null); do
        stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        read -r state _ <<<"${stat##*) }"
        [ "$state" = Z ] && continue
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        [[ $exe == /usr/lib/cyrus/bin/* || $exe == /opt/mailroom-testbed/cyrus/* ]] || continue
        echo "$p"
    done
}
