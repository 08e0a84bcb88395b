# Tests that need their own server: loading without shared_preload_libraries,
# pkt_stop and server shutdown writing every row in hand, worker exits.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(pack_sockaddr_in inet_aton);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# Without shared_preload_libraries every function says what to add.
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION pktcapture');
my ($ret, $stdout, $stderr) =
  $plain->psql('postgres', "SELECT pkt_start('lo')", extra_params => ['-v', 'VERBOSITY=verbose']);
isnt($ret, 0, 'pkt_start fails without preload');
like($stderr, qr/pktcapture must be loaded via shared_preload_libraries/, 'error names the cause');
like($stderr, qr/shared_preload_libraries = 'pktcapture'/, 'hint says exactly what to add');
($ret, $stdout, $stderr) = $plain->psql('postgres', 'SELECT * FROM pkt_stats()');
like($stderr, qr/shared_preload_libraries/, 'pkt_stats fails the same way');
$plain->stop;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pktcapture'
max_worker_processes = 16
# rows stay in the worker's hands until a stop makes it write them
pktcapture.flush_interval = '60s'
pktcapture.batch_size = 100000
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pktcapture');

# UDP datagrams to a port nobody listens on, over loopback only.
sub send_udp
{
	my ($port, $count) = @_;
	# unconnected, so ICMP port unreachable cannot fail the next send
	my $sock = IO::Socket::INET->new(Proto => 'udp') or die "socket: $!";
	my $dest = pack_sockaddr_in($port, inet_aton('127.0.0.1'));
	for my $i (1 .. $count)
	{
		defined $sock->send(pack('N', $i) . ('x' x 60), 0, $dest) or die "send: $!";
	}
	close $sock;
}

my $port = 40000 + ($$ % 20000);
my $filter = "udp and dst port $port";

# The worker has seen $count frames: its counters, published four times a
# second, say so (the slot of worker $pid: none left from another capture).
sub worker_saw
{
	my ($pid, $count) = @_;
	return $node->poll_query_until('postgres',
		"SELECT frames >= $count FROM pkt_status() WHERE pid = $pid");
}

# pkt_stop returns only when every captured row is committed.
my $wpid = $node->safe_psql('postgres', "SELECT pkt_start('lo', '$filter')");
send_udp($port, 500);
ok(worker_saw($wpid, 500), 'the worker saw the 500 datagrams') or die 'the worker did not see them';
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '0',
	'rows are still in the worker before the flush interval');
is($node->safe_psql('postgres',
		"SELECT rows_pending FROM pkt_status() WHERE interface = 'lo'"),
	'500', 'pkt_status shows them pending');
is($node->safe_psql('postgres', "SELECT pkt_stop('lo')"), '1', 'one capture stopped');
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '500',
	'after pkt_stop every packet is a row');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM packets WHERE protocol = 'UDP' AND dst_port = $port AND packet_size = 14 + 20 + 8 + 64"),
	'500', 'rows carry protocol, port and wire size');
is($node->safe_psql('postgres',
		"SELECT packets || ' ' || bytes FROM pkt_stats('lo') WHERE section = 'total'"),
	'500 ' . 500 * 106, 'final statistics match the rows');

is($node->safe_psql('postgres',
		"SELECT kind || ' ' || source || ' ' || state || ' ' || packets || ' ' || rows_stored || ' ' || not_stored FROM pkt_runs"),
	'live lo stopped 500 500 0', 'the run ledger has the final counts');

# A fast shutdown writes the rows in hand before the worker exits.
$node->safe_psql('postgres', 'TRUNCATE packets');
my $log_offset = -s $node->logfile;
$wpid = $node->safe_psql('postgres', "SELECT pkt_start('lo', '$filter')");
send_udp($port, 300);
ok(worker_saw($wpid, 300), 'the worker saw the 300 datagrams') or die 'the worker did not see them';
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '0',
	'none of them is written before the shutdown');
$node->stop('fast');
# the log of this capture only: the first one logged its stop too
my $log = slurp_file($node->logfile, $log_offset);
like($log, qr/pktcapture: capture stopped on interface "lo"/, 'worker logged its stop at shutdown');
unlike($log, qr/terminated by signal/, 'no process was killed');
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '300',
	'rows in hand at shutdown were written');

# pktcapture.worker_nice sets the worker's CPU priority (nice is field 19
# of /proc/PID/stat, after the command name in parentheses)
$node->append_conf('postgresql.conf', "pktcapture.worker_nice = 7\n");
$node->reload;
$node->safe_psql('postgres', "SELECT pkt_start('lo', '$filter')");
my $npid = $node->safe_psql('postgres', "SELECT pid FROM pkt_status() WHERE interface = 'lo' AND state = 'running'");
my ($nice) = (slurp_file("/proc/$npid/stat") =~ /\)\s+(?:\S+\s+){16}(-?\d+)/);
is($nice, '7', 'the worker runs at pktcapture.worker_nice');
$node->safe_psql('postgres', "SELECT pkt_stop('lo')");

# A worker killed outright marks its capture failed; pkt_stop does not hang.
$node->safe_psql('postgres', "SELECT pkt_start('lo', '$filter')");
my $pid = $node->safe_psql('postgres', "SELECT pid FROM pkt_status() WHERE interface = 'lo'");
ok($pid > 0, 'worker runs');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$node->poll_query_until('postgres',
	"SELECT state IN ('stopped', 'failed') FROM pkt_status() WHERE interface = 'lo'")
  or die 'worker did not stop';
is($node->safe_psql('postgres', "SELECT state FROM pkt_status() WHERE interface = 'lo'"),
	'stopped', 'pg_terminate_backend stops the capture cleanly, like pkt_stop');

$node->stop;
done_testing();
