#!/usr/bin/env bash
# install.sh -- TAP: `make install DESTDIR=... PREFIX=/usr` puts the binary,
# plugins, header, prunebench.pc, man page and shipped data in place; the
# plugin template builds outside the tree against the installed header with
# pkg-config and loads in the installed prunebench; the installed binary,
# run from a directory outside the repository with no PB_* variables, finds
# its own plugins and data; `make uninstall` removes it all again.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
B=${PB_BUILD:-build}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
usr=$dest/usr
# the defaults are under test: no directory from the environment
unset PB_PLUGIN_DIR PB_DATA_DIR
echo "1..12"
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
fail_log() { sed 's/^/# /' "$1" | head -20; }

make -s --no-print-directory -C "$here" install DESTDIR="$dest" PREFIX=/usr B="$B" OPT="${PB_OPT:--O2 -g}" \
  SAN="${PB_SAN:-}" >"$tmp/log" 2>&1
rc=$?; [ $rc = 0 ] || fail_log "$tmp/log"
ok $rc "make install DESTDIR=... PREFIX=/usr"

missing=
for f in bin/prunebench lib/prunebench/plugins/random.so lib/prunebench/plugins/obd.so include/prunebench/prunebench.h \
         lib/pkgconfig/prunebench.pc share/man/man1/prunebench.1 share/prunebench/datasets/wine_data.csv \
         share/prunebench/datasets/boston_house_prices.csv; do
  [ -e "$usr/$f" ] || missing="$missing $f"
done
[ -z "$missing" ]; ok $? "installed: binary, plugins, header, prunebench.pc, man page, datasets${missing:+ (missing:$missing)}"

if command -v man >/dev/null; then
  MANWIDTH=80 man -l "$usr/share/man/man1/prunebench.1" >"$tmp/man.txt" 2>"$tmp/man.err"
  grep -q '^ *--data-dir DIR' "$tmp/man.txt" && grep -q 'default: 300' "$tmp/man.txt" && ! grep -qi warning "$tmp/man.err"
  ok $? "man -l renders the installed page, options and their defaults included"
else
  n=$((n + 1)); echo "ok $n # skip man (Debian man-db) is not installed"
fi

export PKG_CONFIG_PATH=$usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags prunebench 2>"$tmp/pc.err"); cflags=${cflags%% }
[ "$cflags" = "-I$usr/include/prunebench" ]; ok $? "pkg-config --cflags prunebench: '$cflags'"
plugindir=$(pkg-config --variable=plugindir prunebench)
case $plugindir in */usr/lib/prunebench/plugins) r=0 ;; *) r=1 ;; esac
ok $r "pkg-config --variable=plugindir prunebench: '$plugindir'"

# outside the repository: the template built against the installed header
work=$tmp/work; mkdir -p "$work" && cd "$work" || exit 1
cp "$here/docs/plugin_template.c" plugin_template.c
# shellcheck disable=SC2086 # word splitting of the flags is intended
cc -shared -fPIC $cflags plugin_template.c -o plugin_template.so 2>"$tmp/cc.err"
rc=$?; [ $rc = 0 ] || fail_log "$tmp/cc.err"
ok $rc "cc -shared -fPIC \$(pkg-config --cflags prunebench) plugin_template.c: builds outside the tree"
pb=$usr/bin/prunebench
"$pb" check-plugin ./plugin_template.so >"$tmp/check.txt" 2>&1
rc=$?; [ $rc = 0 ] && grep -q conforms "$tmp/check.txt"; r=$?; [ $r = 0 ] || fail_log "$tmp/check.txt"
ok $r "the installed prunebench loads it: check-plugin conforms"

"$pb" help train >"$tmp/help.txt" 2>&1
grep -q "here: $usr/share/prunebench/datasets\$" "$tmp/help.txt" && grep -q "here: $usr/lib/prunebench/plugins\$" "$tmp/help.txt"
ok $? "the installed binary's defaults are its own data and plugins"

"$pb" train --data wine --model mlp:13-13-3:tanh --epochs 5 -o w.fit >"$tmp/train.txt" 2>&1
rc=$?; [ $rc = 0 ] || fail_log "$tmp/train.txt"
ok $rc "installed prunebench: train --data wine from outside the repository"

"$pb" rank --fit w.fit --method plugin_template --plugin-dir . -o o.tsv >"$tmp/rank.txt" 2>&1 &&
  "$pb" rank --fit w.fit --method random -o r.tsv >>"$tmp/rank.txt" 2>&1 && grep -q "^# plugin: $usr/lib/prunebench/plugins/random.so\$" r.tsv
r=$?; [ $r = 0 ] || fail_log "$tmp/rank.txt"
ok $r "rank with the template (--plugin-dir .) and with an installed plugin by default"

mkdir -p elsewhere && cd elsewhere || exit 1
"$pb" curve --fit ../w.fit --order ../o.tsv --fractions 0,0.5,1 -o c.tsv >"$tmp/curve.txt" 2>&1
rc=$?; [ $rc = 0 ] || fail_log "$tmp/curve.txt"
ok $rc "curve re-reads the fit's data from yet another directory"
cd "$here" || exit 1

make -s --no-print-directory -C "$here" uninstall DESTDIR="$dest" PREFIX=/usr B="$B" >"$tmp/log" 2>&1
left=$(find "$dest" -type f | sed "s|^$dest||" | tr '\n' ' ')
[ -z "$left" ]; ok $? "make uninstall removes every installed file${left:+ (left: $left)}"
