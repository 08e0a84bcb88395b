# pktcapture: PGXS build.  make; make install; make installcheck
MODULE_big = pktcapture
OBJS = pktcapture.o pkt_sql.o pkt_launcher.o pkt_hub.o pkt_capture.o pkt_worker.o pkt_spooler.o pkt_load.o pkt_export.o \
	pkt_maint.o pkt_run.o pkt_writer.o pkt_partition.o pkt_summary.o pkt_flow.o pkt_ledger.o pkt_guard.o \
	pkt_copy.o pkt_catalog.o pkt_pcap.o pkt_shmem.o pkt_guc.o \
	pkt_decode.o pkt_topk.o pkt_toplist.o
EXTENSION = pktcapture
# every full and upgrade script, so a new version needs no edit here (and the
# Debian package carries them all); names relative to srcdir for VPATH builds
DATA = $(notdir $(wildcard $(srcdir)/pktcapture--*.sql))
PGFILEDESC = "pktcapture - capture network packets into a table"

# The version is written once, as default_version in pktcapture.control;
# the library checks that the SQL objects it writes into are of it.
EXTVERSION := $(shell sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" $(dir $(firstword $(MAKEFILE_LIST)))pktcapture.control)

PCAP_CONFIG ?= pcap-config
PG_CPPFLAGS = -DPKT_EXTVERSION='"$(EXTVERSION)"' $(shell $(PCAP_CONFIG) --cflags) -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK = $(shell $(PCAP_CONFIG) --libs)

REGRESS = setup rules interface errors load privileges
REGRESS_OPTS = --temp-instance=tmp_check --temp-config=$(srcdir)/test/regress.conf
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies without --enable-depend
$(OBJS): $(wildcard pkt*.h)

# The decoder and top-K counter outside the server, plain and sanitized.
TEST_CC ?= clang
test/pktdecode: test/pktdecode.c pkt_decode.c pkt_decode.h
	$(TEST_CC) -O2 -Wall -Wextra -I. -o $@ test/pktdecode.c pkt_decode.c $(SHLIB_LINK)
test/pktdecode-asan: test/pktdecode.c pkt_decode.c pkt_decode.h
	$(TEST_CC) -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all -I. -o $@ test/pktdecode.c pkt_decode.c $(SHLIB_LINK)
test/topk_test: test/topk_test.c pkt_topk.c pkt_topk.h
	$(TEST_CC) -O2 -Wall -Wextra -I. -o $@ test/topk_test.c pkt_topk.c
test/topk_test-asan: test/topk_test.c pkt_topk.c pkt_topk.h
	$(TEST_CC) -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all -I. -o $@ test/topk_test.c pkt_topk.c
test/toplist_test-asan: test/toplist_test.c pkt_toplist.c pkt_toplist.h pkt_topk.c pkt_topk.h
	$(TEST_CC) -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all -I. -o $@ test/toplist_test.c pkt_toplist.c pkt_topk.c
EXTRA_CLEAN = test/pktdecode test/pktdecode-asan test/topk_test test/topk_test-asan test/toplist_test-asan

# META.json (PGXN) is made from META.json.in with the version; debian/rules
# refuses to build a package whose debian/changelog says another version.
# PGXN wants a three-part semantic version: 1.0 is 1.0.0 there
EXTVERSION_PARTS = $(words $(subst ., ,$(EXTVERSION)))
pkt_catalog.o: pktcapture.control
PGXN_VERSION = $(EXTVERSION)$(if $(filter 1,$(EXTVERSION_PARTS)),.0.0,$(if $(filter 2,$(EXTVERSION_PARTS)),.0))
.PHONY: print-version dist
print-version:
	@echo $(EXTVERSION)
META.json: META.json.in pktcapture.control
	sed 's/@PGXN_VERSION@/$(PGXN_VERSION)/g' $< >$@
# the PGXN release: the committed tree at HEAD plus the generated META.json
dist: META.json
	git archive --format=zip --prefix=pktcapture-$(PGXN_VERSION)/ --add-file=META.json \
		-o pktcapture-$(PGXN_VERSION).zip HEAD

# Both over the corpus, every column compared with tshark's (test/golden/)
.PHONY: decoder-test
decoder-test: test/pktdecode test/pktdecode-asan
	test/golden/decoder.sh test/pktdecode test/pktdecode-asan

# The benchmark (root; a few minutes): see bench/README.md
.PHONY: bench
bench:
	bench/run.sh
