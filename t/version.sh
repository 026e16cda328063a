#!/bin/bash
# version.sh -- scripts/version.sh: a clean tree is its commit; two different
# uncommitted trees of the same commit get different versions (so a paused
# training run, whose checkpoint key holds the version, never resumes under
# other code); the same changes give the same version.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/pb-version-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "1..6"
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
cd "$tmp" && git init -q . && git config user.email t@t && git config user.name t &&
    mkdir scripts && cp "$here/scripts/version.sh" scripts/ && echo 'int a;' > a.c &&
    git add -A && git commit -qm one || { echo "Bail out! cannot make a git repository"; exit 1; }
clean=$(scripts/version.sh)
[ "$clean" = "$(git rev-parse --short HEAD)" ]; ok $? "a clean tree: the commit ($clean)"
echo 'int a = 1;' > a.c; v1=$(scripts/version.sh)
echo 'int a = 2;' > a.c; v2=$(scripts/version.sh)
[[ $v1 =~ ^[0-9a-f]+-dirty-[0-9a-f]{12}$ ]]; ok $? "dirty: <sha>-dirty-<hash> ($v1)"
[ "$v1" != "$v2" ]; ok $? "two different uncommitted changes: two versions ($v1, $v2)"
echo 'int a = 1;' > a.c
[ "$(scripts/version.sh)" = "$v1" ]; ok $? "the same changes: the same version"
echo 'int b;' > b.c
[ "$(scripts/version.sh)" != "$v1" ]; ok $? "a new untracked file counts in a dirty tree"
git checkout -q a.c && rm b.c
[ "$(scripts/version.sh)" = "$clean" ]; ok $? "changes undone: the commit again"
