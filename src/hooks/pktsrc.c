/* bpfbox — hooks/pktsrc.c: where packets come from and where they go.
 *
 * Sources:
 *  - capture files, pcap or pcapng, read with libpcap (the library every
 *    capture tool writes them with).  A nanosecond pcap file is opened
 *    with nanosecond precision so that timestamps survive a copy; pcapng
 *    timestamps are read in microseconds;
 *  - a live interface through an AF_PACKET socket (SOCK_RAW, all
 *    protocols).  It is bound before it receives anything (created with
 *    protocol 0, then bound with ETH_P_ALL), so no packet of another
 *    interface slips in; outgoing packets are ignored
 *    (PACKET_IGNORE_OUTGOING, and sll_pkttype for older kernels) because
 *    XDP sees the receive path only, and so that frames bpfbox transmits
 *    (XDP_TX) do not come back to it.  A live source observes a copy: the
 *    kernel still delivers every packet, whatever the program returns.
 *
 * Sink: a pcap file written by libpcap with the source's link type,
 * snapshot length and timestamp precision, so a packet copied unchanged
 * comes out with the same bytes: pcap in -> pcap out is byte-identical
 * when every packet passes (the file header is libpcap's, as tcpdump
 * writes it; a pcapng input becomes a pcap output).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <pcap/pcap.h>
#include "hooks_int.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#define LIVE_BUF 65536

struct bpfbox_pktsrc {
	pcap_t *pcap;       /* file source */
	int fd;             /* live source (-1 for files) */
	uint32_t ifindex;
	int linktype;
	uint32_t snaplen;
	bool nsec;
	int timeout_ms;
	uint8_t *buf;       /* live receive buffer */
};

/* ---- files ------------------------------------------------------------------------ */

/* A pcap file's precision comes from its magic number. */
static bool file_is_nsec(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t m[4];
	bool nsec = fread(m, 1, 4, f) == 4 &&
		    ((m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
		     (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d));
	fclose(f);
	return nsec;
}

BPFBOX_API int bpfbox_pktsrc__open_file(struct bpfbox_pktsrc **out, const char *path,
					const struct bpfbox_pktsrc_opts *opts)
{
	if (!out || !path || !OPTS_VALID(opts, bpfbox_pktsrc_opts))
		return -EINVAL;
	struct bpfbox_log *log = OPTS_GET(opts, log, NULL);
	if (access(path, R_OK)) {
		int e = errno;
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "%s: %s", path, strerror(e));
		return -e;
	}
	bool nsec = file_is_nsec(path);
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, nsec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!p) {
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "%s: %s", path, err);
		return -EINVAL;
	}
	struct bpfbox_pktsrc *s = calloc(1, sizeof(*s));
	if (!s) {
		pcap_close(p);
		return -ENOMEM;
	}
	s->pcap = p;
	s->fd = -1;
	s->ifindex = 1;
	s->linktype = pcap_datalink(p);
	int snap = pcap_snapshot(p);
	s->snaplen = snap > 0 ? (uint32_t)snap : 262144;
	s->nsec = nsec;
	*out = s;
	return 0;
}

/* ---- live ---------------------------------------------------------------------------- */

BPFBOX_API int bpfbox_pktsrc__open_iface(struct bpfbox_pktsrc **out, const char *ifname,
					 const struct bpfbox_pktsrc_opts *opts)
{
	if (!out || !ifname || !OPTS_VALID(opts, bpfbox_pktsrc_opts))
		return -EINVAL;
	struct bpfbox_log *log = OPTS_GET(opts, log, NULL);
	unsigned idx = if_nametoindex(ifname);
	if (!idx) {
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "%s: no such interface", ifname);
		return -ENODEV;
	}
	/* protocol 0: receives nothing until bound to the interface */
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "%s: AF_PACKET socket: %s%s", ifname,
				   strerror(e), e == EPERM ? " (needs CAP_NET_RAW)" : "");
		return -e;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)idx };
	int one = 1;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		int e = errno;
		close(fd);
		bpfbox_log__printf(log, BPFBOX_LOG_ERROR, "%s: bind: %s", ifname, strerror(e));
		return -e;
	}
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (OPTS_GET(opts, promisc, false)) {
		struct packet_mreq mr = { .mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC };
		setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int hatype = ARPHRD_ETHER;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		hatype = ifr.ifr_hwaddr.sa_family;
	struct bpfbox_pktsrc *s = calloc(1, sizeof(*s));
	uint8_t *buf = malloc(LIVE_BUF);
	if (!s || !buf) {
		free(s);
		free(buf);
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->buf = buf;
	s->ifindex = idx;
	/* loopback frames carry an all-zero Ethernet header */
	s->linktype = hatype == ARPHRD_ETHER || hatype == ARPHRD_LOOPBACK ? DLT_EN10MB : DLT_RAW;
	s->snaplen = LIVE_BUF;
	s->timeout_ms = OPTS_GET(opts, timeout_ms, 0);
	if (s->timeout_ms <= 0)
		s->timeout_ms = 100;
	*out = s;
	return 0;
}

BPFBOX_API void bpfbox_pktsrc__close(struct bpfbox_pktsrc *s)
{
	if (!s)
		return;
	if (s->pcap)
		pcap_close(s->pcap);
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}

BPFBOX_API int bpfbox_pktsrc__next(struct bpfbox_pktsrc *s, struct bpfbox_pktrec *rec)
{
	if (!s || !rec)
		return -EINVAL;
	memset(rec, 0, sizeof(*rec));
	if (s->pcap) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int r = pcap_next_ex(s->pcap, &h, &data);
		if (r == PCAP_ERROR_BREAK)
			return 0;
		if (r != 1)
			return -EIO;
		rec->data = data;
		rec->caplen = h->caplen;
		rec->len = h->len;
		rec->ts_sec = h->ts.tv_sec;
		rec->ts_frac = (uint32_t)h->ts.tv_usec;
		rec->ifindex = 1;
		return 1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int r = poll(&pfd, 1, s->timeout_ms);
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n = recvfrom(s->fd, s->buf, LIVE_BUF, MSG_TRUNC | MSG_DONTWAIT,
				     (struct sockaddr *)&sll, &sl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return errno == EINTR ? -EINTR : 0;
			return -errno;
		}
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		rec->data = s->buf;
		rec->len = (uint32_t)n;
		rec->caplen = n > LIVE_BUF ? LIVE_BUF : (uint32_t)n;
		rec->ts_sec = ts.tv_sec;
		rec->ts_frac = (uint32_t)(ts.tv_nsec / 1000);
		rec->ifindex = (uint32_t)sll.sll_ifindex;
		rec->protocol = sll.sll_protocol;
		rec->pkttype = sll.sll_pkttype;
		return 1;
	}
}

BPFBOX_API int bpfbox_pktsrc__linktype(const struct bpfbox_pktsrc *s)
{
	return s ? s->linktype : -1;
}

BPFBOX_API uint32_t bpfbox_pktsrc__snaplen(const struct bpfbox_pktsrc *s)
{
	return s ? s->snaplen : 0;
}

BPFBOX_API bool bpfbox_pktsrc__nsec(const struct bpfbox_pktsrc *s)
{
	return s && s->nsec;
}

BPFBOX_API uint32_t bpfbox_pktsrc__ifindex(const struct bpfbox_pktsrc *s)
{
	return s ? s->ifindex : 0;
}

BPFBOX_API int bpfbox_pktsrc__send(struct bpfbox_pktsrc *s, uint32_t ifindex, const void *data,
				   uint32_t len)
{
	if (!s || (!data && len))
		return -EINVAL;
	if (s->fd < 0)
		return -EOPNOTSUPP;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_ifindex = (int)(ifindex ? ifindex : s->ifindex),
				   .sll_halen = ETH_ALEN };
	if (len >= ETH_ALEN)
		memcpy(sll.sll_addr, data, ETH_ALEN);
	ssize_t n = sendto(s->fd, data, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	if (n < 0)
		return -errno;
	return 0;
}

/* ---- the pcap sink ------------------------------------------------------------------------ */

struct bpfbox_pktsink {
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint32_t snaplen;
};

BPFBOX_API int bpfbox_pktsink__open(struct bpfbox_pktsink **out, const char *path, int linktype,
				    uint32_t snaplen, bool nsec)
{
	if (!out || !path)
		return -EINVAL;
	if (!snaplen)
		snaplen = 262144;
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(
		linktype, (int)snaplen, nsec ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	if (!dead)
		return -ENOMEM;
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	if (!d) {
		int e = errno ? errno : EIO;
		pcap_close(dead);
		return -e;
	}
	struct bpfbox_pktsink *s = calloc(1, sizeof(*s));
	if (!s) {
		pcap_dump_close(d);
		pcap_close(dead);
		return -ENOMEM;
	}
	s->dead = dead;
	s->dump = d;
	s->snaplen = snaplen;
	*out = s;
	return 0;
}

BPFBOX_API int bpfbox_pktsink__write(struct bpfbox_pktsink *s, const struct bpfbox_pktrec *rec,
				     const void *data, uint32_t caplen, uint32_t len)
{
	if (!s || !rec || (!data && caplen))
		return -EINVAL;
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)rec->ts_sec;
	h.ts.tv_usec = (suseconds_t)rec->ts_frac;
	h.caplen = caplen > s->snaplen ? s->snaplen : caplen;
	h.len = len < h.caplen ? h.caplen : len;
	pcap_dump((u_char *)s->dump, &h, data);
	return 0;
}

BPFBOX_API int bpfbox_pktsink__close(struct bpfbox_pktsink *s)
{
	if (!s)
		return 0;
	int e = pcap_dump_flush(s->dump) ? -EIO : 0;
	pcap_dump_close(s->dump);
	pcap_close(s->dead);
	free(s);
	return e;
}
