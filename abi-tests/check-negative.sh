#!/bin/sh
# Negative tests of the shell-level ABI checks: each is fed what it must
# catch and has to fail with the message that names it.
#
#   1. steps.sh (check-all.sh's runner) runs every step after a failing one,
#      fails a step at its first failing command, and fails at the end
#      naming the failed steps;
#   2. check-abidiff.sh reports a changed layout of an exported struct even
#      though both dumps are flattened (flatten-abi.awk), and does not
#      report a type that only moved to another Rust module.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/sandlock-abi-negative-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "check-negative.sh: $1" >&2
    failures=$((failures + 1))
}

# expect_in FILE TEXT WHAT: FILE must contain TEXT.
expect_in() {
    grep -qF -- "$2" "$1" || { fail "$3: no \"$2\" in:"; sed 's/^/    /' "$1" >&2; }
}

# ---- 1. the step runner ------------------------------------------------------
status=0
sh -c '
    . "$1/steps.sh"
    run_step "first" "true"
    run_step "second, failing" "echo second ran; exit 3"
    run_step "third" "echo third ran"
    run_step "fourth, failing before a success" "false; echo fourth hid its failure"
    finish_steps "all passed"
' steps "$here" > "$work/steps.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "steps.sh: a run with failing steps exited 0"
expect_in "$work/steps.out" "third ran" "steps.sh: the step after a failure"
expect_in "$work/steps.out" "== FAILED (exit status 3): second, failing" "steps.sh: the failure where it happens"
expect_in "$work/steps.out" "ABI checks failed:" "steps.sh: the final summary"
expect_in "$work/steps.out" "  - second, failing" "steps.sh: the summary names the failed step"
expect_in "$work/steps.out" "  - fourth, failing before a success" "steps.sh: a step fails at its first failing command"
if grep -qF "fourth hid its failure" "$work/steps.out"; then
    fail "steps.sh: a step went on after its failing command"
fi
if grep -qF "all passed" "$work/steps.out"; then
    fail "steps.sh: printed the success summary after failures"
fi
[ "$failures" -ne 0 ] || echo "steps.sh: runs every step, fails a step at its first failing command, names the failed steps: ok"

# ---- 2. abidiff on altered dumps ------------------------------------------------
library=$("$here/build-abi-library.sh")
abidw --no-corpus-path --no-comp-dir-path --short-locs --out-file "$work/current.abi" "$library"

# The registration struct's handler member moves from bit 64 to 128 (the
# struct grows to 192 bits): every caller's array layout changes. (A size
# attribute changed alone is not reported by abidiff; the static asserts pin
# every size.)
grep -q "<class-decl name='sandlock_handler_registration_t' size-in-bits='128'" "$work/current.abi" ||
    fail "abidiff: the dump has no 128-bit sandlock_handler_registration_t to alter"
sed "/<class-decl name='sandlock_handler_registration_t'/,/<\/class-decl>/{
        s/size-in-bits='128'/size-in-bits='192'/
        s/layout-offset-in-bits='64'/layout-offset-in-bits='128'/
    }" "$work/current.abi" > "$work/grown.abi"
status=0
"$here/check-abidiff.sh" "$work/grown.abi" > "$work/grown.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "abidiff: a changed sandlock_handler_registration_t passed"
expect_in "$work/grown.out" "'struct sandlock::sandlock_handler_registration_t' changed" "abidiff: names the changed type"
expect_in "$work/grown.out" "'sandlock::sandlock_handler_t* handler' offset changed from 64 to 128" \
    "abidiff: says what changed"
[ "$failures" -ne 0 ] || echo "abidiff: a changed exported struct is reported: ok"

# The same struct moved to another module: DWARF renames it, C sees nothing.
grep -q "<namespace-decl name='registrations'>" "$work/current.abi" ||
    fail "abidiff: the dump has no registrations module to move"
sed "s/<namespace-decl name='registrations'>/<namespace-decl name='moved_elsewhere'>/" \
    "$work/current.abi" > "$work/moved.abi"
status=0
"$here/check-abidiff.sh" "$work/moved.abi" > "$work/moved.out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    fail "abidiff: a type moved between Rust modules was reported:"
    sed 's/^/    /' "$work/moved.out" >&2
fi
[ "$failures" -ne 0 ] || echo "abidiff: a type moved between Rust modules is not a change: ok"

if [ "$failures" -ne 0 ]; then
    echo "check-negative.sh: $failures negative test(s) failed" >&2
    exit 1
fi
echo "negative tests of the shell checks: ok"
