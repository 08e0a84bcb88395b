/*-------------------------------------------------------------------------
 * pktdecode.c
 *		Run the pktcapture decoder over capture files, outside the server.
 *
 * Prints one tab-separated line per frame on stdout:
 *	file frame result ipver src dst proto sport dport tcpflags vlan len caplen time
 * (the columns after result only for result "ip"; NULL as \N), which
 * test/golden/compare.py compares with tshark's answers, and a per-file
 * summary on stderr.  -q prints only the summaries.  Built plain and with
 * ASan + UBSan; both run over the whole corpus in the decoder suite
 * (test/golden/decoder.sh).
 *
 * Exit status:
 *	0  every file was opened and read to its end, and every result was one
 *	   the decoder promises (PktResult; an IP packet of version 4 or 6)
 *	2  usage error, or stdout could not be written
 *	3  some file could not be opened, or ended in a read error: the input,
 *	   not the decoder (each is named on stderr; the others were decoded)
 *	4  the decoder broke its contract on some frame (named on stderr and
 *	   printed with result "invalid"): a decoder failure, whatever else
 *	   happened
 * A sanitizer report ends the program with the sanitizer's status
 * instead (1 by default; SIGABRT with abort_on_error=1).
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pkt_decode.h"

#define EXIT_USAGE		2
#define EXIT_INPUT		3
#define EXIT_DECODER	4

static void
print_addr(int version, const uint8_t *addr, char *buf, size_t buflen)
{
	if (inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, buf, buflen) == NULL)
		snprintf(buf, buflen, "?");
}

/* Does the decoder keep its promises for this frame? */
static bool
result_valid(PktResult r, const PktInfo *info)
{
	if ((int) r < 0 || (int) r >= PKT_NRESULTS)
		return false;
	return r != PKT_IP || info->ip_version == 4 || info->ip_version == 6;
}

/* Decode one file.  Returns 0, EXIT_INPUT or EXIT_DECODER. */
static int
decode_file(const char *path, int quiet)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_t	   *p;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	long		frame = 0;
	long		counts[PKT_NRESULTS] = {0};
	long		invalid = 0;
	int			rc;
	int			dlt;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
												errbuf);
	if (p == NULL)
	{
		fprintf(stderr, "%s: cannot open: %s\n", path, errbuf);
		return EXIT_INPUT;
	}
	dlt = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1)
	{
		PktInfo		info;
		PktResult	r;
		char		src[INET6_ADDRSTRLEN];
		char		dst[INET6_ADDRSTRLEN];

		frame++;
		r = pkt_decode(dlt, data, hdr->caplen, &info);
		if (!result_valid(r, &info))
		{
			invalid++;
			fprintf(stderr, "%s: frame %ld: decoder result %d, ip_version %u: "
					"outside the decoder's contract\n",
					path, frame, (int) r, info.ip_version);
			printf("%s\t%ld\tinvalid\n", path, frame);
			continue;
		}
		counts[r]++;
		if (quiet)
			continue;
		if (r != PKT_IP)
		{
			printf("%s\t%ld\t%s\n", path, frame, pkt_result_name(r));
			continue;
		}
		print_addr(info.ip_version, info.src, src, sizeof(src));
		print_addr(info.ip_version, info.dst, dst, sizeof(dst));
		printf("%s\t%ld\tip\t%d\t%s\t%s\t%d\t", path, frame, info.ip_version,
			   src, dst, info.ip_proto);
		if (info.flags & PKT_F_PORTS)
			printf("%u\t%u\t", info.src_port, info.dst_port);
		else
			printf("\\N\t\\N\t");
		if (info.flags & PKT_F_TCP_FLAGS)
			printf("%u\t", info.tcp_flags);
		else
			printf("\\N\t");
		if (info.flags & PKT_F_VLAN)
			printf("%u\t", info.vlan_id);
		else
			printf("\\N\t");
		printf("%u\t%u\t%lld.%06ld\n", hdr->len, hdr->caplen,
			   (long long) pkt_pcap_seconds(hdr->ts.tv_sec), (long) hdr->ts.tv_usec);
	}
	fprintf(stderr, "%s: link %d (%s) frames %ld ip %ld not_ip %ld unsupported %ld "
			"truncated %ld malformed %ld%s%s%s\n",
			path, dlt, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?",
			frame, counts[PKT_IP], counts[PKT_NOT_IP], counts[PKT_UNSUPPORTED],
			counts[PKT_TRUNCATED], counts[PKT_MALFORMED],
			invalid ? " INVALID RESULTS" : "",
			rc == PCAP_ERROR ? " read error: " : "",
			rc == PCAP_ERROR ? pcap_geterr(p) : "");
	pcap_close(p);
	if (invalid)
		return EXIT_DECODER;
	return rc == PCAP_ERROR ? EXIT_INPUT : 0;
}

int
main(int argc, char **argv)
{
	int			quiet = 0;
	int			status = 0;
	int			i = 1;

	if (argc > 1 && strcmp(argv[1], "-q") == 0)
	{
		quiet = 1;
		i++;
	}
	if (i >= argc)
	{
		fprintf(stderr, "usage: %s [-q] FILE...\n", argv[0]);
		return EXIT_USAGE;
	}
	for (; i < argc; i++)
	{
		int			rc = decode_file(argv[i], quiet);

		/* a decoder failure outranks an unreadable file */
		if (rc > status)
			status = rc;
	}
	if (fflush(stdout) != 0 || ferror(stdout))
	{
		perror("pktdecode: stdout");
		return status == EXIT_DECODER ? EXIT_DECODER : EXIT_USAGE;
	}
	return status;
}
