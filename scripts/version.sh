#!/bin/sh
# version.sh -- the build's version, as every result's provenance and the
# training checkpoint key carry it: `git describe --always --dirty`, and
# for a tree with uncommitted changes "-dirty-" plus the first 12 hex
# digits of the SHA-256 of those changes (the diff against HEAD and the
# untracked files that are not ignored), so two different uncommitted
# builds never share a version (a paused run does not resume under other
# code). "unknown" outside a git work tree. Run from the source tree.
v=$(git describe --always --dirty 2>/dev/null) || { echo unknown; exit 0; }
case $v in
*-dirty)
    h=$({ git diff --no-color --no-ext-diff --binary HEAD
          git ls-files -z --others --exclude-standard | xargs -0 -r sha256sum --; } 2>/dev/null |
        sha256sum | cut -c1-12)
    v="$v-$h" ;;
esac
printf '%s\n' "$v"
