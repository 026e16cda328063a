# tex.sh -- shell helpers shared by the report scripts (source it).
# tex_escape: LaTeX-escape stdin (method names may contain '_').
# tex_camel NAME: the macro-name form pb_tex_camel writes (base/util.h):
# letters after a non-letter upper-cased, digits spelled out, the rest dropped.
tex_escape() { sed -e 's/\\/\\textbackslash{}/g' -e 's/[_&%$#{}]/\\&/g' -e 's/\^/\\^{}/g' -e 's/~/\\~{}/g'; }
tex_camel() {
    awk 'BEGIN { split("Zero One Two Three Four Five Six Seven Eight Nine", d, " ") }
         { o = ""; up = 1
           for (i = 1; i <= length($0); i++) { c = substr($0, i, 1)
               if (c ~ /[0-9]/) { o = o d[c + 1]; up = 1 }
               else if (c ~ /[A-Za-z]/) { o = o (up ? toupper(c) : c); up = 0 }
               else up = 1 }
           print o }' <<<"$1"
}
