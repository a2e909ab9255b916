#!/usr/bin/env bash
# The header must compile warning-free as C99, C11 and C++.
set -euo pipefail
header=$(realpath "${1:?usage: check-header-compiles.sh HEADER}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include "%s"\nint main(void) { return 0; }\n' "$header" > "$tmp/use.c"
for std in c99 c11; do
  gcc -std=$std -Wall -Wextra -Werror -pedantic -c "$tmp/use.c" -o "$tmp/use-$std.o"
done
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ "$tmp/use.c"
echo "header compiles as C99, C11 and C++17: $header"
