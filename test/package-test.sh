#!/bin/bash
# test/package-test.sh: the Debian package and the PGXN metadata, as a DBA
# gets them.
#
#   sudo test/package-test.sh        (or: sudo test/run.sh package)
#   ONLY=meta test/package-test.sh   one section (--sections lists them)
#
# What it does, in a copy of the tree (the files git would commit: tracked
# and untracked-but-not-ignored), never in the tree itself:
#   1. versions: debian/changelog's upstream version is pktcapture.control's
#      default_version (the one place it is written);
#   2. build: builds the package the README's way, dpkg-buildpackage -b -us -uc,
#      and checks that the build left the copy as git had it (.gitignore
#      covers every build output);
#   3. lintian on the binary upload and on the source package (an orig
#      tarball of the copy without debian/): every tag printed, any error
#      fails;
#   4. the .deb: name, version, architecture, Depends (postgresql-15 and the
#      package of the libpcap the module links, from ${shlibs:Depends}, no
#      -dev package), and its files where Debian puts them, every
#      pktcapture--*.sql of the tree among them;
#   5. install: installs it with apt-get (--reinstall, so a second run installs the
#      new build too) and checks that the files on disk are the package's;
#   6. a throwaway cluster (test/lib/cluster.sh) preloading it: CREATE
#      EXTENSION, the version, pkt_interfaces(), pkt_load of a corpus file;
#   7. meta: META.json: made by make META.json, valid JSON (python3 -m json.tool),
#      the PGXN Meta spec 1.0.0 fields, its version and provides following
#      the control files; make dist's zip carries it;
#   8. data: a new pktcapture--*.sql is installed without editing the Makefile.
#
# The package stays installed: its files are the ones make install puts in
# the same places, so the other suites' make install overwrites them later
# (dpkg --verify then reports them changed: expected on a test machine).
#
# Environment: PACKAGE_KEEP=1 (or KEEP_WORK=1) keeps the work directory even
# when all pass.
# Prints one line per check and, last, "package: N passed, M failed".
set -u
. "$(dirname "$0")/lib/suite.sh"
sections versions build install:build meta data
suite_init package PACKAGE_ "$@"

PG_MAJOR=15
PKG=postgresql-$PG_MAJOR-pktcapture
WORK_NOTE="build log: $WORK/build.log"
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || fatal "$ROOT is not a git checkout"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300)

version=$(make -s -C "$ROOT" --no-print-directory print-version)
[ -n "$version" ] || fatal "no default_version in pktcapture.control"
deb_version=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -SVersion)

# The copy, as a git repository of its own, so that what the build leaves
# behind shows in git status.
heading "copy of the tree"
SRC=$WORK/build/pktcapture-$version
mkdir -p "$SRC"
copy_tree() {
	(cd "$ROOT" && git ls-files -z -co --exclude-standard) |
		while IFS= read -r -d '' f; do [ -e "$ROOT/$f" ] && printf '%s\0' "$f"; done |
		tar -C "$ROOT" --null -T - -cf - | tar -C "$SRC" -xf -
}
must "a copy of the tree" copy_tree
must "the copy as a git repository" eval 'git -C "$SRC" init -q && git -C "$SRC" add -A &&
	git -C "$SRC" -c user.name=test -c user.email=test@localhost commit -qm copy'

if section versions "versions"; then
	check_eq "debian/changelog's upstream version is default_version" "${deb_version%-*}" "$version"
fi

arch=$(dpkg --print-architecture)
DEB=${PKG}_${deb_version}_$arch.deb
LIB=/usr/lib/postgresql/$PG_MAJOR/lib
EXT=/usr/share/postgresql/$PG_MAJOR/extension

if section build "the package built, linted, its .deb"; then
	# What the package builds from needs to be installed (Build-Depends, read
	# from debian/control itself), and lintian.
	build_deps() {
		apt-get update -qq &&
			(cd "$ROOT" && apt-get build-dep "${APT_OPTS[@]}" ./) >"$WORK/apt-deps.log" 2>&1 &&
			apt-get install "${APT_OPTS[@]}" --no-install-recommends lintian >>"$WORK/apt-deps.log" 2>&1 ||
			{ tail -n 20 "$WORK/apt-deps.log"; return 1; }
	}
	if ! (cd "$ROOT" && dpkg-checkbuilddeps) 2>/dev/null || ! command -v lintian >/dev/null; then
		must "the build dependencies and lintian installed" build_deps
	fi

	# The source package too, for lintian: from an orig tarball of the copy
	# without debian/, before the build fills debian/ with its outputs.
	heading "source package"
	source_package() {
		git -C "$SRC" archive --format=tar.gz --prefix="pktcapture-$version/" \
			-o "$WORK/build/pktcapture_$version.orig.tar.gz" HEAD ':!debian' &&
			(cd "$SRC" && dpkg-source -b .) >"$WORK/source.log" 2>&1 ||
			{ cat "$WORK/source.log"; return 1; }
	}
	check "dpkg-source -b" source_package || fatal "no source package"

	heading "dpkg-buildpackage -b -us -uc"
	start=$SECONDS
	if (cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$WORK/build.log" 2>&1; then
		ok "dpkg-buildpackage -b -us -uc ($((SECONDS - start)) s)"
	else
		tail -n 40 "$WORK/build.log"
		fatal "dpkg-buildpackage -b -us -uc"
	fi
	check_eq "the build leaves the tree as git has it" "$(git -C "$SRC" status --porcelain)" ""

	check "$DEB built beside the tree ($(ls "$WORK/build" | tr '\n' ' '))" [ -f "$WORK/build/$DEB" ] || fatal "no $DEB"

	# Lintian refuses to be trusted as root; it reads the files as nobody.
	heading "lintian"
	for what in "${deb_version}_${arch}.changes" "$deb_version.dsc"; do
		out=$(cd "$WORK/build" && setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			lintian --display-info --pedantic --fail-on error "pktcapture_$what" 2>&1)
		rc=$?
		echo "$out" | sed 's/^/#   /'
		check_eq "lintian pktcapture_$what: no error" "$rc" 0
	done

	heading "the .deb"
	field() { dpkg-deb -f "$WORK/build/$DEB" "$1"; }
	check_eq "Package" "$(field Package)" "$PKG"
	check_eq "Version" "$(field Version)" "$deb_version"
	check_eq "Architecture" "$(field Architecture)" "$arch"
	depends=$(field Depends)
	echo "# Depends: $depends"
	deps=$(echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//')
	check "Depends on postgresql-$PG_MAJOR" grep -qx "postgresql-$PG_MAJOR" <<<"$deps"
	# the runtime package of the libpcap the module is linked with
	mkdir -p "$WORK/deb"
	dpkg-deb -x "$WORK/build/$DEB" "$WORK/deb"
	so=$WORK/deb/usr/lib/postgresql/$PG_MAJOR/lib/pktcapture.so
	soname=$(readelf -d "$so" 2>/dev/null | sed -n 's/.*NEEDED.*\[\(libpcap[^]]*\)\].*/\1/p')
	pcap_pkg=$(dpkg -S "*/$soname" 2>/dev/null | sed -n '1s/:.*//p')
	[ -n "$soname" ] && [ -n "$pcap_pkg" ] || not_ok "pktcapture.so links a libpcap ($soname) of a package ($pcap_pkg)"
	check "Depends on $pcap_pkg with a version, for $soname" \
		grep -Eq "(^|, )$pcap_pkg \(>= [0-9.]+\)" <<<"$depends"
	check_eq "Depends on no -dev package" "$(grep -- '-dev$' <<<"$deps")" ""

	contents=$(dpkg-deb -c "$WORK/build/$DEB" | awk '{print $6}' | sed 's|^\./|/|')
	expected=("$LIB/pktcapture.so" "$EXT/pktcapture.control")
	for f in "$SRC"/pktcapture--*.sql; do expected+=("$EXT/${f##*/}"); done
	for f in "${expected[@]}"; do
		check "the .deb has $f" grep -qx "$f" <<<"$contents"
	done
	check_eq "every file under /usr/lib/postgresql/$PG_MAJOR, /usr/share/postgresql/$PG_MAJOR or /usr/share/doc/$PKG" \
		"$(grep -v '/$' <<<"$contents" | grep -Ev "^($LIB|$EXT|/usr/share/doc/$PKG)/")" ""
fi

if section install "the package installed with apt-get and used"; then
	if (cd "$WORK/build" && apt-get install "${APT_OPTS[@]}" --reinstall "./$DEB") >"$WORK/install.log" 2>&1; then
		ok "apt-get install --reinstall ./$DEB"
	else
		tail -n 20 "$WORK/install.log"
		fatal "apt-get install ./$DEB"
	fi
	check_eq "dpkg: installed at $deb_version" \
		"$(dpkg-query -W -f='${Status} ${Version}' "$PKG")" "install ok installed $deb_version"
	listed=$(dpkg -L "$PKG")
	for f in "${expected[@]}"; do
		check "$f installed by $PKG" grep -qx "$f" <<<"$listed"
	done
	check_eq "dpkg --verify: the files on disk are the package's" "$(dpkg --verify "$PKG")" ""
	check "the installed control file is the tree's" cmp -s "$SRC/pktcapture.control" "$EXT/pktcapture.control"
	for f in "$SRC"/pktcapture--*.sql; do
		check "the installed ${f##*/} is the tree's" cmp -s "$f" "$EXT/${f##*/}"
	done

	heading "a server preloading the installed package"
	must "start a cluster" cluster_start "$WORK/pg" "shared_preload_libraries = 'pktcapture'"
	q() { cluster_psql -At -c "$1" 2>&1; }
	check_eq "the server's library directory" "$(q "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")" "$LIB"
	check_eq "CREATE EXTENSION pktcapture" "$(q 'CREATE EXTENSION pktcapture' && echo created)" created
	check_eq "extension version" "$(q "SELECT extversion FROM pg_extension WHERE extname = 'pktcapture'")" "$version"
	check_eq "pkt_interfaces() lists lo" "$(q "SELECT count(*) FROM pkt_interfaces() WHERE name = 'lo'")" 1
	pcap=$CORPUS/dns_tcp_8053.pcap
	check_eq "pkt_load of ${pcap##*/}" "$(q "SELECT pkt_load('$pcap')")" 11
	check_eq "rows in packets" "$(q 'SELECT count(*) FROM packets')" 11
	check_eq "the run in the ledger" "$(q "SELECT state, rows_stored FROM pkt_runs")" "stopped|11"
	must "stop the cluster" cluster_stop
fi

# PGXN's Meta spec 1.0.0 (https://pgxn.org/spec/): the required fields and
# the formats of the ones used here.  PGXN versions are semantic versions
# (three parts), so default_version 1.0 is 1.0.0 there.
if section meta "META.json"; then
	check "make META.json" make -s -C "$SRC" --no-print-directory META.json
	check "python3 -m json.tool META.json" sh -c "python3 -m json.tool '$SRC/META.json' >/dev/null"
	meta_out=$(cd "$SRC" && EXTVERSION=$version python3 - <<-'EOF'
	import glob, json, os, re

	# the PGXN form of default_version, computed here apart from the Makefile's
	v = os.environ["EXTVERSION"]
	want = v if v.count(".") >= 2 else v + ".0" * (2 - v.count("."))
	m = json.load(open("META.json"))
	SEMVER = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?"
	TERM = r"[^/\\\s\x00-\x1f\x7f]{2,}"
	LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd",
	            "freebsd", "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1",
	            "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5",
	            "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source",
	            "restricted", "unrestricted", "unknown"}
	controls = {os.path.basename(c)[:-len(".control")] for c in glob.glob("*.control")}
	checks = [
	    ("required fields", all(k in m for k in ("name", "version", "abstract", "maintainer",
	                                            "license", "provides", "meta-spec"))),
	    ("meta-spec version 1.0.0", m["meta-spec"].get("version") == "1.0.0"),
	    ("name is a term", re.fullmatch(TERM, m["name"]) is not None),
	    ("version is a semantic version", re.fullmatch(SEMVER, m["version"]) is not None),
	    ("version is default_version (%s)" % m["version"], m["version"] == want),
	    ("abstract", bool(m["abstract"])),
	    ("maintainer", bool(m["maintainer"])),
	    ("license", m["license"] in LICENSES),
	    ("provides the extensions of the tree (%s)" % ", ".join(sorted(m["provides"])),
	     set(m["provides"]) == set(controls)),
	    ("release_status", m.get("release_status", "stable") in ("stable", "testing", "unstable")),
	    ("tags", all(2 <= len(t) <= 255 and not re.search(r"[/\\\x00-\x1f]", t)
	                 for t in m.get("tags", ["ok"]))),
	    ("prereqs: runtime requires PostgreSQL 15",
	     m["prereqs"]["runtime"]["requires"].get("PostgreSQL") == "15.0.0"),
	]
	for name, p in m["provides"].items():
	    checks += [
	        ("provides %s: its file exists" % name, os.path.isfile(p["file"])),
	        ("provides %s: version is default_version" % name, p["version"] == want),
	        ("provides %s: abstract" % name, bool(p.get("abstract"))),
	    ]
	for what, good in checks:
	    print(("ok - " if good else "not ok - ") + "META.json: " + what)
	EOF
	)
	checks_from <<<"$meta_out"
	[ -n "$meta_out" ] || not_ok "META.json: the checks ran"

	zip=pktcapture-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$SRC/META.json").zip
	check "make dist" make -s -C "$SRC" --no-print-directory dist
	check_eq "$zip carries META.json and the control file" "$(python3 - "$SRC/$zip" <<-'EOF'
	import sys, zipfile
	names = zipfile.ZipFile(sys.argv[1]).namelist()
	top = sys.argv[1].rsplit("/", 1)[1][:-len(".zip")]
	print(all(top + "/" + f in names for f in ("META.json", "pktcapture.control")))
	EOF
	)" True
	check_eq "META.json and the zip are ignored by git" "$(git -C "$SRC" status --porcelain)" ""
fi

# The Makefile's DATA: a script added later is installed with the others,
# in a VPATH build as pg_buildext does it.
if section data "every pktcapture--*.sql is installed"; then
	touch "$SRC/pktcapture--$version--99.0.sql"
	mkdir -p "$WORK/vpath"
	make -n -C "$WORK/vpath" -f "$SRC/Makefile" VPATH="$SRC" USE_PGXS=1 install DESTDIR="$WORK/dest" \
		>"$WORK/vpath.log" 2>&1
	check "a new pktcapture--$version--99.0.sql is installed" grep -q "pktcapture--$version--99.0.sql" "$WORK/vpath.log"
fi

finish
