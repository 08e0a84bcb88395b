# pktcapture: PGXS build.  make; make install; make installcheck
MODULE_big = pktcapture
OBJS = pktcapture.o pkt_worker.o pkt_launcher.o pkt_store.o pkt_copy.o pkt_decode.o pkt_topk.o
EXTENSION = pktcapture
DATA = pktcapture--1.0.sql
PGFILEDESC = "pktcapture - capture network packets into a table"

PCAP_CONFIG ?= pcap-config
PG_CPPFLAGS = $(shell $(PCAP_CONFIG) --cflags) -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK = $(shell $(PCAP_CONFIG) --libs)

REGRESS = setup interface errors load privileges
REGRESS_OPTS = --temp-instance=tmp_check --temp-config=$(srcdir)/test/regress.conf
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies without --enable-depend
$(OBJS): pktcapture.h pkt_decode.h pkt_topk.h

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
EXTRA_CLEAN = test/pktdecode test/pktdecode-asan test/topk_test test/topk_test-asan

# Both over the corpus, every column compared with tshark's (test/golden/)
.PHONY: decoder-test
decoder-test: test/pktdecode test/pktdecode-asan
	test/golden/decoder.sh test/pktdecode test/pktdecode-asan

# The benchmark (root; a few minutes): see bench/README.md
.PHONY: bench
bench:
	bench/run.sh
