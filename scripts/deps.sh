#!/usr/bin/env bash
# deps.sh -- make sure the Debian packages prunebench needs are installed.
# As root: installs the missing ones with apt-get. Otherwise: prints the exact
# apt-get line to run and fails, changing nothing.
set -euo pipefail

packages=(
    make gcc libc6-dev pkg-config      # build
    libgsl-dev libopenblas-dev         # GSL; OpenBLAS (cblas + LAPACK)
    zlib1g-dev                         # gzip-compressed IDX (MNIST-format) files
    liblinear-dev                      # logistic regression, linear SVC (Table 1 baselines)
    dataset-fashion-mnist              # Fashion-MNIST in /usr/share/datasets/fashion-mnist
    wordnet-base                       # WordNet 3.0 data.noun in /usr/share/wordnet (wordnet-pairs, wordnet-glosses)
    gnuplot-nox                        # figures (pdfcairo, pngcairo)
    texlive-latex-base texlive-latex-recommended   # report: article, graphicx, hyperref, booktabs
    perl coreutils                     # prove (TAP harness); sha256sum
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
    echo "prunebench: missing Debian packages; run as root:" >&2
    echo "  apt-get update && $line" >&2
    exit 1
fi

echo "prunebench: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
