/*-------------------------------------------------------------------------
 * pktdecode.c
 *		Run the pktcapture decoder over capture files, outside the server.
 *
 * Prints one tab-separated line per frame:
 *	file frame result ipver src dst proto sport dport tcpflags vlan len caplen time
 * and a per-file summary on stderr.  Built plain and with ASan + UBSan;
 * the sanitizer build runs over the whole corpus in the test suite.
 *-------------------------------------------------------------------------
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "pkt_decode.h"

static void
print_addr(int version, const uint8_t *addr, char *buf, size_t buflen)
{
	if (inet_ntop(version == 4 ? AF_INET : AF_INET6, addr, buf, buflen) == NULL)
		snprintf(buf, buflen, "?");
}

static int
decode_file(const char *path, int quiet)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_t	   *p;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	long		frame = 0;
	long		counts[PKT_NRESULTS] = {0};
	int			rc;
	int			dlt;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
												errbuf);
	if (p == NULL)
	{
		fprintf(stderr, "%s: cannot open: %s\n", path, errbuf);
		return 1;
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
			"truncated %ld malformed %ld%s%s\n",
			path, dlt, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?",
			frame, counts[PKT_IP], counts[PKT_NOT_IP], counts[PKT_UNSUPPORTED],
			counts[PKT_TRUNCATED], counts[PKT_MALFORMED],
			rc == PCAP_ERROR ? " read error: " : "",
			rc == PCAP_ERROR ? pcap_geterr(p) : "");
	pcap_close(p);
	return 0;
}

int
main(int argc, char **argv)
{
	int			quiet = 0;
	int			failures = 0;
	int			i = 1;

	if (argc > 1 && strcmp(argv[1], "-q") == 0)
	{
		quiet = 1;
		i++;
	}
	if (i >= argc)
	{
		fprintf(stderr, "usage: %s [-q] FILE...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++)
		failures += decode_file(argv[i], quiet);
	/* unreadable files are reported, but are not a decoder failure */
	(void) failures;
	return 0;
}
