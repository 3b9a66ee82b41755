/* test_time: unit tests of hc_time (RFC 3339 format and parse, clocks). */
#include "config.h"
#include "hc_time.h"

#include <string.h>

#include "tap.h"

static const struct fcase {
	long long	 t;
	const char	*want;
} fcases[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 59, "1970-01-01T00:00:59Z" },
	{ 951782400, "2000-02-29T00:00:00Z" },
	{ 1795341600, "2026-11-22T10:00:00Z" },
	{ 1798761599, "2026-12-31T23:59:59Z" },
	{ 4102444800LL, "2100-01-01T00:00:00Z" },
	/* stored times far from now: RFC 3339's four-digit years bound them */
	{ 253402300799LL, "9999-12-31T23:59:59Z" },
	{ 253402300800LL, "9999-12-31T23:59:59Z" },
	{ 9223372036854775LL, "9999-12-31T23:59:59Z" },
	{ -1, "1969-12-31T23:59:59Z" },
	{ -62167219200LL, "0000-01-01T00:00:00Z" },
	{ -62167219201LL, "0000-01-01T00:00:00Z" },
	{ -9223372036854775LL, "0000-01-01T00:00:00Z" },
};

static const struct pcase {
	const char	*in;
	int		 rc;
	long long	 t;
} pcases[] = {
	/* valid */
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2026-11-22T10:00:00Z", 0, 1795341600 },
	{ "2026-11-22t10:00:00z", 0, 1795341600 },
	{ "2026-11-22T10:00:00.5Z", 0, 1795341600 },
	{ "2026-11-22T10:00:00.123456789Z", 0, 1795341600 },
	{ "2026-11-22T11:00:00+01:00", 0, 1795341600 },
	{ "2026-11-22T15:30:00+05:30", 0, 1795341600 },
	{ "2026-11-22T02:00:00-08:00", 0, 1795341600 },
	{ "2026-11-21T23:00:00-11:00", 0, 1795341600 },
	{ "2026-11-22T10:00:00.25-00:00", 0, 1795341600 },
	{ "2026-11-22T10:00:00+00:00", 0, 1795341600 },
	{ "2000-02-29T00:00:00Z", 0, 951782400 },
	{ "2024-02-29T12:00:00Z", 0, 1709208000 },
	{ "2026-12-31T23:59:59Z", 0, 1798761599 },
	{ "2016-12-31T23:59:60Z", 0, 1483228799 },	/* leap second folds onto :59 */
	{ "2100-01-01T00:00:00Z", 0, 4102444800LL },
	/* invalid dates */
	{ "2026-02-29T00:00:00Z", -1, 0 },
	{ "2026-02-30T00:00:00Z", -1, 0 },
	{ "2100-02-29T00:00:00Z", -1, 0 },
	{ "2026-04-31T00:00:00Z", -1, 0 },
	{ "2026-13-01T00:00:00Z", -1, 0 },
	{ "2026-00-10T00:00:00Z", -1, 0 },
	{ "2026-11-00T00:00:00Z", -1, 0 },
	{ "2026-11-32T00:00:00Z", -1, 0 },
	{ "2026-11-22T24:00:00Z", -1, 0 },
	{ "2026-11-22T10:60:00Z", -1, 0 },
	{ "2026-11-22T10:00:61Z", -1, 0 },
	{ "1969-12-31T23:59:59Z", -1, 0 },
	/* bad formats */
	{ "", -1, 0 },
	{ "2026-11-22", -1, 0 },
	{ "2026-11-22T10:00:00", -1, 0 },
	{ "2026-11-22T10:00Z", -1, 0 },
	{ "2026-11-22 10:00:00Z", -1, 0 },
	{ "2026/11/22T10:00:00Z", -1, 0 },
	{ "26-11-22T10:00:00Z", -1, 0 },
	{ "2026-1-22T10:00:00Z", -1, 0 },
	{ "2026-11-22T10:00:00ZZ", -1, 0 },
	{ "2026-11-22T10:00:00Z ", -1, 0 },
	{ " 2026-11-22T10:00:00Z", -1, 0 },
	{ "2026-11-22T10:00:00.Z", -1, 0 },
	{ "2026-11-22T10:00:00,5Z", -1, 0 },
	{ "2026-11-22T10:00:00+0100", -1, 0 },
	{ "2026-11-22T10:00:00+01", -1, 0 },
	{ "2026-11-22T10:00:00+24:00", -1, 0 },
	{ "2026-11-22T10:00:00+01:60", -1, 0 },
	{ "2026-11-22T10:00:00+01:00x", -1, 0 },
	{ "2026-11-22T10:00:00UTC", -1, 0 },
	{ "2026-11-22T1a:00:00Z", -1, 0 },
	{ "+026-11-22T10:00:00Z", -1, 0 },
	{ "1795341600", -1, 0 },
};

int
main(void)
{
	char	 buf[HC_TIME_BUFSZ];
	time_t	 t;
	double	 a, b;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		tap_is_str(hc_time_fmt((time_t)fcases[i].t, buf), fcases[i].want,
		    "fmt %lld", fcases[i].t);
		if (fcases[i].t < 0 || fcases[i].t > 253402300799LL)
			continue;	/* bounded, or before what hc_time_parse takes */
		rc = hc_time_parse(buf, &t);
		tap_ok(rc == 0 && (long long)t == fcases[i].t,
		    "fmt %lld parses back", fcases[i].t);
	}
	tap_ok(hc_time_fmt(0, buf) == buf, "fmt returns its buffer");

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		t = (time_t)-42;
		rc = hc_time_parse(pcases[i].in, &t);
		tap_is_int(rc, pcases[i].rc, "parse \"%s\": rc", pcases[i].in);
		if (pcases[i].rc == 0)
			tap_is_int(t, pcases[i].t, "parse \"%s\": value", pcases[i].in);
		else
			tap_is_int(t, -42, "parse \"%s\": nothing written", pcases[i].in);
	}
	tap_is_int(hc_time_parse(NULL, &t), -1, "parse NULL");

	a = hc_mono_ms();
	b = hc_mono_ms();
	tap_ok(a > 0 && b >= a, "monotonic clock does not go back");
	a = hc_wall();
	tap_ok(a > 1.7e9 && a < 1e10, "wall clock is seconds since the epoch");
	return tap_done();
}
