#!/usr/bin/env bash
# Runs one garbage collection as a job through Harbor's API and waits for it to end:
#   scripts/gc-job.sh URL USER PASSWORD [WORKERS]
# Prints the run's job_parameters (its figures) and exits 0 when the run ended Success.
# Meant as the load generator's --gc-command (the server's BERTH_GC_TIME_WINDOW_HOURS applies).
set -euo pipefail
url=${1:?url} user=${2:?user} password=${3:?password} workers=${4:-8}
body="{\"schedule\":{\"type\":\"Manual\"},\"parameters\":{\"delete_untagged\":false,\"workers\":$workers}}"
location=$(curl -fsS -u "$user:$password" -o /dev/null -D - -X POST -H 'Content-Type: application/json' \
    -d "$body" "$url/api/v2.0/system/gc/schedule" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[ -n "$location" ] || { echo "gc-job: no Location in the answer" >&2; exit 1; }
while :; do
    run=$(curl -fsS -u "$user:$password" "$url$location")
    status=$(printf '%s' "$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_status"])')
    case $status in
        Success) printf '%s\n' "$run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_parameters"])'; exit 0 ;;
        Error|Stopped) echo "gc-job: the run ended $status" >&2; exit 1 ;;
    esac
    sleep 0.2
done
