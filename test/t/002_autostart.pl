# Capture across server restarts: pktcapture.autostart, restart after an
# unexpected end, pkt_stop for good, and what kill -9 may lose.
use strict;
use warnings;
use IO::Socket::INET;
use Socket qw(pack_sockaddr_in inet_aton);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $port = 20000 + ($$ % 20000);
my $node = PostgreSQL::Test::Cluster->new('auto');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pktcapture'
max_worker_processes = 16
pktcapture.autostart = 'lo'
pktcapture.autostart_filter = 'udp and dst port $port'
pktcapture.database = 'postgres'
pktcapture.flush_interval = '200ms'
# the sums of committed rows stay in the worker until it stops
pktcapture.summary_interval = '1h'
# a killed worker restarts the server, as any backend crash does
restart_after_crash = on
});
# the extension must exist before the launcher's capture can write
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pktcapture');

sub send_udp
{
	my ($count) = @_;
	my $sock = IO::Socket::INET->new(Proto => 'udp') or die "socket: $!";
	my $dest = pack_sockaddr_in($port, inet_aton('127.0.0.1'));
	for my $i (1 .. $count)
	{
		defined $sock->send(pack('N', $i) . ('x' x 60), 0, $dest) or die "send: $!";
	}
	close $sock;
}

# pkt_report against GROUP BY over every row: the lines that differ
sub report_differences
{
	return $node->safe_psql('postgres',
		"\\set from '-infinity'\n\\set to 'infinity'\n\\i test/report_check.sql");
}

sub running_pid
{
	return $node->safe_psql('postgres',
		"SELECT coalesce(max(pid), 0) FROM pkt_status() WHERE interface = 'lo' AND state = 'running'");
}

# The launcher retries until the extension exists, then the capture runs.
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pkt_status() WHERE interface = 'lo' AND state = 'running'")
  or die 'autostarted capture did not start';
ok(1, 'capture started from pktcapture.autostart');
send_udp(200);
$node->poll_query_until('postgres', 'SELECT count(*) = 200 FROM packets')
  or die 'rows did not arrive';
ok(1, 'autostarted capture stores rows');

# Across a server restart it starts again by itself.
$node->restart;
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pkt_status() WHERE interface = 'lo' AND state = 'running'")
  or die 'capture did not start after restart';
ok(1, 'capture starts again after a server restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '200', 'rows kept');

# Ended without pkt_stop (here: terminated): the launcher starts it again.
my $pid = running_pid();
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pkt_status() WHERE interface = 'lo' AND state = 'running' AND pid <> $pid")
  or die 'capture was not restarted';
ok(1, 'a capture that ended unexpectedly is restarted');

# kill -9 of the worker restarts the whole server (as any backend crash);
# what was committed stays, the run is marked interrupted, capture resumes.
send_udp(100);
$node->poll_query_until('postgres', 'SELECT count(*) = 300 FROM packets')
  or die 'rows did not arrive';
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_summary s JOIN pkt_runs r USING (run_id) WHERE r.state = 'running'"),
	'0', 'the running capture has written no summaries yet (summary_interval)');
is(report_differences(), '', 'pkt_report reads its rows from packets meanwhile: it equals GROUP BY');
$pid = running_pid();
kill 'KILL', $pid;
$node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pkt_status() WHERE interface = 'lo' AND state = 'running'")
  or die 'capture did not come back after kill -9';
is($node->safe_psql('postgres', 'SELECT count(*) FROM packets'), '300',
	'kill -9 loses nothing that was committed');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs WHERE state = 'interrupted'"), '1',
	'the killed run is marked interrupted in the ledger');
is($node->safe_psql('postgres',
		"SELECT sum(s.packets) FROM pkt_summary s JOIN pkt_runs r USING (run_id) WHERE r.state = 'interrupted'"),
	'100', 'its rows that had no summaries when it was killed were added to them');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs WHERE state <> 'running' AND summarized_id IS NOT NULL"),
	'0', 'every ended run is wholly in the summaries');
is(report_differences(), '', 'pkt_report equals GROUP BY after the crash');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs r WHERE r.rows_stored <> (SELECT count(*) FROM packets p WHERE p.run_id = r.run_id)"),
	'0', 'every run in the ledger counts exactly its stored rows');

# pkt_stop stops it for good.
send_udp(50);
$node->poll_query_until('postgres', 'SELECT count(*) = 350 FROM packets')
  or die 'rows did not arrive';
$node->safe_psql('postgres', "SELECT pkt_stop('lo')");
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pkt_runs WHERE summarized_id IS NOT NULL"),
	'0', 'a stopped capture writes its last summaries');
is(report_differences(), '', 'pkt_report equals GROUP BY after pkt_stop');
sleep 7;
is($node->safe_psql('postgres',
		"SELECT state FROM pkt_status() WHERE interface = 'lo'"), 'stopped',
	'a capture stopped with pkt_stop stays stopped');
like(slurp_file($node->logfile), qr/stays stopped until the server restarts/, 'launcher says so');

$node->stop;
done_testing();
