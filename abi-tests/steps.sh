# Sourced by check-all.sh: run every step whatever the others do, print each
# failure where it happens, and fail at the end with the list of failed
# steps — so the message that names a problem is printed even when an
# earlier step failed too.
#
#   . abi-tests/steps.sh
#   run_step "what it checks" 'command; another command'
#   finish_steps "summary printed when all passed"
#
# Each step's commands run in `sh -eu -c`: the first failing command fails
# the step (a step run inside `if` by the calling shell would not stop at
# it, and a later command that succeeds would hide the failure).

failed_steps=

run_step() {
    printf '\n== %s\n' "$1"
    step_status=0
    sh -eu -c "$2" || step_status=$?
    if [ "$step_status" -ne 0 ]; then
        printf '== FAILED (exit status %s): %s\n' "$step_status" "$1" >&2
        failed_steps="$failed_steps
  - $1"
    fi
}

finish_steps() {
    if [ -n "$failed_steps" ]; then
        printf '\nABI checks failed:%s\n' "$failed_steps" >&2
        return 1
    fi
    printf '\n%s\n' "$1"
}
