/*-------------------------------------------------------------------------
 * fuzz_mkseeds.c
 *		Derive a fuzz_decode seed corpus from capture files, at run time.
 *
 *		fuzz_mkseeds [-n MAX] OUTDIR FILE...
 *
 * For each capture file libpcap can open, writes up to MAX (default 64)
 * frames as OUTDIR/<file>.<frame>: the 2-byte little-endian index of the
 * file's link type in fuzz_dlts[] (fuzz_common.h), then the captured
 * bytes.  Frames of a link type the decoder does not support are written
 * (at most 4 per file) under the unsupported selector.  The output goes
 * to a temporary directory; the shared corpus is never copied into the
 * repository.
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "fuzz_common.h"

int
main(int argc, char **argv)
{
	int			max = 64;
	int			opt;
	const char *outdir;
	long		written = 0;
	int			unreadable = 0;

	while ((opt = getopt(argc, argv, "n:")) != -1)
	{
		if (opt == 'n')
			max = atoi(optarg);
		else
		{
			fprintf(stderr, "usage: %s [-n MAX] OUTDIR FILE...\n", argv[0]);
			return 2;
		}
	}
	if (argc - optind < 2)
	{
		fprintf(stderr, "usage: %s [-n MAX] OUTDIR FILE...\n", argv[0]);
		return 2;
	}
	outdir = argv[optind++];

	for (int i = optind; i < argc; i++)
	{
		char		errbuf[PCAP_ERRBUF_SIZE];
		pcap_t	   *p = pcap_open_offline(argv[i], errbuf);
		struct pcap_pkthdr *hdr;
		const u_char *pkt;
		const char *base;
		int			dlt;
		int			sel = FUZZ_UNSUPPORTED_INDEX;
		int			limit;
		int			n = 0;

		if (p == NULL)
		{
			unreadable++;
			continue;
		}
		dlt = pcap_datalink(p);
		for (int j = 0; j < FUZZ_NDLTS - 1; j++)
			if (fuzz_dlts[j] == dlt)
				sel = j;
		limit = sel == FUZZ_UNSUPPORTED_INDEX ? (max < 4 ? max : 4) : max;
		base = strrchr(argv[i], '/');
		base = base ? base + 1 : argv[i];

		while (n < limit && pcap_next_ex(p, &hdr, &pkt) == 1)
		{
			char	   *path;
			FILE	   *f;
			unsigned char selector[2] = {(unsigned char) (sel & 0xFF),
			(unsigned char) (sel >> 8)};

			if (asprintf(&path, "%s/%s.%d", outdir, base, n) < 0)
				abort();
			f = fopen(path, "wb");
			if (f == NULL || fwrite(selector, 1, 2, f) != 2 ||
				fwrite(pkt, 1, hdr->caplen, f) != hdr->caplen || fclose(f) != 0)
			{
				perror(path);
				return 1;
			}
			free(path);
			n++;
			written++;
		}
		pcap_close(p);
	}
	fprintf(stderr, "fuzz_mkseeds: %ld seeds written to %s (%d files libpcap cannot open)\n",
			written, outdir, unreadable);
	return 0;
}
