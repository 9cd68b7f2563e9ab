#!/usr/bin/env bash
# fetch_debs.sh DEST PKG=VERSION...
# Puts PKG_VERSION_amd64.deb into DEST (kept there as a download cache) via
# `apt-get download`; when the mirror lacks that version, takes the copy in
# shared/debs/ after checking it against shared/debs/SHA256SUMS.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

dest=$1; shift
mkdir -p "$dest"
tmp=$(mktemp -d "$dest/.dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
shared=$(shared_dir)
apt_opts=(-qq)
[ "$(id -u)" = 0 ] && apt_opts+=(-o APT::Sandbox::User=root)  # no _apt sandbox warning

file_of() { local pkg=${1%%=*} ver=${1#*=}; echo "${pkg}_${ver//:/%3a}_amd64.deb"; }
download() {  # download SPEC... into $tmp, move the results to $dest
  (cd "$tmp" && apt-get download "${apt_opts[@]}" "$@") >/dev/null 2>&1 || return 1
  local spec
  for spec in "$@"; do mv "$tmp/$(file_of "$spec")" "$dest/"; done
}

missing=()
for spec in "$@"; do [ -s "$dest/$(file_of "$spec")" ] || missing+=("$spec"); done
[ ${#missing[@]} = 0 ] && exit 0
hlog "downloading ${#missing[@]} packages"
download "${missing[@]}" && exit 0

# One of them is not on the mirror: one at a time, with the shared/ fallback.
for spec in "${missing[@]}"; do
  file=$(file_of "$spec")
  [ -s "$dest/$file" ] || download "$spec" && continue
  if [ -n "$shared" ] && [ -f "$shared/debs/$file" ]; then
    sum=$(awk -v f="$file" '$2 == f { print $1 }' "$shared/debs/SHA256SUMS" 2>/dev/null)
    [ -n "$sum" ] && echo "$sum  $shared/debs/$file" | sha256sum -c --quiet - >/dev/null \
      || die "$shared/debs/$file does not match SHA256SUMS"
    hlog "mirror lacks $spec: using the shared/debs copy"
    cp "$shared/debs/$file" "$dest/$file"
    continue
  fi
  die "cannot get $spec (not on the mirror, no verified copy in shared/debs)"
done
