#!/usr/bin/env bash
# Fetches Debian's lwIP source package (bookworm: lwip 2.1.3+dfsg1-*) into the
# cache once and prints the directory holding its .dsc and tarballs.
#
#   tools/lwip/fetch-lwip-source.sh        # -> ${TORPOR_CACHE:-~/.cache/torpor}/lwip-source
#
# `apt-get source` needs a deb-src entry. Debian's images ship binary entries
# only, so when apt knows no source for lwip this adds its own sources file,
# /etc/apt/sources.list.d/torpor-src.sources, a deb-src twin of the machine's
# own entry for <codename> main (same URI and keyring, read from the existing
# files, never a host name of ours), and runs `apt-get update` once. Nothing is
# fetched or updated when the cache already holds the package.
# Progress goes to stderr; stdout carries exactly one line, the directory.
set -euo pipefail

say() { printf 'fetch-lwip-source: %s\n' "$*" >&2; }
die() { printf 'fetch-lwip-source: error: %s\n' "$*" >&2; exit 1; }

want_upstream="2.1.3"
cache_root="${TORPOR_CACHE:-$HOME/.cache/torpor}"
source_dir="$cache_root/lwip-source"
sources_file="${TORPOR_APT_SRC_FILE:-/etc/apt/sources.list.d/torpor-src.sources}"

cached_dsc() { ls "$source_dir"/lwip_"$want_upstream"*.dsc 2>/dev/null | sort -V | tail -n 1; }

dsc="$(cached_dsc || true)"
if [[ -n "$dsc" ]]; then
  say "cached: $dsc"
  printf '%s\n' "$source_dir"
  exit 0
fi

command -v apt-get >/dev/null || die "no cached lwIP source and no apt-get"
command -v dpkg-source >/dev/null || die "dpkg-source missing (apt-get install dpkg-dev)"
codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
[[ -n "$codename" ]] || die "no VERSION_CODENAME in /etc/os-release"

# The deb-src entry: the first binary entry of the machine for <codename> main.
# Prints "URI<TAB>SIGNED-BY" (SIGNED-BY may be empty).
find_mirror() {
  python3 - "$codename" <<'EOF'
import glob, os, sys
codename = sys.argv[1]

def deb822(path):
    for stanza in open(path, encoding="utf-8", errors="replace").read().split("\n\n"):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:        # continuation line
                fields[key] += " " + line.strip()
                continue
            if ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in fields.get("types", "").split():
            continue
        if codename not in fields.get("suites", "").split():
            continue
        if "main" not in fields.get("components", "").split():
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("signed-by", "")

def one_line(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words, options = words[1:], {}
        if words and words[0].startswith("["):
            while words:
                w = words.pop(0).strip("[]")
                if "=" in w:
                    k, v = w.split("=", 1)
                    options[k] = v
                if "]" in w or not words or words[0].startswith(("http", "file", "ftp", "cdrom", "mirror")):
                    break
        if len(words) >= 3 and words[1] == codename and "main" in words[2:]:
            yield words[0], options.get("signed-by", "")

paths = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
lists = (["/etc/apt/sources.list"] if os.path.exists("/etc/apt/sources.list") else []) \
    + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
for path in paths:
    if path.endswith("torpor-src.sources"):
        continue
    for uri, signed in deb822(path):
        print(f"{uri}\t{signed}")
        sys.exit(0)
for path in lists:
    for uri, signed in one_line(path):
        print(f"{uri}\t{signed}")
        sys.exit(0)
sys.exit(1)
EOF
}

has_source_record() {
  apt-cache showsrc lwip 2>/dev/null | grep -q "^Version: $want_upstream"
}

if ! has_source_record; then
  if [[ ! -f "$sources_file" ]]; then
    mirror="$(find_mirror)" || die "no 'deb' entry for $codename main in /etc/apt (cannot derive a deb-src entry)"
    uri="${mirror%%$'\t'*}"; signed="${mirror#*$'\t'}"
    say "adding deb-src $uri $codename main as $sources_file"
    { echo "# Added by torpor's tools/lwip/fetch-lwip-source.sh: apt-get source lwip needs it."
      echo "Types: deb-src"
      echo "URIs: $uri"
      echo "Suites: $codename"
      echo "Components: main"
      [[ -n "$signed" ]] && echo "Signed-By: $signed"; } >"$sources_file"
  fi
  say "apt-get update (for the deb-src entry; once)"
  apt-get update -q >/dev/null 2>&1 || die "apt-get update failed"
  has_source_record || die "apt knows no source package lwip $want_upstream* (see $sources_file)"
fi

mkdir -p "$source_dir"
work="$(mktemp -d "$cache_root/.lwip-source.XXXXXX")"
trap 'rm -rf "$work"' EXIT
say "apt-get source --download-only lwip (into $source_dir)"
(cd "$work" && apt-get source -q --download-only lwip >/dev/null 2>&1) \
  || die "apt-get source --download-only lwip failed"
dsc_name="$(cd "$work" && ls lwip_"$want_upstream"*.dsc 2>/dev/null | sort -V | tail -n 1)"
[[ -n "$dsc_name" ]] || die "apt-get source fetched no lwip_$want_upstream*.dsc"
# The .dsc goes last: once it is in the cache, so is everything it names.
for f in "$work"/lwip_*; do [[ "$f" == *.dsc ]] || mv "$f" "$source_dir"/; done
mv "$work/$dsc_name" "$source_dir"/
say "fetched $source_dir/$dsc_name"
printf '%s\n' "$source_dir"
