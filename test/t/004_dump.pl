# pg_dump as the capture role, and pg_restore: what is captured (rows in
# their partitions, the ledger, the summaries, the partitions' records)
# comes back whole, reports included, and capture goes on in the copy.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use Cwd qw(abs_path);

my $corpus = abs_path('../shared/pcaps/tcpdump');
my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'pktcapture'\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE DATABASE packetdb;
	CREATE ROLE packetuser LOGIN;
	CREATE ROLE auditor LOGIN;
});
$node->safe_psql('packetdb', q{
	CREATE EXTENSION pktcapture;
	GRANT SELECT, INSERT ON packets TO packetuser;
});
# captures of three different times: partitions of their own
for my $f ('dns_tcp_8053.pcap', 'RADIUS-RFC4675.pcap', 'NHRP_registration.pcap')
{
	$node->safe_psql('packetdb', "SELECT pkt_load('$corpus/$f')");
}
my $parts = $node->safe_psql('packetdb',
	"SELECT count(*) FROM pkt_partitions WHERE dropped_at IS NULL");
cmp_ok($parts, '>=', 3, "the loads made partitions of their own ($parts)");

my $dir = PostgreSQL::Test::Utils::tempdir;
my @dump = ('pg_dump', '-Fc', '-h', $node->host, '-p', $node->port, '-U', 'packetuser',
	'-f', "$dir/packetdb.dump", 'packetdb');
my ($stdout, $stderr) = ('', '');
my $ok = IPC::Run::run(\@dump, '>', \$stdout, '2>', \$stderr);
ok(!$ok, 'pg_dump as the capture role fails before pkt_grant_read');
like($stderr, qr/permission denied/, '... for lack of SELECT: ' . (split /\n/, $stderr)[0]);

is($node->safe_psql('packetdb', "SELECT pkt_grant_read('packetuser')"),
	'packetuser may read what pktcapture stores, and pg_dump this database',
	'pkt_grant_read(packetuser)');
# a partition made after the grant has the privileges of packets too
$node->safe_psql('packetdb', "SELECT pkt_load('$corpus/pim-packet-assortment.pcap')");
is($node->safe_psql('packetdb', q{
	SELECT count(*) FROM pg_inherits i WHERE i.inhparent = 'packets'::regclass
	  AND NOT has_table_privilege('packetuser', i.inhrelid, 'SELECT')}),
	'0', 'every partition, also one made since, may be read by the capture role');
$stderr = '';
$ok = IPC::Run::run(\@dump, '>', \$stdout, '2>', \$stderr);
ok($ok, 'pg_dump -Fc packetdb as the capture role') or diag($stderr);

# what to compare: every column of every table of the extension
my %fingerprint = (
	packets => q{SELECT count(*) || ' ' || md5(string_agg(to_jsonb(p)::text, ',' ORDER BY id)) FROM packets p},
	pkt_runs => q{SELECT count(*) || ' ' || md5(string_agg(to_jsonb(r)::text, ',' ORDER BY sensor, run_id)) FROM pkt_runs r},
	pkt_summary => q{SELECT count(*) || ' ' || md5(string_agg(to_jsonb(s)::text, ',' ORDER BY to_jsonb(s)::text)) FROM pkt_summary s},
	pkt_summary_top => q{SELECT count(*) || ' ' || md5(string_agg(to_jsonb(s)::text, ',' ORDER BY to_jsonb(s)::text)) FROM pkt_summary_top s},
	pkt_partitions => q{SELECT count(*) || ' ' || md5(string_agg(relname || range_start || range_end, ',' ORDER BY relname)) FROM pkt_partitions WHERE dropped_at IS NULL},
	pkt_partition_rows => q{SELECT count(*) || ' ' || md5(string_agg(p::text, ',' ORDER BY p::text)) FROM pkt_partition_rows p},
	report => q{SELECT md5(string_agg(r::text, ',')) FROM pkt_report_between('-infinity', 'infinity', 20) r},
);
my %before = map { $_ => $node->safe_psql('packetdb', $fingerprint{$_}) } keys %fingerprint;

$node->safe_psql('postgres', 'CREATE DATABASE restored');
$stderr = '';
$ok = IPC::Run::run(['pg_restore', '-h', $node->host, '-p', $node->port, '-U',
		$node->safe_psql('postgres', 'SELECT current_user'), '--exit-on-error',
		'-d', 'restored', "$dir/packetdb.dump"], '>', \$stdout, '2>', \$stderr);
ok($ok, 'pg_restore into a new database, with no error') or diag($stderr);
for my $t (sort keys %fingerprint)
{
	is($node->safe_psql('restored', $fingerprint{$t}), $before{$t}, "$t restored as it was");
}
is($node->safe_psql('restored',
		"SELECT count(*) FROM pg_inherits WHERE inhparent = 'packets'::regclass"),
	$node->safe_psql('packetdb',
		"SELECT count(*) FROM pg_inherits WHERE inhparent = 'packets'::regclass"),
	'packets has its partitions again');

# capture goes on in the copy: new ids after the old ones, reports right
my $max_id = $node->safe_psql('restored', 'SELECT max(id) FROM packets');
is($node->safe_psql('restored', "SELECT pkt_load('$corpus/bigtcp-ipv6-hbh.pcap') > 0"), 't',
	'pkt_load into the restored database');
is($node->safe_psql('restored', "SELECT min(id) > $max_id FROM packets WHERE run_id = (SELECT max(run_id) FROM pkt_runs)"),
	't', '... its rows take ids after the restored ones (the sequence came back)');
is($node->safe_psql('restored', 'SELECT count(*) FROM pkt_runs r WHERE r.rows_stored <>
	(SELECT count(*) FROM packets p WHERE p.run_id = r.run_id)'), '0', '... the ledger is exact');
is($node->safe_psql('restored',
		"\\set from '-infinity'\n\\set to 'infinity'\n\\i test/report_check.sql"),
	'', '... and pkt_report equals GROUP BY over every row');

# the list of partitions emptied by hand: the partitions there are are
# listed again, not made twice, when rows of their time come
$node->safe_psql('restored', 'TRUNCATE pkt_partitions');
is($node->safe_psql('restored', "SELECT pkt_load('$corpus/dns_tcp_8053.pcap')"), '11',
	'a load into a partition pkt_partitions no longer lists (tshark: 11 packets)');
is($node->safe_psql('restored', q{SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	WHERE i.inhparent = 'packets'::regclass
	  AND NOT EXISTS (SELECT 1 FROM pkt_partitions p WHERE p.relname = c.relname AND p.dropped_at IS NULL)}),
	'0', '... and every partition is listed again');

# a GRANT on packets given later reaches the partitions at the next round
$node->safe_psql('packetdb', 'GRANT SELECT ON packets TO auditor');
$node->safe_psql('packetdb', 'CALL pkt_maintain()');
is($node->safe_psql('packetdb', q{
	SELECT count(*) FROM pg_inherits i WHERE i.inhparent = 'packets'::regclass
	  AND NOT has_table_privilege('auditor', i.inhrelid, 'SELECT')}),
	'0', 'a later GRANT SELECT ON packets reaches every partition (pkt_maintain)');

$node->stop;
done_testing();
