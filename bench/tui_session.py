"""The TUI half of bench/run (see bench/README.md, "The TUI in a pty"): mailroom's TUI in a
200x60 pseudo-terminal against the test bed's Dovecot, and a second IMAP client (the floor's)
that marks the newest message, APPENDs and stores keywords while the TUI watches.

Standard library only. The terminal model and the bytes-per-key method are bench/ui's (loaded
from that file), so both benchmarks read the screen the same way.
"""

import importlib.machinery
import importlib.util
import os
import re
import select
import signal
import socket
import ssl
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_ui():
    loader = importlib.machinery.SourceFileLoader("mailroom_bench_ui", os.path.join(HERE, "ui"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    # One account, so one column over the whole width: bench/ui's column helpers read this.
    mod.ACCOUNTS = ["support"]
    return mod


ui = _load_ui()
Broken = ui.Broken
log = ui.log

# The keyword the "keyword by another client" case stores: a team assignment, which the row
# shows as "@benchbot" (src/triage/state.rs, `$assigned.<agent>`).
LIVE_AGENT = "benchbot"
LIVE_KEYWORD = "$assigned." + LIVE_AGENT
# Words a column header shows while it is not (yet) in step with the server. "syncing" and
# the like are for the sync-progress indicator issue 15 adds; the header of today says
# "loading" (with "n/total") and "cached".
NOT_SYNCED = ("loading", "syncing", "cached", "connecting", "fetching", "offline", "error", "…")


# --------------------------------------------------------------------------- a second client


class Imap:
    """A minimal IMAP client over TLS (the floor's trust setup) for alice on the shared
    mailbox: enough to APPEND, STORE, read EXISTS, and IDLE in a thread that timestamps the
    untagged answers (the IDLE floor of the live-update figures)."""

    def __init__(self, port, ca, mailbox):
        ctx = ssl.create_default_context()
        ctx.load_verify_locations(cafile=ca)
        raw = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.buf = b""
        self.tag = 0
        self.mailbox = mailbox
        self.exists = None
        self.events = []  # (monotonic time, untagged line) seen while idling
        self.idler = None
        self._line()  # greeting
        self.command("LOGIN alice alice-pw")
        for line in self.command(f'SELECT "{mailbox}"'):
            m = re.match(rb"\* (\d+) EXISTS", line)
            if m:
                self.exists = int(m.group(1))

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.s.recv(65536)
            if not data:
                raise Broken("second client: the server closed the connection")
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\r\n")
        # A literal: read it whole, glued to its line (enough for the answers read here).
        m = re.search(rb"\{(\d+)\}$", line)
        if m:
            n = int(m.group(1))
            while len(self.buf) < n:
                data = self.s.recv(65536)
                if not data:
                    raise Broken("second client: the server closed the connection")
                self.buf += data
            line += self.buf[:n]
            self.buf = self.buf[n:]
            line += self._line()
        return line

    def command(self, text, literal=None):
        """Sends a command (with one literal), returns its untagged lines; raises unless OK."""
        self.tag += 1
        tag = f"B{self.tag}".encode()
        if literal is None:
            self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        else:
            self.s.sendall(tag + b" " + text.encode() + f" {{{len(literal)}}}\r\n".encode())
            line = self._line()
            if not line.startswith(b"+"):
                raise Broken(f"second client: {text}: {line!r}")
            self.s.sendall(literal + b"\r\n")
        lines = []
        while True:
            line = self._line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise Broken(f"second client: {text}: {line!r}")
                lines.append(line)
                return lines
            lines.append(line)

    def append(self, subject):
        """APPENDs a small message (Date: now, \\Seen) with this subject; returns its UID."""
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        msg = (
            f"From: Bench Bot <benchbot@example.test>\r\nTo: support@example.test\r\n"
            f"Subject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@bench.example.test>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nA message appended by bench/run.\r\n"
        ).encode()
        lines = self.command(f'APPEND "{self.mailbox}" (\\Seen)', literal=msg)
        m = re.search(rb"APPENDUID \d+ (\d+)", lines[-1])
        if not m:
            raise Broken(f"second client: APPEND answered {lines[-1]!r} (no APPENDUID)")
        return int(m.group(1))

    def count(self):
        """The mailbox's message count now (STATUS, which other sessions' changes reach)."""
        for line in self.command(f'STATUS "{self.mailbox}" (MESSAGES)'):
            m = re.search(rb"MESSAGES (\d+)", line)
            if m:
                return int(m.group(1))
        raise Broken("second client: STATUS gave no MESSAGES")

    # -- IDLE, in a thread: the time the server tells an idling client about a change

    def idle(self):
        self.tag += 1
        tag = f"B{self.tag}".encode()
        self.s.sendall(tag + b" IDLE\r\n")
        line = self._line()
        if not line.startswith(b"+"):
            raise Broken(f"second client: IDLE: {line!r}")
        self.s.settimeout(None)

        def reader():
            try:
                while True:
                    line = self._line()
                    self.events.append((time.monotonic(), line))
                    if line.startswith(tag + b" "):
                        return
            except (OSError, Broken):
                return

        self.idler = threading.Thread(target=reader, daemon=True)
        self.idler.start()
        self.idle_tag = tag

    def wait_event(self, pattern, since, timeout=30):
        """The time of the first untagged line matching `pattern` after `since`, or None."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            for t, line in list(self.events):
                if t >= since and re.search(pattern, line):
                    return t
            time.sleep(0.005)
        return None

    def close(self):
        try:
            if self.idler is not None:
                self.s.sendall(b"DONE\r\n")
                self.idler.join(5)
            self.s.sendall(b"Z LOGOUT\r\n")
            self.s.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- the TUI


def proc_cpu(pid):
    """user+sys CPU seconds of a running process (from /proc/PID/stat), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def proc_hwm_mib(pid):
    """The peak resident size so far (VmHWM) of a running process, in MiB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return None


def header_index(screen):
    """The screen row of the column's first header line (" support  ready · idle  2000 · 5
    unread"): the top line naming the column and its unread count, else the top line naming
    the column; None if there is none."""
    lines = screen.lines()[:6]
    for want in (lambda l: " support " in l and "unread" in l, lambda l: " support " in l):
        y = next((y for y, l in enumerate(lines) if want(l)), None)
        if y is not None:
            return y
    return None


def header_line(screen):
    y = header_index(screen)
    return None if y is None else screen.lines()[y]


def header_synced(line, count):
    """Whether a header line says the column is in step with a mailbox of `count` messages:
    no loading/syncing word, and the row count (not an "n/total" progress) equals `count`."""
    if line is None:
        return False
    low = line.lower()
    if any(w in low for w in NOT_SYNCED):
        return False
    plain = re.sub(r"(?<=\d)[,_\u202f\u00a0 ](?=\d{3}(?!\d))", "", line)
    # Not "n/total", "n of total", "n%" or the unread count.
    for m in re.finditer(r"(?<![\d/])(?<!of )(\d+)(?![\d/%])(?! unread)", plain):
        if int(m.group(1)) == count:
            return True
    return False


def on_screen(screen, text):
    return any(text in line for line in screen.lines())


def row_with(screen, text):
    return next((line for line in screen.lines() if text in line), None)


class Tui:
    """mailroom's TUI in a 200x60 pty (bench/ui's App) with its own cache, timed from fork."""

    def __init__(self, binary, config, cache):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": cache,
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "XDG_CACHE_HOME": cache,
            "XDG_CONFIG_HOME": os.path.join(cache, "config"),
            "XDG_DATA_HOME": os.path.join(cache, "data"),
            "XDG_STATE_HOME": os.path.join(cache, "state"),
        }
        self.t0 = time.monotonic()
        self.app = ui.App(binary, config, env)
        self.pid = self.app.pid
        self.first_output = None
        self.usage = None

    def since(self):
        return time.monotonic() - self.t0

    def pump(self, timeout):
        data = self.app.read(timeout)
        if data and self.first_output is None:
            self.first_output = self.since()
        return data

    def wait(self, predicate, timeout, what):
        """Reads until predicate(screen) holds; returns seconds since the start."""
        end = time.monotonic() + timeout
        while True:
            if predicate(self.app.screen):
                return self.since()
            if time.monotonic() > end:
                raise Broken(f"timed out after {timeout:.0f} s waiting for {what}; the screen:\n{self.app.screen.text()}")
            self.pump(0.02)

    def wait_change(self, predicate, timeout, what, t_from):
        """Like wait, but returns the seconds from the monotonic time `t_from`."""
        end = time.monotonic() + timeout
        while True:
            if predicate(self.app.screen):
                return time.monotonic() - t_from
            if time.monotonic() > end:
                raise Broken(f"timed out after {timeout:.0f} s waiting for {what}; the screen:\n{self.app.screen.text()}")
            self.pump(0.01)

    def quit(self):
        """Sends q and reaps the process with wait4; returns its rusage (None if killed)."""
        try:
            os.write(self.app.fd, b"q")
        except OSError:
            pass
        end = time.monotonic() + 5
        usage = None
        while True:
            try:
                pid, _, ru = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                usage = ru
                break
            if time.monotonic() > end:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                    _, _, usage = os.wait4(self.pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
                break
            try:
                r, _, _ = select.select([self.app.fd], [], [], 0.05)
                if r:
                    os.read(self.app.fd, 1 << 16)
            except OSError:
                time.sleep(0.05)
        try:
            os.close(self.app.fd)
        except OSError:
            pass
        self.usage = usage
        return usage


def list_rows(screen):
    """(first, last) screen rows of the column's message list: under the two header lines,
    above the bottom border."""
    head = header_index(screen)
    if head is None:
        raise Broken("no column header on screen:\n" + screen.text())
    first = head + 2
    bottom = next((y for y in range(first, ui.HEIGHT) if screen.cells[y][0] in "┗└╰+"), None)
    if bottom is None:
        raise Broken("no bottom border under the column:\n" + screen.text())
    return first, bottom - 1


def bytes_per_j(tui, presses):
    """bench/ui's method on the synced TUI: the selection brought to the first row, then `j`
    pressed `presses` times, each after the app's own redraws have ended; bytes written."""
    app = tui.app
    first, last = list_rows(app.screen)
    if last - first < presses + 1:
        raise Broken(f"only {last - first + 1} list rows on screen")
    for _ in range(ui.HEIGHT * 2):
        if ui.selected_row(app.screen) == first:
            break
        app.press(b"k")
        app.collect(0.05, 1)
    else:
        raise Broken("k did not bring the selection to the first row:\n" + app.screen.text())
    x0 = ui.column_bounds()[0][0]

    def moved(before, screen):
        was = next((y for y, r in enumerate(before) if r[x0] == ">"), None)
        now = ui.selected_row(screen)
        if was is None or now is None or now - was != 1:
            return f"the selection went from row {was} to {now}, expected a move of 1"
        return None

    counts, retries, comp = ui.measure_key(app, b"j", "j", presses, moved, range(first, last + 1))
    return counts, retries, comp


def session(binary, config, cache, tb, mailbox, newest, count, timeout, live=False, presses=0):
    """One TUI run: start, the newest row on screen, the header in step with the server
    (`count` rows); then optionally bytes per `j` and the live-update cases; quit. Returns a
    dict of figures (seconds from the start of the process)."""
    res = {}
    tui = Tui(binary, config, cache)
    try:
        first_rows = []

        def newest_shown(s):
            # On the way: when the first rows of any age show (the selection mark appears).
            if not first_rows and ui.selected_row(s) is not None:
                first_rows.append(tui.since())
            return on_screen(s, newest)

        res["newest_s"] = tui.wait(newest_shown, timeout, f"the newest row ({newest!r})")
        res["first_rows_s"] = first_rows[0] if first_rows else res["newest_s"]
        res["first_output_s"] = tui.first_output
        res["hwm_at_newest_mib"] = proc_hwm_mib(tui.pid)
        try:
            res["synced_s"] = tui.wait(
                lambda s: header_synced(header_line(s), count), timeout, f"the header to show {count} rows, synced"
            )
            res["cpu_synced_s"] = proc_cpu(tui.pid)
            res["hwm_synced_mib"] = proc_hwm_mib(tui.pid)
        except Broken as e:
            res["synced_error"] = str(e).splitlines()[0]
            log("  " + res["synced_error"])
            log(f"  header: {header_line(tui.app.screen)!r}")
            return res
        res["header"] = (header_line(tui.app.screen) or "").strip()
        # A key or an update that never shows is a result (n/a in the table, the reason in the
        # JSON and the log), not a broken benchmark.
        if presses:
            try:
                counts, retries, comp = bytes_per_j(tui, presses)
                res["j_bytes"] = counts
                res["j_retries"] = retries
                res["j_composition"] = comp
            except Broken as e:
                res["j_error"] = str(e)
                log("  bytes per j: " + str(e))
        if live:
            try:
                # As long as a tenth of the run's limit (which scales with the size), 30 s at least.
                live_updates(tui, tb, mailbox, res, max(30.0, timeout / 10))
            except (Broken, OSError) as e:
                res["live_error"] = str(e)
                log("  live updates: " + str(e))
        res["hwm_end_mib"] = proc_hwm_mib(tui.pid)
        res["cpu_end_s"] = proc_cpu(tui.pid)
    finally:
        usage = tui.quit()
        if usage is not None:
            # The peak of the whole run: ru_maxrss at exit, or the last VmHWM read if higher
            # (the two are the same counter, sampled at different times).
            res["rss_peak_mib"] = max(usage.ru_maxrss / 1024.0, res.get("hwm_end_mib") or 0.0)
            res["cpu_total_s"] = usage.ru_utime + usage.ru_stime
    return res


def live_updates(tui, tb, mailbox, res, wait=30.0):
    """Another client APPENDs a message with a unique subject, then stores a keyword on it;
    the time until the TUI shows each, next to the time an idling client is told (the IDLE
    floor). Both from the moment the command is sent. Figures go into `res`."""
    watcher = Imap(tb.port, tb.ca, mailbox)
    writer = Imap(tb.port, tb.ca, mailbox)
    try:
        watcher.idle()
        # Let the TUI settle into IDLE (it re-enters IDLE after its sync).
        tui.app.collect(0.5, 2)
        subject = f"bench live {uuid.uuid4().hex[:10]}"
        t = time.monotonic()
        uid = writer.append(subject)
        res["append_cmd_s"] = time.monotonic() - t
        res["live_append_s"] = tui.wait_change(lambda s: on_screen(s, subject), wait, "the appended message", t)
        seen = watcher.wait_event(rb"^\* \d+ EXISTS", t, 5)
        res["idle_append_s"] = None if seen is None else seen - t
        tui.app.collect(0.3, 2)
        before = row_with(tui.app.screen, subject)
        t = time.monotonic()
        writer.command(f"UID STORE {uid} +FLAGS ({LIVE_KEYWORD})")
        res["store_cmd_s"] = time.monotonic() - t

        def shown(s):
            row = row_with(s, subject)
            return row is not None and row != before and "@" + LIVE_AGENT in row

        res["live_keyword_s"] = tui.wait_change(shown, wait, f"the row to show @{LIVE_AGENT}", t)
        seen = watcher.wait_event(rb"^\* \d+ FETCH .*" + re.escape(LIVE_KEYWORD.encode()), t, 5)
        res["idle_keyword_s"] = None if seen is None else seen - t
        res["live_subject"] = subject
    finally:
        watcher.close()
        writer.close()
