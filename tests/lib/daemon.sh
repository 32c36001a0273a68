#!/bin/bash
# daemon.sh MODE [ARG] - small test daemons for the units backends (never root-only).
#   plain            sleep until killed
#   ignore-term      ignore SIGTERM (like a uwsgi master without --die-on-term)
#   fork-children N  fork N children that ignore SIGTERM; the parent dies on it
#   regroup FILE     fork a child in its own process group (same session) that ignores
#                    SIGTERM and writes its pid to FILE; the parent dies on SIGTERM
#   never-ready      run, but never open the port its probe waits for
#   exit-now         exit 1 at once (a unit that cannot start)
#   http PORT        serve HTTP 200 on 127.0.0.1:PORT (also answers tcp probes)
#   http-status PORT CODE  answer every GET on 127.0.0.1:PORT with status CODE
#   env FILE         write the environment to FILE, then sleep
#   copy SRC DIR     copy SRC (the code it would run) to DIR/<pid>, then sleep
#   snap DIR FILE    write the environment to DIR/<pid>.env and copy FILE (its config)
#                    to DIR/<pid>.conf, then sleep
mode=$1
case "$mode" in
plain|never-ready) exec sleep 100000 ;;
ignore-term) trap '' TERM; exec sleep 100000 ;;   # SIG_IGN survives exec
fork-children)
	for _ in $(seq "${2:-2}"); do ( trap '' TERM; exec sleep 100000 ) & done
	wait ;;
regroup)
	# set -m: a background job gets its own process group, as a worker that calls
	# setpgid() does; the session stays the unit's
	set -m
	( trap '' TERM; echo $BASHPID > "$2.tmp"; mv "$2.tmp" "$2"; exec sleep 100000 ) &
	set +m
	wait ;;
exit-now) echo "cannot start: test daemon told to fail" >&2; exit 1 ;;
http) cd /tmp && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 "$2" ;;
http-status) exec /usr/bin/python3 -c '
import sys, http.server
code = int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(code); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$2" "$3" ;;
env) env > "$2"; exec sleep 100000 ;;
copy) cp "$2" "$3/$$.copy"; exec sleep 100000 ;;
snap) env > "$2/$$.env"; cp "$3" "$2/$$.conf"; exec sleep 100000 ;;
*) echo "daemon.sh: unknown mode $mode" >&2; exit 2 ;;
esac
