/*-------------------------------------------------------------------------
 * pkt_pcap.c
 *		Opening a live capture with libpcap, and turning a failure into an
 *		error that says what to do.
 *
 * libpcap settings, chosen for throughput without losing packets:
 * - snap length pktcapture.snaplen (128): headers only, so the kernel
 *   copies little and payloads, which may carry secrets, are never read;
 * - buffer pktcapture.buffer_size (256 MB): with TPACKET_V3 and the
 *   headers-only snap length it holds over a million frames, so a burst
 *   faster than the worker writes rows waits in the kernel instead of
 *   being dropped (docs/performance.md has the figures);
 * - timeout PKT_PCAP_TIMEOUT_MS, not immediate mode: the kernel hands
 *   over whole blocks, at most that late, which costs one wakeup per
 *   block instead of one per packet;
 * - non-blocking, because the worker's WaitEventSet does the waiting;
 * - microsecond timestamps, the precision of timestamptz.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "pkt_pcap.h"

/*
 * Open a live capture as configured in cfg.  On failure returns NULL and
 * says why in *err and msg.
 */
pcap_t *
pkt_open_live(const PktCaptureConfig *cfg, PktOpenError *err, char *msg, size_t msglen)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_t	   *p;
	int			rc;

	*err = PKT_OPEN_OK;
	errbuf[0] = '\0';
	p = pcap_create(cfg->name, errbuf);
	if (p == NULL)
	{
		*err = PKT_OPEN_OTHER;
		strlcpy(msg, errbuf, msglen);
		return NULL;
	}
	pcap_set_snaplen(p, cfg->snaplen);
	pcap_set_promisc(p, cfg->promisc ? 1 : 0);
	pcap_set_timeout(p, PKT_PCAP_TIMEOUT_MS);
	pcap_set_buffer_size(p, cfg->buffer_kb * 1024);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_MICRO);

	rc = pcap_activate(p);
	if (rc < 0)
	{
		const char *why = pcap_geterr(p);

		if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			*err = PKT_OPEN_NO_DEVICE;
		else if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
			*err = PKT_OPEN_PERM;
		else
			*err = PKT_OPEN_OTHER;
		strlcpy(msg, (why && why[0]) ? why : pcap_statustostr(rc), msglen);
		pcap_close(p);
		return NULL;
	}

	/*
	 * "any" offers Linux cooked v1 and v2; only v2 carries the interface
	 * index that names each row's interface.  libpcap 1.10 defaults to v1.
	 * (Before the filter: it is compiled for the link type.)
	 */
	{
		int		   *dlts;
		int			ndlts = pcap_list_datalinks(p, &dlts);

		for (int i = 0; i < ndlts; i++)
		{
			if (dlts[i] == DLT_LINUX_SLL2)
			{
				(void) pcap_set_datalink(p, DLT_LINUX_SLL2);
				break;
			}
		}
		if (ndlts > 0)
			pcap_free_datalinks(dlts);
	}

	if (cfg->filter[0] != '\0')
	{
		struct bpf_program prog;

		if (pcap_compile(p, &prog, cfg->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		{
			*err = PKT_OPEN_FILTER;
			strlcpy(msg, pcap_geterr(p), msglen);
			pcap_close(p);
			return NULL;
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc < 0)
		{
			*err = PKT_OPEN_OTHER;
			strlcpy(msg, pcap_geterr(p), msglen);
			pcap_close(p);
			return NULL;
		}
	}
	if (pcap_setnonblock(p, 1, errbuf) < 0)
	{
		*err = PKT_OPEN_OTHER;
		strlcpy(msg, errbuf, msglen);
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Turn a failure of pkt_open_live() into the caller's ERROR. */
void
pkt_report_open_error(PktOpenError err, const char *ifname, const char *filter,
					  const char *msg)
{
	switch (err)
	{
		case PKT_OPEN_NO_DEVICE:
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("capture interface \"%s\" does not exist", ifname),
					 errdetail("libpcap reports: %s", msg),
					 errhint("SELECT * FROM pkt_interfaces() lists the interfaces.")));
			break;
		case PKT_OPEN_PERM:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to capture on interface \"%s\"", ifname),
					 errdetail("libpcap reports: %s", msg),
					 errhint("The PostgreSQL server needs the CAP_NET_RAW capability: "
							 "for a systemd service, add \"AmbientCapabilities=CAP_NET_RAW\" "
							 "to its [Service] section and restart it. "
							 "docs/privileges.md has the details.")));
			break;
		case PKT_OPEN_FILTER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture filter \"%s\"", filter ? filter : ""),
					 errdetail("libpcap reports: %s", msg),
					 errhint("The filter uses tcpdump's syntax, described in pcap-filter(7).")));
			break;
		case PKT_OPEN_SETUP:
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the capture worker for interface \"%s\" could not start", ifname),
					 errdetail("%s", msg),
					 errhint("The server log has the details.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not capture on interface \"%s\"", ifname),
					 errdetail("%s", msg)));
			break;
	}
}

/* The names of the capture interfaces, for hints. */
char *
pkt_interface_list(void)
{
	char		errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t  *devs;
	StringInfoData buf;

	initStringInfo(&buf);
	if (pcap_findalldevs(&devs, errbuf) != 0)
		return "(the list of interfaces could not be read)";
	for (pcap_if_t *d = devs; d != NULL; d = d->next)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", d->name);
	pcap_freealldevs(devs);
	return buf.data;
}

