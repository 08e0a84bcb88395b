/*-------------------------------------------------------------------------
 * fuzz_pcapfile.c
 *		libFuzzer harness: the input is a whole pcap or pcapng file.
 *
 * The file is opened from memory with libpcap (fmemopen +
 * pcap_fopen_offline_with_tstamp_precision), at most FUZZ_MAX_PACKETS
 * packets are read with pcap_next_ex, and each is decoded with
 * pkt_decode(pcap_datalink(p), ...) from an exactly-sized heap copy (so
 * ASan sees a read past caplen, which libpcap's larger buffer would
 * hide) and checked as in fuzz_decode.  The source and destination of
 * every IP packet go into a pkt_topk counter of capacity 8, so the
 * Space-Saving eviction runs on real address mixes, and the counter is
 * checked against exact counts at the end.
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fuzz_common.h"
#include "topk_check.h"

#define FUZZ_MAX_PACKETS 2000
#define FUZZ_TOPK_CAPACITY 8

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FuzzTrueCount truth[2 * FUZZ_MAX_PACKETS];
static size_t ntruth;

static void
count_true(const uint8_t *key, uint64_t bytes)
{
	for (size_t i = 0; i < ntruth; i++)
		if (memcmp(truth[i].key, key, PKT_TOPK_KEYLEN) == 0)
		{
			truth[i].packets++;
			truth[i].bytes += bytes;
			return;
		}
	memcpy(truth[ntruth].key, key, PKT_TOPK_KEYLEN);
	truth[ntruth].packets = 1;
	truth[ntruth].bytes = bytes;
	ntruth++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	FILE	   *fp;
	pcap_t	   *p;
	struct pcap_pkthdr *hdr;
	const u_char *pkt;
	int			dlt;
	int			npackets = 0;
	void	   *mem;
	PktTopK    *tk;

	if (size == 0)
		return 0;
	fp = fmemopen((void *) data, size, "rb");
	if (fp == NULL)
		return 0;
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO,
												 errbuf);
	if (p == NULL)
	{
		fclose(fp);				/* not closed by libpcap on failure */
		return 0;
	}
	dlt = pcap_datalink(p);

	mem = malloc(pkt_topk_size(FUZZ_TOPK_CAPACITY));
	if (mem == NULL)
		abort();
	tk = pkt_topk_init(mem, FUZZ_TOPK_CAPACITY, (uint64_t) size);
	ntruth = 0;

	while (npackets < FUZZ_MAX_PACKETS && pcap_next_ex(p, &hdr, &pkt) == 1)
	{
		PktInfo		info;
		PktResult	r;
		uint8_t		key[PKT_TOPK_KEYLEN];

		npackets++;
		r = fuzz_decode_frame(dlt, pkt, hdr->caplen, &info);
		if (r != PKT_IP)
			continue;
		key[0] = info.ip_version;
		memcpy(key + 1, info.src, 16);
		pkt_topk_add(tk, key, hdr->len);
		count_true(key, hdr->len);
		key[0] = info.ip_version;
		memcpy(key + 1, info.dst, 16);
		pkt_topk_add(tk, key, hdr->len);
		count_true(key, hdr->len);
	}
	topk_check(tk, FUZZ_TOPK_CAPACITY, truth, ntruth, 1 + (int) (size % 10));

	free(mem);
	pcap_close(p);				/* closes fp */
	return 0;
}
