/*-------------------------------------------------------------------------
 * pkt_decode.c
 *		Bounds-checked decoder from a captured frame to a PktInfo.
 *
 * Every byte handed to this file is hostile.  All reads go through a
 * PktCursor whose accessors check the captured length (never the length
 * on the wire) and fail softly: an out-of-range read returns 0 and sets
 * the cursor's overrun flag, which each decoder tests before it trusts
 * what it read.  Header fields are read by name (HDR_BE16(c, Ip4Header,
 * total_len)), from structs that lay the headers out, never by a bare
 * offset.  Nothing here allocates, recurses without bound or calls
 * outside the C library, so the decoder cannot crash the server whatever
 * arrives.
 *
 * The rules (docs/storage.md, "What is stored"):
 * - the outermost IP header is the one recorded;
 * - IPv6 extension headers are walked to the upper-layer protocol: the
 *   headers that name a header after them (Hop-by-Hop, Routing, Fragment,
 *   Destination Options, AH, Shim6) are skipped; a header that is itself
 *   the last one of its packet (Mobility, HIP; ESP, which hides what
 *   follows) is the upper-layer protocol, whatever its Next Header says,
 *   as tshark records it (and tcpdump, for Mobility);
 * - ports come from TCP, UDP, UDP-Lite, SCTP and DCCP, and only from the
 *   first fragment of a fragmented datagram; the transport header is read
 *   within the length the IP header gives, never from link-layer padding;
 * - a frame that ends before both IP addresses is truncated; a header
 *   that contradicts itself is malformed; a frame whose IP header is
 *   whole but whose transport header was cut by the snap length is still
 *   an IP packet, flagged PKT_F_L4_TRUNCATED, without ports.
 *-------------------------------------------------------------------------
 */
#include "pkt_decode.h"

#include <string.h>

#include <pcap/dlt.h>

/* Frame bytes still to be decoded. */
typedef struct PktCursor
{
	const uint8_t *ptr;
	size_t		len;
	bool		overrun;
} PktCursor;

static inline bool
cur_has(const PktCursor *c, size_t off, size_t n)
{
	return off <= c->len && c->len - off >= n;
}

static inline uint8_t
cur_u8(PktCursor *c, size_t off)
{
	if (!cur_has(c, off, 1))
	{
		c->overrun = true;
		return 0;
	}
	return c->ptr[off];
}

static inline uint16_t
cur_be16(PktCursor *c, size_t off)
{
	if (!cur_has(c, off, 2))
	{
		c->overrun = true;
		return 0;
	}
	return (uint16_t) ((c->ptr[off] << 8) | c->ptr[off + 1]);
}

static inline uint32_t
cur_be32(PktCursor *c, size_t off)
{
	if (!cur_has(c, off, 4))
	{
		c->overrun = true;
		return 0;
	}
	return ((uint32_t) c->ptr[off] << 24) | ((uint32_t) c->ptr[off + 1] << 16) |
		((uint32_t) c->ptr[off + 2] << 8) | (uint32_t) c->ptr[off + 3];
}

static inline bool
cur_copy(PktCursor *c, size_t off, void *dst, size_t n)
{
	if (!cur_has(c, off, n))
	{
		c->overrun = true;
		return false;
	}
	memcpy(dst, c->ptr + off, n);
	return true;
}

static inline bool
cur_skip(PktCursor *c, size_t n)
{
	if (n > c->len)
	{
		c->overrun = true;
		return false;
	}
	c->ptr += n;
	c->len -= n;
	return true;
}

/*
 * Headers are read by field name, as tcpdump reads GET_BE_U_2(ip->ip_len)
 * over its byte-array field types.  Each header below is a struct of
 * uint8_t fields (so no padding: it is only measured, never overlaid on
 * the frame), and HDR_* read a field at its offset through the cursor,
 * after checking at compile time that the field is as wide as the read.
 */
#define HDR_FIELD(type, field, width) \
	(offsetof(type, field) + \
	 0 * sizeof(char[sizeof(((type *) 0)->field) == (width) ? 1 : -1]))
#define HDR_SIZE(type, field)	sizeof(((type *) 0)->field)
#define HDR_U8(c, type, field)	cur_u8((c), HDR_FIELD(type, field, 1))
#define HDR_BE16(c, type, field) cur_be16((c), HDR_FIELD(type, field, 2))
#define HDR_BE32(c, type, field) cur_be32((c), HDR_FIELD(type, field, 4))
/* does the capture hold the header up to and including this field? */
#define HDR_HAS(c, type, field) \
	cur_has((c), 0, offsetof(type, field) + HDR_SIZE(type, field))
/* copy the whole field into dst, which is at least as large */
#define HDR_COPY(c, type, field, dst) \
	cur_copy((c), offsetof(type, field), (dst), HDR_SIZE(type, field))

/* ------------------------------------------------------------------------
 * Transport layer: only the first bytes matter.
 *
 * TCP (RFC 9293), UDP (RFC 768), UDP-Lite (RFC 3828), SCTP (RFC 9260) and
 * DCCP (RFC 4340) all begin with the two ports:
 *
 *	0                   1                   2                   3
 *	0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |          Source Port          |       Destination Port        |
 * +-------------------------------+-------------------------------+
 * TCP goes on with sequence (4), acknowledgment (4), then
 * | DOff  |Rsrvd|A|C|E|U|A|P|R|S|F|  at byte 12, the flags we keep.
 * ------------------------------------------------------------------------
 */
typedef struct TransportHeader
{
	uint8_t		sport[2];
	uint8_t		dport[2];
	uint8_t		seq[4];			/* TCP from here on */
	uint8_t		ack[4];
	uint8_t		off_flags[2];	/* data offset (4 bits), the 12 flag bits */
} TransportHeader;

#define TCP_FLAGS_MASK		0x0FFF

#define IPPROTO_NUM_TCP		6
#define IPPROTO_NUM_UDP		17
#define IPPROTO_NUM_DCCP	33
#define IPPROTO_NUM_SCTP	132
#define IPPROTO_NUM_UDPLITE 136

/*
 * Bound the cursor to the n bytes the IP header says follow.  Returns true
 * if the capture ends before them (the snap length cut the packet), false
 * if they are all there, in which case bytes past them (Ethernet padding)
 * are no longer visible.
 */
static bool
cur_limit(PktCursor *c, size_t n)
{
	if (c->len < n)
		return true;
	c->len = n;
	return false;
}

/*
 * The transport header, in the bytes the IP header says it carries.  A
 * header that does not fit is only "truncated" if the capture cut it;
 * if the IP packet itself is too short, it simply has no ports.
 */
static void
decode_transport(PktCursor *c, PktInfo *info, bool capture_cut)
{
	switch (info->ip_proto)
	{
		case IPPROTO_NUM_TCP:
		case IPPROTO_NUM_UDP:
		case IPPROTO_NUM_DCCP:
		case IPPROTO_NUM_SCTP:
		case IPPROTO_NUM_UDPLITE:
			break;
		default:
			return;
	}
	if (!HDR_HAS(c, TransportHeader, dport))
	{
		if (capture_cut)
			info->flags |= PKT_F_L4_TRUNCATED;
		return;
	}
	info->src_port = HDR_BE16(c, TransportHeader, sport);
	info->dst_port = HDR_BE16(c, TransportHeader, dport);
	info->flags |= PKT_F_PORTS;
	if (info->ip_proto != IPPROTO_NUM_TCP)
		return;
	if (!HDR_HAS(c, TransportHeader, off_flags))
	{
		if (capture_cut)
			info->flags |= PKT_F_L4_TRUNCATED;
		return;
	}
	info->tcp_flags = HDR_BE16(c, TransportHeader, off_flags) & TCP_FLAGS_MASK;
	info->flags |= PKT_F_TCP_FLAGS;
}

/* ------------------------------------------------------------------------
 * IPv4, RFC 791.
 *
 *	0                   1                   2                   3
 *	0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+-------+---------------+-------------------------------+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-------+-------+---------------+-----+-------------------------+
 * |         Identification        |Flags|      Fragment Offset    |
 * +---------------+---------------+-----+-------------------------+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +---------------+---------------+-------------------------------+
 * |                       Source Address                          |
 * +---------------------------------------------------------------+
 * |                    Destination Address                        |
 * +---------------------------------------------------------------+
 * |                    Options (IHL > 5)                          |
 * ------------------------------------------------------------------------
 */
typedef struct Ip4Header
{
	uint8_t		vihl;			/* version (4 bits), IHL (4 bits, 32-bit words) */
	uint8_t		tos;
	uint8_t		total_len[2];
	uint8_t		id[2];
	uint8_t		frag[2];		/* flags (3 bits), fragment offset (13 bits) */
	uint8_t		ttl;
	uint8_t		proto;
	uint8_t		cksum[2];
	uint8_t		src[4];
	uint8_t		dst[4];
} Ip4Header;					/* then options, when IHL > 5 */

_Static_assert(sizeof(Ip4Header) == 20, "IPv4 header without options");

/* the version is the first nibble of an IPv4 and of an IPv6 header */
#define IP_VERSION(first_byte)	((first_byte) >> 4)
#define IP4_HLEN(vihl)			((size_t) ((vihl) & 0x0F) * 4)
#define IP4_MF					0x2000	/* More Fragments */
#define IP4_OFFSET				0x1FFF	/* fragment offset, 8-byte units */

static PktResult
decode_ipv4(PktCursor *c, PktInfo *info)
{
	uint8_t		vihl;
	size_t		hlen;
	uint16_t	total_len;
	uint16_t	frag;

	if (!cur_has(c, 0, sizeof(Ip4Header)))
		return PKT_TRUNCATED;
	vihl = HDR_U8(c, Ip4Header, vihl);
	if (IP_VERSION(vihl) != 4)
		return PKT_MALFORMED;
	hlen = IP4_HLEN(vihl);
	if (hlen < sizeof(Ip4Header))
		return PKT_MALFORMED;
	total_len = HDR_BE16(c, Ip4Header, total_len);

	/*
	 * A total length of zero is what TCP segmentation offload leaves in
	 * captures taken on the sending host; like tcpdump, accept it.
	 */
	if (total_len != 0 && total_len < hlen)
		return PKT_MALFORMED;

	info->ip_version = 4;
	frag = HDR_BE16(c, Ip4Header, frag);
	info->ip_proto = HDR_U8(c, Ip4Header, proto);
	HDR_COPY(c, Ip4Header, src, info->src);
	HDR_COPY(c, Ip4Header, dst, info->dst);

	/* MF set, or a non-zero offset */
	if (frag & (IP4_MF | IP4_OFFSET))
		info->flags |= PKT_F_FRAGMENT;
	if ((frag & IP4_OFFSET) != 0)
		return PKT_IP;			/* only the first fragment has ports */

	if (!cur_skip(c, hlen))
	{
		info->flags |= PKT_F_L4_TRUNCATED;
		return PKT_IP;
	}
	decode_transport(c, info,
					 total_len == 0 ? true : cur_limit(c, (size_t) total_len - hlen));
	return PKT_IP;
}

/* ------------------------------------------------------------------------
 * IPv6, RFC 8200.
 *
 *	0                   1                   2                   3
 *	0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------+---------------+---------------------------------------+
 * |Version| Traffic Class |           Flow Label                  |
 * +-------+---------------+-------+---------------+---------------+
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * +-------------------------------+---------------+---------------+
 * |                  Source Address (16 bytes)                    |
 * |               Destination Address (16 bytes)                  |
 * +---------------------------------------------------------------+
 *
 * Extension headers (RFC 8200 section 4, IANA "IPv6 Extension Header
 * Types") are walked to the upper-layer protocol:
 * +---------------+---------------+
 * |  Next Header  |  Hdr Ext Len  |  ... (Hdr Ext Len + 1) * 8 bytes
 * +---------------+---------------+
 * except the Fragment header (fixed 8 bytes, offset in bits 16..28) and
 * AH (RFC 4302, length in 4-byte units minus 2).  Shim6 (RFC 5533) has
 * the same first two bytes, for its payload extension header and its
 * control messages alike, and is walked too.
 *
 * Three headers of that registry end the chain and are the protocol
 * recorded: ESP (50) hides what follows; the Mobility header (RFC 6275
 * section 6.1.1) and HIP (RFC 7401 section 5.1) carry a message of their
 * own, and their Payload Proto / Next Header is No Next Header (59), kept
 * for "a future extension".  tshark dissects nothing after either, nor
 * tcpdump after Mobility, so a Mobility header is recorded as 135, not as
 * the 59 it names (62, the drafts' Mobility number, is never walked).
 * ------------------------------------------------------------------------
 */
typedef struct Ip6Header
{
	uint8_t		vtc;			/* version (4 bits), traffic class (high 4) */
	uint8_t		tcfl[3];		/* traffic class (low 4), flow label (20) */
	uint8_t		payload_len[2];
	uint8_t		next_header;
	uint8_t		hop_limit;
	uint8_t		src[16];
	uint8_t		dst[16];
} Ip6Header;

_Static_assert(sizeof(Ip6Header) == 40, "IPv6 header");
_Static_assert(offsetof(Ip6Header, vtc) == offsetof(Ip4Header, vihl),
			   "the version nibble in the same place");

/* How every walked extension header begins (AH and Fragment too) */
typedef struct Ip6ExtHeader
{
	uint8_t		next_header;
	uint8_t		len;			/* Hdr Ext Len; AH: Payload Len */
} Ip6ExtHeader;

#define IP6_EXT_LEN(len)	(((size_t) (len) + 1) * 8)	/* 8-byte units after the first 8 */
#define AH_LEN(len)			(((size_t) (len) + 2) * 4)	/* 4-byte units, minus 2 */

typedef struct Ip6FragHeader
{
	uint8_t		next_header;
	uint8_t		reserved;
	uint8_t		offlg[2];		/* fragment offset (13 bits), Res, M */
	uint8_t		ident[4];
} Ip6FragHeader;

_Static_assert(sizeof(Ip6FragHeader) == 8, "IPv6 Fragment header");

#define IP6_FRAG_OFFSET		0xFFF8	/* fragment offset, 8-byte units */

#define IP6_NH_HOPOPTS	0
#define IP6_NH_ROUTING	43
#define IP6_NH_FRAGMENT 44
#define IP6_NH_AH		51
#define IP6_NH_DSTOPTS	60
#define IP6_NH_SHIM6	140

static PktResult
decode_ipv6(PktCursor *c, PktInfo *info)
{
	uint8_t		nh;
	uint16_t	payload_len;
	bool		capture_cut;

	if (!cur_has(c, 0, sizeof(Ip6Header)))
		return PKT_TRUNCATED;
	if (IP_VERSION(HDR_U8(c, Ip6Header, vtc)) != 6)
		return PKT_MALFORMED;

	info->ip_version = 6;
	payload_len = HDR_BE16(c, Ip6Header, payload_len);
	nh = HDR_U8(c, Ip6Header, next_header);
	HDR_COPY(c, Ip6Header, src, info->src);
	HDR_COPY(c, Ip6Header, dst, info->dst);
	cur_skip(c, sizeof(Ip6Header));
	/* a payload length of 0 is a jumbogram (RFC 2675) or TSO: unbounded */
	capture_cut = payload_len == 0 ? true : cur_limit(c, payload_len);

	/*
	 * Each extension header moves the cursor forward by at least 8 bytes,
	 * so the walk ends within caplen / 8 steps.
	 */
	for (;;)
	{
		size_t		ext_len;

		info->ip_proto = nh;
		switch (nh)
		{
			case IP6_NH_HOPOPTS:
			case IP6_NH_ROUTING:
			case IP6_NH_DSTOPTS:
			case IP6_NH_SHIM6:
				ext_len = IP6_EXT_LEN(HDR_U8(c, Ip6ExtHeader, len));
				break;
			case IP6_NH_AH:
				ext_len = AH_LEN(HDR_U8(c, Ip6ExtHeader, len));
				break;
			case IP6_NH_FRAGMENT:
				{
					uint16_t	offlg = HDR_BE16(c, Ip6FragHeader, offlg);

					ext_len = sizeof(Ip6FragHeader);
					if (!c->overrun)
					{
						info->flags |= PKT_F_FRAGMENT;
						if ((offlg & IP6_FRAG_OFFSET) != 0)
						{
							/* later fragment: protocol known, no ports */
							info->ip_proto = HDR_U8(c, Ip6FragHeader, next_header);
							return PKT_IP;
						}
					}
					break;
				}
			default:
				/* the upper layer, or a header that is the last one */
				decode_transport(c, info, capture_cut);
				return PKT_IP;
		}
		nh = HDR_U8(c, Ip6ExtHeader, next_header);
		if (c->overrun || !cur_skip(c, ext_len))
		{
			/*
			 * The chain is cut, by the capture or by the payload length:
			 * the protocol recorded is the type of the header that is cut.
			 */
			if (capture_cut)
				info->flags |= PKT_F_L4_TRUNCATED;
			return PKT_IP;
		}
	}
}

/* ------------------------------------------------------------------------
 * Network layer dispatch: EtherType (IEEE 802) to decoder.
 * ------------------------------------------------------------------------
 */
typedef PktResult (*PktNetDecoder) (PktCursor *c, PktInfo *info);

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86DD
#define ETHERTYPE_VLAN		0x8100	/* 802.1Q customer tag */
#define ETHERTYPE_QINQ		0x88A8	/* 802.1ad service tag */
#define ETHERTYPE_QINQ_9100 0x9100	/* pre-standard QinQ */
#define ETHERTYPE_QINQ_9200 0x9200
#define ETHERTYPE_MIN		0x0600	/* below: an IEEE 802.3 length */

typedef struct EtherTypeEntry
{
	uint16_t	ethertype;
	PktNetDecoder decode;
} EtherTypeEntry;

static const EtherTypeEntry ethertype_table[] = {
	{ETHERTYPE_IPV4, decode_ipv4},
	{ETHERTYPE_IPV6, decode_ipv6},
};

static PktResult
decode_ethertype(uint16_t ethertype, PktCursor *c, PktInfo *info)
{
	for (size_t i = 0; i < sizeof(ethertype_table) / sizeof(ethertype_table[0]); i++)
	{
		if (ethertype_table[i].ethertype == ethertype)
			return ethertype_table[i].decode(c, info);
	}
	return PKT_NOT_IP;
}

/* A payload that is IP of either version, told by its first nibble. */
static PktResult
decode_ip_any(PktCursor *c, PktInfo *info)
{
	uint8_t		v;

	if (!HDR_HAS(c, Ip4Header, vihl))
		return PKT_TRUNCATED;
	v = IP_VERSION(HDR_U8(c, Ip4Header, vihl));	/* Ip6Header.vtc alike */
	if (v == 4)
		return decode_ipv4(c, info);
	if (v == 6)
		return decode_ipv6(c, info);
	return PKT_MALFORMED;
}

/* ------------------------------------------------------------------------
 * Link layers.
 * ------------------------------------------------------------------------
 */

/*
 * 802.1Q customer tag, 802.1ad service tag, and the pre-standard QinQ
 * tags some switches still send.  Each one is 4 bytes:
 * +-------------------------------+-----+-+-----------------------+
 * |  TPID (the EtherType above)   | PCP |D|         VID           |
 * +-------------------------------+-----+-+-----------------------+
 * |      EtherType of what follows (or another tag)               |
 */
typedef struct VlanTag			/* after its TPID */
{
	uint8_t		tci[2];			/* PCP (3 bits), DEI, VID (12 bits) */
	uint8_t		type[2];
} VlanTag;

#define VLAN_VID_MASK		0x0FFF

static bool
is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ ||
		ethertype == ETHERTYPE_QINQ_9100 || ethertype == ETHERTYPE_QINQ_9200;
}

/*
 * Walk stacked VLAN tags starting with the given EtherType at the
 * cursor, then hand the payload to the network layer.
 */
static PktResult
decode_after_ethertype(uint16_t ethertype, PktCursor *c, PktInfo *info)
{
	while (is_vlan_tpid(ethertype))
	{
		if (!cur_has(c, 0, sizeof(VlanTag)))
			return PKT_TRUNCATED;
		if (!(info->flags & PKT_F_VLAN))
		{
			info->vlan_id = HDR_BE16(c, VlanTag, tci) & VLAN_VID_MASK;
			info->flags |= PKT_F_VLAN;
		}
		ethertype = HDR_BE16(c, VlanTag, type);
		cur_skip(c, sizeof(VlanTag));
	}
	return decode_ethertype(ethertype, c, info);
}

/*
 * Ethernet II, DLT_EN10MB.
 * +-----------------+-----------------+-----------+
 * | Destination (6) |   Source (6)    | Type (2)  |
 * +-----------------+-----------------+-----------+
 * A Type below 0x0600 is an IEEE 802.3 length: LLC follows, not IP.
 */
typedef struct EtherHeader
{
	uint8_t		dst[6];
	uint8_t		src[6];
	uint8_t		type[2];
} EtherHeader;

static PktResult
decode_ether(PktCursor *c, PktInfo *info)
{
	uint16_t	ethertype;

	if (!cur_has(c, 0, sizeof(EtherHeader)))
		return PKT_TRUNCATED;
	ethertype = HDR_BE16(c, EtherHeader, type);
	cur_skip(c, sizeof(EtherHeader));
	if (ethertype < ETHERTYPE_MIN)
		return PKT_NOT_IP;
	return decode_after_ethertype(ethertype, c, info);
}

/*
 * Linux cooked capture v1, DLT_LINUX_SLL (what "any" gives on old
 * libpcap):
 * +-------------+-------------+-------------+----------------+----------+
 * | pkttype (2) | ARPHRD (2)  | addr len (2)| link addr (8)  | proto (2)|
 * +-------------+-------------+-------------+----------------+----------+
 */
typedef struct SllHeader
{
	uint8_t		pkttype[2];
	uint8_t		hatype[2];
	uint8_t		halen[2];
	uint8_t		addr[8];
	uint8_t		protocol[2];
} SllHeader;

static PktResult
decode_sll(PktCursor *c, PktInfo *info)
{
	uint16_t	proto;

	if (!cur_has(c, 0, sizeof(SllHeader)))
		return PKT_TRUNCATED;
	proto = HDR_BE16(c, SllHeader, protocol);
	cur_skip(c, sizeof(SllHeader));
	return decode_after_ethertype(proto, c, info);
}

/*
 * Linux cooked capture v2, DLT_LINUX_SLL2 (what "any" gives now):
 * +-----------+-------------+--------------+------------+-----------+
 * | proto (2) | reserved (2)| ifindex (4)  | ARPHRD (2) | pkttype(1)|
 * +-----------+-------------+--------------+------------+-----------+
 * | addr len (1) | link-layer address (8)                           |
 */
typedef struct Sll2Header
{
	uint8_t		protocol[2];
	uint8_t		reserved[2];
	uint8_t		ifindex[4];
	uint8_t		hatype[2];
	uint8_t		pkttype;
	uint8_t		halen;
	uint8_t		addr[8];
} Sll2Header;

_Static_assert(sizeof(SllHeader) == 16 && sizeof(Sll2Header) == 20,
			   "Linux cooked headers");

static PktResult
decode_sll2(PktCursor *c, PktInfo *info)
{
	uint16_t	proto;

	if (!cur_has(c, 0, sizeof(Sll2Header)))
		return PKT_TRUNCATED;
	proto = HDR_BE16(c, Sll2Header, protocol);
	info->ifindex = (int32_t) HDR_BE32(c, Sll2Header, ifindex);
	info->flags |= PKT_F_IFINDEX;
	cur_skip(c, sizeof(Sll2Header));
	return decode_after_ethertype(proto, c, info);
}

static PktResult
decode_raw_ipv4(PktCursor *c, PktInfo *info)
{
	return decode_ipv4(c, info);
}

static PktResult
decode_raw_ipv6(PktCursor *c, PktInfo *info)
{
	return decode_ipv6(c, info);
}

/*
 * BSD loopback.  A 4-byte address family, in the capturing host's byte
 * order for DLT_NULL and in network order for DLT_LOOP.  AF_INET6 has a
 * different value on each BSD and on Linux, so all of them are accepted.
 */
typedef struct LoopHeader
{
	uint8_t		family[4];
} LoopHeader;

#define LOOP_AF_INET			2	/* AF_INET everywhere */
#define LOOP_AF_INET6_LINUX		10
#define LOOP_AF_INET6_NETBSD	24	/* NetBSD, OpenBSD, BSD/OS */
#define LOOP_AF_INET6_FREEBSD	28	/* FreeBSD, DragonFly */
#define LOOP_AF_INET6_DARWIN	30

static PktResult
decode_af(uint32_t family, PktCursor *c, PktInfo *info)
{
	switch (family)
	{
		case LOOP_AF_INET:
			return decode_ipv4(c, info);
		case LOOP_AF_INET6_LINUX:
		case LOOP_AF_INET6_NETBSD:
		case LOOP_AF_INET6_FREEBSD:
		case LOOP_AF_INET6_DARWIN:
			return decode_ipv6(c, info);
		default:
			return PKT_NOT_IP;
	}
}

static PktResult
decode_null(PktCursor *c, PktInfo *info)
{
	uint32_t	family;

	if (!cur_has(c, 0, sizeof(LoopHeader)))
		return PKT_TRUNCATED;
	family = HDR_BE32(c, LoopHeader, family);
	/* written in host order: a big value means the other byte order */
	if ((family & 0xFFFF0000) != 0)
		family = ((family & 0xFF) << 24) | ((family & 0xFF00) << 8) |
			((family >> 8) & 0xFF00) | (family >> 24);
	cur_skip(c, sizeof(LoopHeader));
	return decode_af(family, c, info);
}

static PktResult
decode_loop(PktCursor *c, PktInfo *info)
{
	uint32_t	family;

	if (!cur_has(c, 0, sizeof(LoopHeader)))
		return PKT_TRUNCATED;
	family = HDR_BE32(c, LoopHeader, family);
	cur_skip(c, sizeof(LoopHeader));
	return decode_af(family, c, info);
}

typedef struct LinkTypeEntry
{
	int			dlt;
	PktNetDecoder decode;
} LinkTypeEntry;

static const LinkTypeEntry linktype_table[] = {
	{DLT_EN10MB, decode_ether},
	{DLT_LINUX_SLL, decode_sll},
	{DLT_LINUX_SLL2, decode_sll2},
	{DLT_RAW, decode_ip_any},
	{DLT_IPV4, decode_raw_ipv4},
	{DLT_IPV6, decode_raw_ipv6},
	{DLT_NULL, decode_null},
	{DLT_LOOP, decode_loop},
};

static PktNetDecoder
find_link_decoder(int dlt)
{
	for (size_t i = 0; i < sizeof(linktype_table) / sizeof(linktype_table[0]); i++)
	{
		if (linktype_table[i].dlt == dlt)
			return linktype_table[i].decode;
	}
	return NULL;
}

bool
pkt_dlt_supported(int dlt)
{
	return find_link_decoder(dlt) != NULL;
}

PktResult
pkt_decode(int dlt, const uint8_t *frame, size_t caplen, PktInfo *info)
{
	PktNetDecoder decode = find_link_decoder(dlt);
	PktCursor	c;

	memset(info, 0, sizeof(*info));
	info->ifindex = -1;
	if (decode == NULL)
		return PKT_UNSUPPORTED;
	if (frame == NULL)
		caplen = 0;
	c.ptr = frame;
	c.len = caplen;
	c.overrun = false;
	return decode(&c, info);
}

const char *
pkt_result_name(PktResult result)
{
	switch (result)
	{
		case PKT_IP:
			return "ip";
		case PKT_NOT_IP:
			return "not_ip";
		case PKT_UNSUPPORTED:
			return "unsupported";
		case PKT_TRUNCATED:
			return "truncated";
		case PKT_MALFORMED:
			return "malformed";
	}
	return "unknown";
}
