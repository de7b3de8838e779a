#!/usr/bin/env bash
# genlab's build and run dependencies for machines without apt or network (GPU
# clusters often are). Called by scripts/deps.sh:
#
#   deps.sh --download DIR            on a networked Debian/Ubuntu machine (no root needed): saves
#                                     every .deb genlab needs and DIR/manifest.tsv (package, version,
#                                     file, sha256)
#   deps.sh --from DIR [--prefix P]   on the offline machine (no root, no apt): unpacks them into P
#                                     (default DIR/prefix), repairs what a package manager would have
#                                     set up, and prints the environment to build and run against P
#
# --from writes a shell snippet to stdout (progress goes to stderr) and to P/genlab-deps.env:
#   eval "$(scripts/deps.sh --from DIR)"
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release $GENLAB_CMAKE_FLAGS && cmake --build build
# The target machine brings its own C++20 compiler with OpenMP (GCC's libgomp), CMake >= 3.25
# and, for the CUDA backend, the CUDA toolkit; everything else comes from DIR.
set -euo pipefail

# What genlab builds and runs against: the library-facing part of deps.sh's PACKAGES
# (no compilers, fuzzing, Python peers or plots).
OFFLINE_PACKAGES=(
  libxsimd-dev libeigen3-dev
  libopenblas-openmp-dev libopenblas0-openmp libopenblas-dev   # the OpenMP flavour only (see is_excluded)
  libgtest-dev libgmock-dev libbenchmark-dev
  libfmt-dev libcli11-dev nlohmann-json3-dev libstb-dev zlib1g-dev
  pkg-config              # CMakeLists.txt finds OpenBLAS through pkg-config; the target may lack it
  dataset-fashion-mnist   # the CLI's training, tutorials, tests and genlab_bench read it
  fortunes                # the byte-level text corpus (data::fortunes_corpus)
)

# Packages never saved, although the dependency closure reaches them. Unpacked into a
# prefix that comes first on LD_LIBRARY_PATH they would shadow the target's own copies:
is_excluded() {
  case "$1" in
    # The C library, its headers, the kernel headers: they must match the target's glibc and
    # compiler; a second glibc on the library path breaks every program started with it.
    libc6 | libc6-dev | libc-dev-bin | libc-bin | libc-l10n | locales | linux-libc-dev | libcrypt1 | libcrypt-dev | \
      libnsl2 | libnsl-dev | rpcsvc-proto | libtirpc* | libidn2-0 | libunistring2 | libssl3 | libgssapi-krb5-2 | \
      libk5crypto3 | libkrb5-3 | libkrb5support0 | libkeyutils1 | libcom-err2) return 0 ;;
    # Compiler runtimes and toolchain: they come with the compiler that builds genlab (usually
    # newer); an older libstdc++/libgcc_s/libgomp first on the path breaks the binaries it
    # builds (missing GLIBCXX_3.4.3x / GOMP_5.x symbol versions). OpenBLAS uses the target's libgomp.
    gcc-*-base | libgcc-s1 | libstdc++6 | libgomp1 | libatomic1 | libgcc-*-dev | libstdc++-*-dev | libobjc* | \
      gcc | gcc-[0-9]* | g++ | g++-[0-9]* | cpp | cpp-[0-9]* | binutils* | libbinutils | libctf* | libgprofng* | \
      libasan* | liblsan* | libtsan* | libubsan* | libhwasan* | libitm1 | libcc1-0 | libisl* | libmpc* | libmpfr* | \
      libgmp*) return 0 ;;
    # The base system (Essential/required on every Debian and Ubuntu): always present, and
    # ABI-stable; a copy would only shadow the system's (zlib1g-dev's libz.so is pointed at the
    # system's libz.so.1 by --from). Package tools do nothing in a prefix.
    zlib1g | debconf | dpkg | perl-base | tar | coreutils | libselinux1 | libpcre2-* | libzstd1 | liblzma5 | \
      libbz2-1.0 | libmd0 | libacl1 | libattr1 | sensible-utils | init-system-helpers | install-info | \
      debianutils | base-files | usrmerge | usr-is-merged) return 0 ;;
    # The other OpenBLAS flavours and the 64-bit-integer builds: genlab uses the OpenMP one
    # (DESIGN.md: BLAS must not oversubscribe inside OpenMP regions).
    libopenblas0-pthread | libopenblas0-serial | libopenblas-pthread-dev | libopenblas-serial-dev | libopenblas64*) return 0 ;;
  esac
  return 1
}

die() {
  echo "deps: error: $*" >&2
  exit 1
}
say() { echo "deps: $*" >&2; }

# ---- --download ----------------------------------------------------------------------

# The dependency closure of OFFLINE_PACKAGES, one name a line. A breadth-first walk over
# `apt-cache depends` (not --recurse, which would also walk every alternative and everything
# below an excluded package): of "A | B" it keeps the alternative already chosen or
# wanted, counts a group containing an excluded package as met by the base system, and
# otherwise takes the first, as apt does; a virtual package's providers are its alternatives.
resolve() {
  local -A chosen=()
  local p group alt pick queue=() next=()
  for p in "$@"; do chosen[$p]=1; done
  queue=("$@")
  while [ ${#queue[@]} -gt 0 ]; do
    next=()
    while IFS= read -r group; do
      pick=""
      for alt in ${group//|/ }; do [ -n "${chosen[$alt]:-}" ] && pick=$alt && break; done
      [ -n "$pick" ] && continue
      for alt in ${group//|/ }; do is_excluded "$alt" && pick=base && break; done
      [ -n "$pick" ] && continue
      pick=${group%%|*}
      chosen[$pick]=1
      next+=("$pick")
    done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
      --no-enhances "${queue[@]}" | awk '
        function flush() { if (grp != "") print grp; grp = ""; open = 0 }
        /^[^ ]/ { flush(); next }                              # the next package
        /^ [ |][A-Za-z]*Depends: / {                           # Depends / PreDepends, " |" = or the next one
          if (!open) flush()
          if ($2 !~ /^</) grp = (grp == "" ? $2 : grp "|" $2)  # <virtual>: its providers follow
          open = (substr($0, 2, 1) == "|"); next }
        /^    [^ ]/ { grp = (grp == "" ? $1 : grp "|" $1); next }  # a provider of the virtual package
        END { flush() }')
    queue=("${next[@]}")
  done
  printf '%s\n' "${!chosen[@]}" | sed 's/:any$//' | sort -u
}

download() {
  local dir=$1 p f pkgs=() missing=()
  for p in apt-get apt-cache dpkg-deb; do
    command -v $p >/dev/null || die "--download needs a Debian or Ubuntu machine with apt-get, apt-cache and dpkg-deb ($p is missing)"
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mapfile -t missing < <(apt-cache policy "${OFFLINE_PACKAGES[@]}" 2>/dev/null | awk -v want="${OFFLINE_PACKAGES[*]}" '
    /^[^ ]/ { sub(/:$/, ""); pkg = $0 } /^  Candidate: [^(]/ { ok[pkg] = 1 }
    END { n = split(want, w, " "); for (i = 1; i <= n; i++) if (!(w[i] in ok)) print w[i] }')
  [ ${#missing[@]} -eq 0 ] || die "apt knows no installable version of: ${missing[*]} (run 'apt-get update' as root, or check the sources)"
  mapfile -t pkgs < <(resolve "${OFFLINE_PACKAGES[@]}")
  say "downloading ${#pkgs[@]} packages into $dir: ${pkgs[*]}"
  if [ -f "$dir/manifest.tsv" ]; then  # replace what an earlier --download saved here
    tail -n +2 "$dir/manifest.tsv" | cut -f3 | while IFS= read -r f; do rm -f "$dir/$f"; done
  fi
  local sandbox=()
  [ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)  # _apt cannot write into a private temp dir
  (cd "$dir" && apt-get download -q "${sandbox[@]}" "${pkgs[@]}" >/dev/null) || die "apt-get download failed (network? sources?)"
  local -A file_of=()
  for f in "$dir"/*.deb; do file_of[$(dpkg-deb -f "$f" Package)]=${f##*/}; done
  {
    printf 'package\tversion\tfile\tsha256\n'
    for p in "${pkgs[@]}"; do
      f=${file_of[$p]:-}
      [ -n "$f" ] || die "apt-get download saved no .deb for $p"
      printf '%s\t%s\t%s\t%s\n' "$p" "$(dpkg-deb -f "$dir/$f" Version)" "$f" "$(sha256sum "$dir/$f" | cut -d' ' -f1)"
    done
  } >"$dir/manifest.tsv"
  say "saved ${#pkgs[@]} packages ($(du -sh "$dir" | cut -f1)) and $dir/manifest.tsv; on the offline machine: scripts/deps.sh --from $dir"
}

# ---- --from --------------------------------------------------------------------------

# Unpacks DEB's files (or with "control", its maintainer scripts) into DEST: dpkg-deb where
# the machine has it, else ar + tar (GNU tar picks the compression itself).
unpack() {
  local deb=$1 dest=$2 what=${3:-data} t member
  if command -v dpkg-deb >/dev/null && [ -z "${GENLAB_DEPS_NO_DPKG_DEB:-}" ]; then
    if [ "$what" = data ]; then dpkg-deb -x "$deb" "$dest"; else dpkg-deb -e "$deb" "$dest"; fi
    return
  fi
  command -v ar >/dev/null || die "neither dpkg-deb nor ar (binutils) is here: cannot unpack $deb"
  t=$(mktemp -d)
  (cd "$t" && ar x "$deb") || die "ar could not read $deb"
  member=$(find "$t" -maxdepth 1 -name "$what.tar*" -printf '%f\n' | sed -n 1p)
  [ -n "$member" ] || die "$deb has no $what.tar member"
  mkdir -p "$dest"
  tar -xf "$t/$member" -C "$dest" || die "tar could not unpack $member of $deb (a .tar.zst needs zstd)"
  rm -rf "$t"
}

# The links update-alternatives makes in the packages' postinst scripts (e.g. OpenBLAS's
# libopenblas.so.0, libblas.so.3, cblas.h, openblas.pc): made here as relative links.
replay_alternatives() {
  local prefix=$1 script=$2 words i link path
  # one line per command: join the backslash-continued lines
  while read -r -a words; do
    if [ "${words[0]:-}" != update-alternatives ] || [ "${words[1]:-}" != --install ]; then continue; fi
    i=2
    while [ $((i + 2)) -lt ${#words[@]} ]; do
      link=${words[i]} path=${words[i + 2]}
      if [ -e "$prefix$path" ] && [ ! -e "$prefix$link" ]; then
        mkdir -p "$(dirname "$prefix$link")"
        ln -s "$(realpath -s -m --relative-to="$(dirname "$prefix$link")" "$prefix$path")" "$prefix$link"
      fi
      # --install LINK NAME PATH PRIORITY, then --slave LINK NAME PATH ...
      if [ $i -eq 2 ]; then i=$((i + 5)); else i=$((i + 4)); fi
    done
  done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$script")
}

# An absolute symlink from a package (zlib1g-dev's libz.so -> /lib/.../libz.so.1.2.13):
# into the prefix where its target is there, else to the system's library of the same
# soname (a package excluded as base system), else a warning.
fix_absolute_link() {
  local prefix=$1 link=$2 target soname d
  target=$(readlink "$link")
  if [ -e "$prefix$target" ]; then
    ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$prefix$target")" "$link"
    return
  fi
  [ -e "$target" ] && return 0  # the system's own copy, as on a Debian machine with the base package
  soname=$(basename "$target" | sed -nE 's/^(lib.*\.so\.[0-9]+).*$/\1/p')
  for d in /lib/"$ARCH" /usr/lib/"$ARCH" /lib64 /usr/lib64; do
    if [ -n "$soname" ] && [ -e "$d/$soname" ]; then
      ln -sfn "$d/$soname" "$link"
      return
    fi
  done
  say "warning: ${link#"$prefix"} -> $target: neither the prefix nor this system has it"
}

from() {
  local dir=$1 prefix=$2 p v f sum d s l n=0 missing=()
  [ -f "$dir/manifest.tsv" ] || die "$dir/manifest.tsv not found: make DIR with 'scripts/deps.sh --download DIR' on a networked Debian machine"
  dir=$(cd "$dir" && pwd)
  while IFS=$'\t' read -r p v f sum; do
    [ -f "$dir/$f" ] || die "$dir/$f ($p $v) is missing: copy the whole folder made by --download"
    if command -v sha256sum >/dev/null && [ "$(sha256sum "$dir/$f" | cut -d' ' -f1)" != "$sum" ]; then
      die "$dir/$f ($p $v) does not match its sha256 in manifest.tsv: copy it again"
    fi
  done < <(tail -n +2 "$dir/manifest.tsv")
  case "$prefix" in *[[:space:]]*) die "the prefix '$prefix' contains whitespace: choose another --prefix" ;; esac
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  [ "$prefix" != / ] || die "refusing to unpack into /"
  if [ -n "$(ls -A "$prefix")" ]; then
    [ -f "$prefix/.genlab-deps-prefix" ] || die "$prefix is not empty and was not made by deps.sh --from: choose another --prefix"
    find "$prefix" -mindepth 1 -delete  # our own earlier prefix: start afresh
  fi
  touch "$prefix/.genlab-deps-prefix"

  CTL=$(mktemp -d)
  trap 'rm -rf "$CTL"' EXIT
  while IFS=$'\t' read -r p v f sum; do
    unpack "$dir/$f" "$prefix"
    unpack "$dir/$f" "$CTL/$p" control
    n=$((n + 1))
  done < <(tail -n +2 "$dir/manifest.tsv")
  say "unpacked $n packages into $prefix"

  # merged /usr, as on current Debian and Ubuntu: /lib etc. are links into usr/
  for d in lib lib32 lib64 bin sbin; do
    if [ -d "$prefix/$d" ] && [ ! -L "$prefix/$d" ]; then
      mkdir -p "$prefix/usr/$d"
      cp -a "$prefix/$d/." "$prefix/usr/$d/"
      rm -rf "${prefix:?}/$d"
      ln -s "usr/$d" "$prefix/$d"
    fi
  done
  ARCH=$(find "$prefix/usr/lib" -mindepth 1 -maxdepth 1 -type d -name '*-linux-gnu*' -printf '%f\n' 2>/dev/null | sed -n 1p)
  [ -n "$ARCH" ] || die "no usr/lib/<multiarch> folder in $prefix: were the .debs unpacked?"

  for s in "$CTL"/*/postinst; do
    if [ -f "$s" ]; then replay_alternatives "$prefix" "$s"; fi
  done
  while IFS= read -r -d '' l; do fix_absolute_link "$prefix" "$l"; done < <(find "$prefix" -type l -lname '/*' -print0)
  # pkg-config files name their folders absolutely (prefix=/usr, libdir=/usr/lib/...)
  find "$prefix" -name '*.pc' -type f -exec sed -i -E \
    -e "s#^([A-Za-z_][A-Za-z0-9_]*)=/#\1=$prefix/#" -e "s#(^|[[:space:]])-([IL])/#\1-\2$prefix/#g" {} +

  local libdir=$prefix/usr/lib/$ARCH
  # every shared library in the prefix must find what it needs (the rest comes from the system)
  for f in "$libdir"/*.so.* "$libdir"/*/*.so.*; do
    if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
    while read -r l; do missing+=("${f#"$prefix"}:$l"); done < <(LD_LIBRARY_PATH=$libdir ldd "$f" 2>/dev/null | awk '/not found/ {print $1}')
  done
  [ ${#missing[@]} -eq 0 ] || die "libraries neither in the prefix nor on this system (library:needed): ${missing[*]}" \
    "(libgomp.so.1 comes with GCC's OpenMP runtime, e.g. package libgomp1)"
  [ -e "$libdir/libopenblas.so.0" ] || die "$libdir/libopenblas.so.0 missing: libopenblas0-openmp was not unpacked"

  local flags="-DCMAKE_PREFIX_PATH=$prefix/usr"
  if [ -x "$prefix/usr/bin/pkg-config" ] && LD_LIBRARY_PATH=$libdir "$prefix/usr/bin/pkg-config" --version >/dev/null 2>&1; then
    flags+=" -DPKG_CONFIG_EXECUTABLE=$prefix/usr/bin/pkg-config"
  fi
  {
    echo "# genlab's dependencies: $n packages from $dir, unpacked by scripts/deps.sh --from"
    # shellcheck disable=SC2016  # expanded where the snippet is sourced
    printf 'export LD_LIBRARY_PATH="%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"\n' "$libdir"
    [ ! -d "$prefix/usr/share/datasets/fashion-mnist" ] ||
      echo "export GENLAB_FASHION_MNIST=\"$prefix/usr/share/datasets/fashion-mnist\""
    [ ! -d "$prefix/usr/share/games/fortunes" ] || echo "export GENLAB_FORTUNES=\"$prefix/usr/share/games/fortunes\""
    echo "export GENLAB_DEPS_PREFIX=\"$prefix\""
    echo "export GENLAB_CMAKE_FLAGS=\"$flags\""
    echo "# then: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \$GENLAB_CMAKE_FLAGS && cmake --build build"
  } >"$prefix/genlab-deps.env"
  say "environment written to $prefix/genlab-deps.env (source it, or eval this script's output)"
  cat "$prefix/genlab-deps.env"
}

# ---- arguments -----------------------------------------------------------------------

usage() {
  echo "usage: scripts/deps.sh --download DIR | scripts/deps.sh --from DIR [--prefix P]" >&2
  exit 2
}
case "${1:-}" in
  --download)
    [ $# -eq 2 ] || usage
    download "$2"
    ;;
  --from)
    [ $# -eq 2 ] || { [ $# -eq 4 ] && [ "$3" = --prefix ]; } || usage
    from "$2" "${4:-$2/prefix}"
    ;;
  *) usage ;;
esac
