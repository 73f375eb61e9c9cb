#!/bin/sh
# Scheduled batch run (cron or systemd): process whatever is new in recordings/.
#
#   WEBINAR_PIPELINE_HOME  the installed project (cli.py, .venv)   default: this script's parent
#   WEBINAR_PIPELINE_DATA  folder holding recordings/, transcripts/, summaries/   default: HOME
#
# Never two at once: flock(1) holds transcripts/.batch.lock for the whole run; a run that finds
# it held exits 0 at once (the running one will pick the new files up, or the next run will).
# A file changed in the last minute (still being copied in or recorded) waits for a later run.
# Output: nothing on success; a recording that fails (once, not again while it fails the same
# way) or whose input is in doubt, on stderr, which cron mails; one JSON line per stage per
# recording in transcripts/batch.jsonl; exit 1 when a recording failed (see `cli.py status`).
set -eu
home=${WEBINAR_PIPELINE_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
data=${WEBINAR_PIPELINE_DATA:-$home}
cd "$data"
mkdir -p recordings transcripts summaries
exec flock --nonblock --conflict-exit-code 0 transcripts/.batch.lock \
    "$home/.venv/bin/python" "$home/cli.py" batch recordings --quiet "$@"
