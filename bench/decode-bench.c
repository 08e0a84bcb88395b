/*
 * bench/decode-bench.c: pktcapture's decoder alone, frames per second on one core.
 *
 *   decode-bench FILE [REPS]
 *
 * Reads every frame of FILE into memory once (libpcap), then runs
 * pkt_decode() over all of them REPS times (default 5), timing only the
 * decode loops (CLOCK_MONOTONIC).  Prints one line:
 *   frames=N ip=N reps=R best_pps=X median_pps=Y ns_per_frame=Z
 * Built by bench/run.sh with -O2 against ../pkt_decode.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "pkt_decode.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_t	   *p;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint8_t    *buf = NULL;
	size_t		buflen = 0,
				bufcap = 0;
	size_t	   *off = NULL;
	uint32_t   *caplen = NULL;
	size_t		n = 0,
				ncap = 0;
	int			dlt,
				reps = argc > 2 ? atoi(argv[2]) : 5;
	double	   *secs;
	long		counts[PKT_NRESULTS] = {0};
	volatile unsigned sink = 0;

	if (argc < 2 || reps < 1)
	{
		fprintf(stderr, "usage: %s FILE [REPS]\n", argv[0]);
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (p == NULL)
	{
		fprintf(stderr, "%s: %s\n", argv[1], errbuf);
		return 1;
	}
	dlt = pcap_datalink(p);
	while (pcap_next_ex(p, &hdr, &data) == 1)
	{
		if (n == ncap)
		{
			ncap = ncap ? ncap * 2 : 1 << 16;
			off = realloc(off, ncap * sizeof(*off));
			caplen = realloc(caplen, ncap * sizeof(*caplen));
		}
		if (buflen + hdr->caplen > bufcap)
		{
			bufcap = bufcap ? bufcap * 2 : 1 << 24;
			while (bufcap < buflen + hdr->caplen)
				bufcap *= 2;
			buf = realloc(buf, bufcap);
		}
		if (!off || !caplen || !buf)
		{
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		memcpy(buf + buflen, data, hdr->caplen);
		off[n] = buflen;
		caplen[n] = hdr->caplen;
		buflen += hdr->caplen;
		n++;
	}
	pcap_close(p);

	secs = calloc(reps, sizeof(double));
	for (int r = 0; r < reps; r++)
	{
		double		t0 = now();

		for (size_t i = 0; i < n; i++)
		{
			PktInfo		info;
			PktResult	res = pkt_decode(dlt, buf + off[i], caplen[i], &info);

			if (r == 0)
				counts[res]++;
			sink += res + info.src_port;
		}
		secs[r] = now() - t0;
	}
	qsort(secs, reps, sizeof(double), cmp_double);
	printf("frames=%zu ip=%ld reps=%d best_pps=%.0f median_pps=%.0f ns_per_frame=%.1f\n",
		   n, counts[PKT_IP], reps, n / secs[0], n / secs[reps / 2],
		   secs[reps / 2] * 1e9 / (n ? n : 1));
	return sink == 0xdeadbeef;
}
