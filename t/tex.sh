#!/bin/bash
# tex.sh -- method names with LaTeX specials (my_m, a&b) reach the report's
# LaTeX escaped: scripts/tex.sh's tex_escape, and the tables and paragraphs
# scripts/report-gen.sh writes (file names in \includegraphics stay as they
# are; macro names take the camel form).
set -u
cd "$(dirname "$0")/.."
. scripts/tex.sh
echo "1..5"
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
[ "$(printf 'my_m a&b 50%% $x #1 {y} ~ ^' | tex_escape)" = 'my\_m a\&b 50\% \$x \#1 \{y\} \~{} \^{}' ]
ok $? "tex_escape: _ & % \$ # { } ~ ^"
[ "$(tex_camel my_m2)" = "MyMTwo" ]; ok $? "tex_camel my_m2 is MyMTwo (as pb_tex_camel)"
unescaped() { grep -v '\\includegraphics' | grep -c 'my_m'; }
out=$(scripts/report-gen.sh image mnist mlp:784-300-100-10:relu T base my_m)
[[ $out == *'\texttt{my\_m} & \pbV{MnistMyMError}'* ]] && [ "$(unescaped <<<"$out")" = 0 ]
ok $? "report-gen image: the table row is \\texttt{my\\_m}, no bare my_m"
out=$(scripts/report-gen.sh seq seqx T my_m)
[[ $out == *'\texttt{my\_m} & \pbV{SeqxMyMAccuracy}'* ]] && [ "$(unescaped <<<"$out")" = 0 ]
ok $? "report-gen seq: the same"
pb=${PB_BUILD:-build}/prunebench
out=$(scripts/report-gen.sh methods "$pb" "${PB_BUILD:-build}/plugins" my_m 2>/dev/null)
[[ $out == *'\paragraph{\texttt{my\_m}}'* ]] && [ "$(unescaped <<<"$out")" = 0 ]
ok $? "report-gen methods: an added plugin's paragraph names \\texttt{my\\_m}"
