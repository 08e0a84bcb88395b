/*-------------------------------------------------------------------------
 * pkt_decode.h
 *		Decode one captured frame into the fields pktcapture stores.
 *
 * The decoder is pure: it reads bytes and fills a struct, and calls no
 * PostgreSQL or libpcap function, so the same object file serves the
 * server, the standalone test program and the fuzzers.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_DECODE_H
#define PKT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What became of a frame.  Only PKT_IP frames become rows. */
typedef enum PktResult
{
	PKT_IP = 0,					/* an IP packet: every PktInfo field is valid */
	PKT_NOT_IP,					/* well-formed link layer carrying no IP (ARP...) */
	PKT_UNSUPPORTED,			/* a link type the decoder does not know */
	PKT_TRUNCATED,				/* the capture ends before the IP addresses */
	PKT_MALFORMED				/* a header contradicts itself */
} PktResult;

#define PKT_NRESULTS 5

/* PktInfo.flags */
#define PKT_F_PORTS			0x01	/* src_port and dst_port are valid */
#define PKT_F_TCP_FLAGS		0x02	/* tcp_flags is valid */
#define PKT_F_FRAGMENT		0x04	/* part of a fragmented datagram */
#define PKT_F_L4_TRUNCATED	0x08	/* snap length cut the headers after IP */
#define PKT_F_VLAN			0x10	/* vlan_id is valid */
#define PKT_F_IFINDEX		0x20	/* ifindex is valid (Linux cooked v2) */

typedef struct PktInfo
{
	uint8_t		ip_version;		/* 4 or 6, of the outermost IP header */
	uint8_t		ip_proto;		/* upper-layer protocol number */
	uint8_t		flags;			/* PKT_F_* */
	uint16_t	src_port;
	uint16_t	dst_port;
	uint16_t	tcp_flags;		/* the 12 bits after the data offset */
	uint16_t	vlan_id;		/* outermost 802.1Q/802.1ad tag */
	int32_t		ifindex;
	uint8_t		src[16];		/* IPv4 uses the first 4 bytes */
	uint8_t		dst[16];
} PktInfo;

/*
 * Seconds of a pcap timestamp.  pcap files store them as an unsigned
 * 32-bit number, which libpcap 1.10 sign-extends into time_t: times after
 * January 2038 arrive negative.  Undo that; real negative times do not
 * occur in pcap files.
 */
static inline int64_t
pkt_pcap_seconds(int64_t sec)
{
	if (sec < 0 && sec >= INT32_MIN)
		return sec + (INT64_C(1) << 32);
	return sec;
}

extern PktResult pkt_decode(int dlt, const uint8_t *frame, size_t caplen,
							PktInfo *info);
extern bool pkt_dlt_supported(int dlt);
extern const char *pkt_result_name(PktResult result);

#endif							/* PKT_DECODE_H */
